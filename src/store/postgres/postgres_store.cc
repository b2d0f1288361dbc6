#include "store/postgres/postgres_store.h"

#include <libpq-fe.h>

#include <boost/json.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/json.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_sql.h"
#include "store/sql/sql_store.h"

namespace reportshare::store::postgres {
namespace {

// Short enough that an outage answers 503 quickly, long enough for a busy
// server across a network.
constexpr int kConnectTimeoutSeconds = 3;

// The advisory lock every node takes around the migration check-and-apply:
// "rsmigr" in ASCII. Session-level, so it is released even if the node dies.
constexpr int64_t kMigrationLockKey = 0x72736d696772;

// The driver of sql::SqlStore (its contract is in sql/sql_store.h).
struct Driver : sql::DriverBase<Connection, Query, Sql, sql::SqlDialect::kPostgres> {
  // Several nodes may start at once on a new database. Transactions alone do
  // not serialize them (two could both see version 1 missing, and CREATE
  // TABLE IF NOT EXISTS itself races), so the whole check-and-apply runs
  // under one advisory lock; a node that waited finds everything applied. If
  // unlocking fails, the caller closes the connection, which drops the lock.
  static Status LockMigrations(Connection& conn) {
    return AdvisoryLock(conn, Sql::kLockMigrations);
  }
  static Status UnlockMigrations(Connection& conn) {
    return AdvisoryLock(conn, Sql::kUnlockMigrations);
  }

  static Result<CompanyId> EnsureCompany(Connection& conn, std::string_view name);
  static Result<PutOutcome> PutReport(Connection& conn, const sql::ReportRow& row,
                                      std::span<const domain::Event> events);
  static Result<std::vector<Result<PutOutcome>>> PutReports(Connection& conn,
                                                            std::span<const sql::ReportRow> rows);
  static Result<sql::ViewTotals> WriteOpens(Connection& conn, const std::vector<LinkOpen>& opens);
  static Status InsertDeliveries(Connection& conn, const std::vector<sql::DeliveryRow>& rows,
                                 std::string_view op);

 private:
  static Status AdvisoryLock(Connection& conn, std::string_view sql) {
    Query q(conn, sql, "migration lock");
    q.Bind(kMigrationLockKey);
    return q.Run();
  }
};

Result<CompanyId> Driver::EnsureCompany(Connection& conn, std::string_view name) {
  constexpr std::string_view op = "EnsureCompany";
  auto id = [](const Query& r) { return CompanyId{r.Int(0)}; };
  auto find = [&] {
    Query q(conn, Sql::kFindCompany, op);
    q.Bind(name);
    return sql::ReadOptional(q, id);
  };
  // Look first: an INSERT that conflicts still consumes an identity value,
  // and the company usually exists.
  Result<std::optional<CompanyId>> found = find();
  if (!found) return found.error();
  if (found->has_value()) return **found;
  {
    Query q(conn, Sql::kInsertCompany, op);
    q.Bind(name).Bind(SystemClock().Now());
    Result<std::optional<CompanyId>> inserted = sql::ReadOptional(q, id);
    if (!inserted) return inserted.error();
    if (inserted->has_value()) return **inserted;
  }
  // A racing insert won. Companies are never deleted, and this new statement
  // sees everything committed before it began, so the row is there.
  found = find();
  if (!found) return found.error();
  if (!found->has_value()) return DriverError(op, "company row missing after insert");
  return **found;
}

// One statement; a transaction only when events ride on it.
Result<PutOutcome> Driver::PutReport(Connection& conn, const sql::ReportRow& row,
                                     std::span<const domain::Event> events) {
  constexpr std::string_view op = "PutReport";
  sql::Transaction<Connection> tx(conn, op);
  if (!events.empty()) RS_RETURN_IF_ERROR(tx.Begin());
  Result<std::optional<int64_t>> version = [&]() -> Result<std::optional<int64_t>> {
    Query q(conn, Sql::kPutReport, op);
    sql::BindReportRow(q, row);
    RS_RETURN_IF_ERROR(sql::RunInsert(q));
    return sql::ReadOptional(q, [](const Query& r) { return r.Int(0); });
  }();
  if (!version) return version.error();
  if (!version->has_value()) return Status::Conflict("report_id belongs to another company");
  if (!events.empty()) {
    RS_RETURN_IF_ERROR(sql::WriteEvents<Driver>(conn, events, op));
    RS_RETURN_IF_ERROR(tx.Commit());
  }
  return **version == 1 ? PutOutcome::kCreated : PutOutcome::kReplaced;
}

// A batch travels as one JSON parameter: one statement, one round trip, for
// each run of distinct ids (the whole batch, unless an id comes twice).
Result<std::vector<Result<PutOutcome>>> Driver::PutReports(Connection& conn,
                                                           std::span<const sql::ReportRow> rows) {
  constexpr std::string_view op = "PutReports";
  std::vector<Result<PutOutcome>> out;
  out.reserve(rows.size());
  size_t begin = 0;
  while (begin < rows.size()) {
    std::unordered_map<int64_t, size_t> run;  // report id -> its place in the run
    boost::json::array items;
    size_t end = begin;
    for (; end < rows.size() && !run.contains(rows[end].report_id.value); ++end) {
      const sql::ReportRow& row = rows[end];
      run.emplace(row.report_id.value, end - begin);
      items.push_back(boost::json::object{
          {"i", row.report_id.value}, {"b", row.body}, {"s", row.invite_status}});
    }
    const std::string json = core::WriteJson(items);
    Query q(conn, Sql::kPutReports, op);
    q.Bind(rows[begin].company_id.value).Bind(rows[begin].updated_at).Bind(std::string_view(json));
    RS_RETURN_IF_ERROR(sql::RunInsert(q));
    auto written =
        sql::ReadAll(q, [](const Query& r) { return std::make_pair(r.Int(0), r.Int(1)); });
    if (!written) return written.error();
    // No row back: another company's report, left as it was.
    std::vector<std::optional<int64_t>> versions(end - begin);
    for (const auto& [id, version] : *written) {
      auto it = run.find(id);
      if (it == run.end()) return q.Fail("a report id that was not in the batch came back");
      versions[it->second] = version;
    }
    for (const std::optional<int64_t>& version : versions) {
      if (!version) {
        out.push_back(Status::Conflict("report_id belongs to another company"));
      } else {
        out.push_back(*version == 1 ? PutOutcome::kCreated : PutOutcome::kReplaced);
      }
    }
    begin = end;
  }
  return out;
}

// A whole batch travels as one JSON parameter per statement: two round trips
// for the batch, not two per open.
Result<sql::ViewTotals> Driver::WriteOpens(Connection& conn, const std::vector<LinkOpen>& opens) {
  constexpr std::string_view op = "RecordOpens";
  boost::json::array rows;
  std::map<std::string, std::pair<int64_t, int64_t>> views;  // hex id -> (count, latest)
  for (const LinkOpen& o : opens) {
    std::string hex = core::HexEncode(o.link_id.bytes);
    int64_t at = o.at.time_since_epoch().count();
    rows.push_back(boost::json::object{{"l", hex},
                                       {"a", at},
                                       {"s", o.status},
                                       {"c", o.client},
                                       {"n", o.network},
                                       {"k", o.counted ? 1 : 0}});
    if (o.counted) {
      auto& [count, latest] = views[hex];
      ++count;
      latest = std::max(latest, at);
    }
  }
  boost::json::array view_rows;
  for (const auto& [hex, v] : views) {
    view_rows.push_back(boost::json::object{{"l", hex}, {"n", v.first}, {"a", v.second}});
  }
  const std::string opens_json = core::WriteJson(rows);
  const std::string views_json = core::WriteJson(view_rows);

  {
    Query q(conn, Sql::kInsertOpens, op);
    q.Bind(std::string_view(opens_json));
    RS_RETURN_IF_ERROR(q.Run());
  }
  sql::ViewTotals totals;
  if (views.empty()) return totals;
  Query q(conn, Sql::kAddViews, op);
  q.Bind(std::string_view(views_json));
  auto added = sql::ReadAll(q, [](const Query& r) {
    LinkId id;
    r.Blob(0, id.bytes);
    return std::make_pair(id, r.Int(1));
  });
  if (!added) return added.error();
  totals.insert(added->begin(), added->end());
  return totals;
}

// A batch of deliveries travels as one JSON parameter: one round trip for
// the outbox rows of a batch of opens, not one per row.
Status Driver::InsertDeliveries(Connection& conn, const std::vector<sql::DeliveryRow>& rows,
                                std::string_view op) {
  boost::json::array out;
  out.reserve(rows.size());
  for (const sql::DeliveryRow& row : rows) {
    out.push_back(boost::json::object{{"i", row.delivery_id},
                                      {"w", row.webhook_id},
                                      {"t", domain::EventTypeName(row.event->type)},
                                      {"b", row.event->body},
                                      {"a", row.event->at.time_since_epoch().count()}});
  }
  const std::string json = core::WriteJson(out);
  Query q(conn, Sql::kInsertDeliveries, op);
  q.Bind(std::string_view(json));
  return q.Run();
}

// "user@host:port/dbname" from a conninfo, for messages: never the password.
// nullopt if libpq cannot parse it.
std::optional<std::string> DisplayName(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &err);
  PQfreemem(err);
  if (options == nullptr) return std::nullopt;
  std::string user, host, port, dbname;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string_view key = o->keyword;
    if (key == "user") user = o->val;
    if (key == "host" || (key == "hostaddr" && host.empty())) host = o->val;
    if (key == "port") port = o->val;
    if (key == "dbname") dbname = o->val;
  }
  PQconninfoFree(options);
  std::string name = user.empty() ? "" : user + "@";
  name += host.empty() ? "localhost" : host;
  if (!port.empty()) name += ":" + port;
  name += "/" + dbname;
  return name;
}

}  // namespace

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(const std::string& conninfo_url,
                                                           int pool_size) {
  if (pool_size < 1) return Status::InvalidArgument("postgres pool size must be at least 1");
  // The URL is not repeated in any message: it may carry a password.
  std::optional<std::string> name = DisplayName(conninfo_url);
  if (!name) return Status::InvalidArgument("malformed PostgreSQL connection URL");
  return sql::OpenStore<Driver, PostgresStore>(pool_size, *name, [&] {
    return Connection::Open(conninfo_url, *name, kConnectTimeoutSeconds);
  });
}

}  // namespace reportshare::store::postgres
