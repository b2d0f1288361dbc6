#pragma once

// Captures the log records of a test's scope (core/log.h) as copies, so a
// test can assert what a store logged and that no secret was logged.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/mutex.h"

namespace reportshare::store {

struct CapturedRecord {
  core::LogLevel level = core::LogLevel::kInfo;
  std::string channel;
  std::string message;
  std::map<std::string, std::string> fields;  // key -> ValueText()

  // The field's text, or "" if the record has no such field.
  std::string Field(const std::string& key) const {
    auto it = fields.find(key);
    return it == fields.end() ? std::string() : it->second;
  }
  // Every word of the record, for "is this secret anywhere in it" checks.
  std::string All() const {
    std::string out = channel + " " + message;
    for (const auto& [key, value] : fields) out += " " + key + "=" + value;
    return out;
  }
};

// Installs itself as the process's sink for its lifetime.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<Sink>()), scope_(sink_) {}

  std::vector<CapturedRecord> records() const {
    core::MutexLock lock(sink_->mu);
    return sink_->records;
  }

 private:
  struct Sink final : core::LogSink {
    void Write(const core::LogRecord& record) override {
      CapturedRecord copy{
          record.level, std::string(record.channel), std::string(record.message), {}};
      for (const core::LogField& f : record.fields)
        copy.fields[std::string(f.key())] = f.ValueText();
      core::MutexLock lock(mu);
      records.push_back(std::move(copy));
    }
    mutable core::Mutex mu;
    std::vector<CapturedRecord> records RS_GUARDED_BY(mu);
  };

  std::shared_ptr<Sink> sink_;
  core::ScopedLogSink scope_;
};

}  // namespace reportshare::store
