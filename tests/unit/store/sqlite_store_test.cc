// SQLite-only behaviour: opening, migrations and the file on disk. What every
// store must do is in store_conformance_test.cc.

#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <string>
#include <vector>

#include "store/sql/schema.h"
#include "support/capturing_log_sink.h"
#include "support/temp_dir.h"

namespace reportshare::store {
namespace {

using sql::LatestSchemaVersion;
using sql::Migrations;
using test_support::CapturedLog;
using test_support::ScopedLogCapture;
using test_support::TempDir;

// Runs `sql` on the file directly and returns the first column of the first row.
std::string QueryFile(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  std::string out = "<error>";
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_ROW) {
        const unsigned char* text = sqlite3_column_text(stmt, 0);
        out = text ? reinterpret_cast<const char*>(text) : "<null>";
      } else if (rc == SQLITE_DONE) {
        out = "<done>";
      }
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return out;
}

void ExpectNoSql(const std::string& message) {
  for (const char* word : {"SELECT", "PRAGMA", "CREATE", "INSERT", "schema_migrations"}) {
    EXPECT_EQ(message.find(word), std::string::npos) << message;
  }
}

TEST(SqliteStoreTest, MigrationsAreAppliedOnce) {
  TempDir dir;
  const std::string path = dir.path() + "/rs.db";
  {
    auto store = SqliteStore::Open(path, 2);
    ASSERT_TRUE(store) << store.error().message();
    auto version = (*store)->SchemaVersion();
    ASSERT_TRUE(version);
    EXPECT_EQ(*version, LatestSchemaVersion());
    ASSERT_TRUE((*store)->EnsureCompany("acme"));
  }
  const std::string applied_at = QueryFile(path, "SELECT applied_at FROM schema_migrations");
  for (int i = 0; i < 2; ++i) {
    auto store = SqliteStore::Open(path, 3);
    ASSERT_TRUE(store) << store.error().message();
    auto version = (*store)->SchemaVersion();
    ASSERT_TRUE(version);
    EXPECT_EQ(*version, LatestSchemaVersion());
  }
  EXPECT_EQ(QueryFile(path, "SELECT count(*) FROM schema_migrations"),
            std::to_string(Migrations().size()));
  EXPECT_EQ(QueryFile(path, "SELECT applied_at FROM schema_migrations"), applied_at);
  EXPECT_EQ(QueryFile(path, "SELECT name FROM companies"), "acme");
}

TEST(SqliteStoreTest, FileIsInWalModeWithTheSchema) {
  TempDir dir;
  const std::string path = dir.path() + "/rs.db";
  auto store = SqliteStore::Open(path, 1);
  ASSERT_TRUE(store) << store.error().message();
  EXPECT_EQ(QueryFile(path, "PRAGMA journal_mode"), "wal");
  for (const char* table : {"companies", "api_keys", "reports", "links", "branding"}) {
    EXPECT_EQ(QueryFile(path, ("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                               "name = '" +
                               std::string(table) + "'")
                                  .c_str()),
              "1")
        << table;
  }
  EXPECT_EQ(QueryFile(path, "SELECT count(*) FROM sqlite_master WHERE name = 'links_by_report'"),
            "1");
}

TEST(SqliteStoreTest, ForeignKeysAreEnforced) {
  TempDir dir;
  auto store = SqliteStore::Open(dir.path() + "/rs.db", 1);
  ASSERT_TRUE(store) << store.error().message();
  std::array<uint8_t, 32> hash{};
  Status s = (*store)->InsertApiKey(CompanyId{12345}, "k_x", hash, Instant{});
  EXPECT_EQ(s.code(), Code::kNotFound) << s.message();
}

TEST(SqliteStoreTest, DirectoryPathIsUnavailable) {
  TempDir dir;
  auto store = SqliteStore::Open(dir.path(), 2);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code(), Code::kUnavailable);
  EXPECT_NE(store.error().message().find(dir.path()), std::string::npos) << store.error().message();
  ExpectNoSql(store.error().message());
}

TEST(SqliteStoreTest, MissingDirectoryIsUnavailable) {
  TempDir dir;
  const std::string path = dir.path() + "/no/such/dir/rs.db";
  auto store = SqliteStore::Open(path, 1);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code(), Code::kUnavailable);
  EXPECT_NE(store.error().message().find(path), std::string::npos) << store.error().message();
}

TEST(SqliteStoreTest, CorruptFileIsUnavailable) {
  TempDir dir;
  const std::string path = dir.path() + "/rs.db";
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 512; ++i) out << "this is not an SQLite database. ";
  }
  ScopedLogCapture capture;
  auto store = SqliteStore::Open(path, 1);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code(), Code::kUnavailable);
  EXPECT_NE(store.error().message().find(path), std::string::npos) << store.error().message();
  ExpectNoSql(store.error().message());

  // The driver's words went to the log instead, as one record.
  const std::vector<CapturedLog> log = capture->lines();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].level, core::LogLevel::kError);
  EXPECT_EQ(log[0].channel, "sqlite");
  EXPECT_EQ(log[0].Field("op"), "open");
  EXPECT_EQ(log[0].Field("path"), path);
  EXPECT_NE(log[0].message.find("not a database"), std::string::npos) << log[0].message;
}

TEST(SqliteStoreTest, NewerSchemaIsRefused) {
  TempDir dir;
  const std::string path = dir.path() + "/rs.db";
  { ASSERT_TRUE(SqliteStore::Open(path, 1)); }
  QueryFile(path, "INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)");
  auto store = SqliteStore::Open(path, 1);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code(), Code::kUnavailable);
  EXPECT_NE(store.error().message().find("999"), std::string::npos) << store.error().message();
}

TEST(SqliteStoreTest, BadArgumentsAreRejected) {
  TempDir dir;
  EXPECT_EQ(SqliteStore::Open(dir.path() + "/rs.db", 0).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(SqliteStore::Open(":memory:", 1).error().code(), Code::kInvalidArgument);
  EXPECT_EQ(SqliteStore::Open("", 1).error().code(), Code::kInvalidArgument);
}

TEST(SqliteStoreTest, RecordOpensOfUnknownLinkIsSkipped) {
  TempDir dir;
  auto store = SqliteStore::Open(dir.path() + "/rs.db", 1);
  ASSERT_TRUE(store) << store.error().message();
  EXPECT_TRUE((*store)->RecordOpens({LinkOpen{LinkId{}, Instant{}, 200, "curl", "", true}}).ok());
  EXPECT_FALSE(*(*store)->HasLinks());
}

TEST(SqliteStoreTest, DamagedReportBodyIsInternalNotACrash) {
  TempDir dir;
  const std::string path = dir.path() + "/rs.db";
  auto store = SqliteStore::Open(path, 1);
  ASSERT_TRUE(store) << store.error().message();
  auto acme = (*store)->EnsureCompany("acme");
  ASSERT_TRUE(acme);
  QueryFile(path,
            "INSERT INTO reports (report_id, company_id, version, body, invite_status, updated_at) "
            "VALUES (5, 1, 1, '{not json', 'Completed', 0)");
  ScopedLogCapture capture;
  auto got = (*store)->GetReport(ReportId{5});
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), Code::kInternal);
  ExpectNoSql(got.error().message());
  const std::vector<CapturedLog> log = capture->lines();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].channel, "sqlite");
  EXPECT_EQ(log[0].Field("op"), "GetReport");
  EXPECT_EQ(log[0].Field("report_id"), "5");
}

}  // namespace
}  // namespace reportshare::store
