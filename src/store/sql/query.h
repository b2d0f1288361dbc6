#pragma once

// What every SQL backend's statements share, whatever the driver:
//
//   Outcome          how a statement ended, classified the same way on every
//                    driver (SQLite extended result codes, PostgreSQL
//                    SQLSTATEs), so shared code maps constraint violations to
//                    domain errors once.
//   QueryBase<Q>     the typed Bind overloads, Run(), At() and OptionalAt(),
//                    written once over each driver's few primitives (CRTP).
//   Transaction<C>   BEGIN … COMMIT that rolls back unless committed, over a
//                    connection's Begin/Commit/Rollback.
//
// A backend's Query (sqlite/sqlite_connection.h, postgres/pg_connection.h)
// derives from QueryBase<Query> and is one execution of one cached or
// prepared statement: bind parameters in order, run, read the rows. It
// supplies:
//
//   Query(Connection&, std::string_view sql, std::string_view op)
//       REQUIRES: `sql` has static storage duration; `op` outlives the query.
//   void BindInt(int64_t), BindNull(), BindText(std::string_view),
//        BindBytes(std::span<const uint8_t>)     fill the next parameter
//   Result<bool> Step()      runs the statement on first call, then advances:
//                            true if a row is ready, false when done;
//                            kUnavailable (logged) on failure
//   Outcome Try()            runs the statement to its end, classifying a
//                            failure without logging it
//   Status Error() const     logs the failure of the last run under `op`,
//                            returns kUnavailable("database unavailable")
//   Status Fail(std::string_view what) const
//                            logs `what` under `op`, returns kUnavailable
//   int64_t Changes() const  rows changed by the INSERT/UPDATE/DELETE run
//   bool IsNull(int) const, int64_t Int(int) const, std::string Text(int)
//        const, void Blob(int, std::span<uint8_t>) const
//                            columns of the current row, counted from 0; Blob
//                            zero-fills what the value does not cover
//
// The driver's words are logged (core/log.h, channel "sqlite" or "postgres")
// and never travel up: every database failure reaches callers as
// kUnavailable("database unavailable").

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"

namespace reportshare::store::sql {

// How a statement ended.
enum class Outcome {
  kOk,
  kUniqueViolation,      // a primary key or UNIQUE constraint
  kForeignKeyViolation,  // a REFERENCES constraint
  kError,                // anything else: the query's Error() logs it
};

// The driver-independent half of a backend's Query (see the top of this file).
template <class Q>
class QueryBase {
 public:
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

  // An instant column (microseconds since the epoch), or nullopt if NULL.
  Instant At(int col) const { return Instant{std::chrono::microseconds{self().Int(col)}}; }
  std::optional<Instant> OptionalAt(int col) const {
    if (self().IsNull(col)) return std::nullopt;
    return At(col);
  }

 protected:
  QueryBase() = default;
  ~QueryBase() = default;

 private:
  Q& self() { return static_cast<Q&>(*this); }
  const Q& self() const { return static_cast<const Q&>(*this); }
};

// BEGIN … COMMIT on one connection; rolls back on destruction unless
// committed. C supplies Status Begin(op), Status Commit(op) and void
// Rollback(op) (a no-op when no transaction is open, e.g. after a failed
// statement already ended it), each logging its failures under `op`.
// REQUIRES: `op` outlives the transaction.
template <class C>
class Transaction {
 public:
  Transaction(C& conn, std::string_view op) : conn_(conn), op_(op) {}
  ~Transaction() {
    if (open_) conn_.Rollback(op_);
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Status Begin() {
    RS_RETURN_IF_ERROR(conn_.Begin(op_));
    open_ = true;
    return Status::Ok();
  }
  Status Commit() {
    RS_RETURN_IF_ERROR(conn_.Commit(op_));
    open_ = false;
    return Status::Ok();
  }

 private:
  C& conn_;
  std::string_view op_;
  bool open_ = false;
};

}  // namespace reportshare::store::sql
