#include "http/api.h"

#include <boost/json.hpp>

#include <cmath>
#include <initializer_list>
#include <memory>
#include <span>
#include <stdexcept>

#include "core/embedded.h"
#include "core/json.h"
#include "core/rfc3339.h"
#include "domain/branding.h"
#include "domain/link_options.h"
#include "domain/report_json.h"
#include "http/query.h"
#include "http/responses.h"
#include "http/share_body.h"
#include "render/zip/zip_writer.h"
#include "service/bulk_download.h"

namespace reportshare::http {

// Generated from docs/openapi.json (src/http/CMakeLists.txt).
std::span<const core::EmbeddedFile> OpenApiFiles();

std::string_view OpenApiDocument() { return OpenApiFiles().front().bytes; }

namespace {

namespace json = boost::json;

constexpr int kMaxOpensListed = 1000;

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segs;
  if (path.empty() || path[0] != '/') return segs;
  path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    segs.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segs;
}

bool Is(std::span<const std::string_view> segs, std::initializer_list<std::string_view> fixed) {
  // Matches `segs` against `fixed`, where "*" is any non-empty segment.
  if (segs.size() != fixed.size()) return false;
  size_t i = 0;
  for (std::string_view f : fixed) {
    if (f == "*" ? segs[i].empty() : segs[i] != f) return false;
    ++i;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Response MethodNotAllowed(const Request& req, std::string_view allow) {
  Response res = ErrorResponse(Status::MethodNotAllowed(
      "method " + req.method + " is not allowed here; allowed: " + std::string(allow)));
  res.SetHeader("Allow", std::string(allow));
  return res;
}

Result<store::Principal> Authenticate(const service::ReportService& service, const Request& req) {
  auto values = req.HeaderValues("apiKey");
  if (values.size() > 1) return Status::Unauthenticated("send exactly one apiKey header");
  if (values.empty() || Trim(values[0]).empty()) {
    return Status::Unauthenticated("missing apiKey header");
  }
  return service.Authenticate(Trim(values[0]));
}

Result<ReportId> ParsePathReportId(std::string_view text) {
  auto id = domain::ParseReportId(text);
  if (!id) {
    return Status::InvalidArgument("report_id must be a decimal integer from " +
                                   std::string(kIdRange));
  }
  return *id;
}

Result<LinkId> ParsePathLinkId(std::string_view text) {
  auto id = LinkId::Parse(text);
  if (!id)
    return Status::InvalidArgument("link_id must be the 22-character id from the links list");
  return *id;
}

Status CheckBodySize(const Request& req) {
  if (req.body_too_large) {
    return Status::PayloadTooLarge("request body is larger than " + std::to_string(req.body_limit) +
                                   " bytes");
  }
  return Status::Ok();
}

// A share response (SPEC §2.1) with its link_id (§5). The options are not
// echoed: the response keeps the seed's shape; the links list shows them.
json::object ShareJson(const service::ShareResult& shared, const json::value& expiration_hours) {
  return json::object{{"signed_url", shared.signed_url},
                      {"expires_at", core::FormatRfc3339Micros(shared.expires_at)},
                      {"expiration_hours", expiration_hours},
                      {"report_id", shared.report_id.value},
                      {"assessment_id", shared.assessment_id},
                      {"link_id", shared.link_id.ToString()}};
}

// One id that a bulk operation could not serve: {"report_id", "status",
// "error"}. The report's own state keeps its status (404, 409); anything else
// (the database, a render) is 503, for that id alone.
json::object BulkErrorEntry(ReportId id, const Status& error) {
  Code code = error.code();
  bool own = code == Code::kNotFound || code == Code::kFailedPrecondition;
  std::string message =
      code == Code::kInternal ? "the PDF could not be rendered; try again later" : error.message();
  return json::object{{"report_id", id.value},
                      {"status", own ? HttpStatusFor(code) : 503},
                      {"error", std::move(message)}};
}

// The body of a bulk download: a ZIP of report-<id>.pdf, in request order,
// and errors.json (BulkErrorEntry's) at the end when some id has no PDF. Each
// chunk is what the ZIP grew by with the next PDF, so memory holds the PDFs
// rendered ahead (BulkDownload) and one entry.
class ZipBody final : public BodySource {
 public:
  explicit ZipBody(std::unique_ptr<service::BulkDownload> pdfs) : pdfs_(std::move(pdfs)) {}

  std::optional<std::string> NextChunk() override {
    if (done_) return std::nullopt;
    const Instant mtime = pdfs_->started_at();
    while (auto item = pdfs_->Next()) {
      if (item->pdf) {
        Check(zip_.Add(item->pdf->filename, item->pdf->bytes, mtime));
      } else {
        errors_.push_back(BulkErrorEntry(item->report_id, item->pdf.error()));
      }
      std::string out = zip_.TakeOutput();
      if (!out.empty()) return out;
    }
    if (!errors_.empty()) Check(zip_.Add("errors.json", core::WriteJson(errors_), mtime));
    Check(zip_.Finish());
    done_ = true;
    return zip_.TakeOutput();
  }

 private:
  // The archive cannot go on (libarchive failed in memory): the session then
  // ends the connection with the body incomplete, as a client must see it.
  static void Check(const Status& s) {
    if (!s.ok()) throw std::runtime_error(s.message());
  }

  std::unique_ptr<service::BulkDownload> pdfs_;
  render::ZipWriter zip_;
  json::array errors_;
  bool done_ = false;
};

// SPEC §2.2: every response on the link path.
void AddLinkSecurityHeaders(Response& res) {
  res.SetHeader("Cache-Control", "no-store");
  res.SetHeader("Referrer-Policy", "no-referrer");
  res.SetHeader("X-Robots-Tag", "noindex, nofollow");
  res.SetHeader("X-Content-Type-Options", "nosniff");
  res.SetHeader("Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
}

Response HtmlResponse(int status, std::string body) {
  Response res;
  res.status = status;
  res.headers.push_back({"Content-Type", "text/html; charset=utf-8"});
  res.body = std::move(body);
  return res;
}

Response PdfResponse(service::PdfDocument pdf) {
  Response res;
  res.headers.push_back({"Content-Type", "application/pdf"});
  res.headers.push_back({"Content-Disposition", "attachment; filename=\"" + pdf.filename + "\""});
  res.headers.push_back({"Cache-Control", "no-store"});
  res.body = std::move(pdf.bytes);
  return res;
}

// The start of the error for an unsupported ?lang=.
constexpr std::string_view kBadLangPrefix = "lang must be one of ";

// The page a browser gets for a link that cannot show its report, in the
// visitor's language.
Response LinkErrorPage(const Status& status, Language language) {
  using render::LinkNotice;
  LinkNotice notice = LinkNotice::kUnavailable;
  switch (status.code()) {
    case Code::kGone:
      notice = status.message() == service::kLinkExpired      ? LinkNotice::kExpired
               : status.message() == service::kLinkRevoked    ? LinkNotice::kRevoked
               : status.message() == service::kLinkOutOfViews ? LinkNotice::kViewLimit
                                                              : LinkNotice::kReportUnavailable;
      break;
    case Code::kNotFound:
      notice = LinkNotice::kNotFound;
      break;
    case Code::kInvalidArgument:
      notice = status.message().starts_with(kBadLangPrefix) ? LinkNotice::kUnsupportedLanguage
                                                            : LinkNotice::kBadRequest;
      break;
    case Code::kPermissionDenied:
      notice = LinkNotice::kDownloadsDisabled;
      break;
    default:
      break;
  }
  return HtmlResponse(HttpStatusFor(status.code()),
                      render::RenderLinkNoticePage(notice, language, status.message()));
}

// The links list's filters (SPEC §5): ?recipient= (exact) and ?state=.
Result<service::LinkFilter> ParseLinkFilter(std::string_view query) {
  auto params = ParseQuery(query, {"recipient", "state"});
  if (!params) return params.error();
  service::LinkFilter filter;
  for (auto& [key, value] : *params) {
    if (key == "recipient") {
      RS_RETURN_IF_ERROR(domain::CheckRecipient(value));
      filter.recipient = std::move(value);
    } else {
      filter.state = service::ParseLinkState(value);
      if (!filter.state) {
        return Status::InvalidArgument("state must be one of live, expired, revoked");
      }
    }
  }
  return filter;
}

// The query of a link (SPEC §2.2, §5): format=pdf|html and lang=<tag>.
struct LinkQuery {
  bool pdf = false;
  std::optional<Language> language;
};

Result<LinkQuery> ParseLinkQuery(std::string_view query) {
  auto params = ParseQuery(query, {"format", "lang"});
  if (!params) return params.error();
  LinkQuery out;
  for (const auto& [key, value] : *params) {
    if (key == "format") {
      if (value != "pdf" && value != "html") {
        return Status::InvalidArgument("format must be pdf or html");
      }
      out.pdf = value == "pdf";
    } else {
      out.language = domain::ParseLanguageTag(value);
      if (!out.language) {
        return Status::InvalidArgument(std::string(kBadLangPrefix) +
                                       std::string(domain::SupportedLanguageTags()));
      }
    }
  }
  return out;
}

json::value OptionalTime(const std::optional<Instant>& t) {
  return t ? json::value(core::FormatRfc3339Micros(*t)) : json::value(nullptr);
}

// Media-range quality of `type/subtype` in an Accept header: the q of the
// most specific matching range, or -1 when nothing matches.
double AcceptQuality(std::string_view accept, std::string_view type, std::string_view subtype,
                     bool& explicit_match) {
  double best_q = -1;
  int best_specificity = -1;
  explicit_match = false;
  while (!accept.empty()) {
    size_t comma = accept.find(',');
    std::string_view item = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
    size_t semi = item.find(';');
    std::string_view range = Trim(item.substr(0, semi));
    double q = 1;
    if (semi != std::string_view::npos) {
      std::string_view params = item.substr(semi + 1);
      size_t qpos = params.find("q=");
      if (qpos != std::string_view::npos) {
        std::string qs(Trim(params.substr(qpos + 2, params.find(';', qpos) - qpos - 2)));
        char* end = nullptr;
        q = std::strtod(qs.c_str(), &end);
        if (end == qs.c_str() || !std::isfinite(q)) q = 0;
      }
    }
    size_t slash = range.find('/');
    if (slash == std::string_view::npos) continue;
    std::string_view t = range.substr(0, slash), s = range.substr(slash + 1);
    int specificity;
    if (HeaderNameEquals(t, type) && HeaderNameEquals(s, subtype)) {
      specificity = 2;
    } else if (HeaderNameEquals(t, type) && s == "*") {
      specificity = 1;
    } else if (t == "*" && s == "*") {
      specificity = 0;
    } else {
      continue;
    }
    if (specificity > best_specificity) {
      best_specificity = specificity;
      best_q = q;
    }
  }
  explicit_match = best_specificity == 2;
  return best_q;
}

}  // namespace

bool PrefersJson(std::string_view accept) {
  bool json_explicit = false, html_explicit = false;
  double qjson = AcceptQuality(accept, "application", "json", json_explicit);
  double qhtml = AcceptQuality(accept, "text", "html", html_explicit);
  if (qjson <= 0) return false;
  if (qjson != qhtml) return qjson > qhtml;
  return json_explicit && !html_explicit;
}

template <class Handler>
Response Api::Authenticated(const Request& req, Handler&& handler) const {
  auto who = Authenticate(service_, req);
  if (!who) return ErrorResponse(who.error());
  if (options_.rate_limiter) {
    if (auto wait = options_.rate_limiter->Acquire(who->key_id)) {
      Response res = ErrorResponse(Status::RateLimited(
          "rate limit exceeded for this API key; retry after " + std::to_string(*wait) + " s"));
      res.SetHeader("Retry-After", std::to_string(*wait));
      return res;
    }
  }
  return handler(*who);
}

Response Api::Health(std::string_view which) const {
  if (which == "healthz") return JsonResponse(200, json::object{{"status", "ok"}});
  if (which == "metrics") {
    if (!options_.metrics) return ErrorResponse(Status::NotFound("no such endpoint"));
    Response res;
    res.headers.push_back({"Content-Type", "text/plain; version=0.0.4; charset=utf-8"});
    res.body = options_.metrics->Render(service_.counters());
    if (options_.more_metrics) res.body += options_.more_metrics();
    return res;
  }
  if (options_.draining && options_.draining->load()) {
    return ErrorResponse(Status::Unavailable("shutting down"));
  }
  Status ready = service_.Ready();
  return ready.ok() ? JsonResponse(200, json::object{{"status", "ready"}})
                    : ErrorResponse(Status::Unavailable("database unreachable"));
}

size_t Api::BodyLimit(std::string_view method, std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  if (method == "PUT" && (path == "/assessments/branding" || path == "/assessments/branding/")) {
    return kBrandingBodyLimit;
  }
  return kDefaultBodyLimit;
}

bool Api::NeverBlocks(const Request& req) {
  std::string_view path = req.path();
  return path == "/healthz" || path == "/metrics";
}

Response Api::Handle(const Request& req) const {
  auto segs = SplitPath(req.path());
  const std::string& m = req.method;
  bool get = m == "GET" || m == "HEAD";
  Response res;

  if (Is(segs, {"healthz"}) || Is(segs, {"readyz"}) || Is(segs, {"metrics"})) {
    res = get ? Health(segs[0]) : MethodNotAllowed(req, "GET, HEAD");
    res.route = "/" + std::string(segs[0]);
  } else if (Is(segs, {"openapi.json"})) {
    if (get) {
      res.headers.push_back({"Content-Type", "application/json"});
      res.body = std::string(OpenApiDocument());
    } else {
      res = MethodNotAllowed(req, "GET, HEAD");
    }
    res.route = "/openapi.json";
  } else if (segs.size() >= 4 && segs[0] == "assessments" && segs[1] == "bp" &&
             segs[2] == "reports" && segs[3] == "shared") {
    // Everything under the link prefix is the link route, so a mangled link
    // (empty token, trailing slash) still gets the link's 404 page and headers.
    std::string_view token = segs.size() == 5 ? segs[4] : std::string_view{};
    res = get ? OpenLink(req, token) : MethodNotAllowed(req, "GET, HEAD");
    AddLinkSecurityHeaders(res);
    res.route = "/assessments/bp/reports/shared/{token}";
  } else if (Is(segs, {"assessments", "reports", "share"}) ||
             Is(segs, {"assessments", "reports", "download"})) {
    const bool share = segs[2] == "share";
    res = m == "POST" ? Authenticated(req,
                                      [&](const Principal& who) {
                                        return share ? BulkShare(req, who) : BulkDownload(req, who);
                                      })
                      : MethodNotAllowed(req, "POST");
    res.route = share ? "/assessments/reports/share" : "/assessments/reports/download";
  } else if (Is(segs, {"assessments", "reports", "*", "links"})) {
    if (m == "GET") {
      res = Authenticated(req, [&](const Principal& who) { return ListLinks(req, who, segs[2]); });
    } else if (m == "DELETE") {
      res = Authenticated(
          req, [&](const Principal& who) { return RevokeLinks(req, who, segs[2], std::nullopt); });
    } else {
      res = MethodNotAllowed(req, "GET, DELETE");
    }
    res.route = "/assessments/reports/{report_id}/links";
  } else if (Is(segs, {"assessments", "reports", "*", "links", "*", "opens"})) {
    res =
        m == "GET"
            ? Authenticated(
                  req, [&](const Principal& who) { return ListOpens(req, who, segs[2], segs[4]); })
            : MethodNotAllowed(req, "GET");
    res.route = "/assessments/reports/{report_id}/links/{link_id}/opens";
  } else if (Is(segs, {"assessments", "reports", "*", "links", "*"})) {
    res = m == "DELETE" ? Authenticated(req,
                                        [&](const Principal& who) {
                                          return RevokeLinks(req, who, segs[2], segs[4]);
                                        })
                        : MethodNotAllowed(req, "DELETE");
    res.route = "/assessments/reports/{report_id}/links/{link_id}";
  } else if (Is(segs, {"assessments", "reports", "*", "*"})) {
    res = m == "POST"
              ? Authenticated(
                    req, [&](const Principal& who) { return Share(req, who, segs[2], segs[3]); })
              : MethodNotAllowed(req, "POST");
    res.route = "/assessments/reports/{report_id}/{option}";
  } else if (segs.size() >= 2 && segs[0] == "assessments" && segs[1] == "webhooks" &&
             options_.webhooks) {
    std::string route;
    res = Webhooks(req, std::span<const std::string_view>(segs).subspan(1), route);
    res.route = std::move(route);
  } else if (Is(segs, {"assessments", "branding"}) && options_.branding) {
    res = Branding(req);
    res.route = "/assessments/branding";
  } else if (Is(segs, {"assessments", "report", "*"})) {
    if (m == "GET") {
      res = Authenticated(req, [&](const Principal& who) { return GetReport(req, who, segs[2]); });
    } else if (m == "PUT") {
      res = Authenticated(req, [&](const Principal& who) { return PutReport(req, who, segs[2]); });
    } else {
      res = MethodNotAllowed(req, "GET, PUT");
    }
    res.route = "/assessments/report/{report_id}";
  } else {
    res = ErrorResponse(Status::NotFound("no such endpoint"));
  }
  return res;
}

Response Api::Webhooks(const Request& req, std::span<const std::string_view> segs,
                       std::string& route) const {
  const service::WebhookService& hooks = *options_.webhooks;
  const std::string& m = req.method;
  auto is = [&](std::initializer_list<std::string_view> pattern) { return Is(segs, pattern); };
  auto run = [&](std::string_view method, auto&& handler) {
    if (m != method) return MethodNotAllowed(req, method);
    return Authenticated(req, [&](const Principal& who) {
      if (Status s = CheckBodySize(req); !s.ok()) return ErrorResponse(s);
      return handler(who);
    });
  };
  if (is({"webhooks"})) {
    route = "/assessments/webhooks";
    if (m == "POST") {
      return Authenticated(req, [&](const Principal& who) { return RegisterWebhook(req, who); });
    }
    return run("GET", [&](const Principal& who) {
      auto list = hooks.List(who);
      if (!list) return ErrorResponse(list.error());
      json::array out;
      for (const domain::Webhook& w : *list) {
        json::object entry;
        domain::AppendWebhookJson(w, entry);
        out.push_back(std::move(entry));
      }
      return JsonResponse(200, json::object{{"webhooks", std::move(out)}});
    });
  }
  if (is({"webhooks", "*"})) {
    route = "/assessments/webhooks/{webhook_id}";
    return run("DELETE", [&](const Principal& who) {
      if (Status s = hooks.Delete(who, segs[1]); !s.ok()) return ErrorResponse(s);
      return JsonResponse(200, json::object{{"deleted", 1}});
    });
  }
  if (is({"webhooks", "*", "test"})) {
    route = "/assessments/webhooks/{webhook_id}/test";
    return run("POST", [&](const Principal& who) {
      auto delivery = hooks.Test(who, segs[1]);
      if (!delivery) return ErrorResponse(delivery.error());
      return JsonResponse(202, json::object{{"delivery_id", *delivery}});
    });
  }
  if (is({"webhooks", "*", "deliveries"})) {
    route = "/assessments/webhooks/{webhook_id}/deliveries";
    return run("GET", [&](const Principal& who) {
      auto list = hooks.Deliveries(who, segs[1]);
      if (!list) return ErrorResponse(list.error());
      json::array out;
      for (const domain::Delivery& d : *list) {
        json::object entry;
        domain::AppendDeliveryJson(d, entry);
        out.push_back(std::move(entry));
      }
      return JsonResponse(200, json::object{{"deliveries", std::move(out)}});
    });
  }
  if (is({"webhooks", "*", "deliveries", "*", "retry"})) {
    route = "/assessments/webhooks/{webhook_id}/deliveries/{delivery_id}/retry";
    return run("POST", [&](const Principal& who) {
      if (Status s = hooks.Retry(who, segs[1], segs[3]); !s.ok()) return ErrorResponse(s);
      return JsonResponse(202, json::object{{"delivery_id", segs[3]}});
    });
  }
  return ErrorResponse(Status::NotFound("no such endpoint"));
}

Response Api::RegisterWebhook(const Request& req, const Principal& who) const {
  if (Status s = CheckBodySize(req); !s.ok()) return ErrorResponse(s);
  static constexpr std::string_view kExample =
      "{\"url\": \"https://example.com/hooks\", \"events\": [\"link.viewed\"]}";
  if (req.body.empty()) {
    return ErrorResponse(
        Status::InvalidArgument("request body is required: send " + std::string(kExample)));
  }
  auto value = core::ParseJson(req.body);
  if (!value || !value->is_object()) {
    return ErrorResponse(Status::InvalidArgument("request body must be a JSON object such as " +
                                                 std::string(kExample)));
  }
  auto registration = domain::ParseWebhookRegistration(value->get_object());
  if (!registration) return ErrorResponse(registration.error());
  auto registered = options_.webhooks->Register(who, *registration);
  if (!registered) return ErrorResponse(registered.error());
  json::object out;
  domain::AppendWebhookJson(registered->webhook, out, registered->secret);
  return JsonResponse(201, out);
}

Response Api::Branding(const Request& req) const {
  const bool get = req.method == "GET" || req.method == "HEAD";
  if (!get && req.method != "PUT") return MethodNotAllowed(req, "GET, PUT");
  return Authenticated(req, [&](const Principal& who) {
    if (Status s = CheckBodySize(req); !s.ok()) return ErrorResponse(s);
    auto branding = [&]() -> Result<domain::Branding> {
      if (get) return options_.branding->Get(who);
      static constexpr std::string_view kExample =
          "{\"display_name\": \"Acme Talent\", \"primary_color\": \"#0b5394\"}";
      auto value = req.body.empty() ? Result<json::value>(Status::InvalidArgument("empty"))
                                    : core::ParseJson(req.body);
      if (!value || !value->is_object()) {
        return Status::InvalidArgument("request body must be a JSON object such as " +
                                       std::string(kExample) +
                                       "; every field is optional and null resets it");
      }
      auto body = domain::ParseBrandingBody(value->get_object());
      if (!body) return body.error();
      return options_.branding->Update(who, *body);
    }();
    if (!branding) return ErrorResponse(branding.error());
    json::object out;
    domain::AppendBrandingJson(*branding, out);
    return JsonResponse(200, out);
  });
}

Response Api::Share(const Request& req, const Principal& who, std::string_view id_text,
                    std::string_view option) const {
  auto id = ParsePathReportId(id_text);
  if (!id) return ErrorResponse(id.error());
  if (option != "share" && option != "download") {
    return ErrorResponse(
        Status::InvalidArgument("option must be \"share\" or \"download\" (case-sensitive)"));
  }
  if (Status s = CheckBodySize(req); !s.ok()) return ErrorResponse(s);
  auto body = ParseOptionalObject(req.body);
  if (!body) return ErrorResponse(body.error());
  auto lifetime = ParseExpirationHours(*body);
  if (!lifetime) return ErrorResponse(lifetime.error());
  // Validated for download too, like expiration_hours, and ignored there.
  auto options = ParseOptions(*body);
  if (!options) return ErrorResponse(options.error());

  if (option == "download") {
    auto pdf = service_.Download(who, *id);
    if (!pdf) return ErrorResponse(pdf.error());
    return PdfResponse(std::move(*pdf));
  }
  auto shared = service_.Share(who, *id, lifetime->duration, *options);
  if (!shared) return ErrorResponse(shared.error());
  return JsonResponse(200, ShareJson(*shared, lifetime->echo));
}

Response Api::BulkShare(const Request& req, const Principal& who) const {
  if (Status s = CheckBodySize(req); !s.ok()) return ErrorResponse(s);
  auto bulk = ParseBulkBody(req.body);
  if (!bulk) return ErrorResponse(bulk.error());
  auto entries = service_.ShareMany(who, bulk->ids, bulk->lifetime.duration, bulk->options);
  if (!entries) return ErrorResponse(entries.error());
  json::array links;
  links.reserve(entries->size());
  for (size_t i = 0; i < entries->size(); ++i) {
    const auto& entry = (*entries)[i];
    links.push_back(entry ? ShareJson(*entry, bulk->lifetime.echo)
                          : BulkErrorEntry(bulk->ids[i], entry.error()));
  }
  return JsonResponse(200, json::object{{"links", std::move(links)}});
}

Response Api::BulkDownload(const Request& req, const Principal& who) const {
  if (Status s = CheckBodySize(req); !s.ok()) return ErrorResponse(s);
  auto bulk = ParseBulkBody(req.body);
  if (!bulk) return ErrorResponse(bulk.error());
  // From here on the status is 200: what cannot be served is in errors.json.
  Response res;
  res.headers.push_back({"Content-Type", "application/zip"});
  res.headers.push_back({"Content-Disposition", "attachment; filename=\"reports.zip\""});
  res.headers.push_back({"Cache-Control", "no-store"});
  res.body_source = std::make_shared<ZipBody>(service_.DownloadMany(who, std::move(bulk->ids)));
  return res;
}

Response Api::GetReport(const Request& req, const Principal& who, std::string_view id_text) const {
  auto id = ParsePathReportId(id_text);
  if (!id) return ErrorResponse(id.error());
  if (Status s = CheckBodySize(req); !s.ok()) return ErrorResponse(s);
  auto found = service_.GetReport(who, *id);
  if (!found) return ErrorResponse(found.error());
  json::object out = domain::ReportToJson(found->report);
  if (found->report_link) out["report_link"] = *found->report_link;
  return JsonResponse(200, out);
}

Response Api::PutReport(const Request& req, const Principal& who, std::string_view id_text) const {
  auto id = ParsePathReportId(id_text);
  if (!id) return ErrorResponse(id.error());
  if (Status s = CheckBodySize(req); !s.ok()) return ErrorResponse(s);
  if (req.body.empty()) return ErrorResponse(Status::InvalidArgument("request body is required"));
  auto value = core::ParseJson(req.body);
  if (!value) return ErrorResponse(value.error());
  auto report = domain::ParseReport(*value, *id);
  if (!report) return ErrorResponse(report.error());
  auto outcome = service_.PutReport(who, *report);
  if (!outcome) return ErrorResponse(outcome.error());
  return JsonResponse(*outcome == store::PutOutcome::kCreated ? 201 : 200,
                      domain::ReportToJson(*report));
}

Response Api::ListLinks(const Request& req, const Principal& who, std::string_view id_text) const {
  auto id = ParsePathReportId(id_text);
  if (!id) return ErrorResponse(id.error());
  if (Status s = CheckBodySize(req); !s.ok()) return ErrorResponse(s);
  auto filter = ParseLinkFilter(req.query());
  if (!filter) return ErrorResponse(filter.error());
  auto links = service_.ListLinks(who, *id, *filter);
  if (!links) return ErrorResponse(links.error());
  json::array arr;
  for (const LinkRecord& l : *links) {
    json::object entry{{"link_id", l.link_id.ToString()},
                       {"created_at", core::FormatRfc3339Micros(l.created_at)},
                       {"expires_at", core::FormatRfc3339Micros(l.expires_at)},
                       {"revoked_at", OptionalTime(l.revoked_at)},
                       {"views", l.views},
                       {"last_viewed_at", OptionalTime(l.last_viewed_at)}};
    domain::AppendLinkOptionsJson(l.options, entry);
    // The base it was minted on (SPEC §8 public_url); null for links older
    // than the record of it.
    entry["base_url"] = l.base_url ? json::value(*l.base_url) : json::value(nullptr);
    arr.push_back(std::move(entry));
  }
  return JsonResponse(200, json::object{{"links", std::move(arr)}});
}

Response Api::RevokeLinks(const Request& req, const Principal& who, std::string_view id_text,
                          std::optional<std::string_view> link_text) const {
  auto id = ParsePathReportId(id_text);
  if (!id) return ErrorResponse(id.error());
  std::optional<LinkId> link_id;
  if (link_text) {
    auto parsed = ParsePathLinkId(*link_text);
    if (!parsed) return ErrorResponse(parsed.error());
    link_id = *parsed;
  }
  if (Status s = CheckBodySize(req); !s.ok()) return ErrorResponse(s);
  auto revoked =
      link_id ? service_.RevokeLink(who, *id, *link_id) : service_.RevokeAllLinks(who, *id);
  if (!revoked) return ErrorResponse(revoked.error());
  return JsonResponse(200, json::object{{"revoked", *revoked}});
}

Response Api::ListOpens(const Request& req, const Principal& who, std::string_view id_text,
                        std::string_view link_text) const {
  auto id = ParsePathReportId(id_text);
  if (!id) return ErrorResponse(id.error());
  auto link_id = ParsePathLinkId(link_text);
  if (!link_id) return ErrorResponse(link_id.error());
  if (Status s = CheckBodySize(req); !s.ok()) return ErrorResponse(s);
  auto opens = service_.ListOpens(who, *id, *link_id, kMaxOpensListed);
  if (!opens) return ErrorResponse(opens.error());
  json::array arr;
  for (const LinkOpen& o : *opens) {
    arr.push_back(json::object{{"at", core::FormatRfc3339Micros(o.at)},
                               {"status", o.status},
                               {"client", o.client},
                               {"network", o.network},
                               {"counted", o.counted}});
  }
  return JsonResponse(200, json::object{{"opens", std::move(arr)}});
}

Response Api::OpenLink(const Request& req, std::string_view token) const {
  bool wants_json = PrefersJson(req.HeaderValue("Accept").value_or(""));
  const std::optional<Language> browser_language =
      NegotiateLanguage(req.HeaderValue("Accept-Language").value_or(""));
  // A page that says why the report is not shown is in the language the
  // report would have been (the link's own language is not known here).
  std::optional<Language> notice_language = browser_language;
  auto fail = [&](const Status& s) {
    return wants_json ? ErrorResponse(s)
                      : LinkErrorPage(s, notice_language.value_or(Language::kEn));
  };

  auto query = ParseLinkQuery(req.query());
  if (!query) return fail(query.error());
  if (query->language) notice_language = query->language;
  const bool pdf = query->pdf;
  using service::LinkFormat;
  service::Visitor visitor;
  visitor.wants_view = req.method == "GET";
  visitor.user_agent = req.HeaderValue("User-Agent").value_or("");
  visitor.remote_address = req.remote_address;
  visitor.format = pdf ? LinkFormat::kPdf : wants_json ? LinkFormat::kJson : LinkFormat::kHtml;
  visitor.language = query->language;
  visitor.browser_language = browser_language;
  auto opened = service_.OpenLink(token, visitor);
  if (!opened) return fail(opened.error());
  if (pdf) {
    auto doc = service_.LinkPdf(*opened);
    if (!doc) return fail(doc.error());
    return PdfResponse(std::move(*doc));
  }
  if (wants_json) return JsonResponse(200, domain::ReportToJson(opened->report.report));
  return HtmlResponse(200, service_.LinkHtml(*opened));
}

}  // namespace reportshare::http
