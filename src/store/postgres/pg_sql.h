#pragma once

// The SQL text of the PostgreSQL backend: every statement it runs (besides
// the migrations of sql/schema.h and transaction control), with $N
// parameters. The statements shared code runs have the same names in
// sqlite/sqlite_sql.h; the bindings are in sql/sql_store.h, sql/migrate.h and,
// for the statements under "backend only", postgres_store.cc.

#include <string_view>

#include "store/sql/rows.h"

namespace reportshare::store::postgres {

struct Sql {
  // --- schema (sql/migrate.h) ---
  static constexpr std::string_view kMigrationApplied =
      "SELECT 1 FROM schema_migrations WHERE version = $1";
  static constexpr std::string_view kRecordMigration =
      "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)";
  static constexpr std::string_view kSchemaVersion =
      "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";

  // --- companies and API keys ---
  static constexpr std::string_view kInsertApiKey =
      "INSERT INTO api_keys (key_id, company_id, key_hash, created_at) VALUES ($1, $2, $3, $4)";
  static constexpr std::string_view kFindApiKey =
      "SELECT k.company_id, c.name, k.key_id FROM api_keys k "
      "JOIN companies c ON c.id = k.company_id "
      "WHERE k.key_hash = $1 AND k.revoked_at IS NULL";
  // COLLATE "C": byte order, as SQLite's BINARY, whatever the database locale.
  static constexpr std::string_view kListApiKeys =
      "SELECT k.key_id, c.name, k.created_at, k.revoked_at FROM api_keys k "
      "JOIN companies c ON c.id = k.company_id ORDER BY k.created_at, k.key_id COLLATE \"C\"";
  static constexpr std::string_view kRevokeApiKey =
      "UPDATE api_keys SET revoked_at = $1 WHERE key_id = $2 AND revoked_at IS NULL";
  static constexpr std::string_view kApiKeyExists = "SELECT 1 FROM api_keys WHERE key_id = $1";

  // --- reports ---
  // Both also read the owner's branding version (0 if it never set any).
  static constexpr std::string_view kGetReport =
      "SELECT r.company_id, c.name, r.version, r.body, COALESCE(b.version, 0) FROM reports r "
      "JOIN companies c ON c.id = r.company_id "
      "LEFT JOIN branding b ON b.company_id = r.company_id WHERE r.report_id = $1";
  // assessment_id is read from the body as json (not jsonb: no conversion of
  // the whole document), without building the report.
  static constexpr std::string_view kGetReportHead =
      "SELECT r.company_id, r.version, r.invite_status, "
      "(r.body::json ->> 'assessment_id')::bigint, COALESCE(b.version, 0) FROM reports r "
      "LEFT JOIN branding b ON b.company_id = r.company_id WHERE r.report_id = $1";

  // --- branding ---
  static constexpr std::string_view kGetBranding =
      "SELECT " RS_BRANDING_COLUMNS " FROM branding WHERE company_id = $1";
  // One statement, so two changes of different fields never lose either: ON
  // CONFLICT locks the existing row and the SET reads its latest version, on
  // any node. $1 company, $2-$9 the columns of a new row, $10 updated_at,
  // $11-$15 keep flags (sql/rows.h BindBrandingChange); the casts type the
  // parameters of the SELECT. No row comes back if the company does not exist.
  static constexpr std::string_view kUpdateBranding =
      "INSERT INTO branding (company_id, display_name, primary_color, logo_png, logo_sha256, "
      "logo_width, logo_height, footer_text, public_url, version, updated_at) "
      "SELECT $1::bigint, $2::text, $3::text, $4::bytea, $5::text, $6::integer, $7::integer, "
      "$8::text, $9::text, 1, $10::bigint "
      "WHERE EXISTS (SELECT 1 FROM companies WHERE id = $1::bigint) "
      "ON CONFLICT (company_id) DO UPDATE SET "
      "display_name = CASE WHEN $11::integer = 1 THEN branding.display_name "
      "ELSE EXCLUDED.display_name END, "
      "primary_color = CASE WHEN $12::integer = 1 THEN branding.primary_color "
      "ELSE EXCLUDED.primary_color END, "
      "logo_png = CASE WHEN $13::integer = 1 THEN branding.logo_png ELSE EXCLUDED.logo_png END, "
      "logo_sha256 = CASE WHEN $13::integer = 1 THEN branding.logo_sha256 "
      "ELSE EXCLUDED.logo_sha256 END, "
      "logo_width = CASE WHEN $13::integer = 1 THEN branding.logo_width "
      "ELSE EXCLUDED.logo_width END, "
      "logo_height = CASE WHEN $13::integer = 1 THEN branding.logo_height "
      "ELSE EXCLUDED.logo_height END, "
      "footer_text = CASE WHEN $14::integer = 1 THEN branding.footer_text "
      "ELSE EXCLUDED.footer_text END, "
      "public_url = CASE WHEN $15::integer = 1 THEN branding.public_url "
      "ELSE EXCLUDED.public_url END, "
      "version = branding.version + 1, updated_at = EXCLUDED.updated_at "
      "RETURNING " RS_BRANDING_COLUMNS;

  // --- links ---
  // ON CONFLICT (link_id): only a repeated id is a no-op; a broken foreign key
  // or check still fails.
  static constexpr std::string_view kInsertLink =
      "INSERT INTO links (" RS_LINK_COLUMNS
      ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) "
      "ON CONFLICT (link_id) DO NOTHING";
  static constexpr std::string_view kGetLink =
      "SELECT " RS_LINK_COLUMNS " FROM links WHERE link_id = $1";
  // bytea compares bytewise, as SQLite's BLOB: the same tie-break.
  static constexpr std::string_view kListLinks =
      "SELECT " RS_LINK_COLUMNS
      " FROM links WHERE company_id = $1 AND report_id = $2 ORDER BY created_at DESC, link_id";
  static constexpr std::string_view kRevokeLink =
      "UPDATE links SET revoked_at = $1 "
      "WHERE link_id = $2 AND company_id = $3 AND report_id = $4 AND revoked_at IS NULL "
      "RETURNING recipient";
  static constexpr std::string_view kLinkOwned =
      "SELECT 1 FROM links WHERE link_id = $1 AND company_id = $2 AND report_id = $3";
  static constexpr std::string_view kRevokeAllLinks =
      "UPDATE links SET revoked_at = $1 "
      "WHERE company_id = $2 AND report_id = $3 AND revoked_at IS NULL AND expires_at > $1 "
      "RETURNING link_id, recipient";
  // One view taken against a view limit, or none when the limit is reached
  // (the row lock makes concurrent claims on every node wait their turn).
  static constexpr std::string_view kClaimView =
      "UPDATE links SET views_used = views_used + 1 "
      "WHERE link_id = $1 AND max_views IS NOT NULL AND views_used < max_views";
  static constexpr std::string_view kReturnView =
      "UPDATE links SET views_used = views_used - 1 WHERE link_id = $1 AND views_used > 0";
  static constexpr std::string_view kSetPseudonymKey =
      "UPDATE companies SET pseudonym_key = $1 WHERE id = $2 AND pseudonym_key IS NULL";
  static constexpr std::string_view kGetPseudonymKey =
      "SELECT pseudonym_key FROM companies WHERE id = $1";
  static constexpr std::string_view kListOpens =
      "SELECT at, status, client, network, counted FROM link_opens WHERE link_id = $1 "
      "ORDER BY at DESC, id DESC LIMIT $2";
  // --- webhooks and the outbox ---
  static constexpr std::string_view kInsertWebhook =
      "INSERT INTO webhooks (" RS_WEBHOOK_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
  static constexpr std::string_view kListWebhooks =
      "SELECT " RS_WEBHOOK_COLUMNS
      " FROM webhooks WHERE company_id = $1 ORDER BY created_at, webhook_id";
  static constexpr std::string_view kGetWebhook =
      "SELECT " RS_WEBHOOK_COLUMNS " FROM webhooks WHERE webhook_id = $1";
  static constexpr std::string_view kDeleteWebhookDeliveries =
      "DELETE FROM webhook_deliveries WHERE webhook_id = $1 AND EXISTS "
      "(SELECT 1 FROM webhooks WHERE webhook_id = $1 AND company_id = $2)";
  static constexpr std::string_view kDeleteWebhook =
      "DELETE FROM webhooks WHERE webhook_id = $1 AND company_id = $2";
  // The webhooks an event of one company goes to, and the one a test goes to.
  static constexpr std::string_view kSubscribedWebhooks =
      "SELECT webhook_id, events FROM webhooks WHERE company_id = $1 AND disabled_at IS NULL";
  static constexpr std::string_view kActiveWebhook =
      "SELECT webhook_id, events FROM webhooks WHERE webhook_id = $1 AND disabled_at IS NULL";
  static constexpr std::string_view kListDeliveries =
      "SELECT " RS_DELIVERY_COLUMNS
      " FROM webhook_deliveries WHERE webhook_id = $1 "
      "ORDER BY created_at DESC, delivery_id DESC LIMIT $2";
  static constexpr std::string_view kRetryDelivery =
      "UPDATE webhook_deliveries SET next_attempt_at = $1, claim = NULL, claimed_until = NULL "
      "WHERE delivery_id = $2 AND webhook_id = $3";
  static constexpr std::string_view kDueWebhooks =
      "SELECT DISTINCT webhook_id FROM webhook_deliveries WHERE next_attempt_at <= $1 "
      "AND (claimed_until IS NULL OR claimed_until <= $1) LIMIT $2";
  // Rows another node is claiming at this moment are skipped, not waited for.
  static constexpr std::string_view kClaimDeliveries =
      "UPDATE webhook_deliveries SET claim = $1, claimed_until = $2 WHERE delivery_id IN "
      "(SELECT delivery_id FROM webhook_deliveries WHERE webhook_id = $3 "
      "AND next_attempt_at <= $4 AND (claimed_until IS NULL OR claimed_until <= $4) "
      "ORDER BY next_attempt_at, delivery_id LIMIT $5 FOR UPDATE SKIP LOCKED) "
      "RETURNING delivery_id, event_type, body, attempts, next_attempt_at";
  static constexpr std::string_view kFinishAttempt =
      "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $1, last_error = $2, "
      "delivered_at = COALESCE($3, delivered_at), next_attempt_at = $4, claim = NULL, "
      "claimed_until = NULL WHERE delivery_id = $5 AND claim = $6";
  static constexpr std::string_view kDisableWebhook =
      "UPDATE webhooks SET disabled_at = $1 WHERE webhook_id = $2 AND disabled_at IS NULL";
  static constexpr std::string_view kFailPendingDeliveries =
      "UPDATE webhook_deliveries SET next_attempt_at = NULL, last_error = 'webhook disabled', "
      "claim = NULL, claimed_until = NULL WHERE webhook_id = $1 AND next_attempt_at IS NOT NULL";
  static constexpr std::string_view kOutboxStats =
      "SELECT COUNT(*), MIN(created_at) FROM webhook_deliveries WHERE next_attempt_at IS NOT NULL";

  static constexpr std::string_view kHasLinks = "SELECT EXISTS (SELECT 1 FROM links)";
  static constexpr std::string_view kPing = "SELECT 1";

  // --- backend only ---
  static constexpr std::string_view kLockMigrations = "SELECT pg_advisory_lock($1)";
  static constexpr std::string_view kUnlockMigrations = "SELECT pg_advisory_unlock($1)";
  static constexpr std::string_view kFindCompany = "SELECT id FROM companies WHERE name = $1";
  static constexpr std::string_view kInsertCompany =
      "INSERT INTO companies (name, created_at) VALUES ($1, $2) "
      "ON CONFLICT (name) DO NOTHING RETURNING id";
  // One statement does the owner check, the create-or-replace and the version
  // bump atomically: ON CONFLICT locks the existing row, so concurrent puts
  // from any number of nodes serialize on it and each adds exactly one to the
  // version. The WHERE leaves another company's row untouched and returns no
  // row. A replaced report is at version 2 or more, so version 1 means created.
  static constexpr std::string_view kPutReport =
      "INSERT INTO reports (report_id, company_id, version, body, invite_status, updated_at) "
      "VALUES ($1, $2, 1, $3, $4, $5) "
      "ON CONFLICT (report_id) DO UPDATE SET version = reports.version + 1, "
      "body = EXCLUDED.body, invite_status = EXCLUDED.invite_status, "
      "updated_at = EXCLUDED.updated_at "
      "WHERE reports.company_id = EXCLUDED.company_id "
      "RETURNING version";
  // kPutReport for a batch: $1 company, $2 updated_at, $3 one JSON array of
  // {i: report id, b: body, s: invite status}, whose ids are distinct (ON
  // CONFLICT may not touch a row twice in one statement). The rows go in id
  // order, so two batches lock the rows they share in the same order.
  static constexpr std::string_view kPutReports =
      "INSERT INTO reports (report_id, company_id, version, body, invite_status, updated_at) "
      "SELECT (x->>'i')::bigint, $1::bigint, 1, x->>'b', x->>'s', $2::bigint "
      "FROM json_array_elements($3::text::json) AS x ORDER BY (x->>'i')::bigint "
      "ON CONFLICT (report_id) DO UPDATE SET version = reports.version + 1, "
      "body = EXCLUDED.body, invite_status = EXCLUDED.invite_status, "
      "updated_at = EXCLUDED.updated_at "
      "WHERE reports.company_id = EXCLUDED.company_id "
      "RETURNING report_id, version";
  // A batch of opens as one JSON array of {l: hex link id, a: at, s: status,
  // c: client, n: network, k: counted}.
  static constexpr std::string_view kInsertOpens =
      "INSERT INTO link_opens (link_id, at, status, client, network, counted) "
      "SELECT decode(t.x->>'l', 'hex'), (t.x->>'a')::bigint, (t.x->>'s')::int, t.x->>'c', "
      "t.x->>'n', (t.x->>'k')::int "
      "FROM jsonb_array_elements($1::text::jsonb) WITH ORDINALITY AS t(x, i) "
      "WHERE EXISTS (SELECT 1 FROM links WHERE links.link_id = decode(t.x->>'l', 'hex')) "
      "ORDER BY t.i";
  // Outbox rows as one JSON array of {i: delivery id, w: webhook id, t: type,
  // b: body, a: created and first due}.
  static constexpr std::string_view kInsertDeliveries =
      "INSERT INTO webhook_deliveries (delivery_id, webhook_id, event_type, body, created_at, "
      "attempts, next_attempt_at) "
      "SELECT x->>'i', x->>'w', x->>'t', x->>'b', (x->>'a')::bigint, 0, (x->>'a')::bigint "
      "FROM jsonb_array_elements($1::text::jsonb) AS x";
  // The views of a batch as one JSON array of {l: hex link id, n: count, a:
  // latest at}.
  static constexpr std::string_view kAddViews =
      "UPDATE links SET views = links.views + v.n, "
      "last_viewed_at = GREATEST(COALESCE(links.last_viewed_at, v.a), v.a) "
      "FROM (SELECT decode(x->>'l', 'hex') AS link_id, (x->>'n')::bigint AS n, "
      "(x->>'a')::bigint AS a FROM jsonb_array_elements($1::text::jsonb) AS x) AS v "
      "WHERE links.link_id = v.link_id RETURNING links.link_id, links.views";
};

}  // namespace reportshare::store::postgres
