#include "app/key_file_watcher.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "app/key_file.h"
#include "core/bytes.h"
#include "core/log.h"
#include "support/capturing_log_sink.h"
#include "support/eventually.h"
#include "support/temp_dir.h"

namespace reportshare::app {
namespace {

using namespace std::chrono_literals;
using test_support::CapturedLog;
using test_support::Eventually;

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
  test_support::ScopedLogCapture log_;
};

TEST_F(KeyFileWatcherTest, AChangedFileIsReloadedIntoTheHolder) {
  KeyFileWatcher watcher(path_, *holder_, 10ms);
  auto rotated = ring_->WithNewActiveKey();
  ASSERT_TRUE(rotated);
  ASSERT_TRUE(WriteKeyFile(path_, *rotated).ok());

  ASSERT_TRUE(Eventually([&] { return ActiveId() == rotated->active().id; }))
      << "the rotated key file was not picked up";
  EXPECT_EQ(holder_->Get()->keys().size(), 2u);
  std::optional<CapturedLog> reloaded;
  ASSERT_TRUE(Eventually([&] { return (reloaded = log_->Find("app", "reloaded signing keys")); }));
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

  std::optional<CapturedLog> warning;
  ASSERT_TRUE(Eventually([&] {
    return (warning = log_->Find("app", "keeping the current signing keys"));
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
  EXPECT_TRUE(Eventually([&] { return ActiveId() == rotated->active().id; }));
}

TEST_F(KeyFileWatcherTest, AnUnchangedFileIsNotReloaded) {
  {
    KeyFileWatcher watcher(path_, *holder_, 1ms);
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_FALSE(log_->Find("app", "reloaded signing keys"));
  EXPECT_FALSE(log_->Find("app", "keeping the current signing keys"));
}

TEST_F(KeyFileWatcherTest, StopIsPromptWhateverThePollInterval) {
  const auto start = std::chrono::steady_clock::now();
  { KeyFileWatcher watcher(path_, *holder_, std::chrono::hours(1)); }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

}  // namespace
}  // namespace reportshare::app
