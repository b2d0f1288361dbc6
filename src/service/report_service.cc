#include "service/report_service.h"

#include <cstring>

#include "core/bytes.h"
#include "core/log.h"
#include "core/rfc3339.h"
#include "service/bulk_download.h"
#include "service/client_info.h"

namespace reportshare::service {
namespace {

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

// The HTML cache's "version" of a page: the report version, then the minute
// its "Generated" line shows (a page is the same within that minute only).
// Both grow, so the cache keeps the newer page when two renders race.
int64_t HtmlCacheVersion(int64_t version, Instant now) {
  const auto minute = std::chrono::floor<std::chrono::minutes>(now).time_since_epoch().count();
  return version * (int64_t{1} << 32) + static_cast<int64_t>(minute & 0xffffffff);
}

// True if `claims` are those of a report_link (GET's derived link).
bool IsReportLink(const links::KeyRing& ring, const links::LinkClaims& claims) {
  const links::SigningKey* key = ring.Find(claims.key_id);
  return key && DeriveReportLinkId(*key, claims.report_id, claims.expires_at) == claims.link_id;
}

}  // namespace

ReportService::ReportService(store::Store& store, const render::ReportRenderer& renderer,
                             const KeyRingHolder& keys, const Clock& clock,
                             std::string public_base_url, PdfCache* pdf_cache, OpenRecorder* opens,
                             PdfCache* html_cache)
    : store_(store),
      renderer_(renderer),
      keys_(keys),
      clock_(clock),
      public_base_url_(std::move(public_base_url)),
      pdf_cache_(pdf_cache),
      opens_(opens),
      html_cache_(html_cache) {}

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

std::string ReportService::UrlFor(std::string_view token) const {
  std::string url = public_base_url_;
  url += kSharedLinkPath;
  url += token;
  return url;
}

Result<ReportService::MintedLink> ReportService::MintLink(const links::KeyRing& ring,
                                                          const store::Principal& who, ReportId id,
                                                          int64_t assessment_id, Instant now,
                                                          Instant expires_at) const {
  auto link_id = links::NewLinkId();
  if (!link_id) return link_id.error();
  std::string token = links::SignToken(ring, {ring.active().id, *link_id, id, expires_at});
  return MintedLink{LinkRecord{*link_id, id, who.company_id, ring.active().id, now, expires_at,
                               std::nullopt, 0, std::nullopt},
                    ShareResult{*link_id, UrlFor(token), expires_at, id, assessment_id}};
}

Result<ShareResult> ReportService::Share(const store::Principal& who, ReportId id,
                                         std::chrono::microseconds lifetime) const {
  // The head, not the report: a share never parses the stored body.
  auto head = LoadShareableHead(who, id);
  if (!head) return head.error();
  auto ring = keys_.Get();
  const Instant now = clock_.Now();
  auto minted = MintLink(*ring, who, id, head->assessment_id, now, now + lifetime);
  if (!minted) return minted.error();
  RS_RETURN_IF_ERROR(store_.InsertLink(minted->record));
  counters_.links_minted.fetch_add(1, std::memory_order_relaxed);
  return std::move(minted->result);
}

Result<std::vector<Result<ShareResult>>> ReportService::ShareMany(
    const store::Principal& who, const std::vector<ReportId>& ids,
    std::chrono::microseconds lifetime) const {
  auto ring = keys_.Get();
  const Instant now = clock_.Now();
  std::vector<Result<ShareResult>> entries;
  std::vector<LinkRecord> records;
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
    auto minted = MintLink(*ring, who, id, head->assessment_id, now, now + lifetime);
    if (!minted) return minted.error();
    records.push_back(std::move(minted->record));
    entries.push_back(std::move(minted->result));
  }
  RS_RETURN_IF_ERROR(store_.InsertLinks(records));
  counters_.links_minted.fetch_add(records.size(), std::memory_order_relaxed);
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
  ReportWithLink out{std::move(stored->report), std::nullopt};
  if (out.report.completed() && out.report.completed_date) {
    auto ring = keys_.Get();
    Instant expires_at = ReportLinkExpiry(*out.report.completed_date);
    LinkId link_id = DeriveReportLinkId(ring->active(), id, expires_at);
    // Every GET after the first finds the row: a read, not a write per GET.
    auto existing = store_.GetLink(link_id);
    if (!existing) return existing.error();
    if (!*existing) {
      LinkRecord record{link_id,      id,         who.company_id, ring->active().id,
                        clock_.Now(), expires_at, std::nullopt,   0,
                        std::nullopt};
      RS_RETURN_IF_ERROR(store_.InsertLink(record));
    }
    out.report_link = UrlFor(links::SignToken(*ring, {ring->active().id, link_id, id, expires_at}));
  }
  return out;
}

Result<store::PutOutcome> ReportService::PutReport(const store::Principal& who,
                                                   const Report& report) const {
  return store_.PutReport(who.company_id, report, clock_.Now());
}

void ReportService::Audit(const links::LinkClaims& claims, const Visitor& visitor, int status,
                          Instant at) const {
  ClientInfo client = DescribeClient(visitor.user_agent, visitor.remote_address);
  LinkOpen open{claims.link_id,
                at,
                status,
                std::move(client.family),
                std::move(client.network),
                status == 200 && visitor.wants_view && !client.scanner};
  if (opens_) {
    opens_->Record(std::move(open));
  } else if (Status s = store_.RecordOpens({open}); !s.ok()) {
    // The visitor's answer is decided already; the audit row is lost.
    core::LogWarning(
        "service", "could not record a link open",
        {{"report_id", claims.report_id.value}, {"status", status}, {"error", s.message()}});
  }
}

Result<OpenedLink> ReportService::OpenLink(std::string_view token, const Visitor& visitor) const {
  auto ring = keys_.Get();
  auto claims = links::VerifyToken(*ring, token);
  if (!claims) return Status::NotFound("link not found");
  Instant now = clock_.Now();
  // Expiry needs no database: the signed claims say it.
  if (links::IsExpired(*claims, now)) {
    Audit(*claims, visitor, 410, now);
    return Status::Gone("this link has expired");
  }

  auto link = store_.GetLink(claims->link_id);
  if (!link) return link.error();
  if (!*link || (*link)->report_id != claims->report_id) return Status::NotFound("link not found");
  if ((*link)->revoked_at) {
    Audit(*claims, visitor, 410, now);
    return Status::Gone("this link has been revoked");
  }

  // A page or PDF that a cache holds needs only the report's head. (A
  // report_link's expiry follows the completed_date: those read the body.)
  const bool cacheable = (visitor.format == LinkFormat::kHtml && html_cache_) ||
                         (visitor.format == LinkFormat::kPdf && pdf_cache_);
  if (cacheable && !IsReportLink(*ring, *claims)) {
    auto head = store_.GetReportHead(claims->report_id);
    if (!head) return head.error();
    if (!*head || (*head)->company_id != (*link)->company_id) {
      return Status::NotFound("link not found");
    }
    if (!(*head)->completed()) {
      Audit(*claims, visitor, 410, now);
      return Status::Gone("this report is no longer available");
    }
    if (auto doc = CachedDocument(claims->report_id, (*head)->version, visitor.format, now)) {
      Audit(*claims, visitor, 200, now);
      counters_.links_opened.fetch_add(1, std::memory_order_relaxed);
      OpenedLink out{*claims, {}, std::move(doc)};
      out.report.company_id = (*head)->company_id;
      out.report.version = (*head)->version;
      out.report.report.report_id = claims->report_id;
      return out;
    }
  }

  auto stored = store_.GetReport(claims->report_id);
  if (!stored) return stored.error();
  if (!*stored || (*stored)->company_id != (*link)->company_id) {
    return Status::NotFound("link not found");
  }
  if (!(*stored)->report.completed()) {
    Audit(*claims, visitor, 410, now);
    return Status::Gone("this report is no longer available");
  }
  // A report_link follows the report's completed_date (SPEC §2.3): once the
  // report is replaced with another date, links derived from the old one expire.
  const auto& completed = (*stored)->report.completed_date;
  if (IsReportLink(*ring, *claims) &&
      (!completed || ReportLinkExpiry(*completed) != claims->expires_at)) {
    Audit(*claims, visitor, 410, now);
    return Status::Gone("this link has expired");
  }
  Audit(*claims, visitor, 200, now);
  counters_.links_opened.fetch_add(1, std::memory_order_relaxed);
  return OpenedLink{*claims, std::move(**stored), nullptr};
}

Result<PdfDocument> ReportService::RenderPdf(const StoredReport& report, CacheFill fill) const {
  const ReportId id = report.report.report_id;
  if (pdf_cache_) {
    if (auto cached = pdf_cache_->Get(id, report.version)) {
      counters_.pdf_cache_hits.fetch_add(1, std::memory_order_relaxed);
      return PdfDocument{*cached, PdfFilename(id)};
    }
  }
  auto bytes = renderer_.RenderPdf(report, clock_.Now(), {});
  if (!bytes) return bytes.error();
  counters_.pdfs_rendered.fetch_add(1, std::memory_order_relaxed);
  if (pdf_cache_ && fill == CacheFill::kFill) {
    pdf_cache_->Put(id, report.version, std::make_shared<const std::string>(*bytes));
  }
  return PdfDocument{std::move(*bytes), PdfFilename(id)};
}

std::string ReportService::RenderHtml(const StoredReport& report, std::string_view pdf_href) const {
  return renderer_.RenderHtml(report, clock_.Now(), render::PageOptions(std::string(pdf_href)));
}

std::shared_ptr<const std::string> ReportService::CachedDocument(ReportId id, int64_t version,
                                                                 LinkFormat format,
                                                                 Instant now) const {
  if (format == LinkFormat::kHtml && html_cache_) {
    return html_cache_->Get(id, HtmlCacheVersion(version, now));
  }
  if (format == LinkFormat::kPdf && pdf_cache_) {
    auto pdf = pdf_cache_->Get(id, version);
    if (pdf) counters_.pdf_cache_hits.fetch_add(1, std::memory_order_relaxed);
    return pdf;
  }
  return nullptr;
}

Result<PdfDocument> ReportService::LinkPdf(const OpenedLink& link) const {
  const ReportId id = link.claims.report_id;
  if (link.cached) return PdfDocument{*link.cached, PdfFilename(id)};
  return RenderPdf(link.report);
}

std::string ReportService::LinkHtml(const OpenedLink& link) const {
  if (link.cached) return *link.cached;
  // One instant for the page and its key, so the key's minute is the page's.
  const Instant now = clock_.Now();
  std::string html =
      renderer_.RenderHtml(link.report, now, render::PageOptions(std::string(kLinkPdfHref)));
  if (html_cache_) {
    html_cache_->Put(link.claims.report_id, HtmlCacheVersion(link.report.version, now),
                     std::make_shared<const std::string>(html));
  }
  return html;
}

Result<std::vector<LinkRecord>> ReportService::ListLinks(const store::Principal& who,
                                                         ReportId id) const {
  auto stored = LoadOwned(who, id);
  if (!stored) return stored.error();
  // Read our own writes: views still queued on this node go in first. A
  // failed flush keeps them queued; the list is then a moment behind.
  if (opens_) opens_->Flush();
  return store_.ListLinks(who.company_id, id);
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
  return store_.RevokeLink(who.company_id, id, link, clock_.Now());
}

Result<int64_t> ReportService::RevokeAllLinks(const store::Principal& who, ReportId id) const {
  auto stored = LoadOwned(who, id);
  if (!stored) return stored.error();
  return store_.RevokeAllLinks(who.company_id, id, clock_.Now());
}

}  // namespace reportshare::service
