#include "app/options.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace reportshare::app {
namespace {

// The configuration file the Debian package installs.
const std::string kPackagedConfig = RS_SOURCE_DIR "/packaging/reportshare.toml";

// Unsets every variable the options read for the test's duration (the
// caller's environment must not decide a test), and sets some.
class ScopedEnvironment {
 public:
  ScopedEnvironment() {
    for (const auto& [key, kind] : ConfigKeys()) Save(EnvName(key));
    Save("REPORTSHARE_CONFIG");
    for (const std::string& name : saved_names_) unsetenv(name.c_str());
  }
  ~ScopedEnvironment() {
    for (size_t i = 0; i < saved_names_.size(); ++i) {
      if (saved_values_[i]) {
        setenv(saved_names_[i].c_str(), saved_values_[i]->c_str(), 1);
      } else {
        unsetenv(saved_names_[i].c_str());
      }
    }
  }
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

  void Set(const std::string& name, const std::string& value) {
    Save(name);
    setenv(name.c_str(), value.c_str(), 1);
  }

  // REPORTSHARE_ and the key in capitals, '-' as '_'.
  static std::string EnvName(const std::string& key) {
    std::string name = "REPORTSHARE_";
    for (char c : key) name += c == '-' ? '_' : static_cast<char>(std::toupper(c));
    return name;
  }

 private:
  void Save(const std::string& name) {
    if (std::find(saved_names_.begin(), saved_names_.end(), name) != saved_names_.end()) return;
    saved_names_.push_back(name);
    const char* value = getenv(name.c_str());
    saved_values_.push_back(value ? std::optional<std::string>(value) : std::nullopt);
  }

  std::vector<std::string> saved_names_;
  std::vector<std::optional<std::string>> saved_values_;
};

// Parses `args` into `root` as main does (CLI11 wants them last first);
// a usage error becomes kInvalidArgument "usage: …".
Status Parse(CLI::App& root, std::vector<std::string> args) {
  std::reverse(args.begin(), args.end());
  try {
    root.parse(args);
  } catch (const CLI::ParseError& error) {
    return Status::InvalidArgument(std::string("usage: ") + error.what());
  }
  return Status::Ok();
}

// serve's options on a `serve` subcommand, as main lays them out.
struct ServeCommand {
  ServeCommand() : serve(root.add_subcommand("serve", "")) { AddServeOptions(*serve, flags); }

  // Parses `serve ARGS…` and applies the configuration file.
  Result<AppliedConfig> Run(std::vector<std::string> args) {
    args.insert(args.begin(), "serve");
    if (Status parsed = Parse(root, args); !parsed.ok()) return parsed;
    return ApplyConfigFile(*serve);
  }

  CLI::App root;
  CLI::App* serve;
  ServeFlags flags;
};

class OptionsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }

  // Writes `text` as a configuration file; returns its path.
  std::string WriteConfig(const std::string& text, const std::string& name = "rs.toml") {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  // What ApplyConfigFile says about `text` as serve's configuration file.
  std::string ErrorFor(const std::string& text) {
    ServeCommand command;
    auto applied = command.Run({"--config", WriteConfig(text)});
    EXPECT_FALSE(applied) << text;
    return applied ? "" : applied.error().message();
  }

  ScopedEnvironment env_;
  test_support::TempDir dir_{"rs-options-"};
};

// One key at each layer: the default alone, then the file, then its
// variable over the file, then its flag over both.
TEST_F(OptionsTest, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  struct Case {
    std::string key;
    std::string file_value, env_value, flag_value;  // as TOML, in the variable, on the command line
    std::function<std::string(const ServeFlags&)> get;
    std::string from_default, from_file, from_env, from_flag;
  };
  const std::vector<Case> cases = {
      {"listen", "\"127.0.0.1:9001\"", "127.0.0.1:9002", "127.0.0.1:9003",
       [](const ServeFlags& f) { return f.listen; }, "127.0.0.1:8080", "127.0.0.1:9001",
       "127.0.0.1:9002", "127.0.0.1:9003"},
      {"threads", "4", "5", "6", [](const ServeFlags& f) { return std::to_string(f.threads); }, "0",
       "4", "5", "6"},
      {"rate-limit", "0", "2.5", "7",
       [](const ServeFlags& f) { return std::to_string(f.rate_limit); },
       std::to_string(kDefaultRateLimit), std::to_string(0.0), std::to_string(2.5),
       std::to_string(7.0)},
      {"public-url", "\"https://file.example\"", "https://env.example", "https://flag.example",
       [](const ServeFlags& f) { return f.public_url; }, "", "https://file.example",
       "https://env.example", "https://flag.example"},
      {"db", "\"sqlite:file.db\"", "sqlite:env.db", "sqlite:flag.db",
       [](const ServeFlags& f) { return f.data.db; }, kDefaultDatabaseUrl, "sqlite:file.db",
       "sqlite:env.db", "sqlite:flag.db"},
      {"signing-keys", "\"/file/keys\"", "/env/keys", "/flag/keys",
       [](const ServeFlags& f) { return f.data.signing_keys; }, "", "/file/keys", "/env/keys",
       "/flag/keys"},
      {"demo", "true", "1", "",
       [](const ServeFlags& f) { return std::string(f.demo ? "on" : "off"); }, "off", "on", "on",
       "on"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.key);
    const std::string path = WriteConfig("# first line\n" + c.key + " = " + c.file_value + "\n");
    const std::string env_name = ScopedEnvironment::EnvName(c.key);
    std::vector<std::string> flag = {"--" + c.key};
    if (!c.flag_value.empty()) flag.push_back(c.flag_value);
    struct Layer {
      bool file, env, flag;
      Source source;
      const std::string& expected;
    };
    const Layer layers[] = {
        {false, false, false, Source::kDefault, c.from_default},
        {true, false, false, Source::kFile, c.from_file},
        {true, true, false, Source::kEnvironment, c.from_env},
        {true, true, true, Source::kFlag, c.from_flag},
    };
    for (const Layer& layer : layers) {
      ScopedEnvironment env;
      if (layer.env) env.Set(env_name, c.env_value);
      std::vector<std::string> args;
      if (layer.file) args = {"--config", path};
      if (layer.flag) args.insert(args.end(), flag.begin(), flag.end());
      ServeCommand command;
      auto applied = command.Run(args);
      ASSERT_TRUE(applied) << applied.error().message();
      EXPECT_EQ(c.get(command.flags), layer.expected);
      const Setting* setting = applied->Find(c.key);
      ASSERT_NE(setting, nullptr);
      EXPECT_EQ(setting->source, layer.source);
      EXPECT_EQ(setting->file_line, layer.file ? 2 : 0);
      // The layers below do not touch the other settings.
      EXPECT_EQ(applied->Find("header-timeout")->source, Source::kDefault);
      EXPECT_EQ(command.flags.header_timeout_s, ServeFlags{}.header_timeout_s);
    }
  }
}

TEST_F(OptionsTest, SeveralKeysFromEachLayerAtOnce) {
  const std::string path = WriteConfig(
      "listen = \"127.0.0.1:9001\"\n"
      "threads = 4\n"
      "public-url = \"https://file.example\"\n"
      "rate-limit = 3\n"
      "view-flush-ms = 20\n");
  env_.Set("REPORTSHARE_PUBLIC_URL", "https://env.example");
  env_.Set("REPORTSHARE_THREADS", "5");
  env_.Set("REPORTSHARE_IDLE_TIMEOUT", "7");
  ServeCommand command;
  auto applied = command.Run({"--config", path, "--threads", "6", "--write-timeout", "8"});
  ASSERT_TRUE(applied) << applied.error().message();
  EXPECT_EQ(applied->file, path);
  EXPECT_EQ(applied->file_source, Source::kFlag);
  const ServeFlags& f = command.flags;
  EXPECT_EQ(f.listen, "127.0.0.1:9001");
  EXPECT_EQ(f.threads, 6);
  EXPECT_EQ(f.public_url, "https://env.example");
  EXPECT_EQ(f.rate_limit, 3.0);
  EXPECT_EQ(f.view_flush_ms, 20);
  EXPECT_EQ(f.idle_timeout_s, 7);
  EXPECT_EQ(f.write_timeout_s, 8);
  EXPECT_EQ(f.max_connections, ServeFlags{}.max_connections);
  const std::map<std::string, Source> expected = {
      {"listen", Source::kFile},
      {"threads", Source::kFlag},
      {"public-url", Source::kEnvironment},
      {"rate-limit", Source::kFile},
      {"view-flush-ms", Source::kFile},
      {"idle-timeout", Source::kEnvironment},
      {"write-timeout", Source::kFlag},
      {"max-connections", Source::kDefault},
  };
  for (const auto& [key, source] : expected) EXPECT_EQ(applied->Find(key)->source, source) << key;
  auto config = MakeServeConfig(f);
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(config->server.port, 9001);
  EXPECT_EQ(config->public_url, "https://env.example");
}

TEST_F(OptionsTest, TheFileCanBeNamedByItsVariableAndTheFlagBeatsIt) {
  const std::string by_env = WriteConfig("threads = 4\n", "env.toml");
  const std::string by_flag = WriteConfig("threads = 5\n", "flag.toml");
  env_.Set("REPORTSHARE_CONFIG", by_env);
  {
    ServeCommand command;
    auto applied = command.Run({});
    ASSERT_TRUE(applied) << applied.error().message();
    EXPECT_EQ(applied->file, by_env);
    EXPECT_EQ(applied->file_source, Source::kEnvironment);
    EXPECT_EQ(command.flags.threads, 4);
  }
  {
    ServeCommand command;
    auto applied = command.Run({"--config", by_flag});
    ASSERT_TRUE(applied) << applied.error().message();
    EXPECT_EQ(applied->file, by_flag);
    EXPECT_EQ(command.flags.threads, 5);
  }
}

TEST_F(OptionsTest, NoFileLeavesTheDefaults) {
  ServeCommand command;
  auto applied = command.Run({});
  ASSERT_TRUE(applied) << applied.error().message();
  EXPECT_EQ(applied->file, "");
  // Every serve option a file may set is listed, each from its default.
  EXPECT_EQ(applied->settings.size(), ConfigKeys().size());
  for (const Setting& s : applied->settings) EXPECT_EQ(s.source, Source::kDefault) << s.key;
  EXPECT_EQ(command.flags.listen, ServeFlags{}.listen);
  // --config '' (or REPORTSHARE_CONFIG=, which CLI11 ignores) names no file.
  ServeCommand empty;
  auto none = empty.Run({"--config", ""});
  ASSERT_TRUE(none) << none.error().message();
  EXPECT_EQ(none->file, "");
}

TEST_F(OptionsTest, AMissingFileIsAnErrorNamingIt) {
  ServeCommand command;
  const std::string path = dir_.path() + "/none.toml";
  auto applied = command.Run({"--config", path});
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().code(), core::Code::kNotFound);
  EXPECT_NE(applied.error().message().find(path), std::string::npos);
}

TEST_F(OptionsTest, UnknownKeyNamesFileLineAndKey) {
  const std::string message = ErrorFor("threads = 2\nthread = 4\n");
  EXPECT_EQ(message.rfind(dir_.path() + "/rs.toml:2: unknown key \"thread\"", 0), 0u) << message;
  // A section is a key too: the file is flat.
  EXPECT_NE(ErrorFor("[serve]\nlisten = \"127.0.0.1:1\"\n").find(":1: unknown key \"serve\""),
            std::string::npos);
  // --config names a file, it is not a key in one; neither is help.
  EXPECT_NE(ErrorFor("config = \"other.toml\"\n").find("unknown key \"config\""),
            std::string::npos);
  EXPECT_NE(ErrorFor("help = true\n").find("unknown key \"help\""), std::string::npos);
}

TEST_F(OptionsTest, WrongKindNamesTheKey) {
  struct Case {
    const char* line;
    const char* message;  // after "FILE:1: "
  };
  const Case cases[] = {
      {"threads = \"4\"", "threads must be an integer, not a string"},
      {"threads = 1.5", "threads must be an integer, not a float"},
      {"threads = true", "threads must be an integer, not a boolean"},
      {"rate-limit = \"5\"", "rate-limit must be a number, not a string"},
      {"db = 5", "db must be a string, not an integer"},
      {"listen = [\"127.0.0.1:1\"]", "listen must be a string, not an array"},
      {"demo = \"yes\"", "demo must be true or false, not a string"},
      {"demo = 1", "demo must be true or false, not an integer"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ErrorFor(std::string(c.line) + "\n"), dir_.path() + "/rs.toml:1: " + c.message);
  }
}

TEST_F(OptionsTest, BadValueGetsTheFlagsCheckNamingTheKey) {
  struct Case {
    const char* line;
    const char* message;  // after "FILE:LINE: "
  };
  const Case cases[] = {
      {"threads = 999", "threads: Value 999 not in range 0 to 256"},
      {"rate-burst = 0", "rate-burst: Value 0 not in range 1.000000 to 1000000000.000000"},
      {"threads = 99999999999", "threads: Value 99999999999 not in range 0 to 256"},
      {"listen = \"9999\"", "listen must be HOST:PORT, e.g. 127.0.0.1:8080"},
      {"listen = \"127.0.0.1:99999\"", "listen port must be a number from 0 to 65535"},
      {"db = \"mysql://x\"", "db must be sqlite:PATH or postgresql://USER@HOST:PORT/DB"},
      {"public-url = \"ftp://x.example\"", "public-url must start with http:// or https://"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ErrorFor("# line 1\n" + std::string(c.line) + "\n"),
              dir_.path() + "/rs.toml:2: " + c.message);
  }
  // The flag's own message for the same value, as CLI11 gives it.
  ServeCommand command;
  auto flag = command.Run({"--threads", "999"});
  ASSERT_FALSE(flag);
  EXPECT_NE(flag.error().message().find("--threads: Value 999 not in range 0 to 256"),
            std::string::npos);
}

// A value that a flag or variable overrides is still checked for its kind
// (the file is checked whole), but not for its value: it is not used.
TEST_F(OptionsTest, AnOverriddenValueIsCheckedForItsKindOnly) {
  const std::string path = WriteConfig("listen = \"9999\"\n");
  ServeCommand command;
  auto applied = command.Run({"--config", path, "--listen", "127.0.0.1:1"});
  ASSERT_TRUE(applied) << applied.error().message();
  EXPECT_EQ(command.flags.listen, "127.0.0.1:1");
  EXPECT_EQ(applied->Find("listen")->file_line, 1);

  const std::string wrong_kind = WriteConfig("threads = \"4\"\n", "kind.toml");
  ServeCommand flagged;
  auto refused = flagged.Run({"--config", wrong_kind, "--threads", "2"});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("threads must be an integer"), std::string::npos);
}

// keys list and the like take --db alone: they use the file's db, check
// the whole file's keys and kinds, and leave serve's values to serve.
TEST_F(OptionsTest, ACommandWithOnlyDbUsesItsKeyAndChecksTheWholeFile) {
  auto run = [&](const std::string& text) {
    CLI::App root;
    CLI::App* list = root.add_subcommand("list", "");
    std::string db = kDefaultDatabaseUrl;
    AddDbOption(*list, db);
    if (Status parsed = Parse(root, {"list", "--config", WriteConfig(text)}); !parsed.ok()) {
      return std::make_pair(Result<AppliedConfig>(parsed), db);
    }
    return std::make_pair(ApplyConfigFile(*list), db);
  };
  auto [applied, db] = run("db = \"sqlite:/var/lib/rs.db\"\nthreads = 4\nlisten = \"9999\"\n");
  ASSERT_TRUE(applied) << applied.error().message();
  EXPECT_EQ(db, "sqlite:/var/lib/rs.db");
  ASSERT_EQ(applied->settings.size(), 1u);
  EXPECT_EQ(applied->settings[0].key, "db");
  EXPECT_EQ(applied->settings[0].source, Source::kFile);

  EXPECT_FALSE(run("thread = 4\n").first);
  EXPECT_FALSE(run("threads = \"4\"\n").first);
  auto bad_db = run("db = \"rs.db\"\n").first;
  ASSERT_FALSE(bad_db);
  EXPECT_NE(bad_db.error().message().find("rs.toml:1: db must be sqlite:PATH"), std::string::npos);
}

TEST_F(OptionsTest, ErrorsNeverQuoteTheValue) {
  const std::string secret = "postgres-password-9f3a";
  for (const std::string& line :
       {"db = \"" + secret + "\"", "listen = \"" + secret + "\"", "public-url = \"" + secret + "\"",
        "threads = \"" + secret + "\"", "demo = \"" + secret + "\"",
        "[" + std::string("x") + "]\ny = \"" + secret + "\""}) {
    const std::string message = ErrorFor(line + "\n");
    EXPECT_EQ(message.find(secret), std::string::npos) << message;
  }
}

TEST(KindOfTest, FromTheTypeCLI11ConvertsTo) {
  CLI::App app;
  int i = 0;
  unsigned u = 0;
  int64_t l = 0;
  double d = 0;
  std::string s;
  bool b = false;
  EXPECT_EQ(KindOf(*app.add_option("--i", i)->check(CLI::Range(0, 9))), ValueKind::kInteger);
  EXPECT_EQ(KindOf(*app.add_option("--u", u)), ValueKind::kInteger);
  EXPECT_EQ(KindOf(*app.add_option("--l", l)), ValueKind::kInteger);
  EXPECT_EQ(KindOf(*app.add_option("--d", d)->check(CLI::Range(0.0, 1.0))), ValueKind::kFloat);
  EXPECT_EQ(KindOf(*app.add_option("--s", s)), ValueKind::kString);
  EXPECT_EQ(KindOf(*app.add_option("--t")), ValueKind::kString);
  EXPECT_EQ(KindOf(*app.add_flag("--b", b)), ValueKind::kBoolean);
}

TEST(ConfigKeysTest, AreServesOptionsWithTheirVariables) {
  CLI::App serve;
  ServeFlags flags;
  AddServeOptions(serve, flags);
  std::map<std::string, ValueKind> keys(ConfigKeys().begin(), ConfigKeys().end());
  EXPECT_EQ(keys.size(), ConfigKeys().size()) << "a key twice";
  EXPECT_EQ(keys.count("help"), 0u);
  EXPECT_EQ(keys.count("config"), 0u);
  for (const char* key : {"db", "listen", "public-url", "threads", "signing-keys", "rate-limit",
                          "render-workers", "demo"}) {
    EXPECT_EQ(keys.count(key), 1u) << key;
  }
  EXPECT_EQ(keys["threads"], ValueKind::kInteger);
  EXPECT_EQ(keys["rate-limit"], ValueKind::kFloat);
  EXPECT_EQ(keys["listen"], ValueKind::kString);
  EXPECT_EQ(keys["demo"], ValueKind::kBoolean);
  size_t options = 0;
  for (const CLI::Option* option : serve.get_options()) {
    const std::string key = option->get_lnames().front();
    if (key == "help") continue;
    // Every option, --config too, reads REPORTSHARE_ + its name.
    EXPECT_EQ(option->get_envname(), ScopedEnvironment::EnvName(key)) << key;
    if (key == "config") continue;
    ++options;
    EXPECT_EQ(keys.count(key), 1u) << key;
  }
  EXPECT_EQ(options, keys.size());
}

// The file the package installs lists every key, commented out at its
// default: uncommented, it changes nothing, and it cannot drift from the
// options.
TEST_F(OptionsTest, PackagedFileListsEveryKeyAtItsDefault) {
  auto as_is = ReadConfigFile(kPackagedConfig);
  ASSERT_TRUE(as_is) << as_is.error().message();
  EXPECT_TRUE(as_is->entries.empty()) << "every line is commented out";

  std::ifstream in(kPackagedConfig);
  std::string uncommented;
  std::string line;
  while (std::getline(in, line)) {
    // "# key = value": a setting, not prose.
    if (line.rfind("# ", 0) == 0 && line.find(" = ") != std::string::npos &&
        std::islower(static_cast<unsigned char>(line[2])) &&
        line.find(' ', 2) == line.find(" = ")) {
      uncommented += line.substr(2) + "\n";
    }
  }
  const std::string path = WriteConfig(uncommented, "uncommented.toml");
  auto file = ReadConfigFile(path);
  ASSERT_TRUE(file) << file.error().message();
  std::vector<std::string> in_file;
  for (const ConfigEntry& e : file->entries) in_file.push_back(e.key);
  std::vector<std::string> expected;
  for (const auto& [key, kind] : ConfigKeys()) expected.push_back(key);
  std::sort(in_file.begin(), in_file.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(in_file, expected);

  ServeCommand command;
  auto applied = command.Run({"--config", path});
  ASSERT_TRUE(applied) << applied.error().message();
  ServeFlags defaults;
  const ServeFlags& f = command.flags;
  EXPECT_EQ(f.data.db, defaults.data.db);
  EXPECT_EQ(f.data.signing_keys, defaults.data.signing_keys);
  EXPECT_EQ(f.listen, defaults.listen);
  EXPECT_EQ(f.public_url, defaults.public_url);
  EXPECT_EQ(f.threads, defaults.threads);
  EXPECT_EQ(f.demo, defaults.demo);
  EXPECT_EQ(f.rate_limit, defaults.rate_limit);
  EXPECT_EQ(f.rate_burst, defaults.rate_burst);
  EXPECT_EQ(f.max_connections, defaults.max_connections);
  EXPECT_EQ(f.pdf_cache_mb, defaults.pdf_cache_mb);
  EXPECT_EQ(f.view_flush_ms, defaults.view_flush_ms);
  EXPECT_EQ(f.header_timeout_s, defaults.header_timeout_s);
  EXPECT_EQ(f.idle_timeout_s, defaults.idle_timeout_s);
  EXPECT_EQ(f.write_timeout_s, defaults.write_timeout_s);
  EXPECT_EQ(f.render_timeout_s, defaults.render_timeout_s);
  // render-workers defaults to the machine's cores; the file shows an example.
  EXPECT_GE(f.render_workers, 1);
}

}  // namespace
}  // namespace reportshare::app
