#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "domain/branding.h"
#include "domain/ids.h"
#include "domain/link_record.h"
#include "domain/report.h"
#include "domain/webhook.h"

namespace reportshare::store {

// The identity behind a valid API key.
struct Principal {
  CompanyId company_id;
  std::string company_name;
  std::string key_id;
};

struct ApiKeyInfo {
  std::string key_id;  // short public id, e.g. "k_3f9a1c02b7"
  std::string company_name;
  Instant created_at;
  std::optional<Instant> revoked_at;
};

enum class PutOutcome { kCreated, kReplaced };

// What a share needs of a stored report, read without parsing its body.
struct ReportHead {
  CompanyId company_id;
  int64_t version = 0;
  InviteStatus invite_status = InviteStatus::kPending;
  int64_t assessment_id = 0;
  int64_t branding_version = 0;  // the owner's (Branding::version; 0: none set)

  bool completed() const { return invite_status == InviteStatus::kCompleted; }
};

// A due delivery, claimed by one node for one attempt (Store::ClaimDeliveries).
struct ClaimedDelivery {
  std::string delivery_id;
  domain::EventType type = domain::EventType::kWebhookTest;
  std::string body;
  int64_t attempts = 0;  // made before this one
};

// The result of one attempt (Store::FinishAttempts).
struct AttemptResult {
  std::string delivery_id;
  std::string claim;  // the claim it was made under
  std::string webhook_id;
  std::optional<int64_t> status;           // the HTTP status received, if any
  std::optional<std::string> error;        // nullopt when delivered
  std::optional<Instant> delivered_at;     // set when delivered
  std::optional<Instant> next_attempt_at;  // the next try, or nullopt: done
  std::optional<Instant> disable_at;       // the receiver answered 410: disable the webhook
};

// The outbox at a glance (for metrics).
struct OutboxStats {
  int64_t pending = 0;                    // deliveries not yet delivered or failed
  std::optional<Instant> oldest_pending;  // created_at of the oldest of them
};

// What every store returns when its database fails: kUnavailable with the
// client-safe message "database unavailable" (the driver's error is only
// logged, through core/log.h).
inline Status DatabaseUnavailable() { return Status::Unavailable("database unavailable"); }

// Everything reportshare persists. One implementation per database
// (SqliteStore, PostgresStore); all share one conformance test suite.
//
// Every method is thread-safe and may be called from any thread. Every method
// returns DatabaseUnavailable() when the database fails; other failures are
// listed per method.
class Store {
 public:
  virtual ~Store() = default;

  // --- companies and API keys ---

  // Returns the id of the company called `name`, creating it if needed.
  virtual Result<CompanyId> EnsureCompany(std::string_view name) = 0;

  // Stores a new API key for `company`: only `key_hash` (SHA-256 of the
  // secret key) is kept. kConflict if `key_id` exists.
  virtual Status InsertApiKey(CompanyId company, std::string_view key_id,
                              const std::array<uint8_t, 32>& key_hash, Instant created_at) = 0;

  // The principal of the active (not revoked) key with this hash, or nullopt.
  virtual Result<std::optional<Principal>> FindApiKey(const std::array<uint8_t, 32>& key_hash) = 0;

  // All keys, oldest first.
  virtual Result<std::vector<ApiKeyInfo>> ListApiKeys() = 0;

  // Marks a key revoked. Returns true if it was active, false if it was already
  // revoked; kNotFound if no key has this id.
  virtual Result<bool> RevokeApiKey(std::string_view key_id, Instant at) = 0;

  // --- reports ---

  // The report with this id, its owner and the owner's branding version, or
  // nullopt. Callers enforce tenancy.
  virtual Result<std::optional<StoredReport>> GetReport(ReportId id) = 0;

  // The owner, version, invite_status and assessment_id of the report with
  // this id and its owner's branding version, or nullopt: GetReport without reading the report's
  // body (the hot paths need no more). Callers enforce tenancy.
  virtual Result<std::optional<ReportHead>> GetReportHead(ReportId id) = 0;

  // Creates or replaces `report` for `company`, atomically, bumping its
  // version, and writes `events` to the outbox in the same transaction.
  // kConflict (nothing changed, no event) if another company owns the id.
  virtual Result<PutOutcome> PutReport(CompanyId company, const Report& report, Instant at,
                                       std::span<const domain::Event> events = {}) = 0;

  // Creates or replaces each of `reports` for `company` as PutReport does, in
  // order (an id given twice is created, then replaced), all in one
  // transaction and with no event (an import). Returns one outcome per
  // report: a report whose id another company owns is kConflict ("report_id
  // belongs to another company") and changes nothing, while the others are
  // written. A failure of the whole batch (the database; kNotFound "company
  // not found") writes none of it. An empty batch is Ok and touches nothing.
  virtual Result<std::vector<Result<PutOutcome>>> PutReports(CompanyId company,
                                                             std::span<const Report> reports,
                                                             Instant at) = 0;

  // --- branding (SPEC §8) ---

  // The company's branding; a default Branding (version 0) if it never set
  // any.
  virtual Result<Branding> GetBranding(CompanyId company) = 0;

  // Applies `change` to the company's branding atomically (two concurrent
  // changes of different fields both stay), sets updated_at to `at`, adds
  // one to its version, and returns the branding now in force. kNotFound
  // ("company not found") if the company does not exist.
  virtual Result<Branding> UpdateBranding(CompanyId company, const domain::BrandingChange& change,
                                          Instant at) = 0;

  // --- links ---

  // Records a minted link. Inserting a link id that exists is a no-op (the
  // stable `report_link` of GET is inserted on every call).
  virtual Status InsertLink(const LinkRecord& link) = 0;

  // Records minted links as InsertLink does, and writes `events` to the
  // outbox, all in one transaction (a share or bulk share): every row or, on
  // failure, none. An empty batch is Ok.
  virtual Status InsertLinks(const std::vector<LinkRecord>& links,
                             std::span<const domain::Event> events = {}) = 0;

  // The link with this id, or nullopt.
  virtual Result<std::optional<LinkRecord>> GetLink(const LinkId& id) = 0;

  // The links of one report of one company, newest first.
  virtual Result<std::vector<LinkRecord>> ListLinks(CompanyId company, ReportId report) = 0;

  // Revokes one link of this company's report if it is not revoked yet, and
  // writes its "link.revoked" event in the same transaction.
  // Returns the number revoked (0 or 1); kNotFound if no such link.
  virtual Result<int64_t> RevokeLink(CompanyId company, ReportId report, const LinkId& id,
                                     Instant at) = 0;

  // Revokes every live link (not revoked, not expired at `at`) of this
  // company's report, with a "link.revoked" event each; returns how many.
  virtual Result<int64_t> RevokeAllLinks(CompanyId company, ReportId report, Instant at) = 0;

  // Takes one view against the view limit of link `id` (SPEC §5 max_views),
  // atomically across threads and nodes: true if one was left and is now
  // taken, false if the limit is reached or the link has none.
  virtual Result<bool> ClaimView(const LinkId& id) = 0;

  // Gives back a view ClaimView took, for a view that could not be served
  // (the render failed). Never goes below zero.
  virtual Status ReturnView(const LinkId& id) = 0;

  // --- anonymized reports ---

  // The company's pseudonym key (SPEC §5 "anonymized"): the first call for a
  // company stores `fresh` (32 random bytes), every call returns the stored
  // key, so all nodes derive the same pseudonyms. REQUIRES: `company` exists.
  virtual Result<std::array<uint8_t, 32>> PseudonymKey(CompanyId company,
                                                       const std::array<uint8_t, 32>& fresh) = 0;

  // Appends `opens` to the audit and adds the counted ones to their links'
  // views and last_viewed_at (which keeps the latest instant), and writes the
  // event of each open that has one ("link.viewed" for a counted open, with
  // the link's views after it; "link.denied"), all in one transaction. Opens
  // of link ids that do not exist are skipped.
  virtual Status RecordOpens(const std::vector<LinkOpen>& opens) = 0;

  // The audit of one link of this company's report, newest first, at most
  // `limit` rows. kNotFound if there is no such link.
  virtual Result<std::vector<LinkOpen>> ListOpens(CompanyId company, ReportId report,
                                                  const LinkId& id, int limit) = 0;

  // --- webhooks and the outbox (SPEC §7) ---

  // Registers a webhook. kNotFound if its company does not exist.
  virtual Status InsertWebhook(const domain::Webhook& webhook) = 0;

  // The company's webhooks, oldest first.
  virtual Result<std::vector<domain::Webhook>> ListWebhooks(CompanyId company) = 0;

  // The webhook with this id, or nullopt. Callers enforce tenancy.
  virtual Result<std::optional<domain::Webhook>> GetWebhook(std::string_view webhook_id) = 0;

  // Deletes the company's webhook and its deliveries; false if it has none
  // with this id.
  virtual Result<bool> DeleteWebhook(CompanyId company, std::string_view webhook_id) = 0;

  // Writes `events` to the outbox in one transaction (for events with no
  // other write to ride on: webhook.test).
  virtual Status InsertEvents(std::span<const domain::Event> events) = 0;

  // The deliveries of a webhook, newest first, at most `limit`.
  virtual Result<std::vector<domain::Delivery>> ListDeliveries(std::string_view webhook_id,
                                                               int limit) = 0;

  // Makes delivery `delivery_id` of webhook `webhook_id` due at `at` (and
  // drops any claim on it). kNotFound("delivery not found") if there is none.
  virtual Status RetryDelivery(std::string_view webhook_id, std::string_view delivery_id,
                               Instant at) = 0;

  // Up to `limit` webhooks that have a delivery due at `now` and not claimed.
  virtual Result<std::vector<std::string>> DueWebhooks(Instant now, int limit) = 0;

  // Claims up to `limit` due deliveries of one webhook, oldest due first,
  // under `claim` until `lease_until`: no other caller, on any node, gets
  // them until the lease ends or the attempt is finished. On PostgreSQL rows
  // another node is claiming are skipped (FOR UPDATE SKIP LOCKED).
  virtual Result<std::vector<ClaimedDelivery>> ClaimDeliveries(std::string_view webhook_id,
                                                               Instant now, Instant lease_until,
                                                               std::string_view claim,
                                                               int limit) = 0;

  // Records attempts, all in one transaction: each only if its delivery is
  // still under its `claim` (else it was retried, or its lease ran out and
  // another node took it: nothing is written for it, and nothing disabled).
  // With `disable_at`, also disables the webhook and fails its other pending
  // deliveries ("webhook disabled").
  virtual Status FinishAttempts(std::span<const AttemptResult> results) = 0;

  // How many deliveries are pending, and since when.
  virtual Result<OutboxStats> GetOutboxStats() = 0;

  // How many transactions of this store (this process) have committed with
  // webhook deliveries in them. It only grows, and grows after the commit: a
  // caller that sees it change knows the outbox has something new, and wakes
  // the deliverer; one that sees it unchanged need not (a write with no
  // subscribed webhook queues nothing).
  virtual uint64_t OutboxCommits() const = 0;

  // True if any link was ever minted (guards against losing the signing keys).
  virtual Result<bool> HasLinks() = 0;

  // Cheap liveness probe of the database (for /readyz).
  virtual Status Ping() = 0;
};

}  // namespace reportshare::store
