// The migration runner shared by the SQL backends, over a fake driver that
// records what it was asked to do: order, skipping what is applied, clean
// failure, the lock, and the checks of opening a store. The real schema on
// the real databases is tested in sqlite_store_test.cc and
// postgres_store_test.cc.

#include "store/sql/migrate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "store/sql/sql_store.h"

namespace reportshare::store::sql {

// Outside the anonymous namespace: the driver members are defined but not all
// used, which GCC reports for functions of internal linkage.
namespace migrate_fake {

// The database: what is committed, what the open transaction added, and a
// log of every call in order.
struct Database {
  std::set<int64_t> applied;        // committed schema_migrations versions
  std::vector<std::string> schema;  // committed statements
  std::set<std::string> failing;    // statements (or "lock"/"unlock") that fail
  std::vector<std::string> calls;   // "lock", "exec A1", "begin", "commit", ...

  bool in_transaction = false;
  std::set<int64_t> pending_applied;
  std::vector<std::string> pending_schema;

  Status Call(std::string call) {
    const bool fails = failing.count(call) > 0;
    calls.push_back(std::move(call));
    return fails ? Status::Unavailable("database unavailable") : Status::Ok();
  }
};

class Connection {
 public:
  explicit Connection(Database& db) : db_(db) {}

  sql::OutboxMark outbox;  // what sql::Transaction requires

  Status ExecOnce(std::string_view sql, std::string_view) {
    RS_RETURN_IF_ERROR(db_.Call("exec " + std::string(sql)));
    (db_.in_transaction ? db_.pending_schema : db_.schema).emplace_back(sql);
    return Status::Ok();
  }
  Status Begin(std::string_view) {
    RS_RETURN_IF_ERROR(db_.Call("begin"));
    db_.in_transaction = true;
    return Status::Ok();
  }
  Status Commit(std::string_view) {
    RS_RETURN_IF_ERROR(db_.Call("commit"));
    db_.applied.insert(db_.pending_applied.begin(), db_.pending_applied.end());
    db_.schema.insert(db_.schema.end(), db_.pending_schema.begin(), db_.pending_schema.end());
    End();
    return Status::Ok();
  }
  void Rollback(std::string_view) {
    if (!db_.in_transaction) return;
    (void)db_.Call("rollback");
    End();
  }
  void OnAcquire() {}
  void OnRelease() {}

  Database& db() { return db_; }

 private:
  void End() {
    db_.in_transaction = false;
    db_.pending_applied.clear();
    db_.pending_schema.clear();
  }

  Database& db_;
};

struct Sql {
  static constexpr std::string_view kMigrationApplied = "applied?";
  static constexpr std::string_view kRecordMigration = "record";
  static constexpr std::string_view kSchemaVersion = "version?";
};

// Answers the three statements of Sql from the fake database.
class Query : public QueryBase<Query> {
 public:
  RS_SQL_QUERY_DRIVER_MEMBERS

 private:
  Connection& conn_;
  std::string_view sql_;
  std::vector<int64_t> ints_;
  std::vector<int64_t> rows_;
  bool ran_ = false;
  size_t row_ = 0;
};

Query::Query(Connection& conn, std::string_view sql, std::string_view op)
    : QueryBase("fake", op), conn_(conn), sql_(sql) {}
Query::~Query() = default;

Result<bool> Query::Step() {
  Database& db = conn_.db();
  if (!ran_) {
    ran_ = true;
    RS_RETURN_IF_ERROR(db.Call(std::string(sql_)));
    if (sql_ == Sql::kMigrationApplied) {
      if (db.applied.count(ints_.at(0)) + db.pending_applied.count(ints_.at(0)) > 0) {
        rows_.push_back(1);
      }
    } else if (sql_ == Sql::kSchemaVersion) {
      rows_.push_back(db.applied.empty() ? 0 : *db.applied.rbegin());
    } else if (sql_ == Sql::kRecordMigration) {
      db.pending_applied.insert(ints_.at(0));
    }
    return !rows_.empty();
  }
  return ++row_ < rows_.size();
}

Outcome Query::Try() {
  Result<bool> ran = Step();
  return ran ? Outcome::kOk : Outcome::kError;
}
Status Query::Error() const { return Status::Unavailable("database unavailable"); }
int64_t Query::Changes() const { return 0; }
bool Query::IsNull(int) const { return false; }
int64_t Query::Int(int) const { return rows_.at(row_); }
std::string_view Query::Raw(int) const { return {}; }
void Query::BindInt(int64_t value) { ints_.push_back(value); }
void Query::BindNull() {}
void Query::BindText(std::string_view) {}
void Query::BindBytes(std::span<const uint8_t>) {}

struct Driver : DriverBase<Connection, Query, Sql, SqlDialect::kSqlite> {
  static Status LockMigrations(Connection& conn) { return conn.db().Call("lock"); }
  static Status UnlockMigrations(Connection& conn) { return conn.db().Call("unlock"); }
};

}  // namespace migrate_fake

namespace {

namespace fake = migrate_fake;

// Three migrations; the runner must pick the SQLite statements (kDialect).
constexpr std::string_view kOneSqlite[] = {"A1", "A2"};
constexpr std::string_view kTwoSqlite[] = {"B1"};
constexpr std::string_view kThreeSqlite[] = {"C1"};
constexpr std::string_view kPostgres[] = {"PG"};
constexpr Migration kMigrations[] = {
    {1, "one", kOneSqlite, kPostgres},
    {2, "two", kTwoSqlite, kPostgres},
    {3, "three", kThreeSqlite, kPostgres},
};

// The statements the runner ran, in order.
std::vector<std::string> Execs(const fake::Database& db) {
  std::vector<std::string> out;
  for (const std::string& call : db.calls) {
    if (call.starts_with("exec ")) out.push_back(call.substr(5));
  }
  return out;
}

const std::string kCreate(kSchemaMigrationsTable);

TEST(MigrationRunnerTest, AppliesPendingMigrationsInOrderUnderTheLock) {
  fake::Database db;
  fake::Connection conn(db);
  ASSERT_TRUE(ApplyMigrations<fake::Driver>(conn, kMigrations).ok());
  EXPECT_EQ(Execs(db), (std::vector<std::string>{kCreate, "A1", "A2", "B1", "C1"}));
  EXPECT_EQ(db.applied, (std::set<int64_t>{1, 2, 3}));
  EXPECT_EQ(db.schema, (std::vector<std::string>{kCreate, "A1", "A2", "B1", "C1"}));
  ASSERT_FALSE(db.calls.empty());
  EXPECT_EQ(db.calls.front(), "lock");
  EXPECT_EQ(db.calls.back(), "unlock");
  // Each migration checks its version inside its own transaction.
  const std::vector<std::string> first(db.calls.begin() + 2, db.calls.begin() + 8);
  EXPECT_EQ(first, (std::vector<std::string>{"begin", "applied?", "exec A1", "exec A2", "record",
                                             "commit"}));
  EXPECT_FALSE(db.in_transaction);
  Result<int64_t> version = ReadSchemaVersion<fake::Driver>(conn);
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, 3);
}

TEST(MigrationRunnerTest, SkipsAppliedMigrationsWithoutWriting) {
  fake::Database db;
  db.applied = {1, 2};
  fake::Connection conn(db);
  ASSERT_TRUE(ApplyMigrations<fake::Driver>(conn, kMigrations).ok());
  EXPECT_EQ(Execs(db), (std::vector<std::string>{kCreate, "C1"}));
  EXPECT_EQ(db.applied, (std::set<int64_t>{1, 2, 3}));
  EXPECT_EQ(std::count(db.calls.begin(), db.calls.end(), "rollback"), 2);
  EXPECT_EQ(std::count(db.calls.begin(), db.calls.end(), "commit"), 1);

  // Once everything is applied, a second run writes nothing at all.
  db.calls.clear();
  ASSERT_TRUE(ApplyMigrations<fake::Driver>(conn, kMigrations).ok());
  EXPECT_EQ(Execs(db), (std::vector<std::string>{kCreate}));
  EXPECT_EQ(std::count(db.calls.begin(), db.calls.end(), "record"), 0);
  EXPECT_EQ(std::count(db.calls.begin(), db.calls.end(), "commit"), 0);
}

TEST(MigrationRunnerTest, AFailedMigrationIsRolledBackAndStopsTheRun) {
  fake::Database db;
  db.failing = {"exec B1"};
  fake::Connection conn(db);
  Status status = ApplyMigrations<fake::Driver>(conn, kMigrations);
  EXPECT_EQ(status, Status::Unavailable("database unavailable"));
  EXPECT_EQ(db.applied, (std::set<int64_t>{1}));  // the earlier one stays applied
  EXPECT_EQ(db.schema, (std::vector<std::string>{kCreate, "A1", "A2"}));
  EXPECT_EQ(Execs(db), (std::vector<std::string>{kCreate, "A1", "A2", "B1"}));  // never C1
  EXPECT_FALSE(db.in_transaction);
  EXPECT_EQ(std::count(db.calls.begin(), db.calls.end(), "rollback"), 1);
  EXPECT_EQ(db.calls.back(), "unlock") << "the lock is released on failure too";
}

TEST(MigrationRunnerTest, AFailedRecordOrCommitLeavesTheMigrationUnapplied) {
  for (const char* failing : {"record", "commit"}) {
    fake::Database db;
    db.failing = {failing};
    fake::Connection conn(db);
    EXPECT_FALSE(ApplyMigrations<fake::Driver>(conn, kMigrations).ok()) << failing;
    EXPECT_TRUE(db.applied.empty()) << failing;
    EXPECT_EQ(db.schema, (std::vector<std::string>{kCreate})) << failing;
  }
}

TEST(MigrationRunnerTest, WithoutTheLockNothingRuns) {
  fake::Database db;
  db.failing = {"lock"};
  fake::Connection conn(db);
  EXPECT_FALSE(ApplyMigrations<fake::Driver>(conn, kMigrations).ok());
  EXPECT_EQ(db.calls, (std::vector<std::string>{"lock"}));
}

TEST(MigrationRunnerTest, AFailedUnlockFailsTheRun) {
  fake::Database db;
  db.failing = {"unlock"};
  fake::Connection conn(db);
  EXPECT_FALSE(ApplyMigrations<fake::Driver>(conn, kMigrations).ok());
  EXPECT_EQ(db.applied, (std::set<int64_t>{1, 2, 3}));
}

TEST(MigrationRunnerTest, OpeningRefusesANewerSchemaNamingBothVersions) {
  fake::Database db;
  db.applied = {1, 2, 3, 7};
  fake::Connection conn(db);
  Status status = MigrateOnOpen<fake::Driver>(conn, "/srv/rs.db", kMigrations);
  EXPECT_EQ(status.code(), Code::kUnavailable);
  EXPECT_EQ(status.message(),
            "database '/srv/rs.db' has schema version 7, newer than this "
            "build's 3");
}

TEST(MigrationRunnerTest, OpeningReportsAFailureByTheDatabaseNameOnly) {
  fake::Database db;
  db.failing = {"exec A2"};
  fake::Connection conn(db);
  Status status = MigrateOnOpen<fake::Driver>(conn, "rs@db:5432/rs", kMigrations);
  EXPECT_EQ(status, Status::Unavailable("cannot open database 'rs@db:5432/rs'"));

  fake::Database ok;
  fake::Connection fine(ok);
  EXPECT_TRUE(MigrateOnOpen<fake::Driver>(fine, "rs@db:5432/rs", kMigrations).ok());
}

TEST(MigrationRunnerTest, TheReleasedSchemaIsNumberedFromOneWithoutGaps) {
  EXPECT_TRUE(VersionsAreConsecutive(Migrations()));
  EXPECT_EQ(LatestSchemaVersion(), static_cast<int>(Migrations().size()));
  constexpr Migration kGap[] = {{1, "one", kOneSqlite, kPostgres},
                                {3, "three", kThreeSqlite, kPostgres}};
  EXPECT_FALSE(VersionsAreConsecutive(kGap));
}

}  // namespace
}  // namespace reportshare::store::sql
