#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "core/status.h"

// RAII over the sqlite3 C API for SqliteStore. Internal to store/sqlite.
namespace reportshare::store::sqlite_internal {

// Logs "sqlite: <op>: <sqlite3_errmsg(db)>" to stderr and returns
// kUnavailable("database unavailable"): the driver's words never travel up.
Status DriverError(sqlite3* db, std::string_view op);

// One open database connection and its cache of prepared statements. Not
// thread-safe: used by one thread at a time (SqliteStore's pool sees to it).
class Connection {
 public:
  // Opens or creates the file at `path` and configures the connection (WAL,
  // foreign keys, synchronous=NORMAL, 5 s busy timeout). On failure logs the
  // driver error and returns kUnavailable naming `path`.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }

  // The cached statement for `sql`, prepared on first use; nullptr on failure
  // (logged under `op`). REQUIRES: `sql` has static storage duration.
  sqlite3_stmt* Prepare(std::string_view sql, std::string_view op);

  // Runs one cached statement that takes no parameters (BEGIN, COMMIT, ...).
  Status Exec(std::string_view sql, std::string_view op);

  // Runs `sql` (any number of statements) without caching it, for one-off
  // work such as migrations.
  Status ExecOnce(std::string_view sql, std::string_view op);

  // Rolls back a transaction a caller left open, so the next user of this
  // connection starts clean.
  void ResetState();

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  std::unordered_map<std::string_view, sqlite3_stmt*> statements_;
};

// One execution of a cached statement: bind parameters in order, step, read
// columns. Resets the statement and clears its bindings on destruction so the
// connection can reuse it.
class Query {
 public:
  // REQUIRES: `sql` has static storage duration.
  Query(Connection& conn, std::string_view sql, std::string_view op);
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  // Each Bind fills the next `?` parameter.
  Query& Bind(int64_t value);
  Query& Bind(Instant value);
  Query& Bind(std::optional<Instant> value);
  Query& Bind(std::string_view text);
  Query& Bind(std::span<const uint8_t> blob);

  // Advances to the next row: true if a row is ready, false when done;
  // kUnavailable (logged) on a driver error.
  Result<bool> Step();

  // Like Step, but hands back SQLite's extended result code unlogged, for
  // callers that map constraint violations to domain errors.
  int StepRaw();

  // Steps to the end, ignoring rows.
  Status Run();

  // The error of the last step, logged: kUnavailable.
  Status Error() const;

  // Rows changed by the last completed INSERT/UPDATE/DELETE on this connection.
  int64_t Changes() const;

  // Columns of the current row, counted from 0.
  bool IsNull(int col) const;
  int64_t Int(int col) const;
  Instant At(int col) const;
  std::optional<Instant> OptionalAt(int col) const;
  std::string Text(int col) const;
  // Copies the blob into `out`, zero-filling if it is shorter.
  void Blob(int col, std::span<uint8_t> out) const;

 private:
  Connection& conn_;
  sqlite3_stmt* stmt_;
  std::string_view op_;
  int next_param_ = 1;
  int bind_rc_ = SQLITE_OK;
};

// BEGIN IMMEDIATE … COMMIT; rolls back on destruction unless committed.
class Transaction {
 public:
  Transaction(Connection& conn, std::string_view op) : conn_(conn), op_(op) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Takes the database's write lock, waiting up to the busy timeout.
  Status Begin();
  Status Commit();

 private:
  Connection& conn_;
  std::string_view op_;
  bool open_ = false;
};

}  // namespace reportshare::store::sqlite_internal
