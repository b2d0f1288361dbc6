#include "render/worker/protocol.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <climits>
#include <cstdint>

#include "core/bytes.h"
#include "core/json.h"
#include "domain/report_json.h"

namespace reportshare::render::worker {
namespace {

namespace json = boost::json;

constexpr Code kLastCode = Code::kInternal;

// What a render needs of a company's branding (the logo's PNG as Base64).
json::object BrandingToJson(const domain::Branding& b) {
  json::object o;
  o["version"] = b.version;
  if (b.display_name) o["display_name"] = *b.display_name;
  if (b.primary_color) o["primary_color"] = b.primary_color->Hex();
  if (b.footer_text) o["footer_text"] = *b.footer_text;
  if (b.logo) {
    o["logo"] = json::object{{"png", core::Base64Encode(core::AsBytes(b.logo->png))},
                             {"sha256", b.logo->sha256},
                             {"width", b.logo->width},
                             {"height", b.logo->height}};
  }
  return o;
}

std::optional<domain::Branding> BrandingFromJson(const json::value& v) {
  const json::object* o = v.if_object();
  if (!o) return std::nullopt;
  domain::Branding b;
  const json::value* version = o->if_contains("version");
  if (!version || !version->is_int64()) return std::nullopt;
  b.version = version->get_int64();
  auto text = [&](std::string_view key, std::optional<std::string>& out) {
    const json::value* t = o->if_contains(key);
    if (!t) return true;
    if (!t->is_string()) return false;
    out = std::string(t->get_string());
    return true;
  };
  if (!text("display_name", b.display_name) || !text("footer_text", b.footer_text)) {
    return std::nullopt;
  }
  if (const json::value* c = o->if_contains("primary_color")) {
    if (!c->is_string()) return std::nullopt;
    b.primary_color = domain::ParseHexColor(c->get_string());
    if (!b.primary_color) return std::nullopt;
  }
  if (const json::value* l = o->if_contains("logo")) {
    const json::object* lo = l->if_object();
    const json::value* png = lo ? lo->if_contains("png") : nullptr;
    const json::value* sha = lo ? lo->if_contains("sha256") : nullptr;
    const json::value* w = lo ? lo->if_contains("width") : nullptr;
    const json::value* h = lo ? lo->if_contains("height") : nullptr;
    auto side = [](const json::value* n) {
      return n && n->is_int64() && n->get_int64() >= 1 && n->get_int64() <= domain::kMaxLogoPixels;
    };
    if (!png || !png->is_string() || !sha || !sha->is_string() || !side(w) || !side(h)) {
      return std::nullopt;
    }
    auto bytes = core::Base64Decode(png->get_string());
    if (!bytes) return std::nullopt;
    b.logo =
        domain::Logo{std::string(bytes->begin(), bytes->end()), std::string(sha->get_string()),
                     static_cast<int32_t>(w->get_int64()), static_cast<int32_t>(h->get_int64())};
  }
  return b;
}

}  // namespace

std::string EncodeRequest(const StoredReport& report, Instant generated_at,
                          const RenderOptions& options) {
  json::object o;
  o["language"] = domain::LanguageTag(options.language);
  if (const auto& w = options.watermark) {
    o["watermark"] = json::object{{"recipient", w->recipient},
                                  {"link_id", w->link_id},
                                  {"viewed_at", w->viewed_at.time_since_epoch().count()}};
  }
  if (const domain::Branding* b = options.branding.get()) o["branding"] = BrandingToJson(*b);
  o["company_id"] = report.company_id.value;
  o["company_name"] = report.company_name;
  o["version"] = report.version;
  o["report_id"] = report.report.report_id.value;
  o["generated_at"] = generated_at.time_since_epoch().count();
  o["report"] = domain::ReportToStorageJson(report.report);
  return json::serialize(o);
}

Result<RenderRequest> DecodeRequest(std::string_view payload) {
  const Status bad = Status::InvalidArgument("malformed render request");
  auto value = core::ParseJson(payload);
  if (!value || !value->is_object()) return bad;
  const json::object& o = value->get_object();
  const json::value* company = o.if_contains("company_id");
  const json::value* name = o.if_contains("company_name");
  const json::value* version = o.if_contains("version");
  const json::value* at = o.if_contains("generated_at");
  const json::value* report = o.if_contains("report");
  const json::value* id = o.if_contains("report_id");
  if (!company || !company->is_int64() || !name || !name->is_string() || !version ||
      !version->is_int64() || !at || !at->is_int64() || !report || !id || !id->is_int64()) {
    return bad;
  }
  const json::value* language = o.if_contains("language");
  std::optional<Language> lang;
  if (language && language->is_string()) lang = domain::ParseLanguageTag(language->get_string());
  if (!lang) return bad;
  RenderRequest out;
  out.options.language = *lang;
  if (const json::value* w = o.if_contains("watermark")) {
    const json::object* wo = w->if_object();
    const json::value* recipient = wo ? wo->if_contains("recipient") : nullptr;
    const json::value* link = wo ? wo->if_contains("link_id") : nullptr;
    const json::value* viewed = wo ? wo->if_contains("viewed_at") : nullptr;
    if (!recipient || !recipient->is_string() || !link || !link->is_string() || !viewed ||
        !viewed->is_int64()) {
      return bad;
    }
    out.options.watermark =
        Watermark{std::string(recipient->get_string()), std::string(link->get_string()),
                  Instant(Instant::duration(viewed->get_int64()))};
  }
  if (const json::value* b = o.if_contains("branding")) {
    auto branding = BrandingFromJson(*b);
    if (!branding) return bad;
    out.options.branding = std::make_shared<const domain::Branding>(std::move(*branding));
  }
  auto parsed = domain::ParseReport(*report, ReportId{id->get_int64()});
  if (!parsed) return parsed.error();
  out.report.company_id = CompanyId{company->get_int64()};
  out.report.company_name = std::string(name->get_string());
  out.report.version = version->get_int64();
  out.report.report = std::move(*parsed);
  out.generated_at = Instant(Instant::duration(at->get_int64()));
  return out;
}

std::string EncodeReply(const Result<std::string>& pdf) {
  std::string out;
  if (pdf) {
    out.reserve(pdf->size() + 1);
    out.push_back(static_cast<char>(Code::kOk));
    out += *pdf;
  } else {
    out.push_back(static_cast<char>(pdf.error().code()));
    out += pdf.error().message();
  }
  return out;
}

std::optional<Result<std::string>> DecodeReply(std::string_view payload) {
  if (payload.empty() || static_cast<unsigned char>(payload[0]) > static_cast<int>(kLastCode)) {
    return std::nullopt;
  }
  auto code = static_cast<Code>(payload[0]);
  payload.remove_prefix(1);
  std::string text(payload);
  // A worker fails only in these ways (child.cc); anything else is a bug.
  switch (code) {
    case Code::kOk:
      return Result<std::string>(std::move(text));
    case Code::kUnavailable:
      return Result<std::string>(Status::Unavailable(std::move(text)));
    case Code::kInvalidArgument:
      return Result<std::string>(Status::InvalidArgument(std::move(text)));
    default:
      return Result<std::string>(Status::Internal(std::move(text)));
  }
}

namespace {

std::string FrameHeader(size_t size) {
  std::string h(4, '\0');
  for (int i = 0; i < 4; ++i) h[i] = static_cast<char>((size >> (8 * i)) & 0xff);
  return h;
}

// Waits until `fd` is ready for `events`; kUnavailable once `deadline` passes
// (never for FrameDeadline::max(), where a blocking socket never gets here).
Status WaitFor(int fd, short events, FrameDeadline deadline) {
  while (true) {
    int timeout = -1;
    if (deadline != FrameDeadline::max()) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - FrameClock::now());
      if (left.count() <= 0) return Status::Unavailable("timed out");
      timeout = static_cast<int>(std::min<int64_t>(left.count(), INT32_MAX));
    }
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, timeout);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Internal("poll failed");
    if (n > 0) return Status::Ok();
  }
}

Status WriteAll(int fd, std::string_view bytes, FrameDeadline deadline) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (Status s = WaitFor(fd, POLLOUT, deadline); !s.ok()) return s;
    } else {
      return Status::Internal("the peer closed the render socket");
    }
  }
  return Status::Ok();
}

// Reads exactly `size` bytes; `*got_any` tells a clean end from a cut one.
Status ReadAll(int fd, char* out, size_t size, FrameDeadline deadline, bool* got_any) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, out + done, size - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      *got_any = true;
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (Status s = WaitFor(fd, POLLIN, deadline); !s.ok()) return s;
    } else if (n == 0 && !*got_any) {
      return Status::NotFound("end of stream");
    } else {
      return Status::Internal("the peer closed the render socket mid-frame");
    }
  }
  return Status::Ok();
}

}  // namespace

Status WriteFrame(int fd, std::string_view payload, FrameDeadline deadline) {
  if (Status s = WriteAll(fd, FrameHeader(payload.size()), deadline); !s.ok()) return s;
  return WriteAll(fd, payload, deadline);
}

Result<std::string> ReadFrame(int fd, size_t max_bytes, FrameDeadline deadline) {
  unsigned char header[4];
  bool got_any = false;
  if (Status s = ReadAll(fd, reinterpret_cast<char*>(header), 4, deadline, &got_any); !s.ok()) {
    return s;
  }
  uint32_t size = uint32_t{header[0]} | uint32_t{header[1]} << 8 | uint32_t{header[2]} << 16 |
                  uint32_t{header[3]} << 24;
  if (size > max_bytes) return Status::Internal("render frame too large");
  std::string payload(size, '\0');
  if (Status s = ReadAll(fd, payload.data(), size, deadline, &got_any); !s.ok()) return s;
  return payload;
}

}  // namespace reportshare::render::worker
