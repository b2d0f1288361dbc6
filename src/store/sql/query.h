#pragma once

// What every SQL backend's statements share, whatever the driver:
//
//   Outcome          how a statement ended, classified the same way on every
//                    driver (SQLite extended result codes, PostgreSQL
//                    SQLSTATEs), so shared code maps constraint violations to
//                    domain errors once.
//   QueryBase<Q>     the typed Bind overloads, Run(), At(), OptionalAt(),
//                    Text(), Blob() and Fail(), written once over each
//                    driver's few primitives (CRTP).
//   RS_SQL_QUERY_DRIVER_MEMBERS
//                    those primitives, declared once for every driver.
//   Transaction<C>   BEGIN … COMMIT that rolls back unless committed, over a
//                    connection's Begin/Commit/Rollback.
//
// A backend's Query (sqlite/sqlite_connection.h, postgres/pg_connection.h)
// derives from QueryBase<Query>, declares RS_SQL_QUERY_DRIVER_MEMBERS and is
// one execution of one cached or prepared statement: bind parameters in
// order, run, read the rows.
//
// The driver's words are logged (core/log.h, channel "sqlite" or "postgres",
// field "op") and never travel up: every database failure reaches callers as
// store::DatabaseUnavailable().

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/log.h"
#include "core/status.h"
#include "store/store.h"

namespace reportshare::store::sql {

// How a statement ended.
enum class Outcome {
  kOk,
  kUniqueViolation,      // a primary key or UNIQUE constraint
  kForeignKeyViolation,  // a REFERENCES constraint
  kError,                // anything else: the query's Error() logs it
};

// What each backend's Query (a class named Query, beside its Connection)
// declares and defines:
//
//   Query(Connection& conn, std::string_view sql, std::string_view op)
//               prepares `sql` on `conn` (or takes it from the connection's
//               cache); a failure is logged and makes every later step fail.
//               REQUIRES: `sql` has static storage duration; `op` outlives
//               the query.
//   ~Query()    frees the execution, leaving the statement reusable.
//   Step()      runs the statement on first call, then advances to the next
//               row: true if a row is ready, false when done; kUnavailable
//               (logged) on failure.
//   Try()       runs the statement to its end, for statements whose rows are
//               not read, and classifies a failure without logging it.
//   Error()     logs the failure of the last run under the query's `op`;
//               returns store::DatabaseUnavailable().
//   Changes()   rows changed by the INSERT/UPDATE/DELETE that was run.
//   IsNull(col), Int(col)
//               columns of the current row, counted from 0; Int reads an
//               integer of any width.
//   Raw(col)    the bytes of a text (UTF-8) or blob column of the current
//               row, valid until the next Step; empty for NULL.
//   BindInt, BindNull, BindText, BindBytes
//               fill the next parameter (callers use QueryBase's Bind).
#define RS_SQL_QUERY_DRIVER_MEMBERS                                   \
  Query(Connection& conn, std::string_view sql, std::string_view op); \
  ~Query();                                                           \
  Result<bool> Step();                                                \
  ::reportshare::store::sql::Outcome Try();                           \
  Status Error() const;                                               \
  int64_t Changes() const;                                            \
  bool IsNull(int col) const;                                         \
  int64_t Int(int col) const;                                         \
  std::string_view Raw(int col) const;                                \
  void BindInt(int64_t value);                                        \
  void BindNull();                                                    \
  void BindText(std::string_view text);                               \
  void BindBytes(std::span<const uint8_t> bytes);

// The driver-independent half of a backend's Query (see the top of this
// file). Not copyable: a query is one execution, bound to its connection.
template <class Q>
class QueryBase {
 public:
  QueryBase(const QueryBase&) = delete;
  QueryBase& operator=(const QueryBase&) = delete;

  // Each Bind fills the next parameter. An instant travels as microseconds
  // since the epoch; nullopt as NULL.
  Q& Bind(int64_t value) {
    self().BindInt(value);
    return self();
  }
  Q& Bind(Instant value) { return Bind(int64_t{value.time_since_epoch().count()}); }
  Q& Bind(std::optional<Instant> value) {
    if (value) return Bind(*value);
    self().BindNull();
    return self();
  }
  // An integer or text, or NULL (named apart: an optional overload of Bind
  // would make Bind(std::string) ambiguous).
  Q& BindOptional(std::optional<int64_t> value) {
    if (value) return Bind(*value);
    self().BindNull();
    return self();
  }
  Q& BindOptional(std::optional<std::string_view> text) {
    if (text) return Bind(*text);
    self().BindNull();
    return self();
  }
  Q& Bind(std::string_view text) {
    self().BindText(text);
    return self();
  }
  Q& Bind(std::span<const uint8_t> bytes) {
    self().BindBytes(bytes);
    return self();
  }

  // Runs the statement to its end, ignoring rows; any failure is logged and
  // kUnavailable.
  Status Run() { return self().Try() == Outcome::kOk ? Status::Ok() : self().Error(); }

  // Logs `what` (a failure the store found, such as a missing row) under the
  // query's operation; returns store::DatabaseUnavailable().
  Status Fail(std::string_view what) const {
    core::LogError(channel_, what, {{"op", op_}});
    return store::DatabaseUnavailable();
  }

  // Columns of the current row, counted from 0: an instant (microseconds
  // since the epoch), or nullopt if NULL; text; bytes copied into `out`,
  // zero-filling what the value does not cover.
  Instant At(int col) const { return Instant{std::chrono::microseconds{self().Int(col)}}; }
  std::optional<Instant> OptionalAt(int col) const {
    if (self().IsNull(col)) return std::nullopt;
    return At(col);
  }
  std::string Text(int col) const { return std::string(self().Raw(col)); }
  void Blob(int col, std::span<uint8_t> out) const {
    const std::string_view raw = self().Raw(col);
    std::fill(out.begin(), out.end(), uint8_t{0});
    if (!raw.empty()) std::memcpy(out.data(), raw.data(), std::min(out.size(), raw.size()));
  }

 protected:
  // `channel` is the backend's log channel; `op` names the operation in its
  // log records. REQUIRES: both outlive the query.
  QueryBase(std::string_view channel, std::string_view op) : channel_(channel), op_(op) {}
  ~QueryBase() = default;

  std::string_view op() const { return op_; }

 private:
  Q& self() { return static_cast<Q&>(*this); }
  const Q& self() const { return static_cast<const Q&>(*this); }

  std::string_view channel_;
  std::string_view op_;
};

// What a backend's connection carries for Store::OutboxCommits: WriteEvents
// marks the open transaction when it queues a delivery, and Transaction
// counts it in `commits` (the store's) once it committed.
struct OutboxMark {
  std::atomic<uint64_t>* commits = nullptr;
  bool pending = false;
};

// BEGIN … COMMIT on one connection; rolls back on destruction unless
// committed. C supplies Status Begin(op), Status Commit(op) and void
// Rollback(op) (a no-op when no transaction is open, e.g. after a failed
// statement already ended it), each logging its failures under `op`, and an
// OutboxMark `outbox`.
// REQUIRES: `op` outlives the transaction.
template <class C>
class Transaction {
 public:
  Transaction(C& conn, std::string_view op) : conn_(conn), op_(op) {}
  ~Transaction() {
    if (open_) conn_.Rollback(op_);
    conn_.outbox.pending = false;
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Status Begin() {
    conn_.outbox.pending = false;
    RS_RETURN_IF_ERROR(conn_.Begin(op_));
    open_ = true;
    return Status::Ok();
  }
  Status Commit() {
    RS_RETURN_IF_ERROR(conn_.Commit(op_));
    open_ = false;
    if (conn_.outbox.pending && conn_.outbox.commits) {
      conn_.outbox.commits->fetch_add(1, std::memory_order_release);
    }
    conn_.outbox.pending = false;
    return Status::Ok();
  }

 private:
  C& conn_;
  std::string_view op_;
  bool open_ = false;
};

}  // namespace reportshare::store::sql
