#include "app/config_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "support/temp_dir.h"

namespace reportshare::app {
namespace {

TEST(ConfigFileTest, EntriesInFileOrderWithKindTextAndLine) {
  auto file = ParseConfigFile(
      "# comment\n"
      "listen = \"127.0.0.1:8080\"\n"
      "threads = 4\n"
      "\n"
      "rate-limit = 2.5\n"
      "demo = true\n"
      "db = 'sqlite:/var/lib/rs.db'\n",
      "rs.toml");
  ASSERT_TRUE(file) << file.error().message();
  EXPECT_EQ(file->path, "rs.toml");
  ASSERT_EQ(file->entries.size(), 5u);
  const ConfigEntry& listen = file->entries[0];
  EXPECT_EQ(listen.key, "listen");
  EXPECT_EQ(listen.kind, ValueKind::kString);
  EXPECT_EQ(listen.text, "127.0.0.1:8080");
  EXPECT_EQ(listen.line, 2);
  EXPECT_EQ(file->entries[1].key, "threads");
  EXPECT_EQ(file->entries[1].kind, ValueKind::kInteger);
  EXPECT_EQ(file->entries[1].text, "4");
  EXPECT_EQ(file->entries[1].line, 3);
  EXPECT_EQ(file->entries[2].kind, ValueKind::kFloat);
  EXPECT_EQ(file->entries[2].text, "2.5");
  EXPECT_EQ(file->entries[2].line, 5);
  EXPECT_EQ(file->entries[3].kind, ValueKind::kBoolean);
  EXPECT_EQ(file->entries[3].text, "true");
  EXPECT_EQ(file->entries[4].text, "sqlite:/var/lib/rs.db");
  ASSERT_NE(file->Find("demo"), nullptr);
  EXPECT_EQ(file->Find("demo")->line, 6);
  EXPECT_EQ(file->Find("nothing"), nullptr);
}

TEST(ConfigFileTest, FloatsReadBackExactly) {
  auto file = ParseConfigFile("a = 0.1\nb = 1e9\nc = -0.0\n", "f.toml");
  ASSERT_TRUE(file) << file.error().message();
  EXPECT_EQ(std::stod(file->Find("a")->text), 0.1);
  EXPECT_EQ(std::stod(file->Find("b")->text), 1e9);
  EXPECT_EQ(std::stod(file->Find("c")->text), 0.0);
}

TEST(ConfigFileTest, OtherKindsAreKeptForTheCallerToRefuse) {
  auto file = ParseConfigFile(
      "list = [1, 2]\nwhen = 2024-01-01T00:00:00Z\n[serve]\nlisten = \"x:1\"\n", "f.toml");
  ASSERT_TRUE(file) << file.error().message();
  ASSERT_EQ(file->entries.size(), 3u);
  EXPECT_EQ(file->Find("list")->kind, ValueKind::kOther);
  EXPECT_EQ(file->Find("list")->kind_name, "an array");
  EXPECT_EQ(file->Find("when")->kind, ValueKind::kOther);
  EXPECT_EQ(file->Find("serve")->kind_name, "a table");
  EXPECT_EQ(file->Find("serve")->line, 3);
}

TEST(ConfigFileTest, SyntaxErrorsNameFileLineAndColumn) {
  for (const char* bad : {"threads = 4\nlisten = \n", "threads = 4\nthreads = 5\n",
                          "threads = 4\nlisten = \"open\n", "threads = 4\n= 5\n"}) {
    auto file = ParseConfigFile(bad, "/etc/rs.toml");
    ASSERT_FALSE(file) << bad;
    EXPECT_EQ(file.error().code(), core::Code::kInvalidArgument);
    const std::string message = file.error().message();
    EXPECT_EQ(message.rfind("/etc/rs.toml:2:", 0), 0u) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(ConfigFileTest, NonFiniteNumbersAreRefusedNamingTheKey) {
  for (const char* bad : {"rate-limit = nan\n", "rate-limit = inf\n", "rate-limit = -inf\n"}) {
    auto file = ParseConfigFile(bad, "rs.toml");
    ASSERT_FALSE(file) << bad;
    EXPECT_EQ(file.error().message(), "rs.toml:1: rate-limit must be a finite number");
  }
}

TEST(ConfigFileTest, EmptyFileHasNoEntries) {
  auto file = ParseConfigFile("# all commented out\n# threads = 0\n", "rs.toml");
  ASSERT_TRUE(file);
  EXPECT_TRUE(file->entries.empty());
}

TEST(ConfigFileTest, ReadsAFileAndRefusesWhatIsNotOne) {
  test_support::TempDir dir("rs-config-file-");
  const std::string path = dir.path() + "/rs.toml";
  std::ofstream(path) << "threads = 3\n";
  auto file = ReadConfigFile(path);
  ASSERT_TRUE(file) << file.error().message();
  EXPECT_EQ(file->path, path);
  EXPECT_EQ(file->Find("threads")->text, "3");

  for (const std::string& missing : {dir.path() + "/none.toml", dir.path()}) {
    auto not_read = ReadConfigFile(missing);
    ASSERT_FALSE(not_read) << missing;
    EXPECT_EQ(not_read.error().code(), core::Code::kNotFound);
    EXPECT_EQ(not_read.error().message(), "cannot read configuration file " + missing);
  }
}

}  // namespace
}  // namespace reportshare::app
