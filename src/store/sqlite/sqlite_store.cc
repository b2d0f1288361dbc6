#include "store/sqlite/sqlite_store.h"

#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "store/sql/sql_store.h"
#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/sqlite_sql.h"

namespace reportshare::store::sqlite {
namespace {

// The driver of sql::SqlStore (its contract is in sql/sql_store.h).
struct Driver : sql::DriverBase<Connection, Query, Sql, sql::SqlDialect::kSqlite> {
  // No lock of our own: each migration's BEGIN IMMEDIATE takes the write lock
  // before its version check, so two processes opening a new file at once
  // apply each migration exactly once.
  static Status LockMigrations(Connection&) { return Status::Ok(); }
  static Status UnlockMigrations(Connection&) { return Status::Ok(); }

  static Result<CompanyId> EnsureCompany(Connection& conn, std::string_view name);
  static Result<PutOutcome> PutReport(Connection& conn, const sql::ReportRow& row,
                                      std::span<const domain::Event> events);
  static Result<std::vector<Result<PutOutcome>>> PutReports(Connection& conn,
                                                            std::span<const sql::ReportRow> rows);
  static Result<sql::ViewTotals> WriteOpens(Connection& conn, const std::vector<LinkOpen>& opens);
  static Status InsertDeliveries(Connection& conn, const std::vector<sql::DeliveryRow>& rows,
                                 std::string_view op);
};

// In-process statements are cheap: one per row.
Status Driver::InsertDeliveries(Connection& conn, const std::vector<sql::DeliveryRow>& rows,
                                std::string_view op) {
  for (const sql::DeliveryRow& row : rows) {
    Query q(conn, Sql::kInsertDelivery, op);
    q.Bind(row.delivery_id)
        .Bind(row.webhook_id)
        .Bind(domain::EventTypeName(row.event->type))
        .Bind(row.event->body)
        .Bind(row.event->at);
    RS_RETURN_IF_ERROR(q.Run());
  }
  return Status::Ok();
}

Result<CompanyId> Driver::EnsureCompany(Connection& conn, std::string_view name) {
  constexpr std::string_view op = "EnsureCompany";
  {
    // Companies are never deleted, so once this insert (or a racing one) is
    // done the select below finds the row; no transaction needed.
    Query q(conn, Sql::kInsertCompany, op);
    q.Bind(name).Bind(SystemClock().Now());
    RS_RETURN_IF_ERROR(q.Run());
  }
  Query q(conn, Sql::kFindCompany, op);
  q.Bind(name);
  return sql::ReadOne(q, [](const Query& r) { return CompanyId{r.Int(0)}; });
}

// The owner check and the write of one report, inside the caller's
// transaction: SQLite has no row lock to take, but BEGIN IMMEDIATE holds the
// database's write lock.
Result<PutOutcome> PutOne(Connection& conn, const sql::ReportRow& row, std::string_view op) {
  Result<std::optional<int64_t>> owner = [&] {
    Query q(conn, Sql::kReportOwner, op);
    q.Bind(row.report_id.value);
    return sql::ReadOptional(q, [](const Query& r) { return r.Int(0); });
  }();
  if (!owner) return owner.error();
  if (!owner->has_value()) {
    Query q(conn, Sql::kCreateReport, op);
    sql::BindReportRow(q, row);
    RS_RETURN_IF_ERROR(sql::RunInsert(q));
    return PutOutcome::kCreated;
  }
  if (**owner != row.company_id.value) {
    return Status::Conflict("report_id belongs to another company");
  }
  Query q(conn, Sql::kReplaceReport, op);
  q.Bind(row.body).Bind(row.invite_status).Bind(row.updated_at).Bind(row.report_id.value);
  RS_RETURN_IF_ERROR(q.Run());
  return PutOutcome::kReplaced;
}

Result<PutOutcome> Driver::PutReport(Connection& conn, const sql::ReportRow& row,
                                     std::span<const domain::Event> events) {
  constexpr std::string_view op = "PutReport";
  sql::Transaction<Connection> tx(conn, op);
  RS_RETURN_IF_ERROR(tx.Begin());
  Result<PutOutcome> outcome = PutOne(conn, row, op);
  if (!outcome) return outcome;  // a conflict too: the transaction rolls back
  RS_RETURN_IF_ERROR(sql::WriteEvents<Driver>(conn, events, op));
  RS_RETURN_IF_ERROR(tx.Commit());
  return outcome;
}

// In-process statements are cheap: two per report.
Result<std::vector<Result<PutOutcome>>> Driver::PutReports(Connection& conn,
                                                           std::span<const sql::ReportRow> rows) {
  constexpr std::string_view op = "PutReports";
  std::vector<Result<PutOutcome>> out;
  out.reserve(rows.size());
  for (const sql::ReportRow& row : rows) {
    Result<PutOutcome> outcome = PutOne(conn, row, op);
    if (!outcome && outcome.error().code() != Code::kConflict) return outcome.error();
    out.push_back(std::move(outcome));
  }
  return out;
}

// Statements are cheap in-process, so one pair per open.
Result<sql::ViewTotals> Driver::WriteOpens(Connection& conn, const std::vector<LinkOpen>& opens) {
  constexpr std::string_view op = "RecordOpens";
  sql::ViewTotals views;
  for (const LinkOpen& o : opens) {
    {
      Query q(conn, Sql::kInsertOpen, op);
      q.Bind(sql::Bytes(o.link_id))
          .Bind(o.at)
          .Bind(int64_t{o.status})
          .Bind(o.client)
          .Bind(o.network)
          .Bind(int64_t{o.counted ? 1 : 0});
      RS_RETURN_IF_ERROR(q.Run());
    }
    if (o.counted) {
      Query q(conn, Sql::kCountView, op);
      q.Bind(o.at).Bind(sql::Bytes(o.link_id));
      auto total = sql::ReadOptional(q, [](const Query& r) { return r.Int(0); });
      if (!total) return total.error();
      if (*total) views[o.link_id] = **total;
    }
  }
  return views;
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path, int pool_size) {
  if (pool_size < 1) return Status::InvalidArgument("sqlite pool size must be at least 1");
  if (path.empty() || path == ":memory:" || path.starts_with("file::memory:")) {
    // Each pooled connection would get its own, separate in-memory database.
    return Status::InvalidArgument("sqlite needs a database file path");
  }
  return sql::OpenStore<Driver, SqliteStore>(pool_size, path,
                                             [&path] { return Connection::Open(path); });
}

}  // namespace reportshare::store::sqlite
