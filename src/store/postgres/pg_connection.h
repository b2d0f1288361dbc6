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

#include "core/status.h"
#include "store/sql/query.h"

// The PostgreSQL driver wrapper: RAII over libpq in the shapes store/sql
// expects (sql/query.h, sql/pool.h). Internal to store/postgres.
namespace reportshare::store::postgres {

// Logs `message` on channel "postgres" under `op`, as one line (newlines in
// the driver's message are folded), and returns store::DatabaseUnavailable():
// the driver's words never travel up.
Status DriverError(std::string_view op, std::string_view message);

// One libpq connection and the statements prepared on it. Not thread-safe:
// used by one thread at a time (the pool sees to it).
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
  // for one-off work such as migrations. Failures are logged under `op` and
  // returned as kUnavailable.
  Status ExecOnce(std::string_view sql, std::string_view op);

  // For sql::Transaction: BEGIN; COMMIT, refused (kUnavailable, logged) if
  // the transaction failed, since PostgreSQL would quietly roll it back; and
  // ROLLBACK if a transaction is open on a live session (a dead one took its
  // transaction with it).
  Status Begin(std::string_view op);
  Status Commit(std::string_view op);
  void Rollback(std::string_view op);

  // The pool's hooks: on checkout, Revive() (a failure is logged and leaves
  // the connection broken, so the caller's first statement fails); on
  // release, rolls back (and logs) a transaction a caller left open.
  void OnAcquire() { (void)Revive(); }
  void OnRelease();

  // Set by WriteEvents, counted by sql::Transaction (Store::OutboxCommits).
  sql::OutboxMark outbox;

 private:
  explicit Connection(PGconn* conn) : conn_(conn) {}

  PGconn* conn_;
  bool broken_ = false;
  int next_statement_ = 0;
  std::unordered_map<std::string_view, std::string> statements_;  // sql -> name
};

// One execution of a prepared statement (the contract is in sql/query.h);
// parameters are $1, $2, ... Integers travel as text, bytes and text as
// binary; every result column comes back in binary. Try() leaves the rows of
// a statement that returns some (INSERT … RETURNING) to Step() through.
class Query : public sql::QueryBase<Query> {
 public:
  // The constructor, destructor and primitives of sql/query.h.
  RS_SQL_QUERY_DRIVER_MEMBERS

 private:
  // Sends the statement once; false if it failed.
  bool Execute();

  Connection& conn_;
  std::optional<std::string_view> name_;
  std::vector<std::string> values_;
  std::vector<bool> is_null_;
  std::vector<int> formats_;
  PGresult* result_ = nullptr;
  bool executed_ = false;
  bool ok_ = false;  // executed and succeeded
  int row_ = -1;
  int rows_ = 0;
};

}  // namespace reportshare::store::postgres
