#pragma once

// A core::LogSink that keeps a copy of every record, so a test can assert on
// what was logged (and that no secret was). Install it for a test's scope:
//   auto log = std::make_shared<test_support::CapturingLogSink>();
//   core::ScopedLogSink scoped(log);
// or, in one line, with ScopedLogCapture below:
//   test_support::ScopedLogCapture log;
//   ... log->lines() ...

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/log.h"
#include "core/mutex.h"

namespace reportshare::test_support {

// One record, copied out of the Log() call.
struct CapturedLog {
  core::LogLevel level = core::LogLevel::kInfo;
  std::string channel;
  std::string message;
  std::vector<std::pair<std::string, std::string>> fields;  // key, value as text
  std::string json_line;                                    // as the default sink writes it

  // The value of field `key` as text, or nullopt.
  std::optional<std::string> Field(std::string_view key) const {
    for (const auto& [k, v] : fields) {
      if (k == key) return v;
    }
    return std::nullopt;
  }
};

// Thread-safe: records may arrive from any thread.
class CapturingLogSink final : public core::LogSink {
 public:
  void Write(const core::LogRecord& record) override {
    CapturedLog line{record.level,
                     std::string(record.channel),
                     std::string(record.message),
                     {},
                     core::FormatJsonLine(record)};
    for (const core::LogField& f : record.fields) {
      line.fields.emplace_back(std::string(f.key()), f.ValueText());
    }
    core::MutexLock lock(mu_);
    lines_.push_back(std::move(line));
  }

  // Every record so far, in order.
  std::vector<CapturedLog> lines() const {
    core::MutexLock lock(mu_);
    return lines_;
  }

  // The records of `channel` at `level` whose message contains `text`.
  std::vector<CapturedLog> Matching(std::string_view channel, core::LogLevel level,
                                    std::string_view text) const {
    core::MutexLock lock(mu_);
    std::vector<CapturedLog> out;
    for (const CapturedLog& l : lines_) {
      if (l.channel == channel && l.level == level && l.message.find(text) != std::string::npos) {
        out.push_back(l);
      }
    }
    return out;
  }

  // The first record of `channel` whose message is exactly `message`, or
  // nullopt.
  std::optional<CapturedLog> Find(std::string_view channel, std::string_view message) const {
    core::MutexLock lock(mu_);
    for (const CapturedLog& l : lines_) {
      if (l.channel == channel && l.message == message) return l;
    }
    return std::nullopt;
  }

  // The records of `channel`, in order.
  std::vector<CapturedLog> OnChannel(std::string_view channel) const {
    core::MutexLock lock(mu_);
    std::vector<CapturedLog> out;
    for (const CapturedLog& l : lines_) {
      if (l.channel == channel) out.push_back(l);
    }
    return out;
  }

  // Every record as its JSON line, one after another: to check that a secret
  // appears nowhere.
  std::string AllText() const {
    core::MutexLock lock(mu_);
    std::string out;
    for (const CapturedLog& l : lines_) out += l.json_line;
    return out;
  }

 private:
  mutable core::Mutex mu_;
  std::vector<CapturedLog> lines_ RS_GUARDED_BY(mu_);
};

// A fresh CapturingLogSink installed for the scope (core::ScopedLogSink), the
// previous sink restored after. `capture->` reaches the sink.
class ScopedLogCapture {
 public:
  ScopedLogCapture() : sink_(std::make_shared<CapturingLogSink>()), scoped_(sink_) {}
  ScopedLogCapture(const ScopedLogCapture&) = delete;
  ScopedLogCapture& operator=(const ScopedLogCapture&) = delete;

  const CapturingLogSink* operator->() const { return sink_.get(); }

 private:
  std::shared_ptr<CapturingLogSink> sink_;  // before scoped_: installed by it
  core::ScopedLogSink scoped_;
};

}  // namespace reportshare::test_support
