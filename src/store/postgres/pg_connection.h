#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

// RAII over libpq for PostgresStore. Internal to store/postgres.
namespace reportshare::store::postgres_internal {

// Logs "postgres: <op>: <message>" to stderr as one line (newlines in the
// driver's message are folded) and returns kUnavailable("database
// unavailable"): the driver's words never travel up.
Status DriverError(std::string_view op, std::string_view message);

// SQLSTATE codes the store maps to domain errors.
inline constexpr std::string_view kUniqueViolation = "23505";
inline constexpr std::string_view kForeignKeyViolation = "23503";

// One libpq connection and the statements prepared on it. Not thread-safe:
// used by one thread at a time (PostgresStore's pool sees to it).
//
// A connection that fails at the protocol level (server gone, socket closed,
// administrator shutdown) is marked broken; Revive() reconnects it and forgets
// its prepared statements, which died with the old session.
class Connection {
 public:
  // Connects with `conninfo` (a postgresql:// URL or key=value string) and
  // a connect_timeout of `connect_timeout_s` unless the conninfo sets one.
  // On failure logs the driver error and returns kUnavailable naming
  // `display_name` (the conninfo without its password).
  static Result<std::unique_ptr<Connection>> Open(const std::string& conninfo,
                                                  const std::string& display_name,
                                                  int connect_timeout_s);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  PGconn* conn() const { return conn_; }
  bool broken() const { return broken_; }

  // True unless the session is known or found to be dead. Reads whatever the
  // server has already sent without blocking, so a connection the server
  // closed while it sat in the pool is noticed before it is used.
  bool Healthy();

  // If the connection is not healthy, reconnects it (waiting at most the
  // connect timeout). Returns ok if the connection is usable afterwards;
  // otherwise logs and returns kUnavailable.
  Status Revive();

  // Marks the session dead if `result` (may be null) failed because of the
  // connection rather than the statement.
  void NoteFailure(const PGresult* result);

  // Marks the session dead: the next Revive() reconnects.
  void MarkBroken() { broken_ = true; }

  // The name of the statement prepared for `sql` on this session, preparing
  // it on first use; nullopt on failure (logged under `op`, or earlier when
  // the connection broke).
  // REQUIRES: `sql` has static storage duration.
  std::optional<std::string_view> Prepare(std::string_view sql, std::string_view op);

  // Runs `sql` (one or more statements, no parameters) without preparing it,
  // for transaction control and one-off work such as migrations. Failures are
  // logged under `op` and returned as kUnavailable.
  Status ExecOnce(std::string_view sql, std::string_view op);

  // Rolls back a transaction a caller left open, so the next user of this
  // connection starts clean.
  void ResetState();

 private:
  explicit Connection(PGconn* conn) : conn_(conn) {}

  PGconn* conn_;
  bool broken_ = false;
  int next_statement_ = 0;
  std::unordered_map<std::string_view, std::string> statements_;  // sql -> name
};

// One execution of a prepared statement: bind parameters in order ($1, $2,
// ...), run, then read the rows. Integers travel as text, bytes and text as
// binary; every result column comes back in binary.
class Query {
 public:
  // REQUIRES: `sql` has static storage duration.
  Query(Connection& conn, std::string_view sql, std::string_view op);
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  // Each Bind fills the next parameter.
  Query& Bind(int64_t value);
  Query& Bind(Instant value);
  Query& Bind(std::optional<Instant> value);
  Query& Bind(std::string_view text);
  Query& Bind(std::span<const uint8_t> bytes);

  // Runs the statement on first call, then advances to the next row: true if
  // a row is ready, false when done; kUnavailable (logged) on failure.
  Result<bool> Step();

  // Runs the statement and returns its SQLSTATE unlogged: "" on success, the
  // server's code on failure ("" never means failure), "08000" if the
  // connection failed without one. For callers that map constraint
  // violations to domain errors; Error() logs any other failure.
  std::string_view RunRaw();

  // Runs the statement, ignoring rows.
  Status Run();

  // The failure of the last run, logged: kUnavailable.
  Status Error() const;

  // Rows changed by the INSERT/UPDATE/DELETE that was run.
  int64_t Changes() const;

  // Columns of the current row, counted from 0.
  bool IsNull(int col) const;
  // An integer column of any width (bool, int2, int4, int8).
  int64_t Int(int col) const;
  Instant At(int col) const;
  std::optional<Instant> OptionalAt(int col) const;
  std::string Text(int col) const;
  // Copies the bytes into `out`, zero-filling if they are shorter.
  void Blob(int col, std::span<uint8_t> out) const;

 private:
  // Sends the statement once; false if it failed.
  bool Execute();

  Connection& conn_;
  std::optional<std::string_view> name_;
  std::string_view op_;
  std::vector<std::string> values_;
  std::vector<bool> is_null_;
  std::vector<int> formats_;
  PGresult* result_ = nullptr;
  bool executed_ = false;
  bool ok_ = false;  // executed and succeeded
  int row_ = -1;
  int rows_ = 0;
};

// BEGIN … COMMIT; rolls back on destruction unless committed.
class Transaction {
 public:
  Transaction(Connection& conn, std::string_view op) : conn_(conn), op_(op) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Status Begin();
  Status Commit();

 private:
  Connection& conn_;
  std::string_view op_;
  bool open_ = false;
};

}  // namespace reportshare::store::postgres_internal
