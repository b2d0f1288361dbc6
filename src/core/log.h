#pragma once

// The one log of the process. Every diagnostic and the access log go through
// Log(); a LogSink decides where records end up. The default sink writes each
// record as one JSON object per line: the "access" channel to stdout, every
// other channel to stderr. Tests install a sink of their own (ScopedLogSink)
// and assert on the records.
//
// Never pass a secret (API key, token, signing key, webhook secret) or a
// candidate's personal data as a message or a field: log ids, counts,
// statuses and routes.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "core/clock.h"

namespace reportshare::core {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// "debug", "info", "warning", "error".
std::string_view LogLevelName(LogLevel level);

// One structured field of a record: a key and a string, integer, floating
// point or boolean value. Views only: a field lives as long as the Log() call.
class LogField {
 public:
  using Value = std::variant<std::string_view, int64_t, uint64_t, double, bool>;

  LogField(std::string_view key, std::string_view v) : key_(key), value_(v) {}
  LogField(std::string_view key, const std::string& v) : key_(key), value_(std::string_view(v)) {}
  LogField(std::string_view key, const char* v) : key_(key), value_(std::string_view(v)) {}
  LogField(std::string_view key, bool v) : key_(key), value_(v) {}
  LogField(std::string_view key, int v) : key_(key), value_(int64_t{v}) {}
  LogField(std::string_view key, long v) : key_(key), value_(int64_t{v}) {}
  LogField(std::string_view key, long long v) : key_(key), value_(int64_t{v}) {}
  LogField(std::string_view key, unsigned v) : key_(key), value_(uint64_t{v}) {}
  LogField(std::string_view key, unsigned long v) : key_(key), value_(uint64_t{v}) {}
  LogField(std::string_view key, unsigned long long v) : key_(key), value_(uint64_t{v}) {}
  LogField(std::string_view key, double v) : key_(key), value_(v) {}

  std::string_view key() const { return key_; }
  const Value& value() const { return value_; }
  // The value as text ("12", "true", "0.5", or the string itself).
  std::string ValueText() const;

 private:
  std::string_view key_;
  Value value_;
};

// One record as a sink receives it. Views only: valid during Write().
struct LogRecord {
  Instant at;
  LogLevel level = LogLevel::kInfo;
  std::string_view channel;  // the part of the program: "server", "access", "sqlite", ...
  std::string_view message;
  std::span<const LogField> fields;

  // The field called `key`, or nullptr.
  const LogField* Find(std::string_view key) const;
};

// Where records go. Write() may be called from any thread at once.
class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void Write(const LogRecord& record) = 0;
};

// The record as one JSON object and a newline:
// {"ts":"…Z","level":"info","channel":"server","msg":"…",<fields>}. A field
// named like one of the four fixed keys is written with a leading underscore.
std::string FormatJsonLine(const LogRecord& record);

// Writes FormatJsonLine of each record with one write(2) call. On a pipe,
// lines of up to PIPE_BUF (4096 bytes) from several threads therefore never
// interleave; on a regular file or a terminal a line is written whole by that
// one call unless the kernel returns a short write, whose rest further calls
// write (and another thread's line may then come between). The "access"
// channel goes to `access_fd`, everything else to `diagnostics_fd`. Records
// below `min_level` are dropped.
class JsonLinesSink final : public LogSink {
 public:
  JsonLinesSink(int access_fd, int diagnostics_fd, LogLevel min_level = LogLevel::kInfo)
      : access_fd_(access_fd), diagnostics_fd_(diagnostics_fd), min_level_(min_level) {}
  void Write(const LogRecord& record) override;

 private:
  const int access_fd_;
  const int diagnostics_fd_;
  const LogLevel min_level_;
};

// Installs `sink` as the process's sink and returns the previous one. A null
// sink restores the default (JsonLinesSink on stdout and stderr). Thread-safe:
// a Log() racing with the swap writes to the old or the new sink, whole.
std::shared_ptr<LogSink> SetLogSink(std::shared_ptr<LogSink> sink);

// Installs a sink for the scope (a test's), restoring the previous one after.
class ScopedLogSink {
 public:
  explicit ScopedLogSink(std::shared_ptr<LogSink> sink) : previous_(SetLogSink(std::move(sink))) {}
  ~ScopedLogSink() { SetLogSink(std::move(previous_)); }
  ScopedLogSink(const ScopedLogSink&) = delete;
  ScopedLogSink& operator=(const ScopedLogSink&) = delete;

 private:
  std::shared_ptr<LogSink> previous_;
};

// Sends one record to the installed sink, stamped with the system clock.
void Log(LogLevel level, std::string_view channel, std::string_view message,
         std::initializer_list<LogField> fields = {});

inline void LogInfo(std::string_view channel, std::string_view message,
                    std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kInfo, channel, message, fields);
}
inline void LogWarning(std::string_view channel, std::string_view message,
                       std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kWarning, channel, message, fields);
}
inline void LogError(std::string_view channel, std::string_view message,
                     std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kError, channel, message, fields);
}

}  // namespace reportshare::core
