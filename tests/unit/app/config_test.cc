#include "app/config.h"

#include <gtest/gtest.h>

#include "domain/branding.h"

#include <string>
#include <utility>

namespace reportshare::app {
namespace {

TEST(DatabaseUrlTest, SqliteAndPostgres) {
  auto sqlite = ParseDatabaseUrl("sqlite:data/rs.db");
  ASSERT_TRUE(sqlite);
  EXPECT_EQ(sqlite->kind, DatabaseUrl::Kind::kSqlite);
  EXPECT_EQ(sqlite->location, "data/rs.db");
  auto slashes = ParseDatabaseUrl("sqlite:///tmp/x.db");
  ASSERT_TRUE(slashes);
  EXPECT_EQ(slashes->location, "/tmp/x.db");
  auto pg = ParseDatabaseUrl("postgresql://u:p@127.0.0.1:5432/rs");
  ASSERT_TRUE(pg);
  EXPECT_EQ(pg->kind, DatabaseUrl::Kind::kPostgres);
}

TEST(DatabaseUrlTest, RejectsOthers) {
  EXPECT_FALSE(ParseDatabaseUrl("sqlite:"));
  EXPECT_FALSE(ParseDatabaseUrl("mysql://x"));
  EXPECT_FALSE(ParseDatabaseUrl("rs.db"));
}

TEST(ListenAddressTest, Parses) {
  auto v4 = ParseListenAddress("127.0.0.1:8080");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 8080);
  auto v6 = ParseListenAddress("[::1]:0");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);
  auto local = ParseListenAddress("localhost:9000");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->host, "127.0.0.1");
}

TEST(ListenAddressTest, Rejects) {
  for (const char* bad :
       {"8080", ":8080", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:http", "127.0.0.1:-1"}) {
    EXPECT_FALSE(ParseListenAddress(bad)) << bad;
  }
}

TEST(PublicUrlTest, NormalizesAndRejects) {
  EXPECT_EQ(*domain::NormalizePublicUrl("https://reports.example.com/", "--public-url"),
            "https://reports.example.com");
  EXPECT_EQ(*domain::NormalizePublicUrl("https://x.example/prefix//", "--public-url"),
            "https://x.example/prefix");
  EXPECT_FALSE(domain::NormalizePublicUrl("ftp://x.example", "--public-url"));
  EXPECT_FALSE(domain::NormalizePublicUrl("https://x.example/?a=1", "--public-url"));
  EXPECT_FALSE(domain::NormalizePublicUrl("https://x.example/#f", "--public-url"));
  EXPECT_FALSE(domain::NormalizePublicUrl("https://", "--public-url"));
  EXPECT_FALSE(domain::NormalizePublicUrl("http:///x", "--public-url"));
}

TEST(ListenAddressTest, FormatsWhatItParses) {
  EXPECT_EQ(FormatListenAddress("127.0.0.1", 8080), "127.0.0.1:8080");
  EXPECT_EQ(FormatListenAddress("::1", 0), "[::1]:0");
  auto v6 = ParseListenAddress(FormatListenAddress("::1", 9000));
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 9000);
}

TEST(MaskDatabaseUrlTest, HidesThePasswordOnly) {
  const std::pair<const char*, const char*> cases[] = {
      {"postgresql://rs:s3cret@db.internal:5432/rs", "postgresql://rs:***@db.internal:5432/rs"},
      {"postgres://rs:s3cret@db/rs", "postgres://rs:***@db/rs"},
      {"postgresql://rs@db.internal/rs", "postgresql://rs@db.internal/rs"},
      {"postgresql://db.internal:5432/rs", "postgresql://db.internal:5432/rs"},
      {"postgresql://rs:p%40ss@db/rs", "postgresql://rs:***@db/rs"},
      // A raw '@' or '?' in the password: whatever libpq could take for it.
      {"postgresql://rs:p@ss@db/rs", "postgresql://rs:***@db/rs"},
      {"postgresql://rs:pa?ss@db/rs", "postgresql://rs:***@db/rs"},
      {"postgresql://rs:s3cret@h1:5432,h2:5432/rs", "postgresql://rs:***@h1:5432,h2:5432/rs"},
      {"postgresql://db/rs?user=rs&password=s3cret&sslmode=require",
       "postgresql://db/rs?user=rs&password=***&sslmode=require"},
      {"postgresql://rs:a@db/rs?password=b#x", "postgresql://rs:***@db/rs?password=***#x"},
      {"postgresql:///rs?host=/run/postgresql", "postgresql:///rs?host=/run/postgresql"},
      {"sqlite:/var/lib/rs:x@y.db", "sqlite:/var/lib/rs:x@y.db"},
  };
  for (const auto& [url, masked] : cases) EXPECT_EQ(MaskDatabaseUrl(url), masked) << url;
}

TEST(MaskSettingTest, TheDatabaseUrlAndAnythingNamedSecret) {
  EXPECT_EQ(MaskSetting("db", "postgresql://u:pw@h/d"), "postgresql://u:***@h/d");
  EXPECT_EQ(MaskSetting("webhook-secret", "abc"), "***");
  EXPECT_EQ(MaskSetting("db-password", "abc"), "***");
  EXPECT_EQ(MaskSetting("admin-token", ""), "");
  // A path to a secret is not one.
  EXPECT_EQ(MaskSetting("signing-keys", "/etc/rs/keys"), "/etc/rs/keys");
  EXPECT_EQ(MaskSetting("listen", "127.0.0.1:8080"), "127.0.0.1:8080");
}

TEST(CheckSettingValueTest, ChecksWhatTheParsersCheckUnderTheGivenName) {
  const std::string name = "rs.toml:3: listen";
  EXPECT_TRUE(CheckSettingValue("listen", "127.0.0.1:1", name).ok());
  Status bad = CheckSettingValue("listen", "9999", name);
  EXPECT_EQ(bad.code(), core::Code::kInvalidArgument);
  EXPECT_EQ(bad.message(), "rs.toml:3: listen must be HOST:PORT, e.g. 127.0.0.1:8080");
  EXPECT_EQ(CheckSettingValue("db", "rs.db", "DB").message(),
            "DB must be sqlite:PATH or postgresql://USER@HOST:PORT/DB");
  EXPECT_EQ(CheckSettingValue("db", "sqlite:", "DB").message(), "DB sqlite: needs a file path");
  EXPECT_EQ(CheckSettingValue("public-url", "https://x.example/?q", "U").message(),
            "U must not contain a query, fragment or spaces");
  EXPECT_TRUE(CheckSettingValue("public-url", "", "U").ok()) << "empty: the default";
  EXPECT_TRUE(CheckSettingValue("threads", "anything", "T").ok()) << "CLI11 checks numbers";
  EXPECT_TRUE(CheckSettingValue("trusted-proxies", "", "P").ok()) << "empty: trust nobody";
  EXPECT_TRUE(CheckSettingValue("trusted-proxies", "127.0.0.1,10.0.0.0/8,::1", "P").ok());
  Status proxies =
      CheckSettingValue("trusted-proxies", "10.0.0.0/40", "rs.toml:4: trusted-proxies");
  EXPECT_EQ(proxies.code(), core::Code::kInvalidArgument);
  EXPECT_EQ(proxies.message(),
            "rs.toml:4: trusted-proxies has a prefix length that is not 0 to 32");
}

DataFlags Data(std::string db, std::string signing_keys = "") {
  DataFlags flags;
  flags.db = std::move(db);
  flags.signing_keys = std::move(signing_keys);
  return flags;
}

TEST(KeyFilePathTest, BesideSqliteGivenForPostgres) {
  const std::string sqlite = "sqlite:data/rs.db";
  EXPECT_EQ(*KeyFilePath(Data(sqlite)), "data/rs.db.signing-keys");
  EXPECT_EQ(*KeyFilePath(Data(sqlite, "/etc/rs/keys")), "/etc/rs/keys");
  const std::string pg = "postgresql://u@127.0.0.1:5432/rs";
  auto missing = KeyFilePath(Data(pg));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("--signing-keys"), std::string::npos);
  EXPECT_EQ(*KeyFilePath(Data(pg, "/shared/keys")), "/shared/keys");
}

// A given key file is the answer whatever --db says: `keys rotate-signing
// --signing-keys F` works with a stale REPORTSHARE_DB in the environment.
TEST(KeyFilePathTest, GivenFileWithoutParsingTheDatabase) {
  EXPECT_EQ(*KeyFilePath(Data("mysql://nowhere", "/etc/rs/keys")), "/etc/rs/keys");
  EXPECT_FALSE(KeyFilePath(Data("mysql://nowhere")));
}

// The flags' defaults are the server's own, not copies of its numbers.
TEST(ServeConfigTest, DefaultsComeFromServerOptions) {
  const http::ServerOptions server_defaults;
  auto config = MakeServeConfig(ServeFlags{});
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(config->server.host, server_defaults.host);
  EXPECT_EQ(config->server.port, server_defaults.port);
  EXPECT_EQ(config->server.max_connections, server_defaults.max_connections);
  EXPECT_EQ(config->server.header_timeout, server_defaults.header_timeout);
  EXPECT_EQ(config->server.idle_timeout, server_defaults.idle_timeout);
  EXPECT_EQ(config->server.body_timeout, server_defaults.body_timeout);
  EXPECT_EQ(config->server.write_timeout, server_defaults.write_timeout);
  EXPECT_EQ(config->server.header_limit, server_defaults.header_limit);
  EXPECT_EQ(config->server.body_limit, server_defaults.body_limit);
  EXPECT_EQ(config->db.kind, DatabaseUrl::Kind::kSqlite);
  EXPECT_EQ(config->db.location, "reportshare.db");
  EXPECT_EQ(config->key_file, "reportshare.db.signing-keys");
  EXPECT_EQ(config->public_url, "");
  EXPECT_FALSE(config->demo);
  EXPECT_EQ(config->rate_limit, kDefaultRateLimit);
  EXPECT_EQ(config->rate_burst, kDefaultRateBurst);
  EXPECT_EQ(config->pdf_cache_bytes, size_t{kDefaultPdfCacheMb} * 1024 * 1024);
  EXPECT_EQ(config->view_flush, std::chrono::milliseconds(kDefaultViewFlushMs));
  EXPECT_TRUE(config->server.trusted_proxies.empty());
  EXPECT_EQ(server_defaults.trusted_proxies, config->server.trusted_proxies);
}

TEST(ServeConfigTest, FlagsReachTheServerOptions) {
  ServeFlags flags;
  flags.listen = "[::1]:0";
  flags.threads = 3;
  flags.max_connections = 7;
  flags.header_timeout_s = 4;
  flags.idle_timeout_s = 5;
  flags.write_timeout_s = 6;
  flags.pdf_cache_mb = 0;
  flags.view_flush_ms = 20;
  flags.public_url = "https://reports.example.com/";
  flags.trusted_proxies = "127.0.0.1, 2001:db8::/32";
  flags.tls_cert = "/etc/reportshare/tls/fullchain.pem";
  flags.tls_key = "/etc/reportshare/tls/privkey.pem";
  auto config = MakeServeConfig(flags);
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(config->server.host, "::1");
  EXPECT_EQ(config->server.port, 0);
  EXPECT_EQ(config->server.threads, 3);
  EXPECT_EQ(config->server.worker_threads, 3);
  EXPECT_EQ(config->server.max_connections, 7u);
  EXPECT_EQ(config->server.header_timeout, std::chrono::seconds(4));
  EXPECT_EQ(config->server.idle_timeout, std::chrono::seconds(5));
  EXPECT_EQ(config->server.write_timeout, std::chrono::seconds(6));
  EXPECT_EQ(config->pdf_cache_bytes, 0u);
  EXPECT_EQ(config->view_flush, std::chrono::milliseconds(20));
  EXPECT_EQ(config->public_url, "https://reports.example.com");
  ASSERT_EQ(config->server.trusted_proxies.size(), 2u);
  EXPECT_EQ(config->server.trusted_proxies[0], *http::ParseIpRange("127.0.0.1/32", "x"));
  EXPECT_EQ(config->server.trusted_proxies[1], *http::ParseIpRange("2001:db8::/32", "x"));
  EXPECT_EQ(config->server.tls_cert_file, "/etc/reportshare/tls/fullchain.pem");
  EXPECT_EQ(config->server.tls_key_file, "/etc/reportshare/tls/privkey.pem");
}

TEST(ServeConfigTest, ZeroThreadsMeansOnePerCore) {
  ServeFlags flags;
  flags.threads = 0;
  auto config = MakeServeConfig(flags);
  ASSERT_TRUE(config);
  EXPECT_GE(config->server.threads, 1);
  EXPECT_EQ(config->server.worker_threads, config->server.threads);
}

TEST(ServeConfigTest, EachBadValueIsOneLineNamingItsFlag) {
  struct Case {
    const char* flag;
    void (*spoil)(ServeFlags&);
  };
  const Case cases[] = {
      {"--listen", [](ServeFlags& f) { f.listen = "8080"; }},
      {"--db", [](ServeFlags& f) { f.data.db = "mysql://x"; }},
      {"--signing-keys", [](ServeFlags& f) { f.data.db = "postgresql://u@127.0.0.1/rs"; }},
      {"--public-url", [](ServeFlags& f) { f.public_url = "ftp://x.example"; }},
      {"--trusted-proxies", [](ServeFlags& f) { f.trusted_proxies = "127.0.0.1,proxy.example"; }},
      {"--trusted-proxies", [](ServeFlags& f) { f.trusted_proxies = "10.1.2.3/8"; }},
      {"--tls-cert", [](ServeFlags& f) { f.tls_cert = "cert.pem"; }},
      {"--tls-key", [](ServeFlags& f) { f.tls_key = "key.pem"; }},
  };
  for (const Case& c : cases) {
    ServeFlags flags;
    c.spoil(flags);
    auto config = MakeServeConfig(flags);
    ASSERT_FALSE(config) << c.flag;
    EXPECT_EQ(config.error().code(), core::Code::kInvalidArgument) << c.flag;
    const std::string message = config.error().message();
    EXPECT_NE(message.find(c.flag), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace reportshare::app
