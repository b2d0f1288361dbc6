#include "store/postgres/postgres_store.h"

#include <libpq-fe.h>

#include <boost/json.hpp>

#include <cstdio>
#include <map>
#include <utility>

#include "core/bytes.h"
#include "core/json.h"
#include "store/migrations.h"
#include "store/postgres/pg_connection.h"
#include "store/rows.h"

namespace reportshare::store {
namespace {

using postgres_internal::Connection;
using postgres_internal::DriverError;
using postgres_internal::Query;
using postgres_internal::Transaction;

// Short enough that an outage answers 503 quickly, long enough for a busy
// server across a network.
constexpr int kConnectTimeoutSeconds = 3;

// The advisory lock every node takes around the migration check-and-apply:
// "rsmigr" in ASCII. Session-level, so it is released even if the node dies.
constexpr int64_t kMigrationLockKey = 0x72736d696772;

Status CompanyNotFound() { return Status::NotFound("company not found"); }

std::span<const uint8_t> Bytes(const LinkId& id) { return id.bytes; }

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

// Applies every migration not yet recorded, each in its own transaction.
// REQUIRES: the caller holds the migration advisory lock, so no other node
// checks or applies a migration meanwhile.
Status ApplyMigrationsLocked(Connection& conn) {
  RS_RETURN_IF_ERROR(conn.ExecOnce(kSchemaMigrationsTable, "create schema_migrations"));
  for (const Migration& m : Migrations()) {
    const std::string op = "migration " + std::to_string(m.version);
    Transaction tx(conn, op);
    RS_RETURN_IF_ERROR(tx.Begin());
    bool applied = false;
    {
      Query q(conn, "SELECT 1 FROM schema_migrations WHERE version = $1", op);
      q.Bind(int64_t{m.version});
      Result<bool> row = q.Step();
      if (!row) return row.error();
      applied = *row;
    }
    if (applied) continue;  // tx rolls back: nothing was written
    for (std::string_view sql : m.Statements(SqlDialect::kPostgres)) {
      RS_RETURN_IF_ERROR(conn.ExecOnce(sql, op));
    }
    {
      Query q(conn, "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", op);
      q.Bind(int64_t{m.version}).Bind(SystemClock().Now());
      RS_RETURN_IF_ERROR(q.Run());
    }
    RS_RETURN_IF_ERROR(tx.Commit());
  }
  return Status::Ok();
}

// Several nodes may start at once on a new database. Transactions alone do not
// serialize them (two could both see version 1 missing, and CREATE TABLE IF
// NOT EXISTS itself races), so the whole check-and-apply runs under one
// advisory lock; a node that waited finds everything applied.
Status ApplyMigrations(Connection& conn) {
  constexpr std::string_view op = "migration lock";
  {
    Query q(conn, "SELECT pg_advisory_lock($1)", op);
    q.Bind(kMigrationLockKey);
    RS_RETURN_IF_ERROR(q.Run());
  }
  Status status = ApplyMigrationsLocked(conn);
  // On failure the caller closes the connection, which drops the lock too.
  Query q(conn, "SELECT pg_advisory_unlock($1)", op);
  q.Bind(kMigrationLockKey);
  Status unlocked = q.Run();
  return status.ok() ? unlocked : status;
}

Result<int64_t> ReadSchemaVersion(Connection& conn) {
  constexpr std::string_view op = "SchemaVersion";
  Query q(conn, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", op);
  Result<bool> row = q.Step();
  if (!row) return row.error();
  if (!*row) return DriverError(op, "no row");
  return q.Int(0);
}

}  // namespace

// --- construction and the pool ---

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(const std::string& conninfo_url,
                                                           int pool_size) {
  if (pool_size < 1) return Status::InvalidArgument("postgres pool size must be at least 1");
  // The URL is not repeated in the message: it may carry a password.
  std::optional<std::string> name = DisplayName(conninfo_url);
  if (!name) return Status::InvalidArgument("malformed PostgreSQL connection URL");
  const Status unavailable = Status::Unavailable("cannot open database '" + *name + "'");

  std::vector<std::unique_ptr<Connection>> connections;
  for (int i = 0; i < pool_size; ++i) {
    Result<std::unique_ptr<Connection>> conn =
        Connection::Open(conninfo_url, *name, kConnectTimeoutSeconds);
    if (!conn) return conn.error();
    connections.push_back(std::move(*conn));
    if (i == 0) {
      if (!ApplyMigrations(*connections[0]).ok()) return unavailable;
      Result<int64_t> version = ReadSchemaVersion(*connections[0]);
      if (!version) return unavailable;
      if (*version > LatestSchemaVersion()) {
        return Status::Unavailable("database '" + *name + "' has schema version " +
                                   std::to_string(*version) + ", newer than this build's " +
                                   std::to_string(LatestSchemaVersion()));
      }
    }
  }
  return std::unique_ptr<PostgresStore>(new PostgresStore(std::move(connections)));
}

PostgresStore::PostgresStore(std::vector<std::unique_ptr<Connection>> connections)
    : connections_(std::move(connections)) {
  for (const auto& c : connections_) free_.push_back(c.get());
}

PostgresStore::~PostgresStore() = default;

PostgresStore::Lease PostgresStore::Acquire() {
  Connection* conn = nullptr;
  {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [this] { return !free_.empty(); });
    conn = free_.back();
    free_.pop_back();
  }
  // Outside the mutex: reconnecting may wait up to the connect timeout, and
  // other connections stay usable meanwhile. A failure is logged; the
  // connection stays broken, so the caller's first statement fails.
  (void)conn->Revive();
  return Lease(*this, *conn);
}

void PostgresStore::Release(Connection& conn) {
  conn.ResetState();
  {
    std::lock_guard lock(mutex_);
    free_.push_back(&conn);
  }
  available_.notify_one();
}

Result<int64_t> PostgresStore::SchemaVersion() {
  Lease conn = Acquire();
  return ReadSchemaVersion(*conn);
}

// --- companies and API keys ---

Result<CompanyId> PostgresStore::EnsureCompany(std::string_view name) {
  constexpr std::string_view op = "EnsureCompany";
  Lease conn = Acquire();
  // Look first: an INSERT that conflicts still consumes an identity value,
  // and the company usually exists.
  {
    Query q(*conn, "SELECT id FROM companies WHERE name = $1", op);
    q.Bind(name);
    Result<bool> row = q.Step();
    if (!row) return row.error();
    if (*row) return CompanyId{q.Int(0)};
  }
  {
    Query q(*conn,
            "INSERT INTO companies (name, created_at) VALUES ($1, $2) "
            "ON CONFLICT (name) DO NOTHING RETURNING id",
            op);
    q.Bind(name).Bind(SystemClock().Now());
    Result<bool> row = q.Step();
    if (!row) return row.error();
    if (*row) return CompanyId{q.Int(0)};
  }
  // A racing insert won. Companies are never deleted, and this new statement
  // sees everything committed before it began, so the row is there.
  Query q(*conn, "SELECT id FROM companies WHERE name = $1", op);
  q.Bind(name);
  Result<bool> row = q.Step();
  if (!row) return row.error();
  if (!*row) return DriverError(op, "company row missing after insert");
  return CompanyId{q.Int(0)};
}

Status PostgresStore::InsertApiKey(CompanyId company, std::string_view key_id,
                                   const std::array<uint8_t, 32>& key_hash, Instant created_at) {
  Lease conn = Acquire();
  Query q(*conn,
          "INSERT INTO api_keys (key_id, company_id, key_hash, created_at) VALUES ($1, $2, $3, $4)",
          "InsertApiKey");
  q.Bind(key_id).Bind(company.value).Bind(std::span<const uint8_t>(key_hash)).Bind(created_at);
  const std::string_view sqlstate = q.RunRaw();
  if (sqlstate.empty()) return Status::Ok();
  if (sqlstate == postgres_internal::kUniqueViolation) {
    return Status::Conflict("api key id already exists");
  }
  if (sqlstate == postgres_internal::kForeignKeyViolation) return CompanyNotFound();
  return q.Error();
}

Result<std::optional<Principal>> PostgresStore::FindApiKey(
    const std::array<uint8_t, 32>& key_hash) {
  Lease conn = Acquire();
  Query q(*conn,
          "SELECT k.company_id, c.name, k.key_id FROM api_keys k "
          "JOIN companies c ON c.id = k.company_id "
          "WHERE k.key_hash = $1 AND k.revoked_at IS NULL",
          "FindApiKey");
  q.Bind(std::span<const uint8_t>(key_hash));
  Result<bool> row = q.Step();
  if (!row) return row.error();
  if (!*row) return std::optional<Principal>();
  return std::optional<Principal>(Principal{CompanyId{q.Int(0)}, q.Text(1), q.Text(2)});
}

Result<std::vector<ApiKeyInfo>> PostgresStore::ListApiKeys() {
  Lease conn = Acquire();
  // COLLATE "C": byte order, as SQLite's BINARY, whatever the database locale.
  Query q(*conn,
          "SELECT k.key_id, c.name, k.created_at, k.revoked_at FROM api_keys k "
          "JOIN companies c ON c.id = k.company_id ORDER BY k.created_at, k.key_id COLLATE \"C\"",
          "ListApiKeys");
  std::vector<ApiKeyInfo> keys;
  for (;;) {
    Result<bool> row = q.Step();
    if (!row) return row.error();
    if (!*row) return keys;
    keys.push_back(ApiKeyInfo{q.Text(0), q.Text(1), q.At(2), q.OptionalAt(3)});
  }
}

Result<bool> PostgresStore::RevokeApiKey(std::string_view key_id, Instant at) {
  constexpr std::string_view op = "RevokeApiKey";
  Lease conn = Acquire();
  {
    Query q(*conn, "UPDATE api_keys SET revoked_at = $1 WHERE key_id = $2 AND revoked_at IS NULL",
            op);
    q.Bind(at).Bind(key_id);
    RS_RETURN_IF_ERROR(q.Run());
    if (q.Changes() == 1) return true;
  }
  // Keys are never deleted: if the update missed, the key is revoked or unknown.
  Query q(*conn, "SELECT 1 FROM api_keys WHERE key_id = $1", op);
  q.Bind(key_id);
  Result<bool> row = q.Step();
  if (!row) return row.error();
  if (!*row) return Status::NotFound("api key not found");
  return false;
}

// --- reports ---

Result<std::optional<StoredReport>> PostgresStore::GetReport(ReportId id) {
  Lease conn = Acquire();
  Query q(*conn,
          "SELECT r.company_id, c.name, r.version, r.body FROM reports r "
          "JOIN companies c ON c.id = r.company_id WHERE r.report_id = $1",
          "GetReport");
  q.Bind(id.value);
  Result<bool> row = q.Step();
  if (!row) return row.error();
  if (!*row) return std::optional<StoredReport>();

  StoredReport stored;
  stored.company_id = CompanyId{q.Int(0)};
  stored.company_name = q.Text(1);
  stored.version = q.Int(2);
  Result<Report> report = DecodeReportBody(q.Text(3), id, "postgres");
  if (!report) return report.error();
  stored.report = std::move(*report);
  return std::optional<StoredReport>(std::move(stored));
}

Result<PutOutcome> PostgresStore::PutReport(CompanyId company, const Report& report, Instant at) {
  const std::string body = EncodeReportBody(report);
  const std::string_view status = domain::InviteStatusName(report.invite_status);

  Lease conn = Acquire();
  // One statement does the owner check, the create-or-replace and the version
  // bump atomically: ON CONFLICT locks the existing row, so concurrent puts
  // from any number of nodes serialize on it and each adds exactly one to the
  // version. The WHERE leaves another company's row untouched and returns no
  // row. A replaced report is at version 2 or more, so version 1 means created.
  Query q(*conn,
          "INSERT INTO reports (report_id, company_id, version, body, invite_status, updated_at) "
          "VALUES ($1, $2, 1, $3, $4, $5) "
          "ON CONFLICT (report_id) DO UPDATE SET version = reports.version + 1, "
          "body = EXCLUDED.body, invite_status = EXCLUDED.invite_status, "
          "updated_at = EXCLUDED.updated_at "
          "WHERE reports.company_id = EXCLUDED.company_id "
          "RETURNING version",
          "PutReport");
  q.Bind(report.report_id.value).Bind(company.value).Bind(body).Bind(status).Bind(at);
  const std::string_view sqlstate = q.RunRaw();
  if (sqlstate == postgres_internal::kForeignKeyViolation) return CompanyNotFound();
  Result<bool> row = q.Step();
  if (!row) return row.error();
  if (!*row) return Status::Conflict("report_id belongs to another company");
  return q.Int(0) == 1 ? PutOutcome::kCreated : PutOutcome::kReplaced;
}

// --- links ---

Status PostgresStore::InsertLink(const LinkRecord& link) {
  Lease conn = Acquire();
  // ON CONFLICT (link_id): only a repeated id is a no-op; a broken foreign key
  // or check still fails.
  Query q(*conn,
          "INSERT INTO links (" RS_LINK_COLUMNS
          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (link_id) DO NOTHING",
          "InsertLink");
  q.Bind(Bytes(link.link_id))
      .Bind(link.report_id.value)
      .Bind(link.company_id.value)
      .Bind(int64_t{link.signing_key_id.value})
      .Bind(link.created_at)
      .Bind(link.expires_at)
      .Bind(link.revoked_at)
      .Bind(link.views)
      .Bind(link.last_viewed_at);
  const std::string_view sqlstate = q.RunRaw();
  if (sqlstate.empty()) return Status::Ok();
  if (sqlstate == postgres_internal::kForeignKeyViolation) return CompanyNotFound();
  return q.Error();
}

Result<std::optional<LinkRecord>> PostgresStore::GetLink(const LinkId& id) {
  Lease conn = Acquire();
  Query q(*conn, "SELECT " RS_LINK_COLUMNS " FROM links WHERE link_id = $1", "GetLink");
  q.Bind(Bytes(id));
  Result<bool> row = q.Step();
  if (!row) return row.error();
  if (!*row) return std::optional<LinkRecord>();
  return std::optional<LinkRecord>(ReadLinkRow(q));
}

Result<std::vector<LinkRecord>> PostgresStore::ListLinks(CompanyId company, ReportId report) {
  Lease conn = Acquire();
  // bytea compares bytewise, as SQLite's BLOB: the same tie-break.
  Query q(*conn,
          "SELECT " RS_LINK_COLUMNS
          " FROM links WHERE company_id = $1 AND report_id = $2 "
          "ORDER BY created_at DESC, link_id",
          "ListLinks");
  q.Bind(company.value).Bind(report.value);
  std::vector<LinkRecord> links;
  for (;;) {
    Result<bool> row = q.Step();
    if (!row) return row.error();
    if (!*row) return links;
    links.push_back(ReadLinkRow(q));
  }
}

Result<int64_t> PostgresStore::RevokeLink(CompanyId company, ReportId report, const LinkId& id,
                                          Instant at) {
  constexpr std::string_view op = "RevokeLink";
  Lease conn = Acquire();
  {
    Query q(*conn,
            "UPDATE links SET revoked_at = $1 "
            "WHERE link_id = $2 AND company_id = $3 AND report_id = $4 AND revoked_at IS NULL",
            op);
    q.Bind(at).Bind(Bytes(id)).Bind(company.value).Bind(report.value);
    RS_RETURN_IF_ERROR(q.Run());
    if (q.Changes() == 1) return int64_t{1};
  }
  // Links are never deleted: if the update missed, the link is revoked or not
  // this company's and report's.
  Query q(*conn, "SELECT 1 FROM links WHERE link_id = $1 AND company_id = $2 AND report_id = $3",
          op);
  q.Bind(Bytes(id)).Bind(company.value).Bind(report.value);
  Result<bool> row = q.Step();
  if (!row) return row.error();
  if (!*row) return Status::NotFound("link not found");
  return int64_t{0};
}

Result<int64_t> PostgresStore::RevokeAllLinks(CompanyId company, ReportId report, Instant at) {
  Lease conn = Acquire();
  Query q(*conn,
          "UPDATE links SET revoked_at = $1 "
          "WHERE company_id = $2 AND report_id = $3 AND revoked_at IS NULL AND expires_at > $1",
          "RevokeAllLinks");
  q.Bind(at).Bind(company.value).Bind(report.value);
  RS_RETURN_IF_ERROR(q.Run());
  return q.Changes();
}

Status PostgresStore::RecordOpens(const std::vector<LinkOpen>& opens) {
  constexpr std::string_view op = "RecordOpens";
  if (opens.empty()) return Status::Ok();
  // A whole batch travels as one JSON parameter per statement: two round
  // trips for the batch, not two per open.
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

  Lease conn = Acquire();
  Transaction tx(*conn, op);
  RS_RETURN_IF_ERROR(tx.Begin());
  {
    Query q(*conn,
            "INSERT INTO link_opens (link_id, at, status, client, network, counted) "
            "SELECT decode(t.x->>'l', 'hex'), (t.x->>'a')::bigint, (t.x->>'s')::int, t.x->>'c', "
            "t.x->>'n', (t.x->>'k')::int "
            "FROM jsonb_array_elements($1::text::jsonb) WITH ORDINALITY AS t(x, i) "
            "WHERE EXISTS (SELECT 1 FROM links WHERE links.link_id = decode(t.x->>'l', 'hex')) "
            "ORDER BY t.i",
            op);
    q.Bind(std::string_view(opens_json));
    RS_RETURN_IF_ERROR(q.Run());
  }
  if (!views.empty()) {
    Query q(*conn,
            "UPDATE links SET views = links.views + v.n, "
            "last_viewed_at = GREATEST(COALESCE(links.last_viewed_at, v.a), v.a) "
            "FROM (SELECT decode(x->>'l', 'hex') AS link_id, (x->>'n')::bigint AS n, "
            "(x->>'a')::bigint AS a FROM jsonb_array_elements($1::text::jsonb) AS x) AS v "
            "WHERE links.link_id = v.link_id",
            op);
    q.Bind(std::string_view(views_json));
    RS_RETURN_IF_ERROR(q.Run());
  }
  return tx.Commit();
}

Result<std::vector<LinkOpen>> PostgresStore::ListOpens(CompanyId company, ReportId report,
                                                       const LinkId& id, int limit) {
  constexpr std::string_view op = "ListOpens";
  Lease conn = Acquire();
  {
    Query q(*conn, "SELECT 1 FROM links WHERE link_id = $1 AND company_id = $2 AND report_id = $3",
            op);
    q.Bind(Bytes(id)).Bind(company.value).Bind(report.value);
    Result<bool> row = q.Step();
    if (!row) return row.error();
    if (!*row) return Status::NotFound("link not found");
  }
  Query q(*conn,
          "SELECT at, status, client, network, counted FROM link_opens WHERE link_id = $1 "
          "ORDER BY at DESC, id DESC LIMIT $2",
          op);
  q.Bind(Bytes(id)).Bind(int64_t{limit});
  std::vector<LinkOpen> out;
  for (;;) {
    Result<bool> row = q.Step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(LinkOpen{id, Instant{std::chrono::microseconds{q.Int(0)}},
                           static_cast<int>(q.Int(1)), q.Text(2), q.Text(3), q.Int(4) != 0});
  }
}

Result<bool> PostgresStore::HasLinks() {
  constexpr std::string_view op = "HasLinks";
  Lease conn = Acquire();
  Query q(*conn, "SELECT EXISTS (SELECT 1 FROM links)", op);
  Result<bool> row = q.Step();
  if (!row) return row.error();
  if (!*row) return DriverError(op, "no row");
  return q.Int(0) != 0;
}

Status PostgresStore::Ping() {
  Lease conn = Acquire();
  Query q(*conn, "SELECT 1", "Ping");
  return q.Run();
}

}  // namespace reportshare::store
