#pragma once

// One implementation of Store (store.h) for every SQL backend. SqlStore<D,
// Base> holds a Pool of driver D's connections and runs each method's
// statements through D's Query; a backend supplies only what really differs.
//
//   store/sql/         shared, header-only: pool.h (the pool), query.h
//                      (Outcome, QueryBase, Transaction), schema.h (the
//                      migrations), migrate.h (their runner), rows.h (row
//                      codecs and read loops), versioned_store.h (the public
//                      base), this file (the method bodies).
//   store/sqlite/      sqlite_connection.{h,cc}: the driver wrapper;
//                      sqlite_sql.h: the SQL text; sqlite_store.{h,cc}: the
//                      public class, Open(), the Driver and the methods whose
//                      SQL differs in structure.
//   store/postgres/    the same over libpq (pg_connection, pg_sql.h,
//                      postgres_store).
//
// A new store query: its method in store.h, its statement under one name in
// both sqlite_sql.h and pg_sql.h, its body once here, and its test in
// tests/unit/store/store_conformance_test.cc, which runs on both backends. A
// schema change: a new migration in schema.h, in both dialects.
//
// A driver D is a struct deriving from DriverBase (below), which names
//
//   Connection   one connection: sql::PooledConnection (pool.h), Status
//                ExecOnce(sql, op), and Status Begin(op), Status Commit(op),
//                void Rollback(op) for sql::Transaction (query.h).
//   Query        query.h.
//   Sql          a struct of `static constexpr std::string_view` statements:
//                those SqlStore uses below and those of migrate.h.
//   kDialect     the statements of a migration it runs (schema.h), and
//   kChannel     its log channel, "sqlite" or "postgres";
//
// and that adds the migration lock of migrate.h and the methods whose SQL
// differs in structure between the backends:
//
//   static Status LockMigrations(Connection&), UnlockMigrations(Connection&);
//   static Result<CompanyId> EnsureCompany(Connection&, std::string_view name);
//   static Result<PutOutcome> PutReport(Connection&, const ReportRow&,
//                                       std::span<const domain::Event>);
//                (writing the events with WriteEvents, below, in its
//                transaction)
//   static Result<std::vector<Result<PutOutcome>>> PutReports(
//       Connection&, std::span<const ReportRow>);
//                (inside the caller's transaction; REQUIRES: a non-empty
//                batch, every row of one company and instant; an outcome per
//                row, kConflict for another company's, as Store::PutReports)
//   static Result<ViewTotals> WriteOpens(Connection&, const std::vector<LinkOpen>&);
//                (inside the caller's transaction; REQUIRES: a non-empty
//                batch)
//
// Base is the backend's public class (SqliteStore, PostgresStore), a
// VersionedStore, so the public header names no driver type. Include this
// file only from a backend's .cc.

#include <algorithm>
#include <array>
#include <concepts>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "core/status.h"
#include "store/sql/migrate.h"
#include "store/sql/pool.h"
#include "store/sql/query.h"
#include "store/sql/rows.h"
#include "store/sql/schema.h"
#include "store/sql/versioned_store.h"
#include "store/store.h"

namespace reportshare::store::sql {

// The types and names of a driver (see the top of this file).
template <class C, class Q, class S, SqlDialect dialect>
struct DriverBase {
  using Connection = C;
  using Query = Q;
  using Sql = S;
  static constexpr SqlDialect kDialect = dialect;
  static constexpr std::string_view kChannel = DialectName(dialect);
};

// Finishes an INSERT. Every row the store inserts references its company, so
// a foreign-key violation is kNotFound("company not found"). A unique
// violation is kConflict(`conflict`) if one is given, else a failure like any
// other: kUnavailable, logged.
template <class Query>
Status RunInsert(Query& q, std::string_view conflict = {}) {
  switch (q.Try()) {
    case Outcome::kOk:
      return Status::Ok();
    case Outcome::kForeignKeyViolation:
      return Status::NotFound("company not found");
    case Outcome::kUniqueViolation:
      if (!conflict.empty()) return Status::Conflict(std::string(conflict));
      break;
    case Outcome::kError:
      break;
  }
  return q.Error();
}

// Ok if link `id` is one of `company`'s links to `report`, kNotFound("link
// not found") if not (or if there is no such link).
template <class D>
Status FindOwnedLink(typename D::Connection& conn, CompanyId company, ReportId report,
                     const LinkId& id, std::string_view op) {
  typename D::Query q(conn, D::Sql::kLinkOwned, op);
  q.Bind(Bytes(id)).Bind(company.value).Bind(report.value);
  Result<bool> row = q.Step();
  if (!row) return row.error();
  if (!*row) return Status::NotFound("link not found");
  return Status::Ok();
}

// One outbox row as WriteEvents hands it to Driver::InsertDeliveries.
struct DeliveryRow {
  std::string delivery_id;
  std::string webhook_id;
  const domain::Event* event;  // its type, body and instant (created and first due)
};

// Writes `events` to the outbox inside the caller's transaction: one
// delivery per event and webhook that gets it (an active webhook of the
// event's company subscribed to its type; for webhook.test, the one webhook),
// due at once.
template <class D>
Status WriteEvents(typename D::Connection& conn, std::span<const domain::Event> events,
                   std::string_view op) {
  using Query = typename D::Query;
  using Targets = std::vector<std::pair<std::string, domain::EventMask>>;
  auto read_targets = [&](Query& q) {
    return ReadAll(q, [](const Query& r) {
      return std::make_pair(r.Text(0), static_cast<domain::EventMask>(r.Int(1)));
    });
  };
  std::map<int64_t, Targets> by_company;  // read once per company and call
  std::vector<DeliveryRow> rows;
  for (const domain::Event& event : events) {
    Targets only;
    const Targets* targets = &only;
    if (event.only_webhook) {
      Query q(conn, D::Sql::kActiveWebhook, op);
      q.Bind(*event.only_webhook);
      auto found = read_targets(q);
      if (!found) return found.error();
      only = std::move(*found);
    } else {
      auto it = by_company.find(event.company.value);
      if (it == by_company.end()) {
        Query q(conn, D::Sql::kSubscribedWebhooks, op);
        q.Bind(event.company.value);
        auto found = read_targets(q);
        if (!found) return found.error();
        it = by_company.emplace(event.company.value, std::move(*found)).first;
      }
      targets = &it->second;
    }
    for (const auto& [webhook_id, mask] : *targets) {
      if (!event.only_webhook && (mask & domain::EventBit(event.type)) == 0) continue;
      Result<std::string> delivery_id =
          event.delivery_id ? Result<std::string>(*event.delivery_id) : domain::NewDeliveryId();
      if (!delivery_id) return delivery_id.error();
      rows.push_back(DeliveryRow{std::move(*delivery_id), webhook_id, &event});
    }
  }
  if (rows.empty()) return Status::Ok();
  conn.outbox.pending = true;
  return D::InsertDeliveries(conn, rows, op);
}

// Thread-safe, as every Store. See the top of this file.
template <class D, class Base>
requires std::derived_from<Base, VersionedStore>
class SqlStore final : public Base {
 public:
  using Connection = typename D::Connection;
  using Query = typename D::Query;
  using Sql = typename D::Sql;

  // REQUIRES: at least one connection, migrated (MigrateOnOpen).
  explicit SqlStore(std::vector<std::unique_ptr<Connection>> connections)
      : pool_(CountingOutboxCommits(std::move(connections), outbox_commits_)) {}

  uint64_t OutboxCommits() const override {
    return outbox_commits_.load(std::memory_order_acquire);
  }

  Result<int64_t> SchemaVersion() override {
    auto conn = pool_.Acquire();
    return ReadSchemaVersion<D>(*conn);
  }

  // --- companies and API keys ---

  Result<CompanyId> EnsureCompany(std::string_view name) override {
    auto conn = pool_.Acquire();
    return D::EnsureCompany(*conn, name);
  }

  Status InsertApiKey(CompanyId company, std::string_view key_id,
                      const std::array<uint8_t, 32>& key_hash, Instant created_at) override {
    auto conn = pool_.Acquire();
    Query q(*conn, Sql::kInsertApiKey, "InsertApiKey");
    q.Bind(key_id).Bind(company.value).Bind(std::span<const uint8_t>(key_hash)).Bind(created_at);
    return RunInsert(q, "api key id already exists");
  }

  Result<std::optional<Principal>> FindApiKey(const std::array<uint8_t, 32>& key_hash) override {
    auto conn = pool_.Acquire();
    Query q(*conn, Sql::kFindApiKey, "FindApiKey");
    q.Bind(std::span<const uint8_t>(key_hash));
    return ReadOptional(q, [](const Query& r) {
      return Principal{CompanyId{r.Int(0)}, r.Text(1), r.Text(2)};
    });
  }

  Result<std::vector<ApiKeyInfo>> ListApiKeys() override {
    auto conn = pool_.Acquire();
    Query q(*conn, Sql::kListApiKeys, "ListApiKeys");
    return ReadAll(q, [](const Query& r) {
      return ApiKeyInfo{r.Text(0), r.Text(1), r.At(2), r.OptionalAt(3)};
    });
  }

  Result<bool> RevokeApiKey(std::string_view key_id, Instant at) override {
    constexpr std::string_view op = "RevokeApiKey";
    auto conn = pool_.Acquire();
    {
      Query q(*conn, Sql::kRevokeApiKey, op);
      q.Bind(at).Bind(key_id);
      RS_RETURN_IF_ERROR(q.Run());
      if (q.Changes() == 1) return true;
    }
    // Keys are never deleted: if the update missed, the key is revoked or unknown.
    Query q(*conn, Sql::kApiKeyExists, op);
    q.Bind(key_id);
    Result<bool> row = q.Step();
    if (!row) return row.error();
    if (!*row) return Status::NotFound("api key not found");
    return false;
  }

  // --- reports ---

  Result<std::optional<StoredReport>> GetReport(ReportId id) override {
    auto conn = pool_.Acquire();
    Query q(*conn, Sql::kGetReport, "GetReport");
    q.Bind(id.value);
    Result<bool> row = q.Step();
    if (!row) return row.error();
    if (!*row) return std::optional<StoredReport>();

    StoredReport stored;
    stored.company_id = CompanyId{q.Int(0)};
    stored.company_name = q.Text(1);
    stored.version = q.Int(2);
    Result<Report> report = DecodeReportBody(q.Text(3), id, D::kChannel);
    if (!report) return report.error();
    stored.report = std::move(*report);
    stored.branding_version = q.Int(4);
    return std::optional<StoredReport>(std::move(stored));
  }

  Result<std::optional<ReportHead>> GetReportHead(ReportId id) override {
    auto conn = pool_.Acquire();
    Query q(*conn, Sql::kGetReportHead, "GetReportHead");
    q.Bind(id.value);
    Result<bool> row = q.Step();
    if (!row) return row.error();
    if (!*row) return std::optional<ReportHead>();
    // PutReport wrote the status from a valid Report: anything else is a damaged row.
    std::optional<InviteStatus> status = domain::ParseInviteStatus(q.Raw(2));
    if (!status) return q.Fail("stored invite_status does not parse");
    return std::optional<ReportHead>(
        ReportHead{CompanyId{q.Int(0)}, q.Int(1), *status, q.Int(3), q.Int(4)});
  }

  Result<PutOutcome> PutReport(CompanyId company, const Report& report, Instant at,
                               std::span<const domain::Event> events) override {
    // Encoded before the checkout, so the connection is held only for the SQL.
    const ReportRow row = MakeReportRow(company, report, at);
    auto conn = pool_.Acquire();
    return D::PutReport(*conn, row, events);
  }

  Result<std::vector<Result<PutOutcome>>> PutReports(CompanyId company,
                                                     std::span<const Report> reports,
                                                     Instant at) override {
    constexpr std::string_view op = "PutReports";
    if (reports.empty()) return std::vector<Result<PutOutcome>>();
    // Encoded before the checkout, as in PutReport.
    std::vector<ReportRow> rows;
    rows.reserve(reports.size());
    for (const Report& report : reports) rows.push_back(MakeReportRow(company, report, at));
    auto conn = pool_.Acquire();
    Transaction<Connection> tx(*conn, op);
    RS_RETURN_IF_ERROR(tx.Begin());
    Result<std::vector<Result<PutOutcome>>> outcomes = D::PutReports(*conn, rows);
    if (!outcomes) return outcomes.error();
    RS_RETURN_IF_ERROR(tx.Commit());
    return outcomes;
  }

  // --- branding ---

  Result<Branding> GetBranding(CompanyId company) override {
    auto conn = pool_.Acquire();
    Query q(*conn, Sql::kGetBranding, "GetBranding");
    q.Bind(company.value);
    Result<std::optional<Branding>> row =
        ReadOptional(q, [](const Query& r) { return ReadBrandingRow(r); });
    if (!row) return row.error();
    if (!*row) return Branding{};
    return std::move(**row);
  }

  Result<Branding> UpdateBranding(CompanyId company, const domain::BrandingChange& change,
                                  Instant at) override {
    auto conn = pool_.Acquire();
    Query q(*conn, Sql::kUpdateBranding, "UpdateBranding");
    BindBrandingChange(q, company, change, at);
    // Read to the end, so the statement (and its implicit transaction) is
    // done before the row is returned.
    Result<std::vector<Branding>> rows =
        ReadAll(q, [](const Query& r) { return ReadBrandingRow(r); });
    if (!rows) return rows.error();
    if (rows->empty()) return Status::NotFound("company not found");
    return std::move(rows->front());
  }

  // --- links ---

  Status InsertLink(const LinkRecord& link) override {
    auto conn = pool_.Acquire();
    Query q(*conn, Sql::kInsertLink, "InsertLink");
    BindLink(q, link);
    return RunInsert(q);
  }

  Status InsertLinks(const std::vector<LinkRecord>& links,
                     std::span<const domain::Event> events) override {
    constexpr std::string_view op = "InsertLinks";
    if (links.empty()) return Status::Ok();
    auto conn = pool_.Acquire();
    Transaction<Connection> tx(*conn, op);
    RS_RETURN_IF_ERROR(tx.Begin());
    for (const LinkRecord& link : links) {
      Query q(*conn, Sql::kInsertLink, op);
      BindLink(q, link);
      RS_RETURN_IF_ERROR(RunInsert(q));
    }
    RS_RETURN_IF_ERROR(WriteEvents<D>(*conn, events, op));
    return tx.Commit();
  }

  Result<std::optional<LinkRecord>> GetLink(const LinkId& id) override {
    auto conn = pool_.Acquire();
    Query q(*conn, Sql::kGetLink, "GetLink");
    q.Bind(Bytes(id));
    return ReadOptional(q, [](const Query& r) { return ReadLinkRow(r); });
  }

  Result<std::vector<LinkRecord>> ListLinks(CompanyId company, ReportId report) override {
    auto conn = pool_.Acquire();
    Query q(*conn, Sql::kListLinks, "ListLinks");
    q.Bind(company.value).Bind(report.value);
    return ReadAll(q, [](const Query& r) { return ReadLinkRow(r); });
  }

  Result<int64_t> RevokeLink(CompanyId company, ReportId report, const LinkId& id,
                             Instant at) override {
    constexpr std::string_view op = "RevokeLink";
    auto conn = pool_.Acquire();
    {
      Transaction<Connection> tx(*conn, op);
      RS_RETURN_IF_ERROR(tx.Begin());
      auto recipient = [&] {
        Query q(*conn, Sql::kRevokeLink, op);
        q.Bind(at).Bind(Bytes(id)).Bind(company.value).Bind(report.value);
        return ReadOptional(q, [](const Query& r) { return ReadOptionalText(r, 0); });
      }();
      if (!recipient) return recipient.error();
      if (recipient->has_value()) {
        const domain::Event event = domain::LinkRevokedEvent(company, report, id, **recipient, at);
        RS_RETURN_IF_ERROR(WriteEvents<D>(*conn, {&event, 1}, op));
        RS_RETURN_IF_ERROR(tx.Commit());
        return int64_t{1};
      }
    }
    // Links are never deleted: if the update missed, the link is revoked or
    // not this company's and report's.
    RS_RETURN_IF_ERROR(FindOwnedLink<D>(*conn, company, report, id, op));
    return int64_t{0};
  }

  Result<int64_t> RevokeAllLinks(CompanyId company, ReportId report, Instant at) override {
    constexpr std::string_view op = "RevokeAllLinks";
    auto conn = pool_.Acquire();
    Transaction<Connection> tx(*conn, op);
    RS_RETURN_IF_ERROR(tx.Begin());
    Result<std::vector<domain::Event>> events = [&]() -> Result<std::vector<domain::Event>> {
      Query q(*conn, Sql::kRevokeAllLinks, op);
      q.Bind(at).Bind(company.value).Bind(report.value);
      return ReadAll(q, [&](const Query& r) {
        LinkId id;
        r.Blob(0, id.bytes);
        return domain::LinkRevokedEvent(company, report, id, ReadOptionalText(r, 1), at);
      });
    }();
    if (!events) return events.error();
    RS_RETURN_IF_ERROR(WriteEvents<D>(*conn, *events, op));
    RS_RETURN_IF_ERROR(tx.Commit());
    return static_cast<int64_t>(events->size());
  }

  Result<bool> ClaimView(const LinkId& id) override {
    auto conn = pool_.Acquire();
    Query q(*conn, Sql::kClaimView, "ClaimView");
    q.Bind(Bytes(id));
    RS_RETURN_IF_ERROR(q.Run());
    return q.Changes() == 1;
  }

  Status ReturnView(const LinkId& id) override {
    auto conn = pool_.Acquire();
    Query q(*conn, Sql::kReturnView, "ReturnView");
    q.Bind(Bytes(id));
    return q.Run();
  }

  Result<std::array<uint8_t, 32>> PseudonymKey(CompanyId company,
                                               const std::array<uint8_t, 32>& fresh) override {
    constexpr std::string_view op = "PseudonymKey";
    auto conn = pool_.Acquire();
    {
      Query set(*conn, Sql::kSetPseudonymKey, op);
      set.Bind(std::span<const uint8_t>(fresh)).Bind(company.value);
      RS_RETURN_IF_ERROR(set.Run());
    }
    Query get(*conn, Sql::kGetPseudonymKey, op);
    get.Bind(company.value);
    auto key = ReadOptional(get, [](const Query& r) {
      std::array<uint8_t, 32> out;
      r.Blob(0, out);
      return std::make_pair(r.IsNull(0), out);
    });
    if (!key) return key.error();
    if (!*key || (*key)->first) return get.Fail("company has no pseudonym key");
    return (*key)->second;
  }

  Status RecordOpens(const std::vector<LinkOpen>& opens) override {
    constexpr std::string_view op = "RecordOpens";
    if (opens.empty()) return Status::Ok();
    auto conn = pool_.Acquire();
    Transaction<Connection> tx(*conn, op);
    RS_RETURN_IF_ERROR(tx.Begin());
    Result<ViewTotals> views = D::WriteOpens(*conn, opens);
    if (!views) return views.error();
    std::vector<LinkOpen> filled;  // a copy only when an event needs the link's row
    auto with_rows = FillFromLinkRows(*conn, opens, filled, op);
    if (!with_rows) return with_rows.error();
    const std::vector<domain::Event> events = domain::OpenEvents(**with_rows, *views);
    RS_RETURN_IF_ERROR(WriteEvents<D>(*conn, events, op));
    return tx.Commit();
  }

  Result<std::vector<LinkOpen>> ListOpens(CompanyId company, ReportId report, const LinkId& id,
                                          int limit) override {
    constexpr std::string_view op = "ListOpens";
    auto conn = pool_.Acquire();
    RS_RETURN_IF_ERROR(FindOwnedLink<D>(*conn, company, report, id, op));
    Query q(*conn, Sql::kListOpens, op);
    q.Bind(Bytes(id)).Bind(int64_t{limit});
    return ReadAll(q, [&id](const Query& r) { return ReadOpenRow(r, id); });
  }

  // --- webhooks and the outbox ---

  Status InsertWebhook(const domain::Webhook& webhook) override {
    auto conn = pool_.Acquire();
    Query q(*conn, Sql::kInsertWebhook, "InsertWebhook");
    BindWebhook(q, webhook);
    return RunInsert(q, "webhook id already exists");
  }

  Result<std::vector<domain::Webhook>> ListWebhooks(CompanyId company) override {
    auto conn = pool_.Acquire();
    Query q(*conn, Sql::kListWebhooks, "ListWebhooks");
    q.Bind(company.value);
    return ReadAll(q, [](const Query& r) { return ReadWebhookRow(r); });
  }

  Result<std::optional<domain::Webhook>> GetWebhook(std::string_view webhook_id) override {
    auto conn = pool_.Acquire();
    Query q(*conn, Sql::kGetWebhook, "GetWebhook");
    q.Bind(webhook_id);
    return ReadOptional(q, [](const Query& r) { return ReadWebhookRow(r); });
  }

  Result<bool> DeleteWebhook(CompanyId company, std::string_view webhook_id) override {
    constexpr std::string_view op = "DeleteWebhook";
    auto conn = pool_.Acquire();
    Transaction<Connection> tx(*conn, op);
    RS_RETURN_IF_ERROR(tx.Begin());
    {
      Query q(*conn, Sql::kDeleteWebhookDeliveries, op);
      q.Bind(webhook_id).Bind(company.value);
      RS_RETURN_IF_ERROR(q.Run());
    }
    Query q(*conn, Sql::kDeleteWebhook, op);
    q.Bind(webhook_id).Bind(company.value);
    RS_RETURN_IF_ERROR(q.Run());
    const bool deleted = q.Changes() == 1;
    RS_RETURN_IF_ERROR(tx.Commit());
    return deleted;
  }

  Status InsertEvents(std::span<const domain::Event> events) override {
    constexpr std::string_view op = "InsertEvents";
    if (events.empty()) return Status::Ok();
    auto conn = pool_.Acquire();
    Transaction<Connection> tx(*conn, op);
    RS_RETURN_IF_ERROR(tx.Begin());
    RS_RETURN_IF_ERROR(WriteEvents<D>(*conn, events, op));
    return tx.Commit();
  }

  Result<std::vector<domain::Delivery>> ListDeliveries(std::string_view webhook_id,
                                                       int limit) override {
    auto conn = pool_.Acquire();
    Query q(*conn, Sql::kListDeliveries, "ListDeliveries");
    q.Bind(webhook_id).Bind(int64_t{limit});
    return ReadAll(q, [](const Query& r) { return ReadDeliveryRow(r); });
  }

  Status RetryDelivery(std::string_view webhook_id, std::string_view delivery_id,
                       Instant at) override {
    auto conn = pool_.Acquire();
    Query q(*conn, Sql::kRetryDelivery, "RetryDelivery");
    q.Bind(at).Bind(delivery_id).Bind(webhook_id);
    RS_RETURN_IF_ERROR(q.Run());
    if (q.Changes() == 0) return Status::NotFound("delivery not found");
    return Status::Ok();
  }

  Result<std::vector<std::string>> DueWebhooks(Instant now, int limit) override {
    auto conn = pool_.Acquire();
    Query q(*conn, Sql::kDueWebhooks, "DueWebhooks");
    q.Bind(now).Bind(int64_t{limit});
    return ReadAll(q, [](const Query& r) { return r.Text(0); });
  }

  Result<std::vector<ClaimedDelivery>> ClaimDeliveries(std::string_view webhook_id, Instant now,
                                                       Instant lease_until, std::string_view claim,
                                                       int limit) override {
    auto conn = pool_.Acquire();
    Query q(*conn, Sql::kClaimDeliveries, "ClaimDeliveries");
    q.Bind(claim).Bind(lease_until).Bind(webhook_id).Bind(now).Bind(int64_t{limit});
    auto rows = ReadAll(q, [](const Query& r) {
      return std::make_pair(
          r.Int(4), ClaimedDelivery{r.Text(0), ReadEventType(r.Raw(1)), r.Text(2), r.Int(3)});
    });
    if (!rows) return rows.error();
    // RETURNING keeps no order: oldest due first, as the subquery chose them.
    std::sort(rows->begin(), rows->end(), [](const auto& a, const auto& b) {
      return std::tie(a.first, a.second.delivery_id) < std::tie(b.first, b.second.delivery_id);
    });
    std::vector<ClaimedDelivery> out;
    out.reserve(rows->size());
    for (auto& row : *rows) out.push_back(std::move(row.second));
    return out;
  }

  Status FinishAttempts(std::span<const AttemptResult> results) override {
    constexpr std::string_view op = "FinishAttempts";
    if (results.empty()) return Status::Ok();
    auto conn = pool_.Acquire();
    Transaction<Connection> tx(*conn, op);
    RS_RETURN_IF_ERROR(tx.Begin());
    for (const AttemptResult& result : results) {
      {
        Query q(*conn, Sql::kFinishAttempt, op);
        q.BindOptional(result.status)
            .BindOptional(result.error ? std::optional<std::string_view>(*result.error)
                                       : std::nullopt)
            .Bind(result.delivered_at)
            .Bind(result.next_attempt_at)
            .Bind(result.delivery_id)
            .Bind(result.claim);
        RS_RETURN_IF_ERROR(q.Run());
        // A result that comes back after its lease ran out (another node has
        // the delivery now) decides nothing, a 410 included.
        if (q.Changes() == 0 || !result.disable_at) continue;
      }
      {
        Query q(*conn, Sql::kDisableWebhook, op);
        q.Bind(*result.disable_at).Bind(result.webhook_id);
        RS_RETURN_IF_ERROR(q.Run());
      }
      Query q(*conn, Sql::kFailPendingDeliveries, op);
      q.Bind(result.webhook_id);
      RS_RETURN_IF_ERROR(q.Run());
    }
    return tx.Commit();
  }

  Result<OutboxStats> GetOutboxStats() override {
    auto conn = pool_.Acquire();
    Query q(*conn, Sql::kOutboxStats, "GetOutboxStats");
    return ReadOne(q, [](const Query& r) { return OutboxStats{r.Int(0), r.OptionalAt(1)}; });
  }

  Result<bool> HasLinks() override {
    auto conn = pool_.Acquire();
    Query q(*conn, Sql::kHasLinks, "HasLinks");
    return ReadOne(q, [](const Query& r) { return r.Int(0) != 0; });
  }

  Status Ping() override {
    auto conn = pool_.Acquire();
    Query q(*conn, Sql::kPing, "Ping");
    return q.Run();
  }

 private:
  // `opens`, or (in `copy`) the opens with each event marked from_link_row
  // filled in from its link's row; such an event of an unknown link is dropped.
  Result<const std::vector<LinkOpen>*> FillFromLinkRows(Connection& conn,
                                                        const std::vector<LinkOpen>& opens,
                                                        std::vector<LinkOpen>& copy,
                                                        std::string_view op) {
    const auto needs_row = [](const LinkOpen& o) { return o.event && o.event->from_link_row; };
    if (std::none_of(opens.begin(), opens.end(), needs_row)) return &opens;
    copy = opens;
    for (LinkOpen& o : copy) {
      if (!needs_row(o)) continue;
      Query q(conn, Sql::kGetLink, op);
      q.Bind(Bytes(o.link_id));
      auto link = ReadOptional(q, [](const Query& r) { return ReadLinkRow(r); });
      if (!link) return link.error();
      if (!*link) {
        o.event.reset();
        continue;
      }
      o.event->company = (*link)->company_id;
      o.event->report = (*link)->report_id;
      o.event->recipient = (*link)->options.recipient;
      o.event->from_link_row = false;
    }
    return &copy;
  }

  static std::vector<std::unique_ptr<Connection>> CountingOutboxCommits(
      std::vector<std::unique_ptr<Connection>> connections, std::atomic<uint64_t>& commits) {
    for (auto& conn : connections) conn->outbox.commits = &commits;
    return connections;
  }

  std::atomic<uint64_t> outbox_commits_{0};
  Pool<Connection> pool_;
};

// Opens a store of `pool_size` connections, each made by `open_one()` (a
// Result<std::unique_ptr<D::Connection>>), migrating on the first
// (MigrateOnOpen, naming `database`) before the others are opened. Returns
// the first failure. REQUIRES: pool_size >= 1.
template <class D, class Base, class OpenOne>
Result<std::unique_ptr<Base>> OpenStore(int pool_size, std::string_view database,
                                        OpenOne open_one) {
  std::vector<std::unique_ptr<typename D::Connection>> connections;
  for (int i = 0; i < pool_size; ++i) {
    Result<std::unique_ptr<typename D::Connection>> conn = open_one();
    if (!conn) return conn.error();
    connections.push_back(std::move(*conn));
    if (i == 0) RS_RETURN_IF_ERROR(MigrateOnOpen<D>(*connections.front(), database));
  }
  return std::unique_ptr<Base>(std::make_unique<SqlStore<D, Base>>(std::move(connections)));
}

}  // namespace reportshare::store::sql
