#include "app/key_file_watcher.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/key_file.h"
#include "core/bytes.h"
#include "core/log.h"
#include "core/mutex.h"
#include "support/temp_dir.h"

namespace reportshare::app {
namespace {

using namespace std::chrono_literals;

// A log record with its views copied.
struct Captured {
  core::LogLevel level;
  std::string channel;
  std::string message;
  std::vector<std::pair<std::string, std::string>> fields;

  std::optional<std::string> Field(std::string_view key) const {
    for (const auto& [k, v] : fields) {
      if (k == key) return v;
    }
    return std::nullopt;
  }
};

class CapturingSink final : public core::LogSink {
 public:
  void Write(const core::LogRecord& record) override {
    Captured c{record.level, std::string(record.channel), std::string(record.message), {}};
    for (const core::LogField& f : record.fields) {
      c.fields.emplace_back(std::string(f.key()), f.ValueText());
    }
    core::MutexLock lock(mu_);
    records_.push_back(std::move(c));
  }

  // The first record with `message` on channel "app", or nullopt.
  std::optional<Captured> Find(std::string_view message) const {
    core::MutexLock lock(mu_);
    for (const Captured& c : records_) {
      if (c.channel == "app" && c.message == message) return c;
    }
    return std::nullopt;
  }

 private:
  mutable core::Mutex mu_;
  std::vector<Captured> records_ RS_GUARDED_BY(mu_);
};

// Polls `done` for up to 5 s.
template <class Condition>
bool WaitUntil(Condition done) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

class KeyFileWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    path_ = dir_.path() + "/rs.db.signing-keys";
    auto ring = LoadOrCreateKeyFile(path_, /*database_has_links=*/false);
    ASSERT_TRUE(ring) << ring.error().message();
    ring_ = std::make_unique<links::KeyRing>(std::move(*ring));
    holder_ = std::make_unique<service::KeyRingHolder>(*ring_);
  }

  SigningKeyId ActiveId() const { return holder_->Get()->active().id; }

  test_support::TempDir dir_{"rs-keywatch-"};
  std::string path_;
  std::unique_ptr<links::KeyRing> ring_;
  std::unique_ptr<service::KeyRingHolder> holder_;
  std::shared_ptr<CapturingSink> sink_ = std::make_shared<CapturingSink>();
  core::ScopedLogSink scoped_sink_{sink_};
};

TEST_F(KeyFileWatcherTest, AChangedFileIsReloadedIntoTheHolder) {
  KeyFileWatcher watcher(path_, *holder_, 10ms);
  auto rotated = ring_->WithNewActiveKey();
  ASSERT_TRUE(rotated);
  ASSERT_TRUE(WriteKeyFile(path_, *rotated).ok());

  ASSERT_TRUE(WaitUntil([&] { return ActiveId() == rotated->active().id; }))
      << "the rotated key file was not picked up";
  EXPECT_EQ(holder_->Get()->keys().size(), 2u);
  std::optional<Captured> reloaded;
  ASSERT_TRUE(WaitUntil([&] { return (reloaded = sink_->Find("reloaded signing keys")); }));
  EXPECT_EQ(reloaded->level, core::LogLevel::kInfo);
  EXPECT_EQ(reloaded->Field("active_key_id"), std::to_string(rotated->active().id.value));
  EXPECT_EQ(reloaded->Field("keys"), "2");
  EXPECT_EQ(reloaded->Field("file"), path_);
}

TEST_F(KeyFileWatcherTest, ABrokenFileKeepsTheKeysAndLogsAWarning) {
  KeyFileWatcher watcher(path_, *holder_, 10ms);
  {
    std::ofstream out(path_, std::ios::trunc);
    out << "this is not a key ring\n";
  }
  ASSERT_EQ(::chmod(path_.c_str(), 0600), 0);

  std::optional<Captured> warning;
  ASSERT_TRUE(WaitUntil([&] {
    return (warning = sink_->Find("keeping the current signing keys"));
  })) << "no warning for a key file that does not parse";
  EXPECT_EQ(warning->level, core::LogLevel::kWarning);
  ASSERT_TRUE(warning->Field("error"));
  EXPECT_NE(warning->Field("error")->find(path_), std::string::npos) << *warning->Field("error");
  EXPECT_EQ(ActiveId(), ring_->active().id);
  EXPECT_EQ(holder_->Get()->active().secret, ring_->active().secret);
  // The warning names the file, never a secret.
  const std::string secret = core::Base64UrlEncode(ring_->active().secret);
  ASSERT_NE(ring_->Serialize().find(secret), std::string::npos);
  for (const auto& [key, value] : warning->fields) {
    EXPECT_EQ(value.find(secret), std::string::npos) << key;
  }

  // A good file afterwards is picked up again.
  auto rotated = ring_->WithNewActiveKey();
  ASSERT_TRUE(rotated);
  ASSERT_TRUE(WriteKeyFile(path_, *rotated).ok());
  EXPECT_TRUE(WaitUntil([&] { return ActiveId() == rotated->active().id; }));
}

TEST_F(KeyFileWatcherTest, AnUnchangedFileIsNotReloaded) {
  {
    KeyFileWatcher watcher(path_, *holder_, 1ms);
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_FALSE(sink_->Find("reloaded signing keys"));
  EXPECT_FALSE(sink_->Find("keeping the current signing keys"));
}

TEST_F(KeyFileWatcherTest, StopIsPromptWhateverThePollInterval) {
  const auto start = std::chrono::steady_clock::now();
  { KeyFileWatcher watcher(path_, *holder_, std::chrono::hours(1)); }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

}  // namespace
}  // namespace reportshare::app
