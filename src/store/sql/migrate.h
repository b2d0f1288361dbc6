#pragma once

// The migration runner of every SQL backend, over its driver D (the contract
// is at the top of sql/sql_store.h; the runner uses this part of it):
//
//   D::Connection   Status ExecOnce(std::string_view sql, std::string_view op)
//                   runs uncached statements (DDL); and the Begin, Commit,
//                   Rollback of sql::Transaction.
//   D::Query        sql/query.h.
//   D::Sql          kMigrationApplied (version → a row if applied),
//                   kRecordMigration (version, applied_at) and kSchemaVersion
//                   (→ one row: the highest version, 0 if none).
//   D::kDialect     which statements of a Migration (sql/schema.h) it runs.
//   static Status D::LockMigrations(Connection&), D::UnlockMigrations(...)
//                   held around the whole check-and-apply, so several
//                   processes opening one new database apply each migration
//                   once. SQLite needs none (each migration's BEGIN IMMEDIATE
//                   already takes the write lock before its version check);
//                   PostgreSQL takes an advisory lock.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "store/sql/query.h"
#include "store/sql/rows.h"
#include "store/sql/schema.h"

namespace reportshare::store::sql {

// Applies, in order, each of `migrations` whose version is not yet recorded:
// its statements and its schema_migrations row in one transaction, so a
// failure leaves it unapplied (and every earlier one applied). The version
// check runs inside that transaction. Returns the first failure (logged),
// which is kUnavailable; the migration lock is released either way.
template <class D>
Status ApplyMigrations(typename D::Connection& conn,
                       std::span<const Migration> migrations = Migrations());

// The highest migration version applied to the database (0 if none).
template <class D>
Result<int64_t> ReadSchemaVersion(typename D::Connection& conn);

// What opening a store does before it is used: applies pending `migrations`
// and refuses a database whose schema is newer than the last of them.
// Returns ok, or kUnavailable naming `database` (a path, or a PostgreSQL
// name without its password), with the schema versions if it is newer.
template <class D>
Status MigrateOnOpen(typename D::Connection& conn, std::string_view database,
                     std::span<const Migration> migrations = Migrations());

// ApplyMigrations without taking the migration lock.
// REQUIRES: the caller holds it (D::LockMigrations).
template <class D>
Status ApplyMigrationsLocked(typename D::Connection& conn, std::span<const Migration> migrations);

// --- implementation ---

template <class D>
Status ApplyMigrationsLocked(typename D::Connection& conn, std::span<const Migration> migrations) {
  using Query = typename D::Query;
  RS_RETURN_IF_ERROR(conn.ExecOnce(kSchemaMigrationsTable, "create schema_migrations"));
  for (const Migration& m : migrations) {
    const std::string op = "migration " + std::to_string(m.version);
    Transaction<typename D::Connection> tx(conn, op);
    RS_RETURN_IF_ERROR(tx.Begin());
    Result<bool> applied = [&] {
      Query q(conn, D::Sql::kMigrationApplied, op);
      q.Bind(int64_t{m.version});
      return q.Step();
    }();
    if (!applied) return applied.error();
    if (*applied) continue;  // tx rolls back: nothing was written
    for (std::string_view sql : m.Statements(D::kDialect)) {
      RS_RETURN_IF_ERROR(conn.ExecOnce(sql, op));
    }
    {
      Query q(conn, D::Sql::kRecordMigration, op);
      q.Bind(int64_t{m.version}).Bind(SystemClock().Now());
      RS_RETURN_IF_ERROR(q.Run());
    }
    RS_RETURN_IF_ERROR(tx.Commit());
  }
  return Status::Ok();
}

template <class D>
Status ApplyMigrations(typename D::Connection& conn, std::span<const Migration> migrations) {
  RS_RETURN_IF_ERROR(D::LockMigrations(conn));
  Status applied = ApplyMigrationsLocked<D>(conn, migrations);
  Status unlocked = D::UnlockMigrations(conn);
  return applied.ok() ? unlocked : applied;
}

template <class D>
Result<int64_t> ReadSchemaVersion(typename D::Connection& conn) {
  typename D::Query q(conn, D::Sql::kSchemaVersion, "SchemaVersion");
  return ReadOne(q, [](const auto& row) { return row.Int(0); });
}

template <class D>
Status MigrateOnOpen(typename D::Connection& conn, std::string_view database,
                     std::span<const Migration> migrations) {
  const std::string name(database);
  const Status unavailable = Status::Unavailable("cannot open database '" + name + "'");
  if (!ApplyMigrations<D>(conn, migrations).ok()) return unavailable;
  Result<int64_t> version = ReadSchemaVersion<D>(conn);
  if (!version) return unavailable;
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  if (*version > latest) {
    return Status::Unavailable("database '" + name + "' has schema version " +
                               std::to_string(*version) + ", newer than this build's " +
                               std::to_string(latest));
  }
  return Status::Ok();
}

}  // namespace reportshare::store::sql
