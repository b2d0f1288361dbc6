#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"
#include "store/sql/query.h"

// The SQLite driver wrapper: RAII over the sqlite3 C API in the shapes
// store/sql expects (sql/query.h, sql/pool.h). Internal to store/sqlite.
namespace reportshare::store::sqlite {

// Logs sqlite3_errmsg(db) on channel "sqlite" under `op` and returns
// store::DatabaseUnavailable(): the driver's words never travel up.
Status DriverError(sqlite3* db, std::string_view op);

// One open database connection and its cache of prepared statements. Not
// thread-safe: used by one thread at a time (the pool sees to it).
class Connection {
 public:
  // Opens or creates the file at `path` and configures the connection (WAL,
  // foreign keys, synchronous=NORMAL, no mmap, 5 s busy wait in short steps). On failure logs the
  // driver error and returns kUnavailable naming `path`.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }

  // The cached statement for `sql`, prepared on first use; nullptr on failure
  // (logged under `op`). REQUIRES: `sql` has static storage duration.
  sqlite3_stmt* Prepare(std::string_view sql, std::string_view op);

  // Runs `sql` (any number of statements) without caching it, for one-off
  // work such as migrations.
  Status ExecOnce(std::string_view sql, std::string_view op);

  // For sql::Transaction: BEGIN IMMEDIATE, which takes the database's write
  // lock (waiting up to the busy timeout); COMMIT; and ROLLBACK if a
  // transaction is open (a failed statement may already have ended it).
  Status Begin(std::string_view op);
  Status Commit(std::string_view op);
  void Rollback(std::string_view op);

  // The pool's hooks: nothing to do on checkout; on release, rolls back (and
  // logs) a transaction a caller left open.
  void OnAcquire() {}
  void OnRelease();

  // Set by WriteEvents, counted by sql::Transaction (Store::OutboxCommits).
  sql::OutboxMark outbox;

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  // Runs one cached statement that takes no parameters.
  Status Exec(std::string_view sql, std::string_view op);

  sqlite3* db_;
  std::unordered_map<std::string_view, sqlite3_stmt*> statements_;
};

// One execution of a cached statement (the contract is in sql/query.h);
// parameters are `?` or `?N`. Resets the statement and clears its bindings on
// destruction so the connection can reuse it.
class Query : public sql::QueryBase<Query> {
 public:
  // The constructor, destructor and primitives of sql/query.h.
  RS_SQL_QUERY_DRIVER_MEMBERS

 private:
  // One sqlite3_step, or the prepare or bind failure: SQLite's extended
  // result code.
  int StepOnce();

  Connection& conn_;
  sqlite3_stmt* stmt_;
  int next_param_ = 1;
  int bind_rc_ = SQLITE_OK;
};

}  // namespace reportshare::store::sqlite
