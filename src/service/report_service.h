#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "domain/language.h"
#include "domain/link_options.h"
#include "domain/link_record.h"
#include "domain/report.h"
#include "domain/webhook.h"
#include "links/token.h"
#include "render/renderer.h"
#include "service/branding_service.h"
#include "service/client_info.h"
#include "service/counters.h"
#include "service/key_ring_holder.h"
#include "service/open_recorder.h"
#include "service/pdf_cache.h"
#include "store/store.h"

namespace reportshare::service {

// Link lifetimes SPEC §2.1 allows, and the default.
inline constexpr std::chrono::microseconds kMinLinkLifetime = std::chrono::minutes(15);
inline constexpr std::chrono::microseconds kMaxLinkLifetime = std::chrono::hours(24);
inline constexpr std::chrono::microseconds kDefaultLinkLifetime = std::chrono::hours(1);
// The `report_link` of GET lives until completed_date + this.
inline constexpr std::chrono::microseconds kReportLinkLifetime = std::chrono::hours(24 * 7);

// Path of the signed link under the public base URL.
inline constexpr std::string_view kSharedLinkPath = "/assessments/bp/reports/shared/";
// The "Download PDF" target of a link's page: the same link as a PDF (with
// "&lang=<tag>" when the page's language came from its query, so the PDF is
// in the page's language).
inline constexpr std::string_view kLinkPdfHref = "?format=pdf";

struct ShareResult {
  LinkId link_id;  // the id the links API uses
  std::string signed_url;
  Instant expires_at;
  ReportId report_id;
  int64_t assessment_id = 0;
  LinkOptions options;  // in force for this link
};

// Which links of a report the links list shows (SPEC §5 filters).
enum class LinkState { kLive, kExpired, kRevoked };
std::string_view LinkStateName(LinkState state);  // "live", "expired", "revoked"
std::optional<LinkState> ParseLinkState(std::string_view name);
// A link's state at `now`: revoked; else expired (past its expiry, or out of
// views); else live (it would open).
LinkState LinkStateAt(const LinkRecord& link, Instant now);

struct LinkFilter {
  std::optional<std::string> recipient;  // exact match
  std::optional<LinkState> state;
};

struct PdfDocument {
  std::string bytes;
  std::string filename;  // ASCII-safe, e.g. "report-318.pdf"
};

struct ReportWithLink {
  Report report;
  std::optional<std::string> report_link;  // only for Completed reports
};

// Why a link answers 410 (the messages of OpenLink's kGone), so a page can
// say it in the visitor's language.
inline constexpr std::string_view kLinkExpired = "this link has expired";
inline constexpr std::string_view kLinkRevoked = "this link has been revoked";
inline constexpr std::string_view kLinkOutOfViews = "this link has reached its view limit";
inline constexpr std::string_view kReportNoLongerAvailable = "this report is no longer available";

// What a link open will answer with. kHtml and kPdf may be served from the
// caches without reading the report's body.
enum class LinkFormat { kJson, kHtml, kPdf };

// Who is opening a link, as far as the audit cares, and what they asked for.
struct Visitor {
  bool wants_view = true;           // false for HEAD: never a view
  std::string_view user_agent;      // the User-Agent header
  std::string_view remote_address;  // the client's IP address as text
  LinkFormat format = LinkFormat::kJson;
  std::optional<Language> language;          // asked for explicitly (?lang=)
  std::optional<Language> browser_language;  // the best match of Accept-Language

  // A GET of the page (HTML), as a browser sends it.
  static Visitor Page() {
    Visitor v;
    v.format = LinkFormat::kHtml;
    return v;
  }
};

// A link that verified and whose report may be shown.
struct OpenedLink {
  links::LinkClaims claims;
  LinkRecord link;                    // its row: the options in force
  Language language = Language::kEn;  // what the documents are shown in
  bool language_asked = false;        // from the query (?lang=), not the link or browser
  // The report as shown (anonymized when the link says so). When `cached` is
  // set, only company_id, version and report.report_id are filled: the
  // document came from a cache and the body was not read.
  StoredReport report;
  std::shared_ptr<const std::string> cached;  // the document of `format`, from a cache
  // The owner's branding the documents are drawn with (null: the default
  // look); unset when `cached` is.
  std::shared_ptr<const Branding> branding;
  bool view_taken = false;  // a view was taken against the link's max_views
};

// The most report ids one bulk share or bulk download takes (SPEC §6).
inline constexpr size_t kMaxBulkReports = 1000;

class BulkDownload;

// The use cases behind the HTTP API and the CLI. Knows nothing of HTTP or SQL.
// Thread-safe: every method may run concurrently (the store, the renderer and
// the key ring holder are thread-safe; this class holds no mutable state).
class ReportService {
 public:
  // `public_base_url` is the scheme, host and optional prefix links are built
  // on, without a trailing slash, unless the company's branding sets its own
  // (SPEC §8 public_url). `pdf_cache` may be null (no caching);
  // `opens` may be null (opens written synchronously, one per request). All
  // references and pointers must outlive the service.
  // `html_cache` may be null (link pages rendered on every open).
  // `on_events` (may be empty) is called after this service wrote webhook
  // events to the outbox (SPEC §7), so the deliverer need not wait for its
  // next poll; it must not block. (Events of link opens ride on the open
  // recorder's batches, which says so itself.)
  ReportService(store::Store& store, const render::ReportRenderer& renderer,
                const KeyRingHolder& keys, const Clock& clock, std::string public_base_url,
                PdfCache* pdf_cache = nullptr, OpenRecorder* opens = nullptr,
                PdfCache* html_cache = nullptr, std::function<void()> on_events = {});

  // The principal of `api_key`; kUnauthenticated if empty, unknown or revoked.
  Result<store::Principal> Authenticate(std::string_view api_key) const;

  // Mints a link to the caller's Completed report valid for `lifetime`.
  // REQUIRES: kMinLinkLifetime <= lifetime <= kMaxLinkLifetime (checked at the edge).
  // kNotFound (missing or another company's), kFailedPrecondition (not Completed).
  Result<ShareResult> Share(const store::Principal& who, ReportId id,
                            std::chrono::microseconds lifetime,
                            const LinkOptions& options = {}) const;

  // Mints one link per id, in order, all recorded in one transaction: each
  // entry is the link or, for that id alone, kNotFound or kFailedPrecondition
  // as Share gives. Any other failure (the database) fails the whole call and
  // records nothing. REQUIRES: lifetime as Share; ids distinct, at most
  // kMaxBulkReports (checked at the edge).
  // Every link gets `options`.
  Result<std::vector<Result<ShareResult>>> ShareMany(const store::Principal& who,
                                                     const std::vector<ReportId>& ids,
                                                     std::chrono::microseconds lifetime,
                                                     const LinkOptions& options = {}) const;

  // The PDFs of `ids` (as Download gives each, from the PDF cache when there,
  // without filling it), rendered ahead in parallel
  // (the renderer's Parallelism()) on the stream's own threads and handed out
  // in order (service/bulk_download.h). Starts rendering at once.
  std::unique_ptr<BulkDownload> DownloadMany(const store::Principal& who,
                                             std::vector<ReportId> ids) const;

  // The caller's Completed report as a PDF. Errors as Share. With kLookUpOnly
  // a PDF rendered here is not added to the cache (a bulk download: a
  // thousand PDFs asked for once must not evict the ones links keep asking
  // for, nor grow the server by the cache's whole budget).
  enum class CacheFill { kFill, kLookUpOnly };
  Result<PdfDocument> Download(const store::Principal& who, ReportId id,
                               CacheFill fill = CacheFill::kFill) const;

  // The caller's report and, when Completed, its stable report_link.
  Result<ReportWithLink> GetReport(const store::Principal& who, ReportId id) const;

  // Creates or replaces the caller's report. kConflict if another company owns the id.
  Result<store::PutOutcome> PutReport(const store::Principal& who, const Report& report) const;

  // Verifies `token` and loads what it points to. kNotFound for a malformed,
  // forged or unknown link (checked before any database work when the
  // signature is bad), kGone for an expired or revoked one, one out of views
  // (SPEC §5 max_views) or a report that is no longer Completed,
  // kPermissionDenied for the PDF of a link with downloads disabled. Audits
  // the open of a known link (served, 403 or 410), counting a view when
  // `visitor.wants_view` and the client is not a link scanner
  // (service/client_info.h); a link with max_views takes that view from the
  // database at once (Store::ClaimView), so the limit holds on every node.
  // The documents are in visitor.language, else the link's language, else
  // visitor.browser_language, else English.
  Result<OpenedLink> OpenLink(std::string_view token, const Visitor& visitor) const;
  // Shorthand for tests and tools: a person (or HEAD when !count_view).
  Result<OpenedLink> OpenLink(std::string_view token, bool count_view) const {
    Visitor visitor;
    visitor.wants_view = count_view;
    return OpenLink(token, visitor);
  }

  // PDF of a report, from the cache when this version was rendered before.
  Result<PdfDocument> RenderPdf(const StoredReport& report,
                                CacheFill fill = CacheFill::kFill) const;
  // The documents of an opened link, in its language and with its options:
  // from `link.cached` when it is set, else rendered (the page through the
  // HTML cache, keyed on the report version, the variant and the minute its
  // "Generated" line shows, so a cached page is byte for byte the one a
  // render would give). A watermarked document is rendered for each view and
  // never cached. A PDF that fails to render gives back the view it took.
  Result<PdfDocument> LinkPdf(const OpenedLink& link) const;
  std::string LinkHtml(const OpenedLink& link) const;

  // Links of the caller's report that pass `filter`, newest first, with views
  // recorded so far on this node. kNotFound for another company's report.
  Result<std::vector<LinkRecord>> ListLinks(const store::Principal& who, ReportId id,
                                            const LinkFilter& filter = {}) const;
  // The audit of one link of the caller's report, newest first (at most `limit`).
  // kNotFound for another company's report or an unknown link.
  Result<std::vector<LinkOpen>> ListOpens(const store::Principal& who, ReportId id,
                                          const LinkId& link, int limit) const;
  // Revokes one link (returns 0 or 1) or all live links (returns the count).
  Result<int64_t> RevokeLink(const store::Principal& who, ReportId id, const LinkId& link) const;
  Result<int64_t> RevokeAllLinks(const store::Principal& who, ReportId id) const;

  // OK when the database answers; kUnavailable otherwise (for /readyz).
  Status Ready() const { return store_.Ping(); }

  const std::string& public_base_url() const { return public_base_url_; }
  const ServiceCounters& counters() const { return counters_; }

 private:
  // The caller's report or kNotFound (same for missing and foreign).
  Result<StoredReport> LoadOwned(const store::Principal& who, ReportId id) const;
  Result<StoredReport> LoadShareable(const store::Principal& who, ReportId id) const;
  // The same checks as LoadShareable, on the head alone.
  Result<store::ReportHead> LoadShareableHead(const store::Principal& who, ReportId id) const;
  // A new link to report `id`: its row (not yet stored) and the share response.
  struct MintedLink {
    LinkRecord record;
    ShareResult result;
  };
  Result<MintedLink> MintLink(const links::KeyRing& ring, const store::Principal& who, ReportId id,
                              int64_t assessment_id, Instant now, Instant expires_at,
                              const LinkOptions& options, const std::string& base_url) const;
  // The base links of a company whose branding is at `branding_version` are
  // minted on: its public_url, else the server's.
  Result<std::string> BaseUrlFor(CompanyId company, int64_t branding_version) const;
  static std::string UrlFor(std::string_view base, std::string_view token);
  // The report_link of report `id` completed at `completed`, as the ring's
  // active key derives it (the same id on every call and every node).
  struct ReportLink {
    ReportId report_id;
    LinkId id;
    Instant expires_at;
  };
  static ReportLink ReportLinkOf(const links::KeyRing& ring, ReportId id, Instant completed);
  LinkRecord ReportLinkRecord(const links::KeyRing& ring, const ReportLink& link, CompanyId company,
                              const std::string& base_url) const;
  // The row of the report_link `claims` name when it has none yet (GET could
  // not store it), stored now; nullopt when `claims` are not the active key's
  // report_link or the report is gone.
  Result<std::optional<LinkRecord>> FindReportLink(const links::KeyRing& ring,
                                                   const links::LinkClaims& claims) const;
  // Stores the row of `stored`'s report_link, revoked, unless it has one.
  Status StoreRevokedReportLink(const links::KeyRing& ring, const StoredReport& stored) const;
  // Records one open of a link, with the webhook event it makes, if any.
  void Audit(const links::LinkClaims& claims, const Visitor& visitor, const ClientInfo& client,
             int status, Instant at, std::optional<domain::OpenEvent> event) const;
  void EventsWritten() const;
  // The document of `format` of this variant of this report version at
  // `now`, if cached.
  std::shared_ptr<const std::string> CachedDocument(ReportId id, uint32_t variant,
                                                    PdfCache::Version version, LinkFormat format,
                                                    Instant now) const;
  // `stored` as link `link` shows it: anonymized when its variant says so.
  Result<StoredReport> AsShown(StoredReport stored, const LinkRecord& link) const;
  // A PDF through the cache under `variant` (unless it has a watermark).
  Result<PdfDocument> RenderPdfAs(const StoredReport& report, CacheFill fill, uint32_t variant,
                                  const render::RenderOptions& options) const;
  // The render options of an opened link's documents, as viewed at `now`.
  render::RenderOptions LinkRenderOptions(const OpenedLink& link, Instant now) const;

  store::Store& store_;
  const render::ReportRenderer& renderer_;
  const KeyRingHolder& keys_;
  const Clock& clock_;
  const std::string public_base_url_;
  PdfCache* const pdf_cache_;
  OpenRecorder* const opens_;
  PdfCache* const html_cache_;
  const std::function<void()> on_events_;
  mutable ServiceCounters counters_;
  mutable BrandingCache brandings_{store_};
};

}  // namespace reportshare::service
