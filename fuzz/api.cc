// Fuzz target `api`: the router and every handler's own checks
// (http::Api::Handle, a Request in and a Response out, no socket: what
// session.cc hands it), over a store whose database is down except for
// authentication (tests/support/faulty_store.h over SQLite, every method
// failing but FindApiKey). So each request goes through its route, the
// API key, the path, query, headers and body rules, and ends at its first
// store call with 503: nothing is written, however long it runs. The
// webhook endpoints are left out (registration resolves the URL's host:
// DNS). Input: fields separated by 0xFF (fuzz_util.h): method, target,
// apiKey header ("valid": the key the store knows; empty: none), body,
// Accept, Accept-Language, and "too-large" to send the body as one over the
// route's cap (dropped and flagged, as the session does). Never a crash or an exception; and
//  - the status is one the API answers (never 500: nothing here is a bug);
//  - the route is one of the route patterns, never the raw path;
//  - a 405 says what is allowed (Allow);
//  - a JSON body parses, an error's is {"error": "…"};
//  - every response on the link path has the link's security headers;
//  - a streamed body (a bulk download) is a ZIP to its end.
// RS_FUZZ_VERBOSE=1 prints each request's status, route and body's start.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/json.h"
#include "core/log.h"
#include "fuzz/fuzz_util.h"
#include "http/api.h"
#include "links/key_ring.h"
#include "render/renderer.h"
#include "service/api_keys.h"
#include "service/branding_service.h"
#include "service/key_ring_holder.h"
#include "service/report_service.h"
#include "store/sqlite/sqlite_store.h"
#include "support/faulty_store.h"

namespace reportshare::fuzz {
namespace {

using test_support::FaultyStore;
using test_support::StoreMethod;

class NullLogSink final : public core::LogSink {
 public:
  void Write(const core::LogRecord&) override {}
};

// What lives as long as the process: the database (one company, one API
// key), the renderer, the key ring of fuzz/token.cc's seeds.
struct Base {
  Base() {
    core::SetLogSink(std::make_shared<NullLogSink>());
    char tmpl[] = "/tmp/rs-fuzz-api.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) std::abort();
    dir = tmpl;
    auto opened = store::SqliteStore::Open(dir + "/api.db", 1);
    if (!opened) std::abort();
    store = std::move(*opened);
    auto key = service::CreateApiKey(*store, "Acme Talent", clock);
    if (!key) std::abort();
    api_key = key->key;
    renderer = render::MakeBasicRenderer();
    std::vector<links::SigningKey> ring_keys;
    for (uint8_t first : {uint8_t{0}, uint8_t{100}}) {
      links::SigningKey k{SigningKeyId{first == 0 ? 1u : 7u}, Bytes(links::KeyRing::kSecretSize)};
      for (size_t i = 0; i < k.secret.size(); ++i) k.secret[i] = static_cast<uint8_t>(first + i);
      ring_keys.push_back(std::move(k));
    }
    keys = std::make_unique<service::KeyRingHolder>(
        *links::KeyRing::Create(std::move(ring_keys), SigningKeyId{1}));
  }
  ~Base() {
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  static Base& Get() {
    static Base base;
    return base;
  }

  std::string dir;
  SystemClock clock;
  std::unique_ptr<store::SqliteStore> store;
  std::string api_key;
  std::unique_ptr<render::ReportRenderer> renderer;
  std::unique_ptr<service::KeyRingHolder> keys;
};

http::ApiOptions Options(const service::BrandingService& branding) {
  http::ApiOptions options;
  options.branding = &branding;
  return options;
}

// The service and the API over a FaultyStore that fails all but FindApiKey.
// Made again every so many inputs: a FaultyStore logs every call it sees.
struct World {
  explicit World(Base& b)
      : faulty(*b.store),
        service(faulty, *b.renderer, *b.keys, b.clock, "https://reports.example.com"),
        branding(faulty, b.clock),
        api(service, Options(branding)) {
    for (size_t m = 0; m < test_support::kStoreMethodCount; ++m) {
      if (static_cast<StoreMethod>(m) != StoreMethod::kFindApiKey) {
        faulty.FailMethod(static_cast<StoreMethod>(m));
      }
    }
  }
  FaultyStore faulty;
  service::ReportService service;
  service::BrandingService branding;
  http::Api api;
};

const std::set<std::string, std::less<>> kRoutes = {
    "unmatched",
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/assessments/bp/reports/shared/{token}",
    "/assessments/reports/share",
    "/assessments/reports/download",
    "/assessments/reports/{report_id}/links",
    "/assessments/reports/{report_id}/links/{link_id}/opens",
    "/assessments/reports/{report_id}/links/{link_id}",
    "/assessments/reports/{report_id}/{option}",
    "/assessments/branding",
    "/assessments/report/{report_id}",
};

const std::set<int> kStatuses = {200, 201, 202, 400, 401, 403, 404, 405, 409, 410, 413, 429, 503};

// What Beast's HTTP parser (boost/beast/http/detail/basic_parser.ipp)
// accepts: a method is a token (RFC 9110 tchar), a target any byte but a
// control or space (bytes from 0x80 on included), a header value any byte
// but a control other than HTAB, without surrounding whitespace.
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool IsTarget(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  return true;
}

bool IsFieldValue(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return s.empty() ||
         (s.front() != ' ' && s.front() != '\t' && s.back() != ' ' && s.back() != '\t');
}

std::string_view Header(const http::Response& res, std::string_view name) {
  for (const http::Header& h : res.headers) {
    if (http::HeaderNameEquals(h.name, name)) return h.value;
  }
  return {};
}

void Check(const http::Request& req, http::Response& res) {
  const std::string what = req.method + " → " + std::to_string(res.status) + " " + res.route;
  static const bool verbose = std::getenv("RS_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "%s %s\n", what.c_str(), res.body.substr(0, 120).c_str());
  FUZZ_CHECK(kStatuses.count(res.status) == 1, "an unexpected status: " + what);
  FUZZ_CHECK(kRoutes.count(res.route) == 1, "a route that is no pattern: " + what);
  if (res.status == 405) FUZZ_CHECK(!Header(res, "Allow").empty(), what);
  const std::string_view type = Header(res, "Content-Type");
  FUZZ_CHECK(!type.empty(), "no Content-Type: " + what);
  if (type == "application/json" && !res.body_source) {
    auto json = core::ParseJson(res.body);
    FUZZ_CHECK(json.has_value(), "a JSON body that is not JSON: " + what);
    if (res.status >= 400) {
      FUZZ_CHECK(json->is_object() && json->get_object().size() == 1 &&
                     json->get_object().contains("error") &&
                     json->get_object().at("error").is_string(),
                 "an error body that is not {\"error\": …}: " + what);
    }
  }
  if (res.route == "/assessments/bp/reports/shared/{token}") {
    FUZZ_CHECK(Header(res, "Cache-Control") == "no-store", what);
    FUZZ_CHECK(Header(res, "Referrer-Policy") == "no-referrer", what);
    FUZZ_CHECK(
        !Header(res, "X-Robots-Tag").empty() && !Header(res, "X-Content-Type-Options").empty(),
        what);
    FUZZ_CHECK(!Header(res, "Content-Security-Policy").empty(), what);
  }
  if (res.body_source) {
    std::string zip;
    while (auto chunk = res.body_source->NextChunk()) zip += *chunk;
    FUZZ_CHECK(zip.starts_with("PK"), "a streamed body that is no ZIP: " + what);
    res.body_source.reset();
  }
}

}  // namespace
}  // namespace reportshare::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace reportshare;
  using namespace reportshare::fuzz;
  static Base& base = Base::Get();
  static std::unique_ptr<World> world;
  static size_t runs = 0;
  if (!world || ++runs % 20000 == 0) {
    world.reset();
    world = std::make_unique<World>(base);
  }

  const std::vector<std::string_view> f = SplitFields(AsText(data, size));
  auto field = [&f](size_t i) { return i < f.size() ? f[i] : std::string_view(); };
  // Only what Beast's parser lets through reaches the router.
  if (!IsToken(field(0)) || !IsTarget(field(1))) return 0;
  for (size_t i : {2, 4, 5}) {
    if (!IsFieldValue(field(i))) return 0;
  }
  http::Request req;
  req.method = std::string(field(0));
  req.target = std::string(field(1));
  if (field(2) == "valid") {
    req.headers.push_back({"apiKey", base.api_key});
  } else if (!field(2).empty()) {
    req.headers.push_back({"apiKey", std::string(field(2))});
  }
  if (!field(4).empty()) req.headers.push_back({"Accept", std::string(field(4))});
  if (!field(5).empty()) req.headers.push_back({"Accept-Language", std::string(field(5))});
  req.body_limit = http::Api::BodyLimit(req.method, req.target);
  if (field(3).size() > req.body_limit || field(6) == "too-large") {
    req.body_too_large = true;
  } else {
    req.body = std::string(field(3));
  }
  req.remote_address = "192.0.2.1";

  http::Response res = world->api.Handle(req);
  Check(req, res);
  return 0;
}
