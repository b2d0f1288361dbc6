#include "app/key_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.h"

namespace reportshare::app {
namespace {

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    path_ = dir_.path() + "/rs.db.signing-keys";
  }

  test_support::TempDir dir_{"rs-keyfile-"};
  std::string path_;
};

TEST_F(KeyFileTest, CreatesWithMode0600AndReloadsSameKeys) {
  auto created = LoadOrCreateKeyFile(path_, /*database_has_links=*/false);
  ASSERT_TRUE(created) << created.error().message();
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto loaded = LoadOrCreateKeyFile(path_, /*database_has_links=*/true);
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(loaded->active().id, created->active().id);
  EXPECT_EQ(loaded->active().secret, created->active().secret);
}

TEST_F(KeyFileTest, MissingFileWithLinksIsAnErrorNotANewKey) {
  auto result = LoadOrCreateKeyFile(path_, /*database_has_links=*/true);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message().find(path_), std::string::npos);
  EXPECT_NE(result.error().message().find("missing"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(KeyFileTest, GroupReadableFileIsRefused) {
  ASSERT_TRUE(LoadOrCreateKeyFile(path_, false));
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  auto result = LoadOrCreateKeyFile(path_, true);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message().find("chmod 600"), std::string::npos);
}

TEST_F(KeyFileTest, APlantedTemporaryFileIsNeitherUsedNorWrittenThrough) {
  auto ring = LoadOrCreateKeyFile(path_, false);
  ASSERT_TRUE(ring);
  // Someone else's file where an old version wrote its fixed temporary name.
  std::string planted = path_ + ".tmp";
  { std::ofstream(planted) << "not yours\n"; }
  ASSERT_EQ(::chmod(planted.c_str(), 0666), 0);
  ASSERT_TRUE(WriteKeyFile(path_, *ring).ok());
  std::ifstream in(planted);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "not yours\n");
}

TEST_F(KeyFileTest, ADirectoryIsNotAKeyFile) {
  ASSERT_TRUE(std::filesystem::create_directory(path_));
  auto result = LoadOrCreateKeyFile(path_, true);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message().find("regular file"), std::string::npos);
}

TEST_F(KeyFileTest, CorruptFileIsAnErrorThatQuotesNoSecret) {
  {
    std::ofstream out(path_);
    out << "1 c2VjcmV0LXNlY3JldC1zZWNyZXQ active extra\n";
  }
  ASSERT_EQ(::chmod(path_.c_str(), 0600), 0);
  auto result = LoadOrCreateKeyFile(path_, true);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message().find("invalid"), std::string::npos);
  EXPECT_EQ(result.error().message().find("c2VjcmV0"), std::string::npos);
}

TEST_F(KeyFileTest, WriteKeyFileReplacesAtomically) {
  auto ring = LoadOrCreateKeyFile(path_, false);
  ASSERT_TRUE(ring);
  auto rotated = ring->WithNewActiveKey();
  ASSERT_TRUE(rotated);
  ASSERT_TRUE(WriteKeyFile(path_, *rotated).ok());
  auto loaded = LoadOrCreateKeyFile(path_, true);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->keys().size(), 2u);
  EXPECT_EQ(loaded->active().id, rotated->active().id);
  // No temporary file is left beside the key file.
  int entries = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(std::filesystem::path(path_).parent_path())) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST_F(KeyFileTest, AHugeFileIsRefusedWithoutBeingRead) {
  // A sparse 2 GiB file: reading it whole took seconds and 2 GiB of memory.
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, off_t{2} << 30), 0);
  ::close(fd);
  auto ring = LoadOrCreateKeyFile(path_, /*database_has_links=*/true);
  ASSERT_FALSE(ring);
  EXPECT_NE(ring.error().message().find("larger than 1 MiB"), std::string::npos)
      << ring.error().message();
}

TEST_F(KeyFileTest, AFifoInTheFilesPlaceIsRefusedWithoutWaitingForAWriter) {
  // Opening a FIFO for reading blocked until a writer came: serve hung at
  // start-up, and the watcher's thread (so shutdown) at a reload.
  ASSERT_EQ(::mkfifo(path_.c_str(), 0600), 0);
  auto ring = LoadOrCreateKeyFile(path_, /*database_has_links=*/false);
  ASSERT_FALSE(ring);
  EXPECT_NE(ring.error().message().find("not a regular file"), std::string::npos)
      << ring.error().message();
}

}  // namespace
}  // namespace reportshare::app
