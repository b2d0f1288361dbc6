#include "core/log.h"

#include <unistd.h>

#include <atomic>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cerrno>

#include "core/json.h"
#include "core/rfc3339.h"

namespace reportshare::core {
namespace {

std::shared_ptr<LogSink> DefaultSink() {
  return std::make_shared<JsonLinesSink>(STDOUT_FILENO, STDERR_FILENO);
}

std::atomic<std::shared_ptr<LogSink>>& InstalledSink() {
  // Never destroyed: a thread may still log while static destructors run.
  static auto* sink = new std::atomic<std::shared_ptr<LogSink>>(DefaultSink());
  return *sink;
}

void WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere left to report it
    text.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

std::string LogField::ValueText() const {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          return std::string(v);
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, double>) {
          return WriteJson(boost::json::value(v));
        } else {
          return std::to_string(v);
        }
      },
      value_);
}

const LogField* LogRecord::Find(std::string_view key) const {
  for (const LogField& f : fields) {
    if (f.key() == key) return &f;
  }
  return nullptr;
}

std::string FormatJsonLine(const LogRecord& record) {
  // Every request writes an access record: its JSON lives in a stack buffer
  // (spilling to the heap only for a record larger than it), not in an
  // allocation per field.
  unsigned char buffer[4096];
  boost::json::monotonic_resource memory(buffer, sizeof buffer);
  boost::json::value doc(boost::json::object_kind, &memory);
  boost::json::object& line = doc.get_object();
  line["ts"] = FormatRfc3339Micros(record.at);
  line["level"] = LogLevelName(record.level);
  line["channel"] = record.channel;
  line["msg"] = record.message;
  for (const LogField& f : record.fields) {
    std::string key(f.key());
    if (key == "ts" || key == "level" || key == "channel" || key == "msg") key = "_" + key;
    std::visit([&](const auto& v) { line[key] = v; }, f.value());
  }
  std::string text = WriteJson(doc);
  text.push_back('\n');
  return text;
}

void JsonLinesSink::Write(const LogRecord& record) {
  if (record.level < min_level_) return;
  WriteAll(record.channel == "access" ? access_fd_ : diagnostics_fd_, FormatJsonLine(record));
}

std::shared_ptr<LogSink> SetLogSink(std::shared_ptr<LogSink> sink) {
  if (!sink) sink = DefaultSink();
  return InstalledSink().exchange(std::move(sink));
}

void Log(LogLevel level, std::string_view channel, std::string_view message,
         std::initializer_list<LogField> fields) {
  std::shared_ptr<LogSink> sink = InstalledSink().load();
  LogRecord record{SystemClock().Now(), level, channel, message,
                   std::span<const LogField>(fields.begin(), fields.size())};
  sink->Write(record);
}

}  // namespace reportshare::core
