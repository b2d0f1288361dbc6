#include "store/sqlite/sqlite_store.h"

#include <boost/json/value.hpp>

#include <cstdio>
#include <utility>

#include "core/json.h"
#include "store/migrations.h"
#include "store/rows.h"
#include "store/sqlite/sqlite_connection.h"

namespace reportshare::store {
namespace {

using sqlite_internal::Connection;
using sqlite_internal::Query;
using sqlite_internal::Transaction;

Status CompanyNotFound() { return Status::NotFound("company not found"); }

std::span<const uint8_t> Bytes(const LinkId& id) { return id.bytes; }

// Applies every migration not yet recorded, each in its own transaction. The
// version check runs inside the transaction, under the write lock, so two
// processes opening a new file at once apply each migration exactly once.
Status ApplyMigrations(Connection& conn) {
  RS_RETURN_IF_ERROR(conn.ExecOnce(kSchemaMigrationsTable, "create schema_migrations"));
  for (const Migration& m : Migrations()) {
    const std::string op = "migration " + std::to_string(m.version);
    Transaction tx(conn, op);
    RS_RETURN_IF_ERROR(tx.Begin());
    bool applied = false;
    {
      Query q(conn, "SELECT 1 FROM schema_migrations WHERE version = ?", op);
      q.Bind(int64_t{m.version});
      Result<bool> row = q.Step();
      if (!row) return row.error();
      applied = *row;
    }
    if (applied) continue;  // tx rolls back: nothing was written
    for (std::string_view sql : m.Statements(SqlDialect::kSqlite)) {
      RS_RETURN_IF_ERROR(conn.ExecOnce(sql, op));
    }
    {
      Query q(conn, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", op);
      q.Bind(int64_t{m.version}).Bind(SystemClock().Now());
      RS_RETURN_IF_ERROR(q.Run());
    }
    RS_RETURN_IF_ERROR(tx.Commit());
  }
  return Status::Ok();
}

Result<int64_t> ReadSchemaVersion(Connection& conn) {
  Query q(conn, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", "SchemaVersion");
  Result<bool> row = q.Step();
  if (!row) return row.error();
  if (!*row) return q.Error();
  return q.Int(0);
}

}  // namespace

// --- construction and the pool ---

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path, int pool_size) {
  if (pool_size < 1) return Status::InvalidArgument("sqlite pool size must be at least 1");
  if (path.empty() || path == ":memory:" || path.starts_with("file::memory:")) {
    // Each pooled connection would get its own, separate in-memory database.
    return Status::InvalidArgument("sqlite needs a database file path");
  }
  const Status unavailable = Status::Unavailable("cannot open database '" + path + "'");

  std::vector<std::unique_ptr<Connection>> connections;
  for (int i = 0; i < pool_size; ++i) {
    Result<std::unique_ptr<Connection>> conn = Connection::Open(path);
    if (!conn) return conn.error();
    connections.push_back(std::move(*conn));
    if (i == 0) {
      if (!ApplyMigrations(*connections[0]).ok()) return unavailable;
      Result<int64_t> version = ReadSchemaVersion(*connections[0]);
      if (!version) return unavailable;
      if (*version > LatestSchemaVersion()) {
        return Status::Unavailable("database '" + path + "' has schema version " +
                                   std::to_string(*version) + ", newer than this build's " +
                                   std::to_string(LatestSchemaVersion()));
      }
    }
  }
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(connections)));
}

SqliteStore::SqliteStore(std::vector<std::unique_ptr<Connection>> connections)
    : connections_(std::move(connections)) {
  for (const auto& c : connections_) free_.push_back(c.get());
}

SqliteStore::~SqliteStore() = default;

SqliteStore::Lease SqliteStore::Acquire() {
  std::unique_lock lock(mutex_);
  available_.wait(lock, [this] { return !free_.empty(); });
  Connection* conn = free_.back();
  free_.pop_back();
  return Lease(*this, *conn);
}

void SqliteStore::Release(Connection& conn) {
  conn.ResetState();
  {
    std::lock_guard lock(mutex_);
    free_.push_back(&conn);
  }
  available_.notify_one();
}

Result<int64_t> SqliteStore::SchemaVersion() {
  Lease conn = Acquire();
  return ReadSchemaVersion(*conn);
}

// --- companies and API keys ---

Result<CompanyId> SqliteStore::EnsureCompany(std::string_view name) {
  constexpr std::string_view op = "EnsureCompany";
  Lease conn = Acquire();
  {
    // Companies are never deleted, so once this insert (or a racing one) is
    // done the select below finds the row; no transaction needed.
    Query q(*conn,
            "INSERT INTO companies (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            op);
    q.Bind(name).Bind(SystemClock().Now());
    RS_RETURN_IF_ERROR(q.Run());
  }
  Query q(*conn, "SELECT id FROM companies WHERE name = ?", op);
  q.Bind(name);
  Result<bool> row = q.Step();
  if (!row) return row.error();
  if (!*row) return q.Error();
  return CompanyId{q.Int(0)};
}

Status SqliteStore::InsertApiKey(CompanyId company, std::string_view key_id,
                                 const std::array<uint8_t, 32>& key_hash, Instant created_at) {
  Lease conn = Acquire();
  Query q(*conn,
          "INSERT INTO api_keys (key_id, company_id, key_hash, created_at) VALUES (?, ?, ?, ?)",
          "InsertApiKey");
  q.Bind(key_id).Bind(company.value).Bind(std::span<const uint8_t>(key_hash)).Bind(created_at);
  switch (q.StepRaw()) {
    case SQLITE_DONE:
      return Status::Ok();
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE:
      return Status::Conflict("api key id already exists");
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return CompanyNotFound();
    default:
      return q.Error();
  }
}

Result<std::optional<Principal>> SqliteStore::FindApiKey(const std::array<uint8_t, 32>& key_hash) {
  Lease conn = Acquire();
  Query q(*conn,
          "SELECT k.company_id, c.name, k.key_id FROM api_keys k "
          "JOIN companies c ON c.id = k.company_id "
          "WHERE k.key_hash = ? AND k.revoked_at IS NULL",
          "FindApiKey");
  q.Bind(std::span<const uint8_t>(key_hash));
  Result<bool> row = q.Step();
  if (!row) return row.error();
  if (!*row) return std::optional<Principal>();
  return std::optional<Principal>(Principal{CompanyId{q.Int(0)}, q.Text(1), q.Text(2)});
}

Result<std::vector<ApiKeyInfo>> SqliteStore::ListApiKeys() {
  Lease conn = Acquire();
  Query q(*conn,
          "SELECT k.key_id, c.name, k.created_at, k.revoked_at FROM api_keys k "
          "JOIN companies c ON c.id = k.company_id ORDER BY k.created_at, k.key_id",
          "ListApiKeys");
  std::vector<ApiKeyInfo> keys;
  for (;;) {
    Result<bool> row = q.Step();
    if (!row) return row.error();
    if (!*row) return keys;
    keys.push_back(ApiKeyInfo{q.Text(0), q.Text(1), q.At(2), q.OptionalAt(3)});
  }
}

Result<bool> SqliteStore::RevokeApiKey(std::string_view key_id, Instant at) {
  constexpr std::string_view op = "RevokeApiKey";
  Lease conn = Acquire();
  {
    Query q(*conn, "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
            op);
    q.Bind(at).Bind(key_id);
    RS_RETURN_IF_ERROR(q.Run());
    if (q.Changes() == 1) return true;
  }
  // Keys are never deleted: if the update missed, the key is revoked or unknown.
  Query q(*conn, "SELECT 1 FROM api_keys WHERE key_id = ?", op);
  q.Bind(key_id);
  Result<bool> row = q.Step();
  if (!row) return row.error();
  if (!*row) return Status::NotFound("api key not found");
  return false;
}

// --- reports ---

Result<std::optional<StoredReport>> SqliteStore::GetReport(ReportId id) {
  Lease conn = Acquire();
  Query q(*conn,
          "SELECT r.company_id, c.name, r.version, r.body FROM reports r "
          "JOIN companies c ON c.id = r.company_id WHERE r.report_id = ?",
          "GetReport");
  q.Bind(id.value);
  Result<bool> row = q.Step();
  if (!row) return row.error();
  if (!*row) return std::optional<StoredReport>();

  StoredReport stored;
  stored.company_id = CompanyId{q.Int(0)};
  stored.company_name = q.Text(1);
  stored.version = q.Int(2);
  Result<Report> report = DecodeReportBody(q.Text(3), id, "sqlite");
  if (!report) return report.error();
  stored.report = std::move(*report);
  return std::optional<StoredReport>(std::move(stored));
}

Result<PutOutcome> SqliteStore::PutReport(CompanyId company, const Report& report, Instant at) {
  constexpr std::string_view op = "PutReport";
  const std::string body = EncodeReportBody(report);
  const std::string_view status = domain::InviteStatusName(report.invite_status);

  Lease conn = Acquire();
  Transaction tx(*conn, op);
  RS_RETURN_IF_ERROR(tx.Begin());
  std::optional<int64_t> owner;
  {
    Query q(*conn, "SELECT company_id FROM reports WHERE report_id = ?", op);
    q.Bind(report.report_id.value);
    Result<bool> row = q.Step();
    if (!row) return row.error();
    if (*row) owner = q.Int(0);
  }
  PutOutcome outcome;
  if (owner) {
    if (*owner != company.value) {
      return Status::Conflict("report_id belongs to another company");  // tx rolls back
    }
    Query q(*conn,
            "UPDATE reports SET version = version + 1, body = ?, invite_status = ?, "
            "updated_at = ? WHERE report_id = ?",
            op);
    q.Bind(body).Bind(status).Bind(at).Bind(report.report_id.value);
    RS_RETURN_IF_ERROR(q.Run());
    outcome = PutOutcome::kReplaced;
  } else {
    Query q(*conn,
            "INSERT INTO reports (report_id, company_id, version, body, invite_status, updated_at) "
            "VALUES (?, ?, 1, ?, ?, ?)",
            op);
    q.Bind(report.report_id.value).Bind(company.value).Bind(body).Bind(status).Bind(at);
    int rc = q.StepRaw();
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return CompanyNotFound();
    if (rc != SQLITE_DONE) return q.Error();
    outcome = PutOutcome::kCreated;
  }
  RS_RETURN_IF_ERROR(tx.Commit());
  return outcome;
}

// --- links ---

Status SqliteStore::InsertLink(const LinkRecord& link) {
  Lease conn = Acquire();
  // ON CONFLICT (link_id) rather than INSERT OR IGNORE: only a repeated id is
  // a no-op; a broken foreign key or check still fails.
  Query q(*conn,
          "INSERT INTO links (" RS_LINK_COLUMNS
          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (link_id) DO NOTHING",
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
  int rc = q.StepRaw();
  if (rc == SQLITE_DONE) return Status::Ok();
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return CompanyNotFound();
  return q.Error();
}

Result<std::optional<LinkRecord>> SqliteStore::GetLink(const LinkId& id) {
  Lease conn = Acquire();
  Query q(*conn, "SELECT " RS_LINK_COLUMNS " FROM links WHERE link_id = ?", "GetLink");
  q.Bind(Bytes(id));
  Result<bool> row = q.Step();
  if (!row) return row.error();
  if (!*row) return std::optional<LinkRecord>();
  return std::optional<LinkRecord>(ReadLinkRow(q));
}

Result<std::vector<LinkRecord>> SqliteStore::ListLinks(CompanyId company, ReportId report) {
  Lease conn = Acquire();
  Query q(*conn,
          "SELECT " RS_LINK_COLUMNS
          " FROM links WHERE company_id = ? AND report_id = ? "
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

Result<int64_t> SqliteStore::RevokeLink(CompanyId company, ReportId report, const LinkId& id,
                                        Instant at) {
  constexpr std::string_view op = "RevokeLink";
  Lease conn = Acquire();
  {
    Query q(*conn,
            "UPDATE links SET revoked_at = ? "
            "WHERE link_id = ? AND company_id = ? AND report_id = ? AND revoked_at IS NULL",
            op);
    q.Bind(at).Bind(Bytes(id)).Bind(company.value).Bind(report.value);
    RS_RETURN_IF_ERROR(q.Run());
    if (q.Changes() == 1) return int64_t{1};
  }
  // Links are never deleted: if the update missed, the link is revoked or not
  // this company's and report's.
  Query q(*conn, "SELECT 1 FROM links WHERE link_id = ? AND company_id = ? AND report_id = ?", op);
  q.Bind(Bytes(id)).Bind(company.value).Bind(report.value);
  Result<bool> row = q.Step();
  if (!row) return row.error();
  if (!*row) return Status::NotFound("link not found");
  return int64_t{0};
}

Result<int64_t> SqliteStore::RevokeAllLinks(CompanyId company, ReportId report, Instant at) {
  Lease conn = Acquire();
  Query q(*conn,
          "UPDATE links SET revoked_at = ?1 "
          "WHERE company_id = ?2 AND report_id = ?3 AND revoked_at IS NULL AND expires_at > ?1",
          "RevokeAllLinks");
  q.Bind(at).Bind(company.value).Bind(report.value);
  RS_RETURN_IF_ERROR(q.Run());
  return q.Changes();
}

Status SqliteStore::RecordOpens(const std::vector<LinkOpen>& opens) {
  constexpr std::string_view op = "RecordOpens";
  if (opens.empty()) return Status::Ok();
  Lease conn = Acquire();
  Transaction tx(*conn, op);
  RS_RETURN_IF_ERROR(tx.Begin());
  for (const LinkOpen& o : opens) {
    {
      Query q(*conn,
              "INSERT INTO link_opens (link_id, at, status, client, network, counted) "
              "SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM links WHERE link_id = ?1)",
              op);
      q.Bind(Bytes(o.link_id))
          .Bind(o.at)
          .Bind(int64_t{o.status})
          .Bind(o.client)
          .Bind(o.network)
          .Bind(int64_t{o.counted ? 1 : 0});
      RS_RETURN_IF_ERROR(q.Run());
    }
    if (o.counted) {
      // Views that arrive out of order keep the latest instant.
      Query q(*conn,
              "UPDATE links SET views = views + 1, last_viewed_at = CASE "
              "WHEN last_viewed_at IS NULL OR last_viewed_at < ?1 THEN ?1 ELSE last_viewed_at END "
              "WHERE link_id = ?2",
              op);
      q.Bind(o.at).Bind(Bytes(o.link_id));
      RS_RETURN_IF_ERROR(q.Run());
    }
  }
  return tx.Commit();
}

Result<std::vector<LinkOpen>> SqliteStore::ListOpens(CompanyId company, ReportId report,
                                                     const LinkId& id, int limit) {
  constexpr std::string_view op = "ListOpens";
  Lease conn = Acquire();
  {
    Query q(*conn, "SELECT 1 FROM links WHERE link_id = ? AND company_id = ? AND report_id = ?",
            op);
    q.Bind(Bytes(id)).Bind(company.value).Bind(report.value);
    Result<bool> row = q.Step();
    if (!row) return row.error();
    if (!*row) return Status::NotFound("link not found");
  }
  Query q(*conn,
          "SELECT at, status, client, network, counted FROM link_opens WHERE link_id = ? "
          "ORDER BY at DESC, id DESC LIMIT ?",
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

Result<bool> SqliteStore::HasLinks() {
  Lease conn = Acquire();
  Query q(*conn, "SELECT EXISTS (SELECT 1 FROM links)", "HasLinks");
  Result<bool> row = q.Step();
  if (!row) return row.error();
  if (!*row) return q.Error();
  return q.Int(0) != 0;
}

Status SqliteStore::Ping() {
  Lease conn = Acquire();
  Query q(*conn, "SELECT 1", "Ping");
  return q.Run();
}

}  // namespace reportshare::store
