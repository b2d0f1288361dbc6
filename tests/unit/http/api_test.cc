#include "http/api.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/log.h"
#include "core/rfc3339.h"
#include "links/token.h"
#include "support/capturing_log_sink.h"
#include "support/faulty_store.h"
#include "support/png_samples.h"
#include "support/sample_reports.h"
#include "support/service_fixture.h"
#include "support/zip_reader.h"

namespace reportshare::http {
namespace {

namespace json = boost::json;
using std::chrono::hours;
using std::chrono::minutes;
using test_support::At;
using test_support::CompletedReport;
using test_support::PendingReport;
using test_support::ServiceFixture;
using test_support::StoreMethod;

std::optional<std::string> HeaderOf(const Response& res, std::string_view name) {
  for (const auto& h : res.headers) {
    if (HeaderNameEquals(h.name, name)) return h.value;
  }
  return std::nullopt;
}

json::value ParseBody(const Response& res) {
  boost::system::error_code ec;
  json::value v = json::parse(res.body, ec);
  EXPECT_FALSE(ec) << "body is not JSON: " << res.body;
  return v;
}

// A JSON error: `status`, application/json, an object with the one key
// "error" holding a non-empty string. Returns the message.
std::string ExpectJsonError(const Response& res, int status) {
  EXPECT_EQ(res.status, status) << res.body;
  EXPECT_EQ(HeaderOf(res, "Content-Type").value_or(""), "application/json");
  json::value v = ParseBody(res);
  if (!v.is_object()) {
    ADD_FAILURE() << "error body is not an object: " << res.body;
    return "";
  }
  const json::object& o = v.get_object();
  EXPECT_EQ(o.size(), 1u) << res.body;
  auto it = o.find("error");
  if (it == o.end() || !it->value().is_string()) {
    ADD_FAILURE() << "no string \"error\": " << res.body;
    return "";
  }
  std::string message(it->value().get_string());
  EXPECT_FALSE(message.empty());
  return message;
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::set<std::string> KeysOf(const json::object& o) {
  std::set<std::string> keys;
  for (const auto& kv : o) keys.insert(std::string(kv.key()));
  return keys;
}

class ApiTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    if (HasFatalFailure()) return;
    // Webhook URLs on loopback are allowed: registration resolves no name.
    webhooks_ = std::make_unique<service::WebhookService>(*faulty_, clock_, true);
    branding_ = std::make_unique<service::BrandingService>(*faulty_, clock_);
    ApiOptions options;
    options.webhooks = webhooks_.get();
    options.branding = branding_.get();
    api_ = std::make_unique<Api>(*service_, std::move(options));
  }

  void TearDown() override {
    api_.reset();
    webhooks_.reset();
    branding_.reset();
    ServiceFixture::TearDown();
  }

  static Request Req(std::string method, std::string target, std::vector<Header> headers = {},
                     std::string body = "") {
    Request r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.headers = std::move(headers);
    r.body = std::move(body);
    return r;
  }

  // A request with company A's key.
  Request AuthA(std::string method, std::string target, std::string body = "") const {
    return Req(std::move(method), std::move(target), {{"apiKey", key_a_}}, std::move(body));
  }
  Request AuthB(std::string method, std::string target, std::string body = "") const {
    return Req(std::move(method), std::move(target), {{"apiKey", key_b_}}, std::move(body));
  }

  Response Handle(const Request& r) const { return api_->Handle(r); }

  // POST /assessments/reports/{id}/share as A; the token of the new link.
  std::string ShareToken(int64_t id, std::string body = "") {
    Response res =
        Handle(AuthA("POST", "/assessments/reports/" + std::to_string(id) + "/share", body));
    EXPECT_EQ(res.status, 200) << res.body;
    json::value v = ParseBody(res);
    if (!v.is_object() || !v.get_object().contains("signed_url")) return "";
    return TokenOf(std::string(v.at("signed_url").as_string()));
  }

  static std::string LinkPath(const std::string& token) {
    return "/assessments/bp/reports/shared/" + token;
  }

  static void ExpectLinkSecurityHeaders(const Response& res) {
    SCOPED_TRACE("status " + std::to_string(res.status));
    EXPECT_EQ(HeaderOf(res, "Cache-Control").value_or(""), "no-store");
    EXPECT_EQ(HeaderOf(res, "Referrer-Policy").value_or(""), "no-referrer");
    EXPECT_EQ(HeaderOf(res, "X-Robots-Tag").value_or(""), "noindex, nofollow");
    EXPECT_EQ(HeaderOf(res, "X-Content-Type-Options").value_or(""), "nosniff");
    std::string csp = HeaderOf(res, "Content-Security-Policy").value_or("");
    EXPECT_TRUE(Contains(csp, "default-src 'none'")) << csp;
    EXPECT_FALSE(Contains(csp, "script-src")) << csp;
  }

  int64_t ViewsOf(const std::string& token) {
    auto link = StoredLink(ClaimsOf(token).link_id);
    return link ? link->views : -1;
  }

  std::unique_ptr<service::WebhookService> webhooks_;
  std::unique_ptr<service::BrandingService> branding_;
  std::unique_ptr<Api> api_;
};

// ---------------------------------------------------------------------------
// PrefersJson.

TEST(PrefersJsonTest, Table) {
  struct Case {
    const char* accept;
    bool json;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"application/json", true},
           {"text/html,application/json", false},
           {"*/*", false},
           {"application/json;q=0.9,text/html;q=0.8", true},
           {"text/html;q=0.5, application/json", true},
           {"", false},
           {"text/html", false},
           {"application/json;q=0", false},
           {"text/html;q=0.9, application/*", true},
           {"APPLICATION/JSON", true},
       }) {
    EXPECT_EQ(PrefersJson(c.accept), c.json) << "Accept: " << c.accept;
  }
}

// ---------------------------------------------------------------------------
// Routing.

// Suites whose names end in PdfTest render a real PDF (Cairo + Pango). The tsan
// preset leaves them out: Pango starts its own fontconfig thread, whose
// synchronization ThreadSanitizer cannot see in the uninstrumented libraries.
class ApiPdfTest : public ApiTest {};

// An error message may quote the client's bytes (a percent-decoded query
// name, a field name cut in a character): the body stays UTF-8 JSON (found
// by fuzz/api).
TEST_F(ApiTest, ErrorBodiesAreValidUtf8WhateverTheClientSent) {
  PutA(CompletedReport(318));
  std::string message =
      ExpectJsonError(Handle(AuthA("GET", "/assessments/reports/318/links?%A4=1")), 400);
  EXPECT_NE(message.find("\xEF\xBF\xBD"), std::string::npos) << message;
  std::string euros;
  for (int i = 0; i < 30; ++i) euros += "\xE2\x82\xAC";
  ExpectJsonError(Handle(AuthA("PUT", "/assessments/branding", R"({")" + euros + R"(": 1})")), 400);
}

TEST_F(ApiTest, UnknownPathIs404Json) {
  for (const char* target : {"/", "/nope", "/assessments", "/assessments/reports/318",
                             "/assessments/reports/318/share/extra", "/healthz/x"}) {
    SCOPED_TRACE(target);
    ExpectJsonError(Handle(AuthA("GET", target)), 404);
    ExpectJsonError(Handle(Req("POST", target)), 404);
  }
}

TEST_F(ApiTest, WrongMethodIs405WithAllow) {
  struct Case {
    const char* method;
    const char* target;
    const char* allow;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"GET", "/assessments/reports/1/share", "POST"},
           {"PUT", "/assessments/reports/1/download", "POST"},
           {"POST", "/assessments/reports/1/links", "GET, DELETE"},
           {"PUT", "/assessments/reports/1/links", "GET, DELETE"},
           {"GET", "/assessments/reports/1/links/AAAAAAAAAAAAAAAAAAAAAA", "DELETE"},
           {"POST", "/assessments/report/1", "GET, PUT"},
           {"DELETE", "/assessments/report/1", "GET, PUT"},
           {"HEAD", "/assessments/report/1", "GET, PUT"},
           {"HEAD", "/assessments/reports/1/links", "GET, DELETE"},
           {"HEAD", "/assessments/reports/1/share", "POST"},
           {"POST", "/healthz", "GET, HEAD"},
           {"POST", "/readyz", "GET, HEAD"},
       }) {
    SCOPED_TRACE(std::string(c.method) + " " + c.target);
    // Route comes before authentication: no key, still 405.
    Response res = Handle(Req(c.method, c.target));
    ExpectJsonError(res, 405);
    EXPECT_EQ(HeaderOf(res, "Allow").value_or("<none>"), c.allow);
    // With a key, the same.
    Response with_key = Handle(AuthA(c.method, c.target));
    ExpectJsonError(with_key, 405);
    EXPECT_EQ(HeaderOf(with_key, "Allow").value_or("<none>"), c.allow);
  }
}

TEST_F(ApiTest, HealthAndReady) {
  for (const char* target : {"/healthz", "/readyz", "/healthz?probe=1"}) {
    SCOPED_TRACE(target);
    Response res = Handle(Req("GET", target));
    EXPECT_EQ(res.status, 200);
    EXPECT_TRUE(ParseBody(res).is_object());
    EXPECT_EQ(Handle(Req("HEAD", target)).status, 200);
  }
}

// ---------------------------------------------------------------------------
// Authentication.

TEST_F(ApiTest, MissingOrEmptyKeyIs401) {
  PutA(CompletedReport(318));
  for (const std::vector<Header>& headers : std::initializer_list<std::vector<Header>>{
           {}, {{"apiKey", ""}}, {{"apiKey", "   "}}, {{"X-Api-Key", key_a_}}}) {
    Response res = Handle(Req("POST", "/assessments/reports/318/share", headers));
    ExpectJsonError(res, 401);
  }
}

TEST_F(ApiTest, UnknownOrRevokedKeyIs401WithoutEchoingIt) {
  PutA(CompletedReport(318));
  std::string bogus = "rs_bogusbogusbogusbogusbogusbogusbogusbogus123";
  Response res = Handle(Req("POST", "/assessments/reports/318/share", {{"apiKey", bogus}}));
  ExpectJsonError(res, 401);
  EXPECT_FALSE(Contains(res.body, bogus));

  ASSERT_TRUE(store_->RevokeApiKey(key_a_id_, clock_.Now()));
  Response revoked = Handle(AuthA("POST", "/assessments/reports/318/share"));
  ExpectJsonError(revoked, 401);
  EXPECT_FALSE(Contains(revoked.body, key_a_));
}

TEST_F(ApiTest, TwoApiKeyHeadersAre401) {
  PutA(CompletedReport(318));
  // Even when both are the same valid key.
  Response same = Handle(
      Req("POST", "/assessments/reports/318/share", {{"apiKey", key_a_}, {"apiKey", key_a_}}));
  ExpectJsonError(same, 401);
  Response mixed = Handle(
      Req("POST", "/assessments/reports/318/share", {{"apiKey", key_a_}, {"APIKEY", key_b_}}));
  ExpectJsonError(mixed, 401);
}

TEST_F(ApiTest, HeaderNameIsCaseInsensitive) {
  PutA(CompletedReport(318));
  for (const char* name : {"apiKey", "APIKEY", "apikey", "ApiKey"}) {
    SCOPED_TRACE(name);
    Response res = Handle(Req("POST", "/assessments/reports/318/share", {{name, key_a_}}));
    EXPECT_EQ(res.status, 200) << res.body;
  }
}

// ---------------------------------------------------------------------------
// Check order: auth, path, body, report, state.

TEST_F(ApiTest, NoKeyAndBadIdIs401) {
  ExpectJsonError(Handle(Req("POST", "/assessments/reports/abc/share")), 401);
  ExpectJsonError(Handle(Req("POST", "/assessments/reports/abc/nonsense")), 401);
  ExpectJsonError(Handle(Req("GET", "/assessments/report/0")), 401);
  ExpectJsonError(Handle(Req("GET", "/assessments/reports/-1/links")), 401);
}

TEST_F(ApiTest, NoKeyAndMissingReportIs401) {
  ExpectJsonError(Handle(Req("POST", "/assessments/reports/999/share")), 401);
  ExpectJsonError(Handle(Req("GET", "/assessments/report/999")), 401);
}

TEST_F(ApiTest, BadIdWithTooLargeBodyIs400) {
  Request r = AuthA("POST", "/assessments/reports/abc/share");
  r.body_too_large = true;
  std::string msg = ExpectJsonError(Handle(r), 400);
  EXPECT_TRUE(Contains(msg, "report_id")) << msg;
}

TEST_F(ApiTest, BadOptionWithTooLargeBodyIs400) {
  PutA(CompletedReport(318));
  Request r = AuthA("POST", "/assessments/reports/318/Share");
  r.body_too_large = true;
  ExpectJsonError(Handle(r), 400);
}

TEST_F(ApiTest, TooLargeBodyIs413) {
  PutA(CompletedReport(318));
  for (const char* option : {"share", "download"}) {
    Request r = AuthA("POST", std::string("/assessments/reports/318/") + option);
    r.body_too_large = true;
    ExpectJsonError(Handle(r), 413);
  }
  // Before the report: an unknown report with a huge body is 413, not 404.
  Request missing = AuthA("POST", "/assessments/reports/999/share");
  missing.body_too_large = true;
  ExpectJsonError(Handle(missing), 413);
  // The same on PUT.
  Request put = AuthA("PUT", "/assessments/report/318");
  put.body_too_large = true;
  ExpectJsonError(Handle(put), 413);
}

TEST_F(ApiTest, BadBodyBeforeMissingReportAndBeforeState) {
  PutA(PendingReport(400));
  ExpectJsonError(Handle(AuthA("POST", "/assessments/reports/999/share", "[1]")), 400);
  ExpectJsonError(
      Handle(AuthA("POST", "/assessments/reports/400/share", "{\"expiration_hours\":99}")), 400);
  // Another company's report with a bad body: 400 as well (nothing leaks).
  PutA(CompletedReport(318));
  ExpectJsonError(Handle(AuthB("POST", "/assessments/reports/318/share", "[1]")), 400);
}

TEST_F(ApiTest, BadReportIdIs400) {
  for (const char* id : {"0", "-1", "abc", "01", "0318", "1.5", "9223372036854775808", "%31",
                         "%33%31%38", "+1", " 1", "1e3"}) {
    SCOPED_TRACE(id);
    std::string msg = ExpectJsonError(
        Handle(AuthA("POST", std::string("/assessments/reports/") + id + "/share")), 400);
    EXPECT_TRUE(Contains(msg, "9223372036854775807")) << msg;
  }
}

TEST_F(ApiTest, BadOptionIs400NamingBoth) {
  PutA(CompletedReport(318));
  for (const char* option : {"Share", "DOWNLOAD", "shares", "view"}) {
    SCOPED_TRACE(option);
    std::string msg = ExpectJsonError(
        Handle(AuthA("POST", std::string("/assessments/reports/318/") + option)), 400);
    EXPECT_TRUE(Contains(msg, "share")) << msg;
    EXPECT_TRUE(Contains(msg, "download")) << msg;
  }
}

TEST_F(ApiTest, UnknownAndForeignReportAre404WithIdenticalBody) {
  PutA(CompletedReport(318));
  for (const char* option : {"share", "download"}) {
    SCOPED_TRACE(option);
    Response missing = Handle(AuthB("POST", std::string("/assessments/reports/999/") + option));
    Response foreign = Handle(AuthB("POST", std::string("/assessments/reports/318/") + option));
    ExpectJsonError(missing, 404);
    ExpectJsonError(foreign, 404);
    EXPECT_EQ(missing.body, foreign.body);
  }
  for (const char* method : {"GET", "DELETE"}) {
    SCOPED_TRACE(method);
    Response missing = Handle(AuthB(method, "/assessments/reports/999/links"));
    Response foreign = Handle(AuthB(method, "/assessments/reports/318/links"));
    ExpectJsonError(missing, 404);
    ExpectJsonError(foreign, 404);
    EXPECT_EQ(missing.body, foreign.body);
  }
  Response missing_get = Handle(AuthB("GET", "/assessments/report/999"));
  Response foreign_get = Handle(AuthB("GET", "/assessments/report/318"));
  ExpectJsonError(missing_get, 404);
  ExpectJsonError(foreign_get, 404);
  EXPECT_EQ(missing_get.body, foreign_get.body);
}

TEST_F(ApiTest, NotCompletedIs409) {
  PutA(PendingReport(400));
  for (const char* option : {"share", "download"}) {
    SCOPED_TRACE(option);
    ExpectJsonError(Handle(AuthA("POST", std::string("/assessments/reports/400/") + option)), 409);
  }
}

// ---------------------------------------------------------------------------
// bulk (SPEC §6).

constexpr std::string_view kBulkShare = "/assessments/reports/share";
constexpr std::string_view kBulkDownload = "/assessments/reports/download";

std::string IdsBody(const std::vector<int64_t>& ids, std::string_view extra = "") {
  std::string body = R"({"report_ids": [)";
  for (size_t i = 0; i < ids.size(); ++i) body += (i ? "," : "") + std::to_string(ids[i]);
  return body + "]" + std::string(extra) + "}";
}

// Every chunk of a streamed body, joined.
std::string DrainBody(const Response& res) {
  EXPECT_TRUE(res.body_source) << "not streamed";
  if (!res.body_source) return "";
  std::string all;
  while (auto chunk = res.body_source->NextChunk()) all += *chunk;
  return all;
}

std::vector<std::string> NamesOf(const std::vector<test_support::ZipEntry>& entries) {
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.name);
  return names;
}

TEST_F(ApiTest, BulkShareMintsInRequestOrderWithPerIdErrors) {
  PutA(CompletedReport(318));
  PutA(PendingReport(319));
  PutA(CompletedReport(321));
  ASSERT_TRUE(service_->PutReport(b_, CompletedReport(320)));
  size_t before = faulty_->call_count();
  Response res = Handle(AuthA("POST", std::string(kBulkShare),
                              IdsBody({321, 9999, 319, 320, 318}, R"(, "expiration_hours": 2)")));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(HeaderOf(res, "Content-Type").value_or(""), "application/json");
  // One transaction for every link.
  EXPECT_EQ(faulty_->CallsOf(StoreMethod::kInsertLinks).size(), 1u);
  EXPECT_TRUE(faulty_->CallsOf(StoreMethod::kInsertLink).empty());
  EXPECT_GT(faulty_->call_count(), before);
  json::value v = ParseBody(res);
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(KeysOf(v.get_object()), std::set<std::string>{"links"});
  const json::array& links = v.at("links").as_array();
  ASSERT_EQ(links.size(), 5u);
  for (size_t i : {size_t{0}, size_t{4}}) {
    const json::object& o = links[i].as_object();
    EXPECT_EQ(KeysOf(o), (std::set<std::string>{"signed_url", "expires_at", "expiration_hours",
                                                "report_id", "assessment_id", "link_id"}));
    EXPECT_EQ(o.at("report_id").to_number<int64_t>(), i == 0 ? 321 : 318);
    EXPECT_EQ(o.at("expiration_hours").to_number<int64_t>(), 2);
    EXPECT_EQ(o.at("expires_at").as_string(), core::FormatRfc3339Micros(clock_.Now() + hours(2)));
    std::string token = TokenOf(std::string(o.at("signed_url").as_string()));
    links::LinkClaims claims = ClaimsOf(token);
    EXPECT_EQ(claims.link_id.ToString(), o.at("link_id").as_string());
    auto stored = StoredLink(claims.link_id);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->report_id.value, i == 0 ? 321 : 318);
    // The link opens like a single share's.
    EXPECT_EQ(Handle(Req("GET", LinkPath(token))).status, 200);
  }
  auto expect_error = [&](size_t i, int64_t id, int status, std::string_view message) {
    SCOPED_TRACE(i);
    const json::object& o = links[i].as_object();
    EXPECT_EQ(KeysOf(o), (std::set<std::string>{"report_id", "status", "error"}));
    EXPECT_EQ(o.at("report_id").to_number<int64_t>(), id);
    EXPECT_EQ(o.at("status").to_number<int64_t>(), status);
    EXPECT_EQ(o.at("error").as_string(), message);
  };
  expect_error(1, 9999, 404, "report not found");
  expect_error(2, 319, 409, "report is not Completed (invite_status is Pending)");
  expect_error(3, 320, 404, "report not found");  // another company's: as if missing
  EXPECT_EQ(service_->counters().links_minted.load(), 2u);
}

TEST_F(ApiTest, BulkBodiesAreValidatedBeforeAnyReport) {
  std::vector<int64_t> too_many(1001);
  for (size_t i = 0; i < too_many.size(); ++i) too_many[i] = int64_t(i) + 1;
  const struct {
    std::string body;
    std::string message;
  } cases[] = {
      {"", "request body is required: send {\"report_ids\": [318, 319]} with 1 to 1000 report ids"},
      {"[318]",
       "request body must be a JSON object such as {\"report_ids\": [318, 319]} with 1 to 1000 "
       "report ids"},
      {"{\"report_ids\": ",
       "request body must be a JSON object such as {\"report_ids\": [318, 319]} with 1 to 1000 "
       "report ids"},
      {"{}", "report_ids must be an array of 1 to 1000 report ids"},
      {R"({"report_ids": 318})", "report_ids must be an array of 1 to 1000 report ids"},
      {R"({"report_ids": null})", "report_ids must be an array of 1 to 1000 report ids"},
      {R"({"report_ids": []})", "report_ids must hold 1 to 1000 report ids; it holds 0"},
      {IdsBody(too_many), "report_ids must hold 1 to 1000 report ids; it holds 1001"},
      {R"({"report_ids": [318, "319"]})",
       "report_ids[1] must be an integer from 1 to 9223372036854775807"},
      {R"({"report_ids": [0]})", "report_ids[0] must be an integer from 1 to 9223372036854775807"},
      {R"({"report_ids": [318, -4]})",
       "report_ids[1] must be an integer from 1 to 9223372036854775807"},
      {R"({"report_ids": [318.5]})",
       "report_ids[0] must be an integer from 1 to 9223372036854775807"},
      {R"({"report_ids": [9223372036854775808]})",
       "report_ids[0] must be an integer from 1 to 9223372036854775807"},
      {R"({"report_ids": [318, 319, 7, 319]})",
       "report_ids[3] repeats report_ids[1] (319); each report id may appear once"},
      {R"({"report_ids": [318], "expiration_hours": 30})",
       "expiration_hours must be a number of hours from 0.25 (15 minutes) to 24"},
      {R"({"report_ids": [318], "expiration_hours": "2"})",
       "expiration_hours must be a number of hours from 0.25 (15 minutes) to 24"},
  };
  for (std::string_view path : {kBulkShare, kBulkDownload}) {
    for (const auto& c : cases) {
      SCOPED_TRACE(std::string(path) + " " + c.body.substr(0, 60));
      size_t before = faulty_->call_count();
      Response res = Handle(AuthA("POST", std::string(path), c.body));
      EXPECT_EQ(ExpectJsonError(res, 400), c.message);
      EXPECT_FALSE(res.body_source);
      // Only the key was looked up.
      EXPECT_EQ(faulty_->MethodsCalled(before), std::vector<StoreMethod>{StoreMethod::kFindApiKey});
    }
  }
}

TEST_F(ApiTest, BulkEndpointsCheckKeyThenSizeAndTakeOnlyPost) {
  for (std::string_view path : {kBulkShare, kBulkDownload}) {
    SCOPED_TRACE(path);
    Request no_key = Req("POST", std::string(path), {}, "not json");
    EXPECT_EQ(ExpectJsonError(Handle(no_key), 401), "missing apiKey header");
    Request big = AuthA("POST", std::string(path));
    big.body_too_large = true;
    EXPECT_EQ(ExpectJsonError(Handle(big), 413), "request body is larger than 65536 bytes");
    for (const char* method : {"GET", "HEAD", "PUT", "DELETE"}) {
      Response res = Handle(AuthA(method, std::string(path)));
      EXPECT_EQ(res.status, 405);
      EXPECT_EQ(HeaderOf(res, "Allow").value_or(""), "POST");
    }
  }
}

TEST_F(ApiPdfTest, BulkDownloadStreamsAZipOfTheSinglePdfsAndErrors) {
  PutA(CompletedReport(318));
  PutA(PendingReport(319));
  PutA(CompletedReport(321));
  ASSERT_TRUE(service_->PutReport(b_, CompletedReport(320)));
  // Single downloads first: they fill the PDF cache, which the bulk download
  // reads (without filling it), so the bytes are the same.
  std::map<int64_t, std::string> singles;
  for (int64_t id : {321, 318}) {
    Response single =
        Handle(AuthA("POST", "/assessments/reports/" + std::to_string(id) + "/download"));
    ASSERT_EQ(single.status, 200);
    singles[id] = single.body;
  }
  Response res =
      Handle(AuthA("POST", std::string(kBulkDownload), IdsBody({321, 9999, 319, 320, 318})));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(HeaderOf(res, "Content-Type").value_or(""), "application/zip");
  EXPECT_EQ(HeaderOf(res, "Content-Disposition").value_or(""),
            "attachment; filename=\"reports.zip\"");
  EXPECT_EQ(HeaderOf(res, "Cache-Control").value_or(""), "no-store");
  EXPECT_FALSE(HeaderOf(res, "Content-Length"));
  std::string zip = DrainBody(res);
  EXPECT_EQ(zip.rfind("PK\x03\x04", 0), 0u);
  EXPECT_FALSE(res.body_source->NextChunk());  // stays ended
  auto entries = test_support::ReadZip(zip);
  ASSERT_EQ(NamesOf(entries),
            (std::vector<std::string>{"report-321.pdf", "report-318.pdf", "errors.json"}));
  for (int64_t id : {321, 318}) {
    EXPECT_EQ(entries[id == 321 ? 0 : 1].bytes, singles[id]) << id;
    // STORED: the PDF's own bytes are in the archive as they are.
    EXPECT_NE(zip.find(singles[id].substr(0, 4096)), std::string::npos);
  }
  EXPECT_EQ(
      entries[2].bytes,
      R"([{"report_id":9999,"status":404,"error":"report not found"},)"
      R"j({"report_id":319,"status":409,"error":"report is not Completed (invite_status is Pending)"},)j"
      R"({"report_id":320,"status":404,"error":"report not found"}])");
}

TEST_F(ApiPdfTest, BulkDownloadWithoutErrorsHasNoErrorsJson) {
  PutA(CompletedReport(318));
  Response res = Handle(AuthA("POST", std::string(kBulkDownload), IdsBody({318})));
  auto entries = test_support::ReadZip(DrainBody(res));
  EXPECT_EQ(NamesOf(entries), std::vector<std::string>{"report-318.pdf"});
}

// No PDF is rendered: this one also runs under ThreadSanitizer.
TEST_F(ApiTest, BulkDownloadOfOnlyErrorsIsAZipWithErrorsJson) {
  Response res = Handle(AuthA("POST", std::string(kBulkDownload), IdsBody({5, 6})));
  ASSERT_EQ(res.status, 200);
  auto entries = test_support::ReadZip(DrainBody(res));
  ASSERT_EQ(NamesOf(entries), std::vector<std::string>{"errors.json"});
  EXPECT_EQ(entries[0].bytes, R"([{"report_id":5,"status":404,"error":"report not found"},)"
                              R"({"report_id":6,"status":404,"error":"report not found"}])");
}

// ---------------------------------------------------------------------------
// share.

TEST_F(ApiTest, ShareResponseHasTheFiveFieldsAndLinkId) {
  PutA(CompletedReport(318));
  Instant minted = clock_.Now();
  Response res = Handle(AuthA("POST", "/assessments/reports/318/share"));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(HeaderOf(res, "Content-Type").value_or(""), "application/json");
  json::value v = ParseBody(res);
  ASSERT_TRUE(v.is_object());
  const json::object& o = v.get_object();
  EXPECT_EQ(KeysOf(o), (std::set<std::string>{"signed_url", "expires_at", "expiration_hours",
                                              "report_id", "assessment_id", "link_id"}));
  std::string url(o.at("signed_url").as_string());
  EXPECT_EQ(o.at("link_id").as_string(), ClaimsOf(TokenOf(url)).link_id.ToString());
  EXPECT_EQ(url.rfind("https://reports.example.com/assessments/bp/reports/shared/", 0), 0u) << url;
  EXPECT_EQ(o.at("expires_at").as_string(), core::FormatRfc3339Micros(minted + hours(1)));
  EXPECT_EQ(o.at("expires_at").as_string(), "2025-07-10T10:00:00.000000Z");
  EXPECT_EQ(o.at("report_id").to_number<int64_t>(), 318);
  EXPECT_EQ(o.at("assessment_id").to_number<int64_t>(), 138);
}

TEST_F(ApiTest, ExpirationHoursAccepted) {
  PutA(CompletedReport(318));
  struct Case {
    const char* body;
    double hours;
    const char* raw_echo;  // as it must appear in the response text
  };
  for (const Case& c : std::initializer_list<Case>{
           {"", 1, "\"expiration_hours\":1"},
           {"{}", 1, "\"expiration_hours\":1"},
           {"{\"expiration_hours\":null}", 1, "\"expiration_hours\":1"},
           {"{\"unknown\":\"ignored\"}", 1, "\"expiration_hours\":1"},
           {"{\"expiration_hours\":0.25}", 0.25, "\"expiration_hours\":0.25"},
           {"{\"expiration_hours\":24}", 24, "\"expiration_hours\":24"},
           {"{\"expiration_hours\":2}", 2, "\"expiration_hours\":2"},
           {"{\"expiration_hours\":2.0}", 2, "\"expiration_hours\":2"},
           {"{\"expiration_hours\":1.5}", 1.5, "\"expiration_hours\":1.5"},
           {" { \"expiration_hours\" : 12 } ", 12, "\"expiration_hours\":12"},
       }) {
    SCOPED_TRACE(c.body);
    Instant minted = clock_.Now();
    Response res = Handle(AuthA("POST", "/assessments/reports/318/share", c.body));
    ASSERT_EQ(res.status, 200) << res.body;
    EXPECT_TRUE(Contains(res.body, c.raw_echo)) << res.body;
    // "2" is echoed as an integer, never "2.0" or "2e0".
    size_t at = res.body.find(c.raw_echo);
    if (at != std::string::npos) {
      char next = res.body[at + std::string_view(c.raw_echo).size()];
      EXPECT_TRUE(next == ',' || next == '}') << res.body;
    }
    json::value v = ParseBody(res);
    EXPECT_DOUBLE_EQ(v.at("expiration_hours").to_number<double>(), c.hours);
    auto lifetime = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::duration<double, std::ratio<3600>>(c.hours));
    EXPECT_EQ(v.at("expires_at").as_string(), core::FormatRfc3339Micros(minted + lifetime));
    // The token carries the same expiry.
    std::string token = TokenOf(std::string(v.at("signed_url").as_string()));
    EXPECT_EQ(ClaimsOf(token).expires_at, minted + lifetime);
    clock_.Advance(std::chrono::seconds(1));
  }
}

TEST_F(ApiTest, ExpirationHoursRejected) {
  PutA(CompletedReport(318));
  for (const char* body : {
           "{\"expiration_hours\":0.24}",
           "{\"expiration_hours\":24.01}",
           "{\"expiration_hours\":0}",
           "{\"expiration_hours\":-1}",
           "{\"expiration_hours\":25}",
           "{\"expiration_hours\":\"2\"}",
           "{\"expiration_hours\":true}",
           "{\"expiration_hours\":[]}",
           "{\"expiration_hours\":[2]}",
           "{\"expiration_hours\":{}}",
           "{\"expiration_hours\":NaN}",
           "{\"expiration_hours\":Infinity}",
           "{\"expiration_hours\":1e309}",
           "{\"expiration_hours\":-1e309}",
           "{\"expiration_hours\":18446744073709551615}",
       }) {
    SCOPED_TRACE(body);
    for (const char* option : {"share", "download"}) {
      SCOPED_TRACE(option);
      std::string msg = ExpectJsonError(
          Handle(AuthA("POST", std::string("/assessments/reports/318/") + option, body)), 400);
      EXPECT_TRUE(Contains(msg, "0.25")) << msg;
      EXPECT_TRUE(Contains(msg, "24")) << msg;
    }
  }
  // Nothing was minted.
  auto links = service_->ListLinks(a_, ReportId{318});
  ASSERT_TRUE(links);
  EXPECT_TRUE(links->empty());
}

TEST_F(ApiTest, NonObjectBodiesAre400) {
  PutA(CompletedReport(318));
  for (const char* body : {"[]", "2", "\"x\"", "null", "true", "{", "{\"a\":1,}", "garbage",
                           "{} {}", "/* c */ {}", " ", "\n", "NaN"}) {
    SCOPED_TRACE(body);
    ExpectJsonError(Handle(AuthA("POST", "/assessments/reports/318/share", body)), 400);
    ExpectJsonError(Handle(AuthA("POST", "/assessments/reports/318/download", body)), 400);
  }
}

// ---------------------------------------------------------------------------
// download.

TEST_F(ApiPdfTest, DownloadIsAPdfAttachment) {
  PutA(CompletedReport(318));
  for (const char* body : {"", "{\"expiration_hours\":3}"}) {
    SCOPED_TRACE(body);
    Response res = Handle(AuthA("POST", "/assessments/reports/318/download", body));
    ASSERT_EQ(res.status, 200) << res.body.substr(0, 200);
    EXPECT_EQ(HeaderOf(res, "Content-Type").value_or(""), "application/pdf");
    EXPECT_EQ(HeaderOf(res, "Content-Disposition").value_or(""),
              "attachment; filename=\"report-318.pdf\"");
    EXPECT_EQ(HeaderOf(res, "Cache-Control").value_or(""), "no-store");
    EXPECT_EQ(res.body.rfind("%PDF-", 0), 0u);
  }
  // Downloading mints no link.
  auto links = service_->ListLinks(a_, ReportId{318});
  ASSERT_TRUE(links);
  EXPECT_TRUE(links->empty());
}

// ---------------------------------------------------------------------------
// Branding (SPEC §8).

std::string Base64Of(const std::string& bytes) { return core::Base64Encode(core::AsBytes(bytes)); }

TEST_F(ApiTest, BrandingIsTheDefaultUntilSet) {
  Response res = Handle(AuthA("GET", "/assessments/branding"));
  ASSERT_EQ(res.status, 200) << res.body;
  json::value v = ParseBody(res);
  EXPECT_EQ(
      KeysOf(v.as_object()),
      (std::set<std::string>{"display_name", "primary_color", "logo_sha256", "logo_width",
                             "logo_height", "footer_text", "public_url", "version", "updated_at"}));
  for (const auto& kv : v.as_object()) {
    if (kv.key() != "version") {
      EXPECT_TRUE(kv.value().is_null()) << kv.key();
    }
  }
  EXPECT_EQ(v.at("version"), json::value(0));
}

TEST_F(ApiTest, BrandingPutSetsKeepsAndResetsEachFieldAndNeverEchoesTheLogo) {
  const std::string png = test_support::MakePng(300, 100);
  Response put = Handle(AuthA("PUT", "/assessments/branding",
                              R"({"display_name": "Acme Talent", "primary_color": "#0B5394",
                                  "logo_png": ")" +
                                  Base64Of(png) + R"(", "footer_text": "Acme Inc. · Confidential",
                                  "public_url": "https://talent.acme.example/"})"));
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_FALSE(Contains(put.body, Base64Of(png).substr(0, 40)));
  EXPECT_FALSE(Contains(put.body, "logo_png"));
  json::value v = ParseBody(put);
  EXPECT_EQ(v.at("display_name"), json::value("Acme Talent"));
  EXPECT_EQ(v.at("primary_color"), json::value("#0b5394"));
  EXPECT_EQ(v.at("logo_sha256"), json::value(core::HexEncode(core::Sha256(png))));
  EXPECT_EQ(v.at("logo_width"), json::value(300));
  EXPECT_EQ(v.at("logo_height"), json::value(100));
  EXPECT_EQ(v.at("footer_text"), json::value("Acme Inc. · Confidential"));
  EXPECT_EQ(v.at("public_url"), json::value("https://talent.acme.example"));
  EXPECT_EQ(v.at("version"), json::value(1));
  EXPECT_TRUE(v.at("updated_at").is_string());
  // GET answers the same.
  Response get = Handle(AuthA("GET", "/assessments/branding"));
  ASSERT_EQ(get.status, 200);
  EXPECT_EQ(ParseBody(get), v);

  // A field left out stays; null resets it.
  Response reset =
      Handle(AuthA("PUT", "/assessments/branding", R"({"logo_png": null, "footer_text": null})"));
  ASSERT_EQ(reset.status, 200) << reset.body;
  json::value after = ParseBody(reset);
  EXPECT_EQ(after.at("display_name"), json::value("Acme Talent"));
  EXPECT_EQ(after.at("primary_color"), json::value("#0b5394"));
  EXPECT_TRUE(after.at("logo_sha256").is_null());
  EXPECT_TRUE(after.at("logo_width").is_null());
  EXPECT_TRUE(after.at("footer_text").is_null());
  EXPECT_EQ(after.at("version"), json::value(2));

  // Another company's branding is its own.
  Response b = Handle(AuthB("GET", "/assessments/branding"));
  ASSERT_EQ(b.status, 200);
  EXPECT_TRUE(ParseBody(b).at("display_name").is_null());
}

TEST_F(ApiTest, BrandingErrorsNameTheFieldAndChangeNothing) {
  ASSERT_EQ(Handle(AuthA("PUT", "/assessments/branding", R"({"display_name": "Kept"})")).status,
            200);
  std::string png = test_support::MakePng(40, 40);
  std::string truncated = png.substr(0, png.size() / 2);
  const struct {
    std::string body;
    std::string message;  // a part of it
  } cases[] = {
      {R"({"display_name": ""})", "display_name must be a string of 1 to 100 characters"},
      {R"({"display_name": ")" + std::string(101, 'x') + "\"}", "it has 101"},
      {R"({"primary_color": "#ffcc00"})",
       "primary_color #ffcc00 has a contrast ratio of 1.51:1 against white; it needs at least "
       "4.5:1 (WCAG AA)"},
      {R"({"primary_color": "navy"})", "primary_color must be a colour \"#RRGGBB\""},
      {R"({"logo_png": "%%%"})", "logo_png must be a PNG in standard Base64"},
      {R"({"logo_png": ")" + Base64Of("GIF89a not a png") + "\"}", "logo_png is not a PNG"},
      {R"({"logo_png": ")" + Base64Of(truncated) + "\"}", "logo_png is truncated or corrupt"},
      {R"({"logo_png": ")" + Base64Of(test_support::MakePng(2001, 2)) + "\"}",
       "logo_png is 2001×2 pixels; at most 2000×2000"},
      {R"({"logo_png": ")" +
           Base64Of(test_support::WithIhdrSize(test_support::MakePng(1, 1), 100000, 100000)) +
           "\"}",
       "logo_png is 100000×100000 pixels"},
      {R"({"footer_text": ")" + std::string(201, 'f') + "\"}",
       "footer_text must be a string of at most 200 characters"},
      {R"({"public_url": "javascript:void"})", "public_url must start with http://"},
      {R"({"public_url": 5})", "public_url must be an http(s) URL or null"},
      {R"({"colour": "#000000"})", "unknown field colour"},
      {R"([1])", "request body must be a JSON object"},
      {R"({"display_name": )", "request body must be a JSON object"},
      {"", "request body must be a JSON object"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body.substr(0, 80));
    Response res = Handle(AuthA("PUT", "/assessments/branding", c.body));
    std::string message = ExpectJsonError(res, 400);
    EXPECT_TRUE(Contains(message, c.message)) << message;
  }
  json::value v = ParseBody(Handle(AuthA("GET", "/assessments/branding")));
  EXPECT_EQ(v.at("display_name"), json::value("Kept"));
  EXPECT_EQ(v.at("version"), json::value(1));
}

TEST_F(ApiTest, BrandingNeedsAKeyAndTakesGetAndPutOnly) {
  EXPECT_EQ(ExpectJsonError(Handle(Req("GET", "/assessments/branding")), 401),
            "missing apiKey header");
  EXPECT_EQ(Handle(Req("PUT", "/assessments/branding", {{"apiKey", "nope"}}, "{}")).status, 401);
  Response post = Handle(AuthA("POST", "/assessments/branding", "{}"));
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(HeaderOf(post, "Allow").value_or(""), "GET, PUT");
  // The body cap is SPEC's 512 KiB here, 64 KiB elsewhere.
  EXPECT_EQ(Api::BodyLimit("PUT", "/assessments/branding"), 512u * 1024);
  EXPECT_EQ(Api::BodyLimit("PUT", "/assessments/branding?x=1"), 512u * 1024);
  EXPECT_EQ(Api::BodyLimit("GET", "/assessments/branding"), 64u * 1024);
  EXPECT_EQ(Api::BodyLimit("PUT", "/assessments/report/1"), 64u * 1024);
  Request big = AuthA("PUT", "/assessments/branding");
  big.body_too_large = true;
  big.body_limit = Api::BodyLimit("PUT", "/assessments/branding");
  EXPECT_EQ(ExpectJsonError(Handle(big), 413), "request body is larger than 524288 bytes");
  // A logo near the 256 KiB cap fits the body (it would not fit 64 KiB).
  std::string noise(160 * 160 * 4, '\0');
  uint32_t seed = 7;
  for (char& c : noise) c = static_cast<char>((seed = seed * 1103515245u + 12345u) >> 24);
  const std::string noisy = test_support::PngFromRgba(160, 160, noise);
  ASSERT_GT(noisy.size(), 64u * 1024);
  ASSERT_LE(noisy.size(), 256u * 1024);
  EXPECT_EQ(
      Handle(AuthA("PUT", "/assessments/branding", R"({"logo_png": ")" + Base64Of(noisy) + "\"}"))
          .status,
      200);
}

TEST_F(ApiTest, LinksAreMintedOnTheBrandingsPublicUrlAndOldOnesKeepWorking) {
  PutA(CompletedReport(318));
  const std::string before = ShareToken(318);
  ASSERT_EQ(Handle(AuthA("PUT", "/assessments/branding",
                         R"({"public_url": "https://talent.acme.example/reports/"})"))
                .status,
            200);
  Response share = Handle(AuthA("POST", "/assessments/reports/318/share"));
  ASSERT_EQ(share.status, 200) << share.body;
  const std::string url(ParseBody(share).at("signed_url").as_string());
  EXPECT_EQ(url.rfind("https://talent.acme.example/reports/assessments/bp/reports/shared/", 0), 0u)
      << url;
  const std::string after = url.substr(url.rfind('/') + 1);
  // The report_link of GET too.
  json::value got = ParseBody(Handle(AuthA("GET", "/assessments/report/318")));
  EXPECT_EQ(std::string(got.at("report_link").as_string())
                .rfind("https://talent.acme.example/reports/", 0),
            0u);
  // Both open: the token is the credential, whatever the host.
  for (const std::string& token : {before, after}) {
    EXPECT_EQ(Handle(Req("GET", LinkPath(token), {{"Host", "other.example"}})).status, 200);
  }
  // The links list shows the base each was minted on.
  json::value list = ParseBody(Handle(AuthA("GET", "/assessments/reports/318/links")));
  std::map<std::string, std::string> base_of;
  for (const json::value& l : list.at("links").as_array()) {
    base_of[std::string(l.at("link_id").as_string())] = l.at("base_url").as_string();
  }
  EXPECT_EQ(base_of[ClaimsOf(before).link_id.ToString()], "https://reports.example.com");
  EXPECT_EQ(base_of[ClaimsOf(after).link_id.ToString()], "https://talent.acme.example/reports");
  // Company B still mints on the server's base.
  ASSERT_TRUE(service_->PutReport(b_, CompletedReport(500)));
  Response b = Handle(AuthB("POST", "/assessments/reports/500/share"));
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(std::string(ParseBody(b).at("signed_url").as_string()).rfind(test_support::kBaseUrl, 0),
            0u);
  // Reset: back on the server's base.
  ASSERT_EQ(Handle(AuthA("PUT", "/assessments/branding", R"({"public_url": null})")).status, 200);
  Response reset = Handle(AuthA("POST", "/assessments/reports/318/share"));
  EXPECT_EQ(
      std::string(ParseBody(reset).at("signed_url").as_string()).rfind(test_support::kBaseUrl, 0),
      0u);
}

TEST_F(ApiPdfTest, ABrandingChangeShowsOnTheNextViewOfPageAndPdf) {
  PutA(CompletedReport(318));
  const std::string token = ShareToken(318);
  const std::vector<Header> browser = {{"Accept", "text/html"}};
  Response page = Handle(Req("GET", LinkPath(token), browser));
  ASSERT_EQ(page.status, 200);
  Response pdf = Handle(Req("GET", LinkPath(token) + "?format=pdf"));
  ASSERT_EQ(pdf.status, 200);
  Response download = Handle(AuthA("POST", "/assessments/reports/318/download"));
  ASSERT_EQ(download.status, 200);
  EXPECT_FALSE(Contains(page.body, "data:image/png"));
  EXPECT_FALSE(Contains(pdf.body, "/Subtype /Image"));

  const std::string png = test_support::MakePng(240, 80);
  ASSERT_EQ(Handle(AuthA("PUT", "/assessments/branding",
                         R"({"display_name": "Globex Hiring", "primary_color": "#6a1b9a",
                             "logo_png": ")" +
                             Base64Of(png) + R"(", "footer_text": "Globex & Co <confidential>"})"))
                .status,
            200);
  Response branded_page = Handle(Req("GET", LinkPath(token), browser));
  ASSERT_EQ(branded_page.status, 200);
  EXPECT_TRUE(Contains(branded_page.body, "Globex Hiring"));
  EXPECT_TRUE(Contains(branded_page.body, "data:image/png;base64," + Base64Of(png)));
  EXPECT_TRUE(Contains(branded_page.body, "--primary:#6a1b9a"));
  EXPECT_TRUE(Contains(branded_page.body, "Globex &amp; Co &lt;confidential&gt;"));
  EXPECT_FALSE(Contains(branded_page.body, "<confidential>"));
  for (Response* before : {&pdf, &download}) {
    Response again = before == &pdf ? Handle(Req("GET", LinkPath(token) + "?format=pdf"))
                                    : Handle(AuthA("POST", "/assessments/reports/318/download"));
    ASSERT_EQ(again.status, 200) << again.body.substr(0, 200);
    EXPECT_NE(again.body, before->body);
    EXPECT_TRUE(Contains(again.body, "/Subtype /Image"));
  }
  // A change that does not touch the look still makes a new version; a reset
  // brings the default look back.
  ASSERT_EQ(Handle(AuthA("PUT", "/assessments/branding",
                         R"({"display_name": null, "primary_color": null, "logo_png": null,
                             "footer_text": null})"))
                .status,
            200);
  Response plain = Handle(Req("GET", LinkPath(token), browser));
  EXPECT_FALSE(Contains(plain.body, "Globex"));
  EXPECT_FALSE(Contains(plain.body, "data:image/png"));
}

// ---------------------------------------------------------------------------
// The signed link.

TEST_F(ApiTest, LinkOpensAsHtmlWithSecurityHeaders) {
  PutA(CompletedReport(318));
  std::string token = ShareToken(318);
  Response res = Handle(Req("GET", LinkPath(token), {{"Accept", "text/html,*/*;q=0.8"}}));
  ASSERT_EQ(res.status, 200);
  EXPECT_TRUE(Contains(HeaderOf(res, "Content-Type").value_or(""), "text/html"));
  EXPECT_TRUE(Contains(res.body, "Priya Raman"));
  EXPECT_TRUE(Contains(res.body, "?format=pdf"));
  EXPECT_FALSE(Contains(res.body, "<script"));
  ExpectLinkSecurityHeaders(res);
}

TEST_F(ApiPdfTest, EveryLinkResponseHasSecurityHeaders) {
  PutA(CompletedReport(318));
  std::string live = ShareToken(318);
  std::string expiring = ShareToken(318, "{\"expiration_hours\":0.25}");
  std::string revoked = ShareToken(318);
  ASSERT_EQ(Handle(AuthA("DELETE",
                         "/assessments/reports/318/links/" + ClaimsOf(revoked).link_id.ToString()))
                .status,
            200);
  clock_.Advance(minutes(15));

  std::string tampered = live;
  tampered[5] = tampered[5] == 'A' ? 'B' : 'A';

  struct Case {
    std::string method;
    std::string target;
    int status;
  };
  std::vector<Case> cases = {
      {"GET", LinkPath(live), 200},
      {"HEAD", LinkPath(live), 200},
      {"GET", LinkPath(live) + "?format=pdf", 200},
      {"GET", LinkPath(tampered), 404},
      {"GET", LinkPath("garbage"), 404},
      {"GET", LinkPath(expiring), 410},
      {"GET", LinkPath(revoked), 410},
      {"HEAD", LinkPath(revoked), 410},
      {"GET", LinkPath(live) + "?format=xml", 400},
      {"POST", LinkPath(live), 405},
      {"DELETE", LinkPath(live), 405},
  };
  for (const char* accept : {"text/html", "application/json"}) {
    for (const Case& c : cases) {
      SCOPED_TRACE(c.method + " " + c.target + " Accept: " + accept);
      Response res = Handle(Req(c.method, c.target, {{"Accept", accept}}));
      EXPECT_EQ(res.status, c.status);
      ExpectLinkSecurityHeaders(res);
      if (c.status == 405) {
        EXPECT_EQ(HeaderOf(res, "Allow").value_or(""), "GET, HEAD");
      }
    }
  }
}

TEST_F(ApiTest, LinkErrorsAreHtmlForBrowsersAndJsonWhenPreferred) {
  PutA(CompletedReport(318));
  std::string revoked = ShareToken(318);
  ASSERT_TRUE(service_->RevokeAllLinks(a_, ReportId{318}));

  // Browser: HTML pages.
  Response gone = Handle(Req("GET", LinkPath(revoked), {{"Accept", "text/html"}}));
  EXPECT_EQ(gone.status, 410);
  EXPECT_TRUE(Contains(HeaderOf(gone, "Content-Type").value_or(""), "text/html"));
  EXPECT_TRUE(Contains(gone.body, "new one")) << gone.body;
  Response missing = Handle(Req("GET", LinkPath("nope"), {}));
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(Contains(HeaderOf(missing, "Content-Type").value_or(""), "text/html"));

  // JSON client: same statuses, JSON error bodies.
  ExpectJsonError(Handle(Req("GET", LinkPath(revoked), {{"Accept", "application/json"}})), 410);
  ExpectJsonError(Handle(Req("GET", LinkPath("nope"), {{"Accept", "application/json"}})), 404);
  ExpectJsonError(
      Handle(Req("GET", LinkPath(revoked) + "?format=xml", {{"Accept", "application/json"}})), 400);
}

TEST_F(ApiTest, ExpiredLinkIs410) {
  PutA(CompletedReport(318));
  Instant minted = clock_.Now();
  std::string token = ShareToken(318);
  clock_.Set(minted + hours(1) - std::chrono::microseconds(1));
  EXPECT_EQ(Handle(Req("GET", LinkPath(token))).status, 200);
  clock_.Set(minted + hours(1));
  Response res = Handle(Req("GET", LinkPath(token)));
  EXPECT_EQ(res.status, 410);
  EXPECT_TRUE(Contains(res.body, "expired")) << res.body;
}

TEST_F(ApiTest, LinkAsJsonWhenAcceptPrefersIt) {
  PutA(CompletedReport(318));
  std::string token = ShareToken(318);
  Response res = Handle(Req("GET", LinkPath(token), {{"Accept", "application/json"}}));
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(HeaderOf(res, "Content-Type").value_or(""), "application/json");
  json::value v = ParseBody(res);
  EXPECT_EQ(v.at("name").as_string(), "Priya Raman");
  EXPECT_EQ(v.at("report_id").to_number<int64_t>(), 318);

  Response html = Handle(Req("GET", LinkPath(token), {{"Accept", "text/html,application/json"}}));
  EXPECT_TRUE(Contains(HeaderOf(html, "Content-Type").value_or(""), "text/html"));
}

TEST_F(ApiPdfTest, LinkFormatPdfIsAnAttachment) {
  PutA(CompletedReport(318));
  std::string token = ShareToken(318);
  Response res = Handle(Req("GET", LinkPath(token) + "?format=pdf"));
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(HeaderOf(res, "Content-Type").value_or(""), "application/pdf");
  EXPECT_EQ(HeaderOf(res, "Content-Disposition").value_or(""),
            "attachment; filename=\"report-318.pdf\"");
  EXPECT_EQ(res.body.rfind("%PDF-", 0), 0u);
  ExpectLinkSecurityHeaders(res);
}

TEST_F(ApiTest, LinkUnknownFormatIs400) {
  PutA(CompletedReport(318));
  std::string token = ShareToken(318);
  for (const char* query : {"?format=xml", "?format=PDF", "?x=1"}) {
    SCOPED_TRACE(query);
    Response res = Handle(Req("GET", LinkPath(token) + query));
    EXPECT_EQ(res.status, 400);
    ExpectLinkSecurityHeaders(res);
  }
  EXPECT_EQ(ViewsOf(token), 0);
}

TEST_F(ApiTest, LinkFormatHtmlIsThePage) {
  PutA(CompletedReport(318));
  std::string token = ShareToken(318);
  Response res = Handle(Req("GET", LinkPath(token) + "?format=html"));
  ASSERT_EQ(res.status, 200);
  EXPECT_TRUE(Contains(HeaderOf(res, "Content-Type").value_or(""), "text/html"));
  EXPECT_TRUE(Contains(res.body, "Priya Raman"));
  EXPECT_EQ(ViewsOf(token), 1);
}

// A recipient whose link lost its token (or gained a trailing slash) is still
// on the link path: SPEC §2.2 wants the "link not found" page with the link
// path's headers, not the API's JSON 404.
TEST_F(ApiTest, TruncatedLinkPathIsTheLinkNotFoundPage) {
  PutA(CompletedReport(318));
  std::string token = ShareToken(318);
  for (const std::string& target :
       {std::string("/assessments/bp/reports/shared/"), LinkPath(token) + "/"}) {
    SCOPED_TRACE(target);
    Response res = Handle(Req("GET", target, {{"Accept", "text/html"}}));
    EXPECT_EQ(res.status, 404);
    EXPECT_TRUE(Contains(HeaderOf(res, "Content-Type").value_or(""), "text/html"))
        << HeaderOf(res, "Content-Type").value_or("") << " " << res.body;
    ExpectLinkSecurityHeaders(res);
  }
}

TEST_F(ApiPdfTest, HeadCountsNoViewGetDoes) {
  PutA(CompletedReport(318));
  std::string token = ShareToken(318);
  Response head = Handle(Req("HEAD", LinkPath(token)));
  EXPECT_EQ(head.status, 200);
  Response head_pdf = Handle(Req("HEAD", LinkPath(token) + "?format=pdf"));
  EXPECT_EQ(head_pdf.status, 200);
  EXPECT_EQ(ViewsOf(token), 0);

  EXPECT_EQ(Handle(Req("GET", LinkPath(token))).status, 200);
  EXPECT_EQ(ViewsOf(token), 1);
  EXPECT_EQ(Handle(Req("GET", LinkPath(token) + "?format=pdf")).status, 200);
  EXPECT_EQ(ViewsOf(token), 2);
}

TEST_F(ApiTest, LinkNeedsNoApiKeyAndIgnoresABadOne) {
  PutA(CompletedReport(318));
  std::string token = ShareToken(318);
  EXPECT_EQ(Handle(Req("GET", LinkPath(token), {{"apiKey", "garbage"}})).status, 200);
}

// ---------------------------------------------------------------------------
// Links management.

TEST_F(ApiTest, LinkOptionsAreValidatedOnEveryShareAndDownloadBody) {
  PutA(CompletedReport(318));
  struct Case {
    std::string method, target;
  };
  const Case cases[] = {{"POST", "/assessments/reports/318/share"},
                        {"POST", "/assessments/reports/318/download"},
                        {"POST", "/assessments/reports/share"},
                        {"POST", "/assessments/reports/download"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.target);
    const bool bulk = c.target.find("/318/") == std::string::npos;
    auto body = [&](std::string field) {
      return bulk ? "{\"report_ids\": [318], " + field + "}" : "{" + field + "}";
    };
    for (const auto& [field, value] :
         std::vector<std::pair<std::string, std::string>>{{"max_views", "0"},
                                                          {"allow_download", "\"no\""},
                                                          {"recipient", "\"\""},
                                                          {"watermark", "1"},
                                                          {"variant", "\"partial\""},
                                                          {"language", "\"zh\""}}) {
      Response res = Handle(AuthA(c.method, c.target, body("\"" + field + "\": " + value)));
      std::string error = ExpectJsonError(res, 400);
      EXPECT_TRUE(error.starts_with(field + " must be")) << error;
    }
  }
}

TEST_F(ApiTest, LinkQueryAndListFiltersRefuseWhatTheyDoNotTake) {
  PutA(CompletedReport(318));
  const std::string token = ShareToken(318);
  const std::vector<Header> as_json = {{"Accept", "application/json"}};
  for (const std::string query : {"?lang=zh", "?lang=", "?format=doc", "?format=pdf&format=pdf",
                                  "?x=1", "?lang=de&lang=fr", "?format=pdf&lang=es-MX"}) {
    SCOPED_TRACE(query);
    ExpectJsonError(Handle(Req("GET", LinkPath(token) + query, as_json)), 400);
  }
  EXPECT_NE(ExpectJsonError(Handle(Req("GET", LinkPath(token) + "?lang=zh", as_json)), 400)
                .find("en, es, fr, de, pt, hi, ar"),
            std::string::npos);
  for (const std::string query : {"?lang=ar&format=html", "?format=html&lang=DE", "?lang=hi"}) {
    SCOPED_TRACE(query);
    EXPECT_EQ(Handle(Req("GET", LinkPath(token) + query, as_json)).status, 200);
  }
  for (const std::string query : {"?state=dead", "?recipient=", "?recipient=a%0Ab", "?limit=3",
                                  "?state=live&state=revoked"}) {
    SCOPED_TRACE(query);
    ExpectJsonError(Handle(AuthA("GET", "/assessments/reports/318/links" + query)), 400);
  }
}

TEST_F(ApiTest, DisabledDownloadIs403InJsonAndHtml) {
  PutA(CompletedReport(318));
  const std::string token = ShareToken(318, R"({"allow_download": false})");
  EXPECT_EQ(ExpectJsonError(Handle(Req("GET", LinkPath(token) + "?format=pdf",
                                       {{"Accept", "application/json"}})),
                            403),
            "downloads are disabled for this link");
  Response page = Handle(Req("GET", LinkPath(token) + "?format=pdf"));
  EXPECT_EQ(page.status, 403);
  EXPECT_NE(page.body.find("Downloads are disabled for this link"), std::string::npos);
  EXPECT_EQ(HeaderOf(page, "Cache-Control").value_or(""), "no-store");
  EXPECT_EQ(Handle(Req("GET", LinkPath(token))).status, 200);
}

TEST_F(ApiTest, LinkNoticePagesAreInTheVisitorsLanguage) {
  PutA(CompletedReport(318));
  const std::string once = ShareToken(318, R"({"max_views": 1})");
  ASSERT_EQ(Handle(Req("GET", LinkPath(once))).status, 200);
  Response de = Handle(Req("GET", LinkPath(once), {{"Accept-Language", "de-CH, de;q=0.9"}}));
  EXPECT_EQ(de.status, 410);
  EXPECT_TRUE(Contains(de.body, "<html lang=\"de\"")) << de.body.substr(0, 200);
  EXPECT_TRUE(Contains(de.body, "Dieser Link hat sein Aufruflimit erreicht"));
  Response ar = Handle(Req("GET", LinkPath(once) + "?lang=ar", {{"Accept-Language", "de"}}));
  EXPECT_EQ(ar.status, 410);
  EXPECT_TRUE(Contains(ar.body, "dir=\"rtl\""));
  EXPECT_TRUE(Contains(ar.body, "بلغ هذا الرابط الحد الأقصى لعدد المشاهدات"));
  Response missing = Handle(Req("GET", LinkPath("AAAA"), {{"Accept-Language", "fr"}}));
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(Contains(missing.body, "Lien introuvable"));
  Response unsupported =
      Handle(Req("GET", LinkPath(once) + "?lang=zh", {{"Accept-Language", "fr"}}));
  EXPECT_EQ(unsupported.status, 400);
  EXPECT_TRUE(Contains(unsupported.body, "en, es, fr, de, pt, hi, ar")) << unsupported.body;
  EXPECT_TRUE(Contains(unsupported.body, "<html lang=\"fr\""));
  // Without a preference: English, as before.
  Response en = Handle(Req("GET", LinkPath(once)));
  EXPECT_TRUE(Contains(en.body, "This link has reached its view limit"));
}

TEST_F(ApiTest, LinksListNewestFirstWithSixFieldsAndTheOptions) {
  PutA(CompletedReport(318));
  std::string first = ShareToken(318);
  clock_.Advance(minutes(1));
  std::string second = ShareToken(318, "{\"expiration_hours\":2}");
  clock_.Advance(minutes(1));
  Instant third_at = clock_.Now();
  std::string third = ShareToken(318);
  clock_.Advance(minutes(1));
  Instant viewed_at = clock_.Now();
  ASSERT_EQ(Handle(Req("GET", LinkPath(second))).status, 200);

  Response res = Handle(AuthA("GET", "/assessments/reports/318/links"));
  ASSERT_EQ(res.status, 200) << res.body;
  json::value v = ParseBody(res);
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(KeysOf(v.get_object()), std::set<std::string>{"links"});
  const json::array& links = v.at("links").as_array();
  ASSERT_EQ(links.size(), 3u);
  std::vector<std::string> expected_order = {ClaimsOf(third).link_id.ToString(),
                                             ClaimsOf(second).link_id.ToString(),
                                             ClaimsOf(first).link_id.ToString()};
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    const json::object& l = links[i].as_object();
    EXPECT_EQ(KeysOf(l),
              (std::set<std::string>{"link_id", "created_at", "expires_at", "revoked_at", "views",
                                     "last_viewed_at", "recipient", "allow_download", "max_views",
                                     "watermark", "variant", "language", "base_url"}));
    // The defaults of SPEC §5, and the server's base (no branding).
    EXPECT_EQ(l.at("base_url"), json::value("https://reports.example.com"));
    EXPECT_TRUE(l.at("recipient").is_null());
    EXPECT_EQ(l.at("allow_download"), json::value(true));
    EXPECT_TRUE(l.at("max_views").is_null());
    EXPECT_EQ(l.at("watermark"), json::value(false));
    EXPECT_EQ(l.at("variant"), json::value("full"));
    EXPECT_TRUE(l.at("language").is_null());
    EXPECT_EQ(l.at("link_id").as_string(), expected_order[i]);
    EXPECT_EQ(l.at("link_id").as_string().size(), 22u);
    EXPECT_TRUE(l.at("revoked_at").is_null());
  }
  const json::object& newest = links[0].as_object();
  EXPECT_EQ(newest.at("created_at").as_string(), core::FormatRfc3339Micros(third_at));
  EXPECT_EQ(newest.at("expires_at").as_string(), core::FormatRfc3339Micros(third_at + hours(1)));
  EXPECT_EQ(newest.at("views").to_number<int64_t>(), 0);
  EXPECT_TRUE(newest.at("last_viewed_at").is_null());
  const json::object& viewed = links[1].as_object();
  EXPECT_EQ(viewed.at("views").to_number<int64_t>(), 1);
  EXPECT_EQ(viewed.at("last_viewed_at").as_string(), core::FormatRfc3339Micros(viewed_at));
}

TEST_F(ApiTest, LinksListOfReportWithoutLinksIsEmpty) {
  PutA(CompletedReport(318));
  Response res = Handle(AuthA("GET", "/assessments/reports/318/links"));
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "{\"links\":[]}");
}

TEST_F(ApiTest, RevokeOneThenAgain) {
  PutA(CompletedReport(318));
  std::string token = ShareToken(318);
  std::string other = ShareToken(318);
  std::string target = "/assessments/reports/318/links/" + ClaimsOf(token).link_id.ToString();
  clock_.Advance(minutes(2));
  Instant revoked_at = clock_.Now();

  Response once = Handle(AuthA("DELETE", target));
  ASSERT_EQ(once.status, 200) << once.body;
  EXPECT_EQ(once.body, "{\"revoked\":1}");
  Response twice = Handle(AuthA("DELETE", target));
  ASSERT_EQ(twice.status, 200) << twice.body;
  EXPECT_EQ(twice.body, "{\"revoked\":0}");

  EXPECT_EQ(Handle(Req("GET", LinkPath(token))).status, 410);
  EXPECT_EQ(Handle(Req("GET", LinkPath(other))).status, 200);

  json::value list = ParseBody(Handle(AuthA("GET", "/assessments/reports/318/links")));
  bool found = false;
  for (const auto& l : list.at("links").as_array()) {
    if (l.at("link_id").as_string() == ClaimsOf(token).link_id.ToString()) {
      found = true;
      EXPECT_EQ(l.at("revoked_at").as_string(), core::FormatRfc3339Micros(revoked_at));
    } else {
      EXPECT_TRUE(l.at("revoked_at").is_null());
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(ApiTest, RevokeAllCountsLiveLinks) {
  PutA(CompletedReport(318));
  std::string a = ShareToken(318);
  ShareToken(318);
  ShareToken(318);
  ASSERT_EQ(
      Handle(AuthA("DELETE", "/assessments/reports/318/links/" + ClaimsOf(a).link_id.ToString()))
          .body,
      "{\"revoked\":1}");
  Response all = Handle(AuthA("DELETE", "/assessments/reports/318/links"));
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(all.body, "{\"revoked\":2}");
  Response again = Handle(AuthA("DELETE", "/assessments/reports/318/links"));
  EXPECT_EQ(again.body, "{\"revoked\":0}");
}

TEST_F(ApiTest, MalformedLinkIdIs400) {
  PutA(CompletedReport(318));
  for (const char* id :
       {"abc", "AAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAA!!"}) {
    SCOPED_TRACE(id);
    ExpectJsonError(Handle(AuthA("DELETE", std::string("/assessments/reports/318/links/") + id)),
                    400);
  }
}

TEST_F(ApiTest, UnknownLinkIdIs404) {
  PutA(CompletedReport(318));
  auto fresh = links::NewLinkId(clock_.Now());
  ASSERT_TRUE(fresh);
  ExpectJsonError(Handle(AuthA("DELETE", "/assessments/reports/318/links/" + fresh->ToString())),
                  404);
}

TEST_F(ApiTest, ForeignRevokeIs404AndRevokesNothing) {
  PutA(CompletedReport(318));
  std::string token = ShareToken(318);
  std::string one = "/assessments/reports/318/links/" + ClaimsOf(token).link_id.ToString();
  Response foreign_one = Handle(AuthB("DELETE", one));
  Response missing_one = Handle(
      AuthB("DELETE", "/assessments/reports/999/links/" + ClaimsOf(token).link_id.ToString()));
  ExpectJsonError(foreign_one, 404);
  EXPECT_EQ(foreign_one.body, missing_one.body);
  ExpectJsonError(Handle(AuthB("DELETE", "/assessments/reports/318/links")), 404);
  EXPECT_EQ(Handle(Req("GET", LinkPath(token))).status, 200);
}

// ---------------------------------------------------------------------------
// GET and PUT of reports.

// SPEC §1 as a PUT body (the id is in the path).
constexpr const char* kReportJson = test_support::kSpecExampleBodyJson;

TEST_F(ApiTest, PutCreatesThenReplaces) {
  Response created = Handle(AuthA("PUT", "/assessments/report/318", kReportJson));
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(ParseBody(created).at("report_id").to_number<int64_t>(), 318);

  json::value changed = json::parse(kReportJson);
  changed.as_object()["name"] = "Priya R.";
  changed.as_object()["report_id"] = 318;
  Response replaced = Handle(AuthA("PUT", "/assessments/report/318", json::serialize(changed)));
  ASSERT_EQ(replaced.status, 200) << replaced.body;

  json::value got = ParseBody(Handle(AuthA("GET", "/assessments/report/318")));
  EXPECT_EQ(got.at("name").as_string(), "Priya R.");
}

TEST_F(ApiTest, PutBodyPathIdMismatchIs400) {
  json::value body = json::parse(kReportJson);
  body.as_object()["report_id"] = 319;
  std::string msg =
      ExpectJsonError(Handle(AuthA("PUT", "/assessments/report/318", json::serialize(body))), 400);
  EXPECT_TRUE(Contains(msg, "report_id")) << msg;
  ExpectJsonError(Handle(AuthA("GET", "/assessments/report/318")), 404);
}

TEST_F(ApiTest, PutMissingNameIs400NamingIt) {
  json::value body = json::parse(kReportJson);
  body.as_object().erase("name");
  std::string msg =
      ExpectJsonError(Handle(AuthA("PUT", "/assessments/report/318", json::serialize(body))), 400);
  EXPECT_TRUE(Contains(msg, "name")) << msg;
}

TEST_F(ApiTest, PutBadBodiesAre400) {
  for (const char* body : {"", "[]", "{", "42"}) {
    SCOPED_TRACE(body);
    ExpectJsonError(Handle(AuthA("PUT", "/assessments/report/318", body)), 400);
  }
  ExpectJsonError(Handle(AuthA("PUT", "/assessments/report/abc", kReportJson)), 400);
}

TEST_F(ApiTest, PutIntegerFieldsMustBeIntegers) {
  for (const char* value : {"138.0", "\"138\""}) {
    SCOPED_TRACE(value);
    json::value body = json::parse(kReportJson);
    body.as_object()["assessment_id"] = json::parse(value);
    std::string msg = ExpectJsonError(
        Handle(AuthA("PUT", "/assessments/report/318", json::serialize(body))), 400);
    EXPECT_TRUE(Contains(msg, "assessment_id")) << msg;
  }
}

TEST_F(ApiTest, PutOtherCompanysIdIs409AndChangesNothing) {
  ASSERT_EQ(Handle(AuthA("PUT", "/assessments/report/318", kReportJson)).status, 201);
  json::value hijack = json::parse(kReportJson);
  hijack.as_object()["name"] = "Mallory";
  ExpectJsonError(Handle(AuthB("PUT", "/assessments/report/318", json::serialize(hijack))), 409);
  json::value got = ParseBody(Handle(AuthA("GET", "/assessments/report/318")));
  EXPECT_EQ(got.at("name").as_string(), "Priya Raman");
}

TEST_F(ApiTest, PutWithoutKeyIs401) {
  ExpectJsonError(Handle(Req("PUT", "/assessments/report/318", {}, kReportJson)), 401);
  ExpectJsonError(Handle(AuthA("GET", "/assessments/report/318")), 404);
}

TEST_F(ApiTest, GetCompletedHasStableReportLink) {
  PutA(CompletedReport(318));
  Response first = Handle(AuthA("GET", "/assessments/report/318"));
  ASSERT_EQ(first.status, 200) << first.body;
  clock_.Advance(hours(1));
  Response second = Handle(AuthA("GET", "/assessments/report/318"));
  json::value a = ParseBody(first);
  json::value b = ParseBody(second);
  ASSERT_TRUE(a.as_object().contains("report_link"));
  EXPECT_EQ(a.at("report_link"), b.at("report_link"));
  EXPECT_EQ(a.at("name").as_string(), "Priya Raman");
  EXPECT_EQ(a.at("overall_percentage").to_number<double>(), 72.5);
  std::string token = TokenOf(std::string(a.at("report_link").as_string()));
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(Handle(Req("GET", LinkPath(token))).status, 200);
}

TEST_F(ApiTest, GetPendingHasExactlySixKeys) {
  PutA(PendingReport(400));
  Response res = Handle(AuthA("GET", "/assessments/report/400"));
  ASSERT_EQ(res.status, 200) << res.body;
  json::value v = ParseBody(res);
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(KeysOf(v.get_object()), (std::set<std::string>{"assessment_id", "candidate_id", "email",
                                                           "invite_status", "name", "report_id"}));
  EXPECT_EQ(v.at("invite_status").as_string(), "Pending");
}

TEST_F(ApiTest, ReportLinkGoneSevenDaysAfterCompletion) {
  PutA(CompletedReport(318));
  json::value got = ParseBody(Handle(AuthA("GET", "/assessments/report/318")));
  std::string token = TokenOf(std::string(got.at("report_link").as_string()));
  clock_.Set(At("2025-07-16T06:58:40Z"));
  EXPECT_EQ(Handle(Req("GET", LinkPath(token))).status, 410);
}

// ---------------------------------------------------------------------------
// Errors everywhere: one key, "error".

TEST_F(ApiTest, EveryJsonErrorHasOnlyTheErrorKey) {
  PutA(CompletedReport(318));
  PutA(PendingReport(400));
  Request too_large = AuthA("POST", "/assessments/reports/318/share");
  too_large.body_too_large = true;
  struct Case {
    Request req;
    int status;
  };
  std::vector<Case> cases = {
      {Req("GET", "/nope"), 404},
      {Req("GET", "/assessments/reports/318/share"), 405},
      {Req("POST", "/assessments/reports/318/share"), 401},
      {Req("POST", "/assessments/reports/318/share", {{"apiKey", "bad"}}), 401},
      {AuthA("POST", "/assessments/reports/x/share"), 400},
      {AuthA("POST", "/assessments/reports/318/sharing"), 400},
      {AuthA("POST", "/assessments/reports/318/share", "[]"), 400},
      {AuthA("POST", "/assessments/reports/318/share", "{\"expiration_hours\":30}"), 400},
      {too_large, 413},
      {AuthA("POST", "/assessments/reports/999/share"), 404},
      {AuthB("POST", "/assessments/reports/318/download"), 404},
      {AuthA("POST", "/assessments/reports/400/share"), 409},
      {AuthA("GET", "/assessments/report/999"), 404},
      {AuthA("PUT", "/assessments/report/318", "{}"), 400},
      {AuthB("PUT", "/assessments/report/318", kReportJson), 409},
      {AuthA("DELETE", "/assessments/reports/318/links/bad"), 400},
      {Req("GET", LinkPath("bad"), {{"Accept", "application/json"}}), 404},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.req.method + " " + c.req.target);
    ExpectJsonError(Handle(c.req), c.status);
  }
}

// ---------------------------------------------------------------------------
// The database fails: every store call of every endpoint, failed in turn.

// True if the response (status line aside) contains `secret`.
bool Leaks(const Response& res, std::string_view secret) {
  if (secret.empty()) return false;
  if (Contains(res.body, secret)) return true;
  for (const auto& h : res.headers) {
    if (Contains(h.value, secret)) return true;
  }
  return false;
}

class ApiFaultTest : public ApiTest {
 protected:
  // The response says nothing a client must not see: no API key, no token,
  // no database path.
  void ExpectNoSecret(const Response& res) const {
    for (const std::string& secret : secrets_) {
      EXPECT_FALSE(Leaks(res, secret)) << "response leaks \"" << secret << "\": " << res.body;
    }
  }
  // What a failed store call looks like as JSON: 503 and the store's
  // client-safe message alone.
  void ExpectUnavailable(const Response& res) const {
    EXPECT_EQ(ExpectJsonError(res, 503), "database unavailable");
    ExpectNoSecret(res);
  }
  // ...and as the link's page for a browser.
  void ExpectUnavailablePage(const Response& res) const {
    EXPECT_EQ(res.status, 503) << res.body;
    EXPECT_TRUE(Contains(HeaderOf(res, "Content-Type").value_or(""), "text/html"));
    EXPECT_TRUE(Contains(res.body, "Temporarily unavailable")) << res.body;
    ExpectLinkSecurityHeaders(res);
    ExpectNoSecret(res);
  }
  std::string Token(std::string body = "") {
    std::string token = ShareToken(318, std::move(body));
    secrets_.push_back(token);
    return token;
  }

  std::vector<std::string> secrets_;
};

// Renders real PDFs: see ApiPdfTest.
class ApiFaultPdfTest : public ApiFaultTest {};

TEST_F(ApiFaultPdfTest, EveryStoreCallOfEveryEndpointFailsAs503) {
  auto log = std::make_shared<test_support::CapturingLogSink>();
  core::ScopedLogSink scoped_log(log);
  secrets_ = {key_a_, key_b_, dir_.path()};
  PutA(CompletedReport(318));
  const std::string token = Token();
  const std::string revoked_token = Token();
  // A link with every option that reads or writes the store on an open.
  const std::string limited_token =
      Token(R"({"max_views": 1000, "variant": "anonymized", "recipient": "hm@acme.example"})");
  secrets_.push_back("hm@acme.example");  // a recipient is never logged
  const std::string link_id = ClaimsOf(token).link_id.ToString();
  const std::string revoked_link_id = ClaimsOf(revoked_token).link_id.ToString();
  const std::vector<Header> as_json = {{"Accept", "application/json"}};
  auto register_webhook = [&] {
    Response res =
        Handle(AuthA("POST", "/assessments/webhooks", R"({"url": "http://127.0.0.1:9/"})"));
    EXPECT_EQ(res.status, 201) << res.body;
    json::value v = ParseBody(res);
    secrets_.push_back(std::string(v.at("secret").as_string()));
    return std::string(v.at("webhook_id").as_string());
  };
  const std::string webhook_id = register_webhook();
  const std::string spare_webhook_id = register_webhook();
  const std::string delivery_id = [&] {
    Response res = Handle(AuthA("POST", "/assessments/webhooks/" + webhook_id + "/test"));
    EXPECT_EQ(res.status, 202) << res.body;
    return std::string(ParseBody(res).at("delivery_id").as_string());
  }();

  using M = StoreMethod;
  struct Endpoint {
    Request req;
    std::vector<StoreMethod> calls;  // every store call it makes, in order
    bool page = false;               // a browser on the link path: errors are HTML
  };
  // Each endpoint is failed at each of its calls and then run once without
  // a fault (which must make exactly `calls`), in this order: the first GET
  // of a Completed report writes its report_link, the second only reads it;
  // the revocations come last, so the link opens before.
  const std::vector<Endpoint> endpoints = {
      {AuthA("POST", "/assessments/reports/318/share"),
       {M::kFindApiKey, M::kGetReportHead, M::kInsertLinks}},
      {AuthA("POST", "/assessments/reports/318/download"), {M::kFindApiKey, M::kGetReport}},
      {AuthA("POST", "/assessments/reports/share", R"({"report_ids": [318, 9999]})"),
       {M::kFindApiKey, M::kGetReportHead, M::kGetReportHead, M::kInsertLinks}},
      {AuthA("GET", "/assessments/report/318"),
       {M::kFindApiKey, M::kGetReport, M::kGetLink, M::kInsertLink}},
      {AuthA("GET", "/assessments/report/318"), {M::kFindApiKey, M::kGetReport, M::kGetLink}},
      {AuthA("PUT", "/assessments/report/319", test_support::kSpecExampleBodyJson),
       {M::kFindApiKey, M::kPutReport}},
      {AuthA("GET", "/assessments/reports/318/links"),
       {M::kFindApiKey, M::kGetReport, M::kListLinks}},
      {AuthA("GET", "/assessments/reports/318/links/" + link_id + "/opens"),
       {M::kFindApiKey, M::kGetReport, M::kListOpens}},
      {Req("GET", LinkPath(token), as_json), {M::kGetLink, M::kGetReport, M::kRecordOpens}},
      {Req("GET", LinkPath(token) + "?format=pdf", as_json),
       {M::kGetLink, M::kGetReport, M::kRecordOpens}},
      {Req("GET", LinkPath(token)), {M::kGetLink, M::kGetReport, M::kRecordOpens}, true},
      {Req("HEAD", LinkPath(token)), {M::kGetLink, M::kGetReport, M::kRecordOpens}, true},
      {Req("GET", LinkPath(limited_token)),
       {M::kGetLink, M::kGetReport, M::kPseudonymKey, M::kClaimView, M::kRecordOpens},
       true},
      {Req("GET", LinkPath(limited_token) + "?format=pdf&lang=ar", as_json),
       {M::kGetLink, M::kGetReport, M::kPseudonymKey, M::kClaimView, M::kRecordOpens}},
      {Req("HEAD", LinkPath(limited_token)),
       {M::kGetLink, M::kGetReport, M::kPseudonymKey, M::kRecordOpens},
       true},
      {AuthA("GET", "/assessments/reports/318/links?recipient=hm%40acme.example&state=live"),
       {M::kFindApiKey, M::kGetReport, M::kListLinks}},
      {AuthA("POST", "/assessments/webhooks", R"({"url": "http://127.0.0.1:9/hook"})"),
       {M::kFindApiKey, M::kListWebhooks, M::kInsertWebhook}},
      {AuthA("GET", "/assessments/webhooks"), {M::kFindApiKey, M::kListWebhooks}},
      {AuthA("POST", "/assessments/webhooks/" + webhook_id + "/test"),
       {M::kFindApiKey, M::kGetWebhook, M::kInsertEvents}},
      {AuthA("GET", "/assessments/webhooks/" + webhook_id + "/deliveries"),
       {M::kFindApiKey, M::kGetWebhook, M::kListDeliveries}},
      {AuthA("POST",
             "/assessments/webhooks/" + webhook_id + "/deliveries/" + delivery_id + "/retry"),
       {M::kFindApiKey, M::kGetWebhook, M::kRetryDelivery}},
      {AuthA("DELETE", "/assessments/webhooks/" + spare_webhook_id),
       {M::kFindApiKey, M::kDeleteWebhook}},
      {AuthA("DELETE", "/assessments/reports/318/links/" + revoked_link_id),
       {M::kFindApiKey, M::kGetReport, M::kRevokeLink}},
      {AuthA("DELETE", "/assessments/reports/318/links"),
       {M::kFindApiKey, M::kGetReport, M::kInsertLink, M::kRevokeAllLinks}},
      // Branding last: from here on company A's documents read it.
      {AuthA("GET", "/assessments/branding"), {M::kFindApiKey, M::kGetBranding}},
      {AuthA("PUT", "/assessments/branding",
             R"({"display_name": "Acme Talent", "public_url": "https://acme.example"})"),
       {M::kFindApiKey, M::kUpdateBranding}},
      // The branding a render or a share needs is read once per version.
      {AuthA("POST", "/assessments/reports/318/download"),
       {M::kFindApiKey, M::kGetReport, M::kGetBranding}},
      {AuthA("POST", "/assessments/reports/318/share"),
       {M::kFindApiKey, M::kGetReportHead, M::kInsertLinks}},
  };

  size_t failed_audits = 0;
  size_t unstored_report_links = 0;
  for (const Endpoint& e : endpoints) {
    SCOPED_TRACE(e.req.method + " " + e.req.target + (e.page ? " (browser)" : ""));
    for (size_t n = 1; n <= e.calls.size(); ++n) {
      const StoreMethod failing = e.calls[n - 1];
      SCOPED_TRACE("failing store call " + std::to_string(n) + ": " +
                   std::string(test_support::StoreMethodName(failing)));
      size_t before = faulty_->call_count();
      faulty_->FailCall(static_cast<int64_t>(n));
      Response res = Handle(e.req);
      faulty_->Heal();
      // The request stopped at the failed call.
      EXPECT_EQ(faulty_->MethodsCalled(before),
                std::vector<StoreMethod>(e.calls.begin(), e.calls.begin() + n));
      if (failing == M::kRecordOpens) {
        // The audit is written after the decision: a failed write is logged
        // and the visitor still gets the report.
        EXPECT_EQ(res.status, 200) << res.body.substr(0, 200);
        ++failed_audits;
      } else if (failing == M::kInsertLink && e.req.method == "GET") {
        // A read answers when the database cannot be written: the
        // report_link's row waits for the link's first open.
        EXPECT_EQ(res.status, 200) << res.body.substr(0, 200);
        ++unstored_report_links;
      } else if (e.page) {
        ExpectUnavailablePage(res);
      } else {
        ExpectUnavailable(res);
      }
    }
    size_t before = faulty_->call_count();
    Response ok = Handle(e.req);
    EXPECT_GE(ok.status, 200);
    EXPECT_LT(ok.status, 300) << ok.body.substr(0, 200);
    EXPECT_EQ(faulty_->MethodsCalled(before), e.calls) << "the store calls listed above changed";
  }

  EXPECT_EQ(
      log->Matching("service", core::LogLevel::kWarning, "could not record a link open").size(),
      failed_audits);
  EXPECT_EQ(log->Matching("service", core::LogLevel::kWarning,
                          "report_link not stored; its first open will store it")
                .size(),
            unstored_report_links);
  EXPECT_EQ(unstored_report_links, 1u);
  std::string logged = log->AllText();
  for (const std::string& secret : {key_a_, key_b_, token, revoked_token}) {
    EXPECT_FALSE(Contains(logged, secret)) << logged;
  }
}

TEST_F(ApiFaultPdfTest, BulkDownloadFailsWholeBeforeStreamingAndPerIdAfter) {
  PutA(CompletedReport(318));
  PutA(CompletedReport(319));
  PutA(CompletedReport(320));
  const std::string body = IdsBody({318, 319, 320});
  // Authentication is before the stream: an ordinary 503.
  faulty_->FailMethod(StoreMethod::kFindApiKey, 1);
  Response before = Handle(AuthA("POST", std::string(kBulkDownload), body));
  ExpectUnavailable(before);
  EXPECT_FALSE(before.body_source);

  // The database goes away at the second report: that one and the rest are
  // 503 entries, and the store is not asked again once it failed.
  size_t first = faulty_->call_count();
  faulty_->FailCall(3, 100);  // FindApiKey, GetReport(318), then GetReport(319) fails
  Response res = Handle(AuthA("POST", std::string(kBulkDownload), body));
  ASSERT_EQ(res.status, 200);
  auto entries = test_support::ReadZip(DrainBody(res));
  faulty_->Heal();
  EXPECT_EQ(faulty_->MethodsCalled(first),
            (std::vector<StoreMethod>{StoreMethod::kFindApiKey, StoreMethod::kGetReport,
                                      StoreMethod::kGetReport}));
  ASSERT_EQ(NamesOf(entries), (std::vector<std::string>{"report-318.pdf", "errors.json"}));
  EXPECT_EQ(entries[1].bytes, R"([{"report_id":319,"status":503,"error":"database unavailable"},)"
                              R"({"report_id":320,"status":503,"error":"database unavailable"}])");
  ExpectNoSecret(res);
}

TEST_F(ApiFaultPdfTest, BulkDownloadRenderFailureIsA503EntryWithoutTheRenderersMessage) {
  PutA(CompletedReport(318));
  PutA(CompletedReport(319));
  faulty_renderer_->FailPdf(1);
  Response res = Handle(AuthA("POST", std::string(kBulkDownload), IdsBody({318, 319})));
  std::string zip = DrainBody(res);
  auto entries = test_support::ReadZip(zip);
  ASSERT_EQ(NamesOf(entries), (std::vector<std::string>{"report-319.pdf", "errors.json"}));
  EXPECT_EQ(
      entries[1].bytes,
      R"([{"report_id":318,"status":503,"error":"the PDF could not be rendered; try again later"}])");
  EXPECT_FALSE(Contains(zip, test_support::FaultyRenderer::kFailureMessage));
}

TEST_F(ApiFaultTest, ReadyzIs503WhenTheDatabaseIsDown) {
  faulty_->FailMethod(StoreMethod::kPing);
  for (const char* method : {"GET", "HEAD"}) {
    SCOPED_TRACE(method);
    Response res = Handle(Req(method, "/readyz"));
    EXPECT_EQ(ExpectJsonError(res, 503), "database unreachable");
    ExpectNoSecret(res);
  }
  EXPECT_EQ(faulty_->failures(), 2);
  faulty_->Heal();
  EXPECT_EQ(Handle(Req("GET", "/readyz")).status, 200);
}

TEST_F(ApiFaultTest, HealthzTouchesNoDatabase) {
  size_t before = faulty_->call_count();
  EXPECT_EQ(Handle(Req("GET", "/healthz")).status, 200);
  EXPECT_EQ(Handle(Req("HEAD", "/healthz")).status, 200);
  EXPECT_EQ(faulty_->call_count(), before);
}

TEST_F(ApiFaultPdfTest, RenderFailureIs500WithoutTheRenderersMessage) {
  PutA(CompletedReport(318));
  const std::string token = Token();
  faulty_renderer_->FailPdf();
  const std::string_view detail = test_support::FaultyRenderer::kFailureMessage;

  Response download = Handle(AuthA("POST", "/assessments/reports/318/download"));
  EXPECT_EQ(ExpectJsonError(download, 500), "internal error");
  EXPECT_FALSE(Leaks(download, detail));

  Response as_json =
      Handle(Req("GET", LinkPath(token) + "?format=pdf", {{"Accept", "application/json"}}));
  EXPECT_EQ(ExpectJsonError(as_json, 500), "internal error");
  ExpectLinkSecurityHeaders(as_json);

  Response page = Handle(Req("GET", LinkPath(token) + "?format=pdf"));
  EXPECT_EQ(page.status, 500);
  EXPECT_TRUE(Contains(HeaderOf(page, "Content-Type").value_or(""), "text/html"));
  EXPECT_TRUE(Contains(page.body, "Temporarily unavailable")) << page.body;
  EXPECT_FALSE(Leaks(page, detail));
  EXPECT_FALSE(Leaks(page, "cairo"));
  ExpectLinkSecurityHeaders(page);
  EXPECT_EQ(faulty_renderer_->pdf_renders(), 3);

  faulty_renderer_->Heal();
  Response healed = Handle(AuthA("POST", "/assessments/reports/318/download"));
  EXPECT_EQ(healed.status, 200);
  EXPECT_EQ(healed.body.rfind("%PDF-", 0), 0u);
}

}  // namespace
}  // namespace reportshare::http
