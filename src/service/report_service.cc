#include "service/report_service.h"

#include <cstring>

#include "core/bytes.h"
#include "core/log.h"
#include "core/rfc3339.h"
#include "service/bulk_download.h"
#include "service/client_info.h"

namespace reportshare::service {
namespace {

using domain::DenyReason;
using domain::OpenEvent;

// When a report's report_link expires: completed_date + kReportLinkLifetime,
// clamped so it stays an RFC 3339 instant for a date at the top of the range.
Instant ReportLinkExpiry(Instant completed) {
  return core::AddClamped(completed, kReportLinkLifetime);
}

Status ReportNotFound() { return Status::NotFound("report not found"); }

// kFailedPrecondition unless `status` is Completed (share and download).
Status CheckShareable(InviteStatus status) {
  if (status == InviteStatus::kCompleted) return Status::Ok();
  return Status::FailedPrecondition("report is not Completed (invite_status is " +
                                    std::string(domain::InviteStatusName(status)) + ")");
}

std::string_view FormatName(LinkFormat format) {
  switch (format) {
    case LinkFormat::kHtml:
      return "html";
    case LinkFormat::kPdf:
      return "pdf";
    case LinkFormat::kJson:
      break;
  }
  return "json";
}

// What the event of an open of `link` says (SPEC §7).
OpenEvent OpenEventOf(const LinkRecord& link, const Visitor& visitor, int64_t assessment_id,
                      std::optional<DenyReason> denied) {
  return OpenEvent{link.company_id,
                   link.report_id,
                   assessment_id,
                   link.options.recipient,
                   std::string(FormatName(visitor.format)),
                   denied};
}

std::string PdfFilename(ReportId id) { return "report-" + std::to_string(id.value) + ".pdf"; }

// The report_link of GET must be the same URL on every call, yet unguessable:
// its link id is an HMAC of (report id, expiry) under the signing key, with
// the integers big-endian so every node derives the same id.
LinkId DeriveReportLinkId(const links::SigningKey& key, ReportId report, Instant expires_at) {
  uint8_t msg[32] = "report_link";
  uint64_t fields[2] = {static_cast<uint64_t>(report.value),
                        static_cast<uint64_t>(expires_at.time_since_epoch().count())};
  for (int f = 0; f < 2; ++f) {
    for (int b = 0; b < 8; ++b)
      msg[16 + f * 8 + b] = static_cast<uint8_t>(fields[f] >> (56 - 8 * b));
  }
  auto mac = core::HmacSha256(key.secret, msg);
  LinkId id;
  std::memcpy(id.bytes.data(), mac.data(), LinkId::kSize);
  return id;
}

// The HTML cache's version of a page: the report's and the branding's, then
// the minute its "Generated" line shows (a page is the same within that
// minute only).
PdfCache::Version HtmlCacheVersion(int64_t version, int64_t branding, Instant now) {
  return {version, branding,
          std::chrono::floor<std::chrono::minutes>(now).time_since_epoch().count()};
}

int64_t VersionOf(const std::shared_ptr<const Branding>& branding) {
  return branding ? branding->version : 0;
}

// What a cached document of a link depends on beside the report version: the
// language (bits 0–2), anonymized (bit 3) and, for a page, a hidden download
// control (bit 4) and a language asked for in the query (bit 5: the PDF link
// then carries it). The PDF of POST …/download is variant 0 (English, full).
uint32_t DocumentVariant(const OpenedLink& link, LinkFormat format) {
  uint32_t v = static_cast<uint32_t>(link.language);
  if (link.link.options.variant == Variant::kAnonymized) v |= 1u << 3;
  if (format == LinkFormat::kHtml && !link.link.options.allow_download) v |= 1u << 4;
  if (format == LinkFormat::kHtml && link.language_asked) v |= 1u << 5;
  return v;
}

Status ViewLimitReached() { return Status::Gone(std::string(kLinkOutOfViews)); }

// True if `claims` are those of a report_link (GET's derived link).
bool IsReportLink(const links::KeyRing& ring, const links::LinkClaims& claims) {
  const links::SigningKey* key = ring.Find(claims.key_id);
  return key && DeriveReportLinkId(*key, claims.report_id, claims.expires_at) == claims.link_id;
}

}  // namespace

ReportService::ReportService(store::Store& store, const render::ReportRenderer& renderer,
                             const KeyRingHolder& keys, const Clock& clock,
                             std::string public_base_url, PdfCache* pdf_cache, OpenRecorder* opens,
                             PdfCache* html_cache, std::function<void()> on_events)
    : store_(store),
      renderer_(renderer),
      keys_(keys),
      clock_(clock),
      public_base_url_(std::move(public_base_url)),
      pdf_cache_(pdf_cache),
      opens_(opens),
      html_cache_(html_cache),
      on_events_(std::move(on_events)) {}

Result<store::Principal> ReportService::Authenticate(std::string_view api_key) const {
  if (api_key.empty()) return Status::Unauthenticated("missing apiKey header");
  auto found = store_.FindApiKey(core::Sha256(api_key));
  if (!found) return found.error();
  if (!*found) return Status::Unauthenticated("invalid or revoked API key");
  return std::move(**found);
}

Result<StoredReport> ReportService::LoadOwned(const store::Principal& who, ReportId id) const {
  auto stored = store_.GetReport(id);
  if (!stored) return stored.error();
  if (!*stored || (*stored)->company_id != who.company_id) return ReportNotFound();
  return std::move(**stored);
}

Result<StoredReport> ReportService::LoadShareable(const store::Principal& who, ReportId id) const {
  auto stored = LoadOwned(who, id);
  if (!stored) return stored;
  RS_RETURN_IF_ERROR(CheckShareable(stored->report.invite_status));
  return stored;
}

Result<store::ReportHead> ReportService::LoadShareableHead(const store::Principal& who,
                                                           ReportId id) const {
  auto head = store_.GetReportHead(id);
  if (!head) return head.error();
  if (!*head || (*head)->company_id != who.company_id) return ReportNotFound();
  RS_RETURN_IF_ERROR(CheckShareable((*head)->invite_status));
  return **head;
}

Result<std::string> ReportService::BaseUrlFor(CompanyId company, int64_t branding_version) const {
  auto branding = brandings_.Get(company, branding_version);
  if (!branding) return branding.error();
  if (*branding && (*branding)->public_url) return *(*branding)->public_url;
  return public_base_url_;
}

std::string ReportService::UrlFor(std::string_view base, std::string_view token) {
  std::string url(base);
  url += kSharedLinkPath;
  url += token;
  return url;
}

std::string_view LinkStateName(LinkState state) {
  switch (state) {
    case LinkState::kLive:
      return "live";
    case LinkState::kExpired:
      return "expired";
    case LinkState::kRevoked:
      return "revoked";
  }
  return "live";
}

std::optional<LinkState> ParseLinkState(std::string_view name) {
  for (LinkState s : {LinkState::kLive, LinkState::kExpired, LinkState::kRevoked}) {
    if (LinkStateName(s) == name) return s;
  }
  return std::nullopt;
}

LinkState LinkStateAt(const LinkRecord& link, Instant now) {
  if (link.revoked_at) return LinkState::kRevoked;
  if (link.expires_at <= now || link.views_exhausted()) return LinkState::kExpired;
  return LinkState::kLive;
}

Result<ReportService::MintedLink> ReportService::MintLink(const links::KeyRing& ring,
                                                          const store::Principal& who, ReportId id,
                                                          int64_t assessment_id, Instant now,
                                                          Instant expires_at,
                                                          const LinkOptions& options,
                                                          const std::string& base_url) const {
  auto link_id = links::NewLinkId(now);
  if (!link_id) return link_id.error();
  std::string token = links::SignToken(ring, {ring.active().id, *link_id, id, expires_at});
  LinkRecord record;
  record.link_id = *link_id;
  record.report_id = id;
  record.company_id = who.company_id;
  record.signing_key_id = ring.active().id;
  record.created_at = now;
  record.expires_at = expires_at;
  record.options = options;
  record.base_url = base_url;
  return MintedLink{std::move(record), ShareResult{*link_id, UrlFor(base_url, token), expires_at,
                                                   id, assessment_id, options}};
}

Result<ShareResult> ReportService::Share(const store::Principal& who, ReportId id,
                                         std::chrono::microseconds lifetime,
                                         const LinkOptions& options) const {
  // The head, not the report: a share never parses the stored body.
  auto head = LoadShareableHead(who, id);
  if (!head) return head.error();
  auto base = BaseUrlFor(who.company_id, head->branding_version);
  if (!base) return base.error();
  auto ring = keys_.Get();
  const Instant now = clock_.Now();
  auto minted = MintLink(*ring, who, id, head->assessment_id, now, now + lifetime, options, *base);
  if (!minted) return minted.error();
  const domain::Event event = domain::LinkCreatedEvent(minted->record, head->assessment_id);
  RS_RETURN_IF_ERROR(store_.InsertLinks({minted->record}, {&event, 1}));
  counters_.links_minted.fetch_add(1, std::memory_order_relaxed);
  EventsWritten();
  return std::move(minted->result);
}

Result<std::vector<Result<ShareResult>>> ReportService::ShareMany(
    const store::Principal& who, const std::vector<ReportId>& ids,
    std::chrono::microseconds lifetime, const LinkOptions& options) const {
  auto ring = keys_.Get();
  const Instant now = clock_.Now();
  std::vector<Result<ShareResult>> entries;
  std::vector<LinkRecord> records;
  std::vector<domain::Event> events;
  entries.reserve(ids.size());
  records.reserve(ids.size());
  for (ReportId id : ids) {
    auto head = LoadShareableHead(who, id);
    if (!head) {
      Code code = head.error().code();
      if (code != Code::kNotFound && code != Code::kFailedPrecondition) return head.error();
      entries.push_back(head.error());
      continue;
    }
    auto base = BaseUrlFor(who.company_id, head->branding_version);
    if (!base) return base.error();
    auto minted =
        MintLink(*ring, who, id, head->assessment_id, now, now + lifetime, options, *base);
    if (!minted) return minted.error();
    events.push_back(domain::LinkCreatedEvent(minted->record, head->assessment_id));
    records.push_back(std::move(minted->record));
    entries.push_back(std::move(minted->result));
  }
  RS_RETURN_IF_ERROR(store_.InsertLinks(records, events));
  counters_.links_minted.fetch_add(records.size(), std::memory_order_relaxed);
  if (!events.empty()) EventsWritten();
  return entries;
}

std::unique_ptr<BulkDownload> ReportService::DownloadMany(const store::Principal& who,
                                                          std::vector<ReportId> ids) const {
  return std::make_unique<BulkDownload>(*this, who, std::move(ids), renderer_.Parallelism(),
                                        clock_.Now());
}

Result<PdfDocument> ReportService::Download(const store::Principal& who, ReportId id,
                                            CacheFill fill) const {
  auto stored = LoadShareable(who, id);
  if (!stored) return stored.error();
  return RenderPdf(*stored, fill);
}

Result<ReportWithLink> ReportService::GetReport(const store::Principal& who, ReportId id) const {
  auto stored = LoadOwned(who, id);
  if (!stored) return stored.error();
  const int64_t branding_version = stored->branding_version;
  ReportWithLink out{std::move(stored->report), std::nullopt};
  if (out.report.completed() && out.report.completed_date) {
    auto base = BaseUrlFor(who.company_id, branding_version);
    if (!base) return base.error();
    auto ring = keys_.Get();
    const ReportLink link = ReportLinkOf(*ring, id, *out.report.completed_date);
    // The first GET stores the link's row; every later one only reads it. A
    // read must answer when the database cannot be written (a full disk, a
    // read-only file): then the row waits for the link's first open
    // (FindReportLink) or a revocation (StoreRevokedReportLink).
    auto existing = store_.GetLink(link.id);
    if (!existing) return existing.error();
    if (!*existing) {
      if (Status s = store_.InsertLink(ReportLinkRecord(*ring, link, who.company_id, *base));
          !s.ok()) {
        core::LogWarning("service", "report_link not stored; its first open will store it",
                         {{"report_id", id.value}, {"error", s.message()}});
      }
    }
    out.report_link =
        UrlFor(*base, links::SignToken(*ring, {ring->active().id, link.id, id, link.expires_at}));
  }
  return out;
}

ReportService::ReportLink ReportService::ReportLinkOf(const links::KeyRing& ring, ReportId id,
                                                      Instant completed) {
  ReportLink link;
  link.report_id = id;
  link.expires_at = ReportLinkExpiry(completed);
  link.id = DeriveReportLinkId(ring.active(), id, link.expires_at);
  return link;
}

LinkRecord ReportService::ReportLinkRecord(const links::KeyRing& ring, const ReportLink& link,
                                           CompanyId company, const std::string& base_url) const {
  LinkRecord record;
  record.link_id = link.id;
  record.report_id = link.report_id;
  record.company_id = company;
  record.signing_key_id = ring.active().id;
  record.created_at = clock_.Now();
  record.expires_at = link.expires_at;
  record.base_url = base_url;
  return record;
}

Result<std::optional<LinkRecord>> ReportService::FindReportLink(
    const links::KeyRing& ring, const links::LinkClaims& claims) const {
  // Only the active key's report_link: the one GET signs now, and the one a
  // revocation stores (StoreRevokedReportLink). An older key's report_link
  // without a row was never seen by a revocation: it is not brought to life.
  if (claims.key_id != ring.active().id ||
      DeriveReportLinkId(ring.active(), claims.report_id, claims.expires_at) != claims.link_id) {
    return std::optional<LinkRecord>();
  }
  auto head = store_.GetReportHead(claims.report_id);
  if (!head) return head.error();
  if (!*head) return std::optional<LinkRecord>();
  auto base = BaseUrlFor((*head)->company_id, (*head)->branding_version);
  if (!base) return base.error();
  // Stored as GET signed it, even for an older completed_date: the open then
  // refuses it as expired, as it would a row stored before the change.
  const ReportLink link{claims.report_id, claims.link_id, claims.expires_at};
  RS_RETURN_IF_ERROR(store_.InsertLink(ReportLinkRecord(ring, link, (*head)->company_id, *base)));
  // Read back: another node may have stored (or revoked) it first.
  return store_.GetLink(claims.link_id);
}

Status ReportService::StoreRevokedReportLink(const links::KeyRing& ring,
                                             const StoredReport& stored) const {
  const Report& report = stored.report;
  if (!report.completed() || !report.completed_date) return Status::Ok();
  auto base = BaseUrlFor(stored.company_id, stored.branding_version);
  if (!base) return base.error();
  LinkRecord record = ReportLinkRecord(
      ring, ReportLinkOf(ring, report.report_id, *report.completed_date), stored.company_id, *base);
  record.revoked_at = record.created_at;
  return store_.InsertLink(record);  // keeps a row already there
}

Result<store::PutOutcome> ReportService::PutReport(const store::Principal& who,
                                                   const Report& report) const {
  const Instant now = clock_.Now();
  const domain::Event event = domain::ReportUpdatedEvent(who.company_id, report, now);
  auto outcome = store_.PutReport(who.company_id, report, now, {&event, 1});
  if (outcome) EventsWritten();
  return outcome;
}

void ReportService::Audit(const links::LinkClaims& claims, const Visitor& visitor,
                          const ClientInfo& client, int status, Instant at,
                          std::optional<OpenEvent> event) const {
  LinkOpen open{claims.link_id,  at,
                status,          client.family,
                client.network,  status == 200 && visitor.wants_view && !client.scanner,
                std::move(event)};
  // Only a counted view or a refusal makes an event.
  if (open.event && !open.counted && !open.event->denied) open.event.reset();
  const bool has_event = open.event.has_value();
  if (opens_) {
    opens_->Record(std::move(open));
  } else if (Status s = store_.RecordOpens({open}); !s.ok()) {
    // The visitor's answer is decided already; the audit row is lost.
    core::LogWarning(
        "service", "could not record a link open",
        {{"report_id", claims.report_id.value}, {"status", status}, {"error", s.message()}});
  } else if (has_event) {
    EventsWritten();
  }
}

void ReportService::EventsWritten() const {
  if (on_events_) on_events_();
}

Result<StoredReport> ReportService::AsShown(StoredReport stored, const LinkRecord& link) const {
  if (link.options.variant != Variant::kAnonymized) return stored;
  std::array<uint8_t, 32> fresh;
  if (!core::RandomBytes(fresh)) return Status::Internal("random generator failed");
  auto key = store_.PseudonymKey(stored.company_id, fresh);
  if (!key) return key.error();
  std::string pseudonym = domain::Pseudonym(*key, stored.report.report_id);
  return domain::Anonymize(std::move(stored), std::move(pseudonym));
}

Result<OpenedLink> ReportService::OpenLink(std::string_view token, const Visitor& visitor) const {
  auto ring = keys_.Get();
  auto claims = links::VerifyToken(*ring, token);
  if (!claims) return Status::NotFound("link not found");
  Instant now = clock_.Now();
  const ClientInfo client = DescribeClient(visitor.user_agent, visitor.remote_address);
  const bool scanner = client.scanner;
  // Expiry needs no database: the signed claims say it. The store fills the
  // "link.denied" event in from the link's row when it writes the open.
  if (links::IsExpired(*claims, now)) {
    OpenEvent event;
    event.format = std::string(FormatName(visitor.format));
    event.denied = DenyReason::kExpired;
    event.from_link_row = true;
    Audit(*claims, visitor, client, 410, now, std::move(event));
    return Status::Gone(std::string(kLinkExpired));
  }

  auto found = store_.GetLink(claims->link_id);
  if (!found) return found.error();
  if (!*found) found = FindReportLink(*ring, *claims);  // a report_link's first open
  if (!found) return found.error();
  if (!*found || (*found)->report_id != claims->report_id) {
    return Status::NotFound("link not found");
  }
  OpenedLink out;
  out.claims = *claims;
  out.link = std::move(**found);
  const LinkRecord& link = out.link;
  const LinkOptions& options = link.options;
  // A refusal; `reason` names it in a "link.denied" event (none for a
  // report that is no longer Completed: the link itself was fine).
  auto refuse = [&](int status, Status why,
                    std::optional<DenyReason> reason) -> Result<OpenedLink> {
    std::optional<OpenEvent> event;
    if (reason) event = OpenEventOf(link, visitor, 0, *reason);
    Audit(*claims, visitor, client, status, now, std::move(event));
    return why;
  };
  if (link.revoked_at) {
    return refuse(410, Status::Gone(std::string(kLinkRevoked)), DenyReason::kRevoked);
  }
  if (link.views_exhausted()) return refuse(410, ViewLimitReached(), DenyReason::kViewLimit);
  if (visitor.format == LinkFormat::kPdf && !options.allow_download) {
    return refuse(403, Status::PermissionDenied("downloads are disabled for this link"),
                  DenyReason::kDownloadDisabled);
  }
  out.language_asked = visitor.language.has_value();
  out.language = visitor.language           ? *visitor.language
                 : options.language         ? *options.language
                 : visitor.browser_language ? *visitor.browser_language
                                            : Language::kEn;
  // The last check before a 200: a view of a link with a limit is taken from
  // the database, one conditional update, so no node can hand out more.
  auto take_view = [&]() -> Status {
    if (!options.max_views || !visitor.wants_view || scanner) return Status::Ok();
    auto taken = store_.ClaimView(link.link_id);
    if (!taken) return taken.error();
    if (!*taken) return ViewLimitReached();
    out.view_taken = true;
    return Status::Ok();
  };
  auto serve = [&](int64_t assessment_id) -> Result<OpenedLink> {
    if (Status s = take_view(); !s.ok()) {
      if (s.code() == Code::kGone) return refuse(410, s, DenyReason::kViewLimit);
      return s;
    }
    Audit(*claims, visitor, client, 200, now,
          OpenEventOf(link, visitor, assessment_id, std::nullopt));
    counters_.links_opened.fetch_add(1, std::memory_order_relaxed);
    return std::move(out);
  };

  // A page or PDF that a cache holds needs only the report's head. (A
  // report_link's expiry follows the completed_date: those read the body.)
  const bool cacheable =
      !options.watermark && ((visitor.format == LinkFormat::kHtml && html_cache_) ||
                             (visitor.format == LinkFormat::kPdf && pdf_cache_));
  if (cacheable && !IsReportLink(*ring, *claims)) {
    auto head = store_.GetReportHead(claims->report_id);
    if (!head) return head.error();
    if (!*head || (*head)->company_id != link.company_id) {
      return Status::NotFound("link not found");
    }
    if (!(*head)->completed()) {
      return refuse(410, Status::Gone(std::string(kReportNoLongerAvailable)), std::nullopt);
    }
    const uint32_t variant = DocumentVariant(out, visitor.format);
    if (auto doc =
            CachedDocument(claims->report_id, variant,
                           {(*head)->version, (*head)->branding_version}, visitor.format, now)) {
      out.cached = std::move(doc);
      out.report.company_id = (*head)->company_id;
      out.report.version = (*head)->version;
      out.report.report.report_id = claims->report_id;
      return serve((*head)->assessment_id);
    }
  }

  auto stored = store_.GetReport(claims->report_id);
  if (!stored) return stored.error();
  if (!*stored || (*stored)->company_id != link.company_id) {
    return Status::NotFound("link not found");
  }
  if (!(*stored)->report.completed()) {
    return refuse(410, Status::Gone(std::string(kReportNoLongerAvailable)), std::nullopt);
  }
  // A report_link follows the report's completed_date (SPEC §2.3): once the
  // report is replaced with another date, links derived from the old one expire.
  const auto& completed = (*stored)->report.completed_date;
  if (IsReportLink(*ring, *claims) &&
      (!completed || ReportLinkExpiry(*completed) != claims->expires_at)) {
    return refuse(410, Status::Gone(std::string(kLinkExpired)), DenyReason::kExpired);
  }
  const int64_t assessment_id = (*stored)->report.assessment_id;
  auto branding = brandings_.Get(link.company_id, (*stored)->branding_version);
  if (!branding) return branding.error();
  out.branding = std::move(*branding);
  auto shown = AsShown(std::move(**stored), link);
  if (!shown) return shown.error();
  out.report = std::move(*shown);
  return serve(assessment_id);
}

Result<PdfDocument> ReportService::RenderPdf(const StoredReport& report, CacheFill fill) const {
  auto branding = brandings_.Get(report.company_id, report.branding_version);
  if (!branding) return branding.error();
  render::RenderOptions options;
  options.branding = std::move(*branding);
  return RenderPdfAs(report, fill, 0, options);
}

Result<PdfDocument> ReportService::RenderPdfAs(const StoredReport& report, CacheFill fill,
                                               uint32_t variant,
                                               const render::RenderOptions& options) const {
  const ReportId id = report.report.report_id;
  // A watermark names one view: such a PDF is never cached nor served twice.
  PdfCache* cache = options.watermark ? nullptr : pdf_cache_;
  const PdfCache::Key key(id, variant);
  const PdfCache::Version version{report.version, VersionOf(options.branding)};
  if (cache) {
    if (auto cached = cache->Get(key, version)) {
      counters_.pdf_cache_hits.fetch_add(1, std::memory_order_relaxed);
      return PdfDocument{*cached, PdfFilename(id)};
    }
  }
  auto bytes = renderer_.RenderPdf(report, clock_.Now(), options);
  if (!bytes) return bytes.error();
  counters_.pdfs_rendered.fetch_add(1, std::memory_order_relaxed);
  if (cache && fill == CacheFill::kFill) {
    cache->Put(key, version, std::make_shared<const std::string>(*bytes));
  }
  return PdfDocument{std::move(*bytes), PdfFilename(id)};
}

std::shared_ptr<const std::string> ReportService::CachedDocument(ReportId id, uint32_t variant,
                                                                 PdfCache::Version version,
                                                                 LinkFormat format,
                                                                 Instant now) const {
  const PdfCache::Key key(id, variant);
  if (format == LinkFormat::kHtml && html_cache_) {
    return html_cache_->Get(key, HtmlCacheVersion(version.report, version.branding, now));
  }
  if (format == LinkFormat::kPdf && pdf_cache_) {
    auto pdf = pdf_cache_->Get(key, version);
    if (pdf) counters_.pdf_cache_hits.fetch_add(1, std::memory_order_relaxed);
    return pdf;
  }
  return nullptr;
}

render::RenderOptions ReportService::LinkRenderOptions(const OpenedLink& link, Instant now) const {
  const LinkOptions& o = link.link.options;
  render::RenderOptions options;
  options.language = link.language;
  options.branding = link.branding;
  if (o.watermark) {
    options.watermark =
        render::Watermark{o.recipient.value_or(""), link.link.link_id.ToString(), now};
  }
  options.allow_download = o.allow_download;
  // The PDF is in the page's language: a browser sends the same
  // Accept-Language for it, so only a language from the query is repeated.
  options.pdf_href = std::string(kLinkPdfHref);
  if (link.language_asked) options.pdf_href += "&lang=" + std::string(LanguageTag(link.language));
  options.language_links = true;
  return options;
}

Result<PdfDocument> ReportService::LinkPdf(const OpenedLink& link) const {
  const ReportId id = link.claims.report_id;
  if (link.cached) return PdfDocument{*link.cached, PdfFilename(id)};
  const uint32_t variant = DocumentVariant(link, LinkFormat::kPdf);
  auto pdf =
      RenderPdfAs(link.report, CacheFill::kFill, variant, LinkRenderOptions(link, clock_.Now()));
  if (!pdf && link.view_taken) {
    // Not served, so not a view: the visitor may try again within the limit.
    if (Status s = store_.ReturnView(link.link.link_id); !s.ok()) {
      core::LogWarning("service", "could not give back the view of a failed render",
                       {{"report_id", id.value}, {"error", s.message()}});
    }
  }
  return pdf;
}

std::string ReportService::LinkHtml(const OpenedLink& link) const {
  if (link.cached) return *link.cached;
  // One instant for the page and its key, so the key's minute is the page's.
  const Instant now = clock_.Now();
  const render::RenderOptions options = LinkRenderOptions(link, now);
  std::string html = renderer_.RenderHtml(link.report, now, options);
  if (html_cache_ && !options.watermark) {
    const uint32_t variant = DocumentVariant(link, LinkFormat::kHtml);
    html_cache_->Put(PdfCache::Key(link.claims.report_id, variant),
                     HtmlCacheVersion(link.report.version, VersionOf(link.branding), now),
                     std::make_shared<const std::string>(html));
  }
  return html;
}

Result<std::vector<LinkRecord>> ReportService::ListLinks(const store::Principal& who, ReportId id,
                                                         const LinkFilter& filter) const {
  auto stored = LoadOwned(who, id);
  if (!stored) return stored.error();
  // Read our own writes: views still queued on this node go in first. A
  // failed flush keeps them queued; the list is then a moment behind.
  if (opens_) opens_->Flush();
  auto links = store_.ListLinks(who.company_id, id);
  if (!links) return links;
  if (!filter.recipient && !filter.state) return links;
  const Instant now = clock_.Now();
  std::erase_if(*links, [&](const LinkRecord& l) {
    return (filter.recipient && l.options.recipient != filter.recipient) ||
           (filter.state && LinkStateAt(l, now) != *filter.state);
  });
  return links;
}

Result<std::vector<LinkOpen>> ReportService::ListOpens(const store::Principal& who, ReportId id,
                                                       const LinkId& link, int limit) const {
  auto stored = LoadOwned(who, id);
  if (!stored) return stored.error();
  if (opens_) opens_->Flush();
  return store_.ListOpens(who.company_id, id, link, limit);
}

Result<int64_t> ReportService::RevokeLink(const store::Principal& who, ReportId id,
                                          const LinkId& link) const {
  auto stored = LoadOwned(who, id);
  if (!stored) return stored.error();
  // The report_link GET handed out may have no row yet (see GetReport).
  auto ring = keys_.Get();
  if (stored->report.completed() && stored->report.completed_date &&
      link == ReportLinkOf(*ring, id, *stored->report.completed_date).id) {
    auto existing = store_.GetLink(link);
    if (!existing) return existing.error();
    if (!*existing) {
      RS_RETURN_IF_ERROR(StoreRevokedReportLink(*ring, *stored));
      return 1;
    }
  }
  return store_.RevokeLink(who.company_id, id, link, clock_.Now());
}

Result<int64_t> ReportService::RevokeAllLinks(const store::Principal& who, ReportId id) const {
  auto stored = LoadOwned(who, id);
  if (!stored) return stored.error();
  // The report_link GET gives may have no row yet (see GetReport): it is
  // stored revoked first, so no later open brings it to life.
  RS_RETURN_IF_ERROR(StoreRevokedReportLink(*keys_.Get(), *stored));
  return store_.RevokeAllLinks(who.company_id, id, clock_.Now());
}

}  // namespace reportshare::service
