#include "core/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "core/rfc3339.h"
#include "support/capturing_log_sink.h"

namespace reportshare::core {
namespace {

namespace json = boost::json;
using test_support::CapturingLogSink;

using namespace std::chrono_literals;

// 2024-05-06T07:08:09.123456Z.
constexpr Instant kAt{std::chrono::sys_days{std::chrono::May / 6 / 2024} + 7h + 8min + 9s +
                      123456us};

LogRecord Record(LogLevel level, std::string_view channel, std::string_view message,
                 std::span<const LogField> fields = {}) {
  return LogRecord{kAt, level, channel, message, fields};
}

// One line without its '\n', parsed with Boost.JSON; null (and a test
// failure) if it is not JSON.
json::value ParseLine(std::string_view line) {
  boost::system::error_code ec;
  json::value v = json::parse(line, ec);
  EXPECT_FALSE(ec) << ec.message() << " in: " << line;
  return ec ? json::value() : v;
}

// A JSON string's text, or the value marked as not a string.
std::string Text(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  return "<not a string: " + json::serialize(v) + ">";
}

// `text` split at each '\n'; every line must end with one.
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  EXPECT_EQ(start, text.size()) << "text after the last newline: " << text.substr(start);
  return out;
}

// A pipe whose read end a thread drains until EOF, so writers never block on
// a full pipe. Finish() closes the write end and returns all that was written.
class Pipe {
 public:
  Pipe() {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0) << errno;
    read_fd_ = fds[0];
    write_fd_ = fds[1];
    reader_ = std::thread([this] {
      char buf[4096];
      for (;;) {
        ssize_t n = ::read(read_fd_, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        text_.append(buf, static_cast<size_t>(n));
      }
    });
  }
  ~Pipe() { Finish(); }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;

  int write_fd() const { return write_fd_; }

  const std::string& Finish() {
    if (write_fd_ >= 0) ::close(write_fd_);
    write_fd_ = -1;
    if (reader_.joinable()) reader_.join();  // text_ is the reader's until here
    if (read_fd_ >= 0) ::close(read_fd_);
    read_fd_ = -1;
    return text_;
  }

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
  std::string text_;
  std::thread reader_;
};

// Points `fd` (stdout or stderr) at a Pipe for its scope.
class Redirect {
 public:
  explicit Redirect(int fd) : fd_(fd), saved_(::dup(fd)) {
    std::fflush(nullptr);  // nothing buffered before the redirect ends up in the pipe
    EXPECT_GE(::dup2(pipe_.write_fd(), fd_), 0) << errno;
  }
  ~Redirect() { Finish(); }
  Redirect(const Redirect&) = delete;
  Redirect& operator=(const Redirect&) = delete;

  const std::string& Finish() {
    if (saved_ >= 0) {
      ::dup2(saved_, fd_);
      ::close(saved_);
      saved_ = -1;
    }
    return pipe_.Finish();
  }

 private:
  Pipe pipe_;
  const int fd_;
  int saved_;
};

// --- LogLevelName, LogField, LogRecord ---

TEST(LogLevelNameTest, NamesEveryLevel) {
  EXPECT_EQ(LogLevelName(LogLevel::kDebug), "debug");
  EXPECT_EQ(LogLevelName(LogLevel::kInfo), "info");
  EXPECT_EQ(LogLevelName(LogLevel::kWarning), "warning");
  EXPECT_EQ(LogLevelName(LogLevel::kError), "error");
}

TEST(LogFieldTest, ValueTextOfEveryType) {
  const std::string owned = "owned";
  EXPECT_EQ(LogField("k", std::string_view("view")).ValueText(), "view");
  EXPECT_EQ(LogField("k", owned).ValueText(), "owned");
  EXPECT_EQ(LogField("k", "literal").ValueText(), "literal");
  EXPECT_EQ(LogField("k", "").ValueText(), "");
  EXPECT_EQ(LogField("k", 12).ValueText(), "12");
  EXPECT_EQ(LogField("k", -3L).ValueText(), "-3");
  EXPECT_EQ(LogField("k", std::numeric_limits<long long>::min()).ValueText(),
            "-9223372036854775808");
  EXPECT_EQ(LogField("k", 7u).ValueText(), "7");
  EXPECT_EQ(LogField("k", std::numeric_limits<unsigned long long>::max()).ValueText(),
            "18446744073709551615");
  EXPECT_EQ(LogField("k", 0.5).ValueText(), "0.5");
  EXPECT_EQ(LogField("k", 72.5).ValueText(), "72.5");
  EXPECT_EQ(LogField("k", 2.0).ValueText(), "2");
  EXPECT_EQ(LogField("k", true).ValueText(), "true");
  EXPECT_EQ(LogField("k", false).ValueText(), "false");
}

TEST(LogFieldTest, KeepsTheTypeItWasGiven) {
  EXPECT_TRUE(std::holds_alternative<std::string_view>(LogField("k", "x").value()));
  EXPECT_TRUE(std::holds_alternative<int64_t>(LogField("k", -1).value()));
  EXPECT_TRUE(std::holds_alternative<uint64_t>(LogField("k", 1u).value()));
  EXPECT_TRUE(std::holds_alternative<double>(LogField("k", 1.0).value()));
  EXPECT_TRUE(std::holds_alternative<bool>(LogField("k", true).value()));
  EXPECT_EQ(LogField("key", 1).key(), "key");
}

TEST(LogRecordTest, FindReturnsTheFirstFieldOfThatKeyOrNull) {
  const LogField fields[] = {{"op", "open"}, {"n", 3}, {"op", "second"}};
  const LogRecord record = Record(LogLevel::kInfo, "server", "m", fields);
  const LogField* op = record.Find("op");
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(op, &fields[0]);
  EXPECT_EQ(op->ValueText(), "open");
  ASSERT_NE(record.Find("n"), nullptr);
  EXPECT_EQ(record.Find("n")->ValueText(), "3");
  EXPECT_EQ(record.Find("missing"), nullptr);
  EXPECT_EQ(record.Find(""), nullptr);
  EXPECT_EQ(Record(LogLevel::kInfo, "server", "m").Find("op"), nullptr);
}

// --- FormatJsonLine ---

TEST(FormatJsonLineTest, OneObjectWithTheFixedKeysAndANewline) {
  const std::string line = FormatJsonLine(Record(LogLevel::kWarning, "server", "listening"));
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  EXPECT_EQ(line.front(), '{');
  json::value v = ParseLine(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(v.is_object()) << line;
  const json::object& o = v.as_object();
  EXPECT_EQ(o.size(), 4u) << line;
  EXPECT_EQ(Text(o.at("ts")), "2024-05-06T07:08:09.123456Z");
  EXPECT_EQ(Text(o.at("ts")), FormatRfc3339Micros(kAt));
  EXPECT_EQ(Text(o.at("level")), "warning");
  EXPECT_EQ(Text(o.at("channel")), "server");
  EXPECT_EQ(Text(o.at("msg")), "listening");
}

TEST(FormatJsonLineTest, EveryLevelIsNamed) {
  for (LogLevel level : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarning, LogLevel::kError}) {
    const std::string line = FormatJsonLine(Record(level, "c", "m"));
    json::value v = ParseLine(std::string_view(line).substr(0, line.size() - 1));
    ASSERT_TRUE(v.is_object()) << line;
    EXPECT_EQ(Text(v.at("level")), LogLevelName(level));
  }
}

TEST(FormatJsonLineTest, FieldsOfEveryTypeKeepTheirJsonType) {
  const std::string text = "text";
  const LogField fields[] = {
      {"string", text},
      {"int", -42},
      {"big_int", std::numeric_limits<long long>::min()},
      {"unsigned", 7u},
      {"big_unsigned", std::numeric_limits<unsigned long long>::max()},
      {"double", 0.25},
      {"yes", true},
      {"no", false},
      {"empty", ""},
  };
  const std::string line = FormatJsonLine(Record(LogLevel::kInfo, "access", "GET", fields));
  json::value v = ParseLine(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(v.is_object()) << line;
  const json::object& o = v.as_object();
  EXPECT_EQ(o.size(), 4u + std::size(fields)) << line;
  EXPECT_EQ(Text(o.at("string")), "text");
  ASSERT_TRUE(o.at("int").is_int64()) << line;
  EXPECT_EQ(o.at("int").as_int64(), -42);
  ASSERT_TRUE(o.at("big_int").is_int64()) << line;
  EXPECT_EQ(o.at("big_int").as_int64(), std::numeric_limits<int64_t>::min());
  ASSERT_TRUE(o.at("unsigned").is_number()) << line;
  EXPECT_EQ(o.at("unsigned").to_number<uint64_t>(), 7u);
  ASSERT_TRUE(o.at("big_unsigned").is_uint64()) << line;
  EXPECT_EQ(o.at("big_unsigned").as_uint64(), std::numeric_limits<uint64_t>::max());
  ASSERT_TRUE(o.at("double").is_double()) << line;
  EXPECT_EQ(o.at("double").as_double(), 0.25);
  ASSERT_TRUE(o.at("yes").is_bool()) << line;
  EXPECT_TRUE(o.at("yes").as_bool());
  ASSERT_TRUE(o.at("no").is_bool()) << line;
  EXPECT_FALSE(o.at("no").as_bool());
  EXPECT_EQ(Text(o.at("empty")), "");
}

TEST(FormatJsonLineTest, AFieldNamedLikeAFixedKeyGetsAnUnderscore) {
  const LogField fields[] = {{"ts", "forged"},   {"level", "debug"}, {"channel", "access"},
                             {"msg", "spoofed"}, {"tsx", 1},         {"_level", 2}};
  const std::string line = FormatJsonLine(Record(LogLevel::kError, "server", "real", fields));
  json::value v = ParseLine(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(v.is_object()) << line;
  const json::object& o = v.as_object();
  // The fixed keys keep the record's own values...
  EXPECT_EQ(Text(o.at("ts")), "2024-05-06T07:08:09.123456Z");
  EXPECT_EQ(Text(o.at("level")), "error");
  EXPECT_EQ(Text(o.at("channel")), "server");
  EXPECT_EQ(Text(o.at("msg")), "real");
  // ...and the fields move aside.
  EXPECT_EQ(Text(o.at("_ts")), "forged");
  EXPECT_EQ(Text(o.at("_channel")), "access");
  EXPECT_EQ(Text(o.at("_msg")), "spoofed");
  // Only the four fixed names are renamed.
  EXPECT_EQ(o.at("tsx").as_int64(), 1);
  EXPECT_TRUE(o.contains("_level"));
  EXPECT_FALSE(o.contains("__level"));
}

TEST(FormatJsonLineTest, ControlCharactersQuotesAndUtf8RoundTrip) {
  std::string nasty = "line one\nline two\r\ttab \"quoted\" back\\slash /slash";
  for (char c = 0x01; c < 0x20; ++c) nasty.push_back(c);
  nasty.push_back('\0');
  nasty += "\x7f end";
  // é, Devanagari, Arabic, CJK and an emoji outside the BMP.
  const std::string utf8 =
      "caf\xc3\xa9 \xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\xa8\xe0\xa5\x8d\xe0\xa4\xa6\xe0\xa5\x80 "
      "\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80";
  const std::string message = nasty + " " + utf8;
  const std::string key = "k\"e\ny\\";
  const LogField fields[] = {{"value", nasty}, {"utf8", utf8}, {key, "v\n"}};

  const std::string line = FormatJsonLine(Record(LogLevel::kInfo, "server", message, fields));
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  // Every control character is escaped: the only one left is the final newline.
  for (size_t i = 0; i + 1 < line.size(); ++i) {
    EXPECT_GE(static_cast<unsigned char>(line[i]), 0x20) << "raw control character at " << i;
  }
  // UTF-8 is written as it is.
  EXPECT_NE(line.find(utf8), std::string::npos) << line;

  json::value v = ParseLine(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(v.is_object()) << line;
  const json::object& o = v.as_object();
  EXPECT_EQ(Text(o.at("msg")), message);
  EXPECT_EQ(Text(o.at("value")), nasty);
  EXPECT_EQ(Text(o.at("utf8")), utf8);
  ASSERT_TRUE(o.contains(key)) << line;
  EXPECT_EQ(Text(o.at(key)), "v\n");
}

// --- JsonLinesSink ---

TEST(JsonLinesSinkTest, AccessGoesToTheAccessFdEverythingElseToDiagnostics) {
  Pipe access, diagnostics;
  JsonLinesSink sink(access.write_fd(), diagnostics.write_fd());
  const LogField status[] = {{"status", 200}};
  sink.Write(Record(LogLevel::kInfo, "access", "GET /r/x", status));
  sink.Write(Record(LogLevel::kWarning, "server", "slow"));
  sink.Write(Record(LogLevel::kError, "sqlite", "busy"));
  sink.Write(Record(LogLevel::kInfo, "accessx", "not the access channel"));
  sink.Write(Record(LogLevel::kInfo, "Access", "nor this"));

  const std::vector<std::string> access_lines = Lines(access.Finish());
  ASSERT_EQ(access_lines.size(), 1u);
  json::value a = ParseLine(access_lines[0]);
  ASSERT_TRUE(a.is_object());
  EXPECT_EQ(Text(a.at("channel")), "access");
  EXPECT_EQ(Text(a.at("msg")), "GET /r/x");
  EXPECT_EQ(a.at("status").as_int64(), 200);

  const std::vector<std::string> diag_lines = Lines(diagnostics.Finish());
  ASSERT_EQ(diag_lines.size(), 4u);
  const char* const channels[] = {"server", "sqlite", "accessx", "Access"};
  for (size_t i = 0; i < diag_lines.size(); ++i) {
    json::value d = ParseLine(diag_lines[i]);
    ASSERT_TRUE(d.is_object()) << diag_lines[i];
    EXPECT_EQ(Text(d.at("channel")), channels[i]);
  }
  // Each line is exactly what FormatJsonLine makes of the record.
  EXPECT_EQ(diag_lines[0] + "\n", FormatJsonLine(Record(LogLevel::kWarning, "server", "slow")));
}

TEST(JsonLinesSinkTest, RecordsBelowTheMinimumLevelAreDropped) {
  Pipe access, diagnostics;
  JsonLinesSink sink(access.write_fd(), diagnostics.write_fd(), LogLevel::kWarning);
  for (const char* channel : {"access", "server"}) {
    sink.Write(Record(LogLevel::kDebug, channel, "debug"));
    sink.Write(Record(LogLevel::kInfo, channel, "info"));
    sink.Write(Record(LogLevel::kWarning, channel, "warning"));
    sink.Write(Record(LogLevel::kError, channel, "error"));
  }
  for (Pipe* pipe : {&access, &diagnostics}) {
    const std::vector<std::string> lines = Lines(pipe->Finish());
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(Text(ParseLine(lines[0]).at("msg")), "warning");
    EXPECT_EQ(Text(ParseLine(lines[1]).at("msg")), "error");
  }
}

TEST(JsonLinesSinkTest, TheDefaultMinimumIsInfo) {
  Pipe access, diagnostics;
  JsonLinesSink sink(access.write_fd(), diagnostics.write_fd());
  sink.Write(Record(LogLevel::kDebug, "server", "debug"));
  sink.Write(Record(LogLevel::kInfo, "server", "info"));
  EXPECT_EQ(access.Finish(), "");
  const std::vector<std::string> lines = Lines(diagnostics.Finish());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(Text(ParseLine(lines[0]).at("msg")), "info");
}

TEST(JsonLinesSinkTest, LinesFromConcurrentThreadsNeverInterleave) {
  constexpr int kThreads = 8;
  constexpr int kLinesPerThread = 300;
  // Long enough that a torn write would show, short enough (< PIPE_BUF) that
  // one write(2) to a pipe is atomic.
  const std::string padding(1500, 'x');
  Pipe access, diagnostics;
  {
    ScopedLogSink scoped(
        std::make_shared<JsonLinesSink>(access.write_fd(), diagnostics.write_fd()));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([t, &padding] {
        for (int i = 0; i < kLinesPerThread; ++i) {
          LogInfo(t % 2 == 0 ? "access" : "server", padding,
                  {{"thread", t}, {"seq", i}, {"tail", padding}});
        }
      });
    }
    for (std::thread& t : threads) t.join();
  }

  std::map<int64_t, std::set<int64_t>> seen;  // thread -> seqs
  for (Pipe* pipe : {&access, &diagnostics}) {
    for (const std::string& line : Lines(pipe->Finish())) {
      json::value v = ParseLine(line);
      ASSERT_TRUE(v.is_object()) << "a torn line: " << line.substr(0, 200);
      EXPECT_EQ(Text(v.at("msg")), padding);
      EXPECT_EQ(Text(v.at("tail")), padding);
      const int64_t t = v.at("thread").as_int64();
      EXPECT_EQ(Text(v.at("channel")), t % 2 == 0 ? "access" : "server");
      EXPECT_TRUE(seen[t].insert(v.at("seq").as_int64()).second) << "a line written twice";
    }
  }
  ASSERT_EQ(seen.size(), size_t{kThreads});
  for (const auto& [t, seqs] : seen) {
    EXPECT_EQ(seqs.size(), size_t{kLinesPerThread}) << "thread " << t;
  }
}

// --- SetLogSink, ScopedLogSink, Log ---

TEST(SetLogSinkTest, InstallsASinkAndReturnsThePreviousOne) {
  auto first = std::make_shared<CapturingLogSink>();
  auto second = std::make_shared<CapturingLogSink>();
  std::shared_ptr<LogSink> original = SetLogSink(first);
  ASSERT_NE(original, nullptr);
  LogInfo("test", "to first");
  EXPECT_EQ(SetLogSink(second), first);
  LogInfo("test", "to second");
  EXPECT_EQ(SetLogSink(original), second);

  ASSERT_EQ(first->lines().size(), 1u);
  EXPECT_EQ(first->lines()[0].message, "to first");
  ASSERT_EQ(second->lines().size(), 1u);
  EXPECT_EQ(second->lines()[0].message, "to second");
}

TEST(ScopedLogSinkTest, RestoresThePreviousSinkWhenTheScopeEnds) {
  auto outer = std::make_shared<CapturingLogSink>();
  auto inner = std::make_shared<CapturingLogSink>();
  {
    ScopedLogSink outer_scope(outer);
    LogInfo("test", "one");
    {
      ScopedLogSink inner_scope(inner);
      LogInfo("test", "two");
    }
    LogInfo("test", "three");
    // The sink the outer scope put back is the outer sink itself.
    std::shared_ptr<LogSink> current = SetLogSink(outer);
    EXPECT_EQ(current, outer);
  }
  ASSERT_EQ(outer->lines().size(), 2u);
  EXPECT_EQ(outer->lines()[0].message, "one");
  EXPECT_EQ(outer->lines()[1].message, "three");
  ASSERT_EQ(inner->lines().size(), 1u);
  EXPECT_EQ(inner->lines()[0].message, "two");
}

TEST(SetLogSinkTest, ANullSinkRestoresTheDefaultOnStdoutAndStderr) {
  auto capture = std::make_shared<CapturingLogSink>();
  ScopedLogSink restore_after(capture);  // puts back whatever was there before the test

  std::shared_ptr<LogSink> previous = SetLogSink(nullptr);
  EXPECT_EQ(previous, capture);
  std::string out, err;
  {
    Redirect stdout_pipe(STDOUT_FILENO);
    Redirect stderr_pipe(STDERR_FILENO);
    LogInfo("access", "GET /r/x", {{"status", 200}});
    LogWarning("server", "diagnostic");
    Log(LogLevel::kDebug, "server", "below the default minimum");
    err = stderr_pipe.Finish();
    out = stdout_pipe.Finish();
  }
  std::shared_ptr<LogSink> installed = SetLogSink(capture);
  EXPECT_NE(installed, nullptr);
  EXPECT_NE(dynamic_cast<JsonLinesSink*>(installed.get()), nullptr);
  EXPECT_TRUE(capture->lines().empty()) << "the replaced sink still got records";

  const std::vector<std::string> out_lines = Lines(out);
  ASSERT_EQ(out_lines.size(), 1u) << out;
  EXPECT_EQ(Text(ParseLine(out_lines[0]).at("msg")), "GET /r/x");
  EXPECT_EQ(ParseLine(out_lines[0]).at("status").as_int64(), 200);
  const std::vector<std::string> err_lines = Lines(err);
  ASSERT_EQ(err_lines.size(), 1u) << err;
  EXPECT_EQ(Text(ParseLine(err_lines[0]).at("msg")), "diagnostic");
  EXPECT_EQ(Text(ParseLine(err_lines[0]).at("level")), "warning");
}

TEST(LogTest, SendsTheRecordStampedWithTheSystemClock) {
  auto capture = std::make_shared<CapturingLogSink>();
  ScopedLogSink scoped(capture);
  const Instant before = SystemClock().Now();
  LogError("server", "failed", {{"op", "open"}, {"attempt", 2}, {"ok", false}});
  const Instant after = SystemClock().Now();
  LogWarning("server", "w");
  LogInfo("server", "i");
  Log(LogLevel::kDebug, "server", "d");

  const std::vector<test_support::CapturedLog> lines = capture->lines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].level, LogLevel::kError);
  EXPECT_EQ(lines[0].channel, "server");
  EXPECT_EQ(lines[0].message, "failed");
  using Field = std::pair<std::string, std::string>;
  EXPECT_EQ(lines[0].fields,
            (std::vector<Field>{{"op", "open"}, {"attempt", "2"}, {"ok", "false"}}));
  json::value v =
      ParseLine(std::string_view(lines[0].json_line).substr(0, lines[0].json_line.size() - 1));
  ASSERT_TRUE(v.is_object());
  std::optional<Instant> at = ParseRfc3339(v.at("ts").as_string());
  ASSERT_TRUE(at) << v.at("ts");
  EXPECT_GE(*at, before);
  EXPECT_LE(*at, after);
  EXPECT_EQ(lines[1].level, LogLevel::kWarning);
  EXPECT_EQ(lines[2].level, LogLevel::kInfo);
  // A sink of one's own gets every level; only JsonLinesSink filters.
  EXPECT_EQ(lines[3].level, LogLevel::kDebug);
}

}  // namespace
}  // namespace reportshare::core
