#include "app/config.h"

#include <gtest/gtest.h>

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
  EXPECT_EQ(*NormalizePublicUrl("https://reports.example.com/"), "https://reports.example.com");
  EXPECT_EQ(*NormalizePublicUrl("https://x.example/prefix//"), "https://x.example/prefix");
  EXPECT_FALSE(NormalizePublicUrl("ftp://x.example"));
  EXPECT_FALSE(NormalizePublicUrl("https://x.example/?a=1"));
  EXPECT_FALSE(NormalizePublicUrl("https://x.example/#f"));
  EXPECT_FALSE(NormalizePublicUrl("https://"));
  EXPECT_FALSE(NormalizePublicUrl("http:///x"));
}

}  // namespace
}  // namespace reportshare::app
