#pragma once

// Rows in and out of every SQL backend, so the stores stay parallel in their
// SQL only: how a link, an open and a report body are bound and read, and the
// loops that read one, an optional or every row of a query. Header-only and
// written against the Query contract of sql/query.h.

#include <boost/json/value.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/json.h"
#include "core/log.h"
#include "core/status.h"
#include "domain/branding.h"
#include "domain/link_record.h"
#include "domain/report.h"
#include "domain/report_json.h"
#include "domain/webhook.h"

namespace reportshare::store::sql {

// The columns of a links row as BindLink binds and ReadLinkRow reads them.
#define RS_LINK_COLUMNS                                                                  \
  "link_id, report_id, company_id, signing_key_id, created_at, expires_at, revoked_at, " \
  "views, last_viewed_at, recipient, allow_download, max_views, watermark, variant, "    \
  "language, views_used, base_url"

inline std::span<const uint8_t> Bytes(const LinkId& id) { return id.bytes; }

// The columns of a webhooks row as BindWebhook binds and ReadWebhookRow reads them.
#define RS_WEBHOOK_COLUMNS \
  "webhook_id, company_id, url, events, description, secret, created_at, disabled_at"
// The columns of a webhook_deliveries row as ReadDeliveryRow reads them.
#define RS_DELIVERY_COLUMNS                                                              \
  "delivery_id, webhook_id, event_type, created_at, attempts, last_status, last_error, " \
  "delivered_at, next_attempt_at"

template <class Query>
void BindWebhook(Query& q, const domain::Webhook& w) {
  q.Bind(w.webhook_id)
      .Bind(w.company.value)
      .Bind(w.url)
      .Bind(int64_t{w.events})
      .Bind(w.description)
      .Bind(std::span<const uint8_t>(w.secret))
      .Bind(w.created_at)
      .Bind(w.disabled_at);
}

template <class Query>
domain::Webhook ReadWebhookRow(const Query& q) {
  domain::Webhook w;
  w.webhook_id = q.Text(0);
  w.company = CompanyId{q.Int(1)};
  w.url = q.Text(2);
  w.events = static_cast<domain::EventMask>(q.Int(3)) & domain::kAllEvents;
  w.description = q.Text(4);
  q.Blob(5, w.secret);
  w.created_at = q.At(6);
  w.disabled_at = q.OptionalAt(7);
  return w;
}

// A nullable text column.
template <class Query>
std::optional<std::string> ReadOptionalText(const Query& q, int col) {
  if (q.IsNull(col)) return std::nullopt;
  return q.Text(col);
}

inline std::optional<std::string_view> OptionalView(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  return std::string_view(*text);
}

// Each counted link's views after a batch of opens (Driver::WriteOpens).
using ViewTotals = domain::ViewTotals;

// An event type as stored; a name this build does not know reads as
// webhook.test (it was written by a newer build).
inline domain::EventType ReadEventType(std::string_view name) {
  return domain::ParseEventType(name).value_or(domain::EventType::kWebhookTest);
}

template <class Query>
domain::Delivery ReadDeliveryRow(const Query& q) {
  domain::Delivery d;
  d.delivery_id = q.Text(0);
  d.webhook_id = q.Text(1);
  d.type = ReadEventType(q.Raw(2));
  d.created_at = q.At(3);
  d.attempts = q.Int(4);
  if (!q.IsNull(5)) d.last_status = q.Int(5);
  if (!q.IsNull(6)) d.last_error = q.Text(6);
  d.delivered_at = q.OptionalAt(7);
  d.next_attempt_at = q.OptionalAt(8);
  return d;
}

// Binds the seventeen RS_LINK_COLUMNS of `link`, in order.
template <class Query>
void BindLink(Query& q, const LinkRecord& link) {
  const LinkOptions& o = link.options;
  q.Bind(Bytes(link.link_id))
      .Bind(link.report_id.value)
      .Bind(link.company_id.value)
      .Bind(int64_t{link.signing_key_id.value})
      .Bind(link.created_at)
      .Bind(link.expires_at)
      .Bind(link.revoked_at)
      .Bind(link.views)
      .Bind(link.last_viewed_at)
      .BindOptional(o.recipient ? std::optional<std::string_view>(*o.recipient) : std::nullopt)
      .Bind(int64_t{o.allow_download})
      .BindOptional(o.max_views ? std::optional<int64_t>(*o.max_views) : std::nullopt)
      .Bind(int64_t{o.watermark})
      .Bind(domain::VariantName(o.variant))
      .BindOptional(o.language ? std::optional<std::string_view>(domain::LanguageTag(*o.language))
                               : std::nullopt)
      .Bind(link.views_used)
      .BindOptional(OptionalView(link.base_url));
}

// A links row selected as RS_LINK_COLUMNS.
template <class Query>
LinkRecord ReadLinkRow(const Query& q) {
  LinkRecord link;
  q.Blob(0, link.link_id.bytes);
  link.report_id = ReportId{q.Int(1)};
  link.company_id = CompanyId{q.Int(2)};
  link.signing_key_id = SigningKeyId{static_cast<uint32_t>(q.Int(3))};
  link.created_at = q.At(4);
  link.expires_at = q.At(5);
  link.revoked_at = q.OptionalAt(6);
  link.views = q.Int(7);
  link.last_viewed_at = q.OptionalAt(8);
  // Written by BindLink from valid options; a value this build does not know
  // reads as the default.
  LinkOptions& o = link.options;
  o.recipient = ReadOptionalText(q, 9);
  o.allow_download = q.Int(10) != 0;
  if (!q.IsNull(11)) o.max_views = static_cast<int32_t>(q.Int(11));
  o.watermark = q.Int(12) != 0;
  o.variant = domain::ParseVariant(q.Text(13)).value_or(Variant::kFull);
  if (!q.IsNull(14)) o.language = domain::ParseLanguageTag(q.Text(14));
  link.views_used = q.Int(15);
  link.base_url = ReadOptionalText(q, 16);
  return link;
}

// --- branding ---

// The columns of a branding row as ReadBrandingRow reads them.
#define RS_BRANDING_COLUMNS                                                                    \
  "display_name, primary_color, logo_png, logo_sha256, logo_width, logo_height, footer_text, " \
  "public_url, version, updated_at"

// Binds the parameters of Sql::kUpdateBranding for `change` of `company`'s
// branding at `at`, in order: the company; the value each column takes in a
// new row (a field set: its value; kept or reset: NULL), display_name,
// primary_color, logo_png, logo_sha256, logo_width, logo_height,
// footer_text, public_url; the instant; then one flag per field, 1 to keep
// the stored value (display_name, primary_color, logo, footer_text,
// public_url), else 0, the column taking the new row's value.
template <class Query>
void BindBrandingChange(Query& q, CompanyId company, const domain::BrandingChange& c, Instant at) {
  // The value a field change writes: its value when it sets one, else NULL.
  auto text = [](const domain::FieldChange<std::string>& f) -> std::optional<std::string_view> {
    if (!f || !*f) return std::nullopt;
    return std::string_view(**f);
  };
  const domain::Logo* logo = c.logo && *c.logo ? &**c.logo : nullptr;
  std::optional<std::string> color;
  if (c.primary_color && *c.primary_color) color = (*c.primary_color)->Hex();
  q.Bind(company.value).BindOptional(text(c.display_name)).BindOptional(OptionalView(color));
  if (logo) {
    q.Bind(core::AsBytes(logo->png))
        .Bind(std::string_view(logo->sha256))
        .Bind(int64_t{logo->width})
        .Bind(int64_t{logo->height});
  } else {
    q.BindOptional(std::optional<int64_t>())
        .BindOptional(std::optional<int64_t>())
        .BindOptional(std::optional<int64_t>())
        .BindOptional(std::optional<int64_t>());
  }
  q.BindOptional(text(c.footer_text)).BindOptional(text(c.public_url)).Bind(at);
  for (bool keep : {!c.display_name, !c.primary_color, !c.logo, !c.footer_text, !c.public_url}) {
    q.Bind(int64_t{keep ? 1 : 0});
  }
}

// A branding row selected as RS_BRANDING_COLUMNS. It was written from valid
// values; a colour that does not parse reads as unset (the default).
template <class Query>
Branding ReadBrandingRow(const Query& q) {
  Branding b;
  b.display_name = ReadOptionalText(q, 0);
  if (!q.IsNull(1)) b.primary_color = domain::ParseHexColor(q.Raw(1));
  if (!q.IsNull(2)) {
    b.logo = domain::Logo{q.Text(2), q.Text(3), static_cast<int32_t>(q.Int(4)),
                          static_cast<int32_t>(q.Int(5))};
  }
  b.footer_text = ReadOptionalText(q, 6);
  b.public_url = ReadOptionalText(q, 7);
  b.version = q.Int(8);
  b.updated_at = q.At(9);
  return b;
}

// An open of link `id` selected as "at, status, client, network, counted".
template <class Query>
LinkOpen ReadOpenRow(const Query& q, const LinkId& id) {
  return LinkOpen{id, q.At(0), static_cast<int>(q.Int(1)), q.Text(2), q.Text(3), q.Int(4) != 0};
}

// A reports row as PutReport writes it.
struct ReportRow {
  ReportId report_id;
  CompanyId company_id;
  std::string body;  // EncodeReportBody
  std::string_view invite_status;
  Instant updated_at;
};

// Binds the five columns of `row`: report_id, company_id, body, invite_status,
// updated_at.
template <class Query>
void BindReportRow(Query& q, const ReportRow& row) {
  q.Bind(row.report_id.value)
      .Bind(row.company_id.value)
      .Bind(row.body)
      .Bind(row.invite_status)
      .Bind(row.updated_at);
}

// The stored body of a report: its storage JSON (domain/report_json.h).
inline std::string EncodeReportBody(const Report& report) {
  return core::WriteJson(boost::json::value(domain::ReportToStorageJson(report)));
}

inline ReportRow MakeReportRow(CompanyId company, const Report& report, Instant at) {
  return ReportRow{report.report_id, company, EncodeReportBody(report),
                   domain::InviteStatusName(report.invite_status), at};
}

// Reads a body EncodeReportBody wrote. It was written from a valid Report, so
// failing to read it back means the row was damaged or the rules changed
// under it: logged on `channel` (the backend's), and kInternal.
inline Result<Report> DecodeReportBody(std::string_view body, ReportId id,
                                       std::string_view channel) {
  Result<boost::json::value> json = core::ParseJson(body);
  Result<Report> report = json ? domain::ParseReport(*json, id) : Result<Report>(json.error());
  if (!report) {
    // The parse error names a field and a rule, never a value.
    core::LogError(
        channel, "stored report does not parse",
        {{"op", "GetReport"}, {"report_id", id.value}, {"error", report.error().message()}});
    return Status::Internal("stored report is unreadable");
  }
  return report;
}

// --- reading rows ---

// The type `decode` makes of a row of `Query`.
template <class Query, class Decode>
using RowOf = std::remove_cvref_t<std::invoke_result_t<Decode&, const Query&>>;

// Every row of `q`, decoded, in order.
template <class Query, class Decode>
Result<std::vector<RowOf<Query, Decode>>> ReadAll(Query& q, Decode decode) {
  std::vector<RowOf<Query, Decode>> out;
  for (;;) {
    Result<bool> row = q.Step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(decode(std::as_const(q)));
  }
}

// The first row of `q`, decoded, or nullopt if there is none.
template <class Query, class Decode>
Result<std::optional<RowOf<Query, Decode>>> ReadOptional(Query& q, Decode decode) {
  Result<bool> row = q.Step();
  if (!row) return row.error();
  if (!*row) return std::optional<RowOf<Query, Decode>>();
  return std::optional<RowOf<Query, Decode>>(decode(std::as_const(q)));
}

// The first row of `q`, decoded, for a query that always yields one (an
// aggregate): none is a failure, logged.
template <class Query, class Decode>
Result<RowOf<Query, Decode>> ReadOne(Query& q, Decode decode) {
  Result<bool> row = q.Step();
  if (!row) return row.error();
  if (!*row) return q.Fail("no row");
  return decode(std::as_const(q));
}

}  // namespace reportshare::store::sql
