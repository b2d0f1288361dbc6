#pragma once

// The SQL text of the SQLite backend: every statement it runs (besides the
// migrations of sql/schema.h and transaction control), with `?` parameters
// (`?N` where one is used twice). The statements shared code runs have the
// same names in postgres/pg_sql.h; the bindings are in sql/sql_store.h,
// sql/migrate.h and, for the statements under "backend only",
// sqlite_store.cc.

#include <string_view>

#include "store/sql/rows.h"

namespace reportshare::store::sqlite {

struct Sql {
  // --- schema (sql/migrate.h) ---
  static constexpr std::string_view kMigrationApplied =
      "SELECT 1 FROM schema_migrations WHERE version = ?";
  static constexpr std::string_view kRecordMigration =
      "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)";
  static constexpr std::string_view kSchemaVersion =
      "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";

  // --- companies and API keys ---
  static constexpr std::string_view kInsertApiKey =
      "INSERT INTO api_keys (key_id, company_id, key_hash, created_at) VALUES (?, ?, ?, ?)";
  static constexpr std::string_view kFindApiKey =
      "SELECT k.company_id, c.name, k.key_id FROM api_keys k "
      "JOIN companies c ON c.id = k.company_id "
      "WHERE k.key_hash = ? AND k.revoked_at IS NULL";
  static constexpr std::string_view kListApiKeys =
      "SELECT k.key_id, c.name, k.created_at, k.revoked_at FROM api_keys k "
      "JOIN companies c ON c.id = k.company_id ORDER BY k.created_at, k.key_id";
  static constexpr std::string_view kRevokeApiKey =
      "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL";
  static constexpr std::string_view kApiKeyExists = "SELECT 1 FROM api_keys WHERE key_id = ?";

  // --- reports ---
  // Both also read the owner's branding version (0 if it never set any).
  static constexpr std::string_view kGetReport =
      "SELECT r.company_id, c.name, r.version, r.body, COALESCE(b.version, 0) FROM reports r "
      "JOIN companies c ON c.id = r.company_id "
      "LEFT JOIN branding b ON b.company_id = r.company_id WHERE r.report_id = ?";
  // assessment_id is read from the body by SQLite's JSON functions, in C,
  // without building the report.
  static constexpr std::string_view kGetReportHead =
      "SELECT r.company_id, r.version, r.invite_status, json_extract(r.body, '$.assessment_id'), "
      "COALESCE(b.version, 0) FROM reports r "
      "LEFT JOIN branding b ON b.company_id = r.company_id WHERE r.report_id = ?";

  // --- branding ---
  static constexpr std::string_view kGetBranding =
      "SELECT " RS_BRANDING_COLUMNS " FROM branding WHERE company_id = ?";
  // One statement, so two changes of different fields never lose either: the
  // upsert reads the row it updates under the write lock. ?1 company, ?2-?9
  // the columns of a new row, ?10 updated_at, ?11-?15 keep flags
  // (sql/rows.h BindBrandingChange). No row comes back if the company does
  // not exist.
  static constexpr std::string_view kUpdateBranding =
      "INSERT INTO branding (company_id, display_name, primary_color, logo_png, logo_sha256, "
      "logo_width, logo_height, footer_text, public_url, version, updated_at) "
      "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10 "
      "WHERE EXISTS (SELECT 1 FROM companies WHERE id = ?1) "
      "ON CONFLICT (company_id) DO UPDATE SET "
      "display_name = CASE WHEN ?11 = 1 THEN branding.display_name ELSE excluded.display_name END, "
      "primary_color = CASE WHEN ?12 = 1 THEN branding.primary_color "
      "ELSE excluded.primary_color END, "
      "logo_png = CASE WHEN ?13 = 1 THEN branding.logo_png ELSE excluded.logo_png END, "
      "logo_sha256 = CASE WHEN ?13 = 1 THEN branding.logo_sha256 ELSE excluded.logo_sha256 END, "
      "logo_width = CASE WHEN ?13 = 1 THEN branding.logo_width ELSE excluded.logo_width END, "
      "logo_height = CASE WHEN ?13 = 1 THEN branding.logo_height ELSE excluded.logo_height END, "
      "footer_text = CASE WHEN ?14 = 1 THEN branding.footer_text ELSE excluded.footer_text END, "
      "public_url = CASE WHEN ?15 = 1 THEN branding.public_url ELSE excluded.public_url END, "
      "version = branding.version + 1, updated_at = excluded.updated_at "
      "RETURNING " RS_BRANDING_COLUMNS;

  // --- links ---
  // ON CONFLICT (link_id) rather than INSERT OR IGNORE: only a repeated id is
  // a no-op; a broken foreign key or check still fails.
  static constexpr std::string_view kInsertLink =
      "INSERT INTO links (" RS_LINK_COLUMNS
      ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (link_id) DO NOTHING";
  static constexpr std::string_view kGetLink =
      "SELECT " RS_LINK_COLUMNS " FROM links WHERE link_id = ?";
  static constexpr std::string_view kListLinks =
      "SELECT " RS_LINK_COLUMNS
      " FROM links WHERE company_id = ? AND report_id = ? ORDER BY created_at DESC, link_id";
  static constexpr std::string_view kRevokeLink =
      "UPDATE links SET revoked_at = ? "
      "WHERE link_id = ? AND company_id = ? AND report_id = ? AND revoked_at IS NULL "
      "RETURNING recipient";
  static constexpr std::string_view kLinkOwned =
      "SELECT 1 FROM links WHERE link_id = ? AND company_id = ? AND report_id = ?";
  static constexpr std::string_view kRevokeAllLinks =
      "UPDATE links SET revoked_at = ?1 "
      "WHERE company_id = ?2 AND report_id = ?3 AND revoked_at IS NULL AND expires_at > ?1 "
      "RETURNING link_id, recipient";
  // One view taken against a view limit, or none when the limit is reached.
  static constexpr std::string_view kClaimView =
      "UPDATE links SET views_used = views_used + 1 "
      "WHERE link_id = ? AND max_views IS NOT NULL AND views_used < max_views";
  static constexpr std::string_view kReturnView =
      "UPDATE links SET views_used = views_used - 1 WHERE link_id = ? AND views_used > 0";
  static constexpr std::string_view kSetPseudonymKey =
      "UPDATE companies SET pseudonym_key = ? WHERE id = ? AND pseudonym_key IS NULL";
  static constexpr std::string_view kGetPseudonymKey =
      "SELECT pseudonym_key FROM companies WHERE id = ?";
  static constexpr std::string_view kListOpens =
      "SELECT at, status, client, network, counted FROM link_opens WHERE link_id = ? "
      "ORDER BY at DESC, id DESC LIMIT ?";
  // --- webhooks and the outbox ---
  static constexpr std::string_view kInsertWebhook =
      "INSERT INTO webhooks (" RS_WEBHOOK_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
  static constexpr std::string_view kListWebhooks =
      "SELECT " RS_WEBHOOK_COLUMNS
      " FROM webhooks WHERE company_id = ? ORDER BY created_at, webhook_id";
  static constexpr std::string_view kGetWebhook =
      "SELECT " RS_WEBHOOK_COLUMNS " FROM webhooks WHERE webhook_id = ?";
  static constexpr std::string_view kDeleteWebhookDeliveries =
      "DELETE FROM webhook_deliveries WHERE webhook_id = ?1 AND EXISTS "
      "(SELECT 1 FROM webhooks WHERE webhook_id = ?1 AND company_id = ?2)";
  static constexpr std::string_view kDeleteWebhook =
      "DELETE FROM webhooks WHERE webhook_id = ? AND company_id = ?";
  // The webhooks an event of one company goes to, and the one a test goes to.
  static constexpr std::string_view kSubscribedWebhooks =
      "SELECT webhook_id, events FROM webhooks WHERE company_id = ? AND disabled_at IS NULL";
  static constexpr std::string_view kActiveWebhook =
      "SELECT webhook_id, events FROM webhooks WHERE webhook_id = ? AND disabled_at IS NULL";
  static constexpr std::string_view kListDeliveries =
      "SELECT " RS_DELIVERY_COLUMNS
      " FROM webhook_deliveries WHERE webhook_id = ? "
      "ORDER BY created_at DESC, delivery_id DESC LIMIT ?";
  static constexpr std::string_view kRetryDelivery =
      "UPDATE webhook_deliveries SET next_attempt_at = ?, claim = NULL, claimed_until = NULL "
      "WHERE delivery_id = ? AND webhook_id = ?";
  static constexpr std::string_view kDueWebhooks =
      "SELECT DISTINCT webhook_id FROM webhook_deliveries WHERE next_attempt_at <= ?1 "
      "AND (claimed_until IS NULL OR claimed_until <= ?1) LIMIT ?2";
  // SQLite runs one write at a time: the update is the claim.
  static constexpr std::string_view kClaimDeliveries =
      "UPDATE webhook_deliveries SET claim = ?1, claimed_until = ?2 WHERE delivery_id IN "
      "(SELECT delivery_id FROM webhook_deliveries WHERE webhook_id = ?3 "
      "AND next_attempt_at <= ?4 AND (claimed_until IS NULL OR claimed_until <= ?4) "
      "ORDER BY next_attempt_at, delivery_id LIMIT ?5) "
      "RETURNING delivery_id, event_type, body, attempts, next_attempt_at";
  static constexpr std::string_view kFinishAttempt =
      "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = ?, last_error = ?, "
      "delivered_at = COALESCE(?, delivered_at), next_attempt_at = ?, claim = NULL, "
      "claimed_until = NULL WHERE delivery_id = ? AND claim = ?";
  static constexpr std::string_view kDisableWebhook =
      "UPDATE webhooks SET disabled_at = ? WHERE webhook_id = ? AND disabled_at IS NULL";
  static constexpr std::string_view kFailPendingDeliveries =
      "UPDATE webhook_deliveries SET next_attempt_at = NULL, last_error = 'webhook disabled', "
      "claim = NULL, claimed_until = NULL WHERE webhook_id = ? AND next_attempt_at IS NOT NULL";
  static constexpr std::string_view kOutboxStats =
      "SELECT COUNT(*), MIN(created_at) FROM webhook_deliveries WHERE next_attempt_at IS NOT NULL";

  static constexpr std::string_view kHasLinks = "SELECT EXISTS (SELECT 1 FROM links)";
  static constexpr std::string_view kPing = "SELECT 1";

  // --- backend only ---
  static constexpr std::string_view kInsertDelivery =
      "INSERT INTO webhook_deliveries (delivery_id, webhook_id, event_type, body, created_at, "
      "attempts, next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?5)";
  static constexpr std::string_view kInsertCompany =
      "INSERT INTO companies (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING";
  static constexpr std::string_view kFindCompany = "SELECT id FROM companies WHERE name = ?";
  static constexpr std::string_view kReportOwner =
      "SELECT company_id FROM reports WHERE report_id = ?";
  static constexpr std::string_view kReplaceReport =
      "UPDATE reports SET version = version + 1, body = ?, invite_status = ?, "
      "updated_at = ? WHERE report_id = ?";
  static constexpr std::string_view kCreateReport =
      "INSERT INTO reports (report_id, company_id, version, body, invite_status, updated_at) "
      "VALUES (?, ?, 1, ?, ?, ?)";
  static constexpr std::string_view kInsertOpen =
      "INSERT INTO link_opens (link_id, at, status, client, network, counted) "
      "SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM links WHERE link_id = ?1)";
  // Views that arrive out of order keep the latest instant.
  static constexpr std::string_view kCountView =
      "UPDATE links SET views = views + 1, last_viewed_at = CASE "
      "WHEN last_viewed_at IS NULL OR last_viewed_at < ?1 THEN ?1 ELSE last_viewed_at END "
      "WHERE link_id = ?2 RETURNING views";
};

}  // namespace reportshare::store::sqlite
