#include "domain/webhook.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/json.h"
#include "core/rfc3339.h"

namespace reportshare::domain {
namespace {

namespace json = boost::json;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::seconds;

const Instant kT0 = Instant{} + seconds{1'752'040'000} + microseconds{123'456};  // 2025-07-09

LinkId MakeLinkId(uint8_t seed) {
  LinkId id;
  for (size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = static_cast<uint8_t>(seed ^ i);
  return id;
}

// A parsed event body, checked to be exactly {type, timestamp, data}.
json::object Body(const Event& event) {
  auto value = core::ParseJson(event.body);
  EXPECT_TRUE(value) << event.body;
  if (!value || !value->is_object()) {
    ADD_FAILURE() << "not an object: " << event.body;
    return {};
  }
  const json::object& body = value->as_object();
  std::set<std::string> keys;
  for (const auto& field : body) keys.insert(std::string(field.key()));
  EXPECT_EQ(keys, (std::set<std::string>{"type", "timestamp", "data"})) << event.body;
  EXPECT_TRUE(body.contains("data") && body.at("data").is_object()) << event.body;
  return body;
}

json::object Data(const Event& event) {
  json::object body = Body(event);
  if (!body.contains("data") || !body.at("data").is_object()) return {};
  return body.at("data").as_object();
}

std::set<std::string> Keys(const json::object& o) {
  std::set<std::string> keys;
  for (const auto& field : o) keys.insert(std::string(field.key()));
  return keys;
}

// The envelope of every event: its type and its instant, in the body and in
// the Event; no webhook of its own unless it is a test.
void ExpectEnvelope(const Event& event, CompanyId company, EventType type, Instant at) {
  EXPECT_EQ(event.company, company);
  EXPECT_EQ(event.type, type);
  EXPECT_EQ(event.at, at);
  json::object body = Body(event);
  ASSERT_TRUE(body.contains("type") && body.at("type").is_string());
  EXPECT_EQ(body.at("type").as_string(), EventTypeName(type));
  ASSERT_TRUE(body.contains("timestamp") && body.at("timestamp").is_string());
  const std::string timestamp(body.at("timestamp").as_string());
  EXPECT_EQ(timestamp, core::FormatRfc3339Micros(at));
  // RFC 3339, microseconds, Z: "2025-07-09T05:46:40.123456Z".
  ASSERT_EQ(timestamp.size(), 27u) << timestamp;
  EXPECT_EQ(timestamp[10], 'T');
  EXPECT_EQ(timestamp[19], '.');
  EXPECT_EQ(timestamp.back(), 'Z');
  EXPECT_EQ(core::ParseRfc3339(timestamp), std::optional<Instant>(at));
  if (type != EventType::kWebhookTest) {
    EXPECT_EQ(event.only_webhook, std::nullopt);
    EXPECT_EQ(event.delivery_id, std::nullopt);
  }
}

LinkRecord MakeLink(std::optional<std::string> recipient) {
  LinkRecord link;
  link.link_id = MakeLinkId(1);
  link.report_id = ReportId{318};
  link.company_id = CompanyId{42};
  link.signing_key_id = SigningKeyId{7};
  link.created_at = kT0;
  link.expires_at = kT0 + hours{2};
  link.options.recipient = std::move(recipient);
  return link;
}

OpenEvent MakeOpenEvent(std::optional<std::string> recipient = "hm@acme.example",
                        std::optional<DenyReason> denied = std::nullopt) {
  OpenEvent e;
  e.company = CompanyId{42};
  e.report = ReportId{318};
  e.assessment_id = 138;
  e.recipient = std::move(recipient);
  e.format = "html";
  e.denied = denied;
  return e;
}

LinkOpen MakeOpen(const LinkId& id, Instant at, bool counted, std::optional<OpenEvent> event) {
  return LinkOpen{
      id, at, counted ? 200 : 410, "Chrome", "203.0.113.0/24", counted, std::move(event)};
}

// --- event types ---

TEST(EventTypeTest, NamesRoundTrip) {
  const std::vector<std::string_view> expected = {"link.created", "link.viewed",    "link.revoked",
                                                  "link.denied",  "report.updated", "webhook.test"};
  ASSERT_EQ(std::size(kEventTypes), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(EventTypeName(kEventTypes[i]), expected[i]);
    EXPECT_EQ(ParseEventType(expected[i]), std::optional<EventType>(kEventTypes[i]));
  }
}

TEST(EventTypeTest, UnknownNamesDoNotParse) {
  for (std::string_view name :
       {"", "link", "link.", "Link.Created", "LINK.CREATED", "link.created ", " link.created",
        "link_created", "link.*", "*", "report.deleted", "webhook.tested"}) {
    EXPECT_EQ(ParseEventType(name), std::nullopt) << name;
  }
  EXPECT_EQ(ParseEventType(std::string_view("link.viewed\0", 12)), std::nullopt);
}

TEST(EventTypeTest, MaskNamesAreInCanonicalOrder) {
  EXPECT_EQ(kAllEvents, EventMask{0x3f});
  EXPECT_EQ(EventTypeNames(kAllEvents),
            (std::vector<std::string_view>{"link.created", "link.viewed", "link.revoked",
                                           "link.denied", "report.updated", "webhook.test"}));
  EXPECT_TRUE(EventTypeNames(0).empty());
  // Whatever order the bits were set in.
  const EventMask mask = EventBit(EventType::kWebhookTest) | EventBit(EventType::kLinkDenied) |
                         EventBit(EventType::kLinkCreated);
  EXPECT_EQ(EventTypeNames(mask),
            (std::vector<std::string_view>{"link.created", "link.denied", "webhook.test"}));
  EXPECT_EQ(EventTypeNames(EventBit(EventType::kReportUpdated)),
            (std::vector<std::string_view>{"report.updated"}));
  // Bits beyond the known types name nothing.
  EXPECT_EQ(EventTypeNames((EventMask{1} << 20) | EventBit(EventType::kLinkViewed)),
            (std::vector<std::string_view>{"link.viewed"}));
}

TEST(EventTypeTest, DenyReasonNames) {
  EXPECT_EQ(DenyReasonName(DenyReason::kExpired), "expired");
  EXPECT_EQ(DenyReasonName(DenyReason::kRevoked), "revoked");
  EXPECT_EQ(DenyReasonName(DenyReason::kViewLimit), "view_limit");
  EXPECT_EQ(DenyReasonName(DenyReason::kDownloadDisabled), "download_disabled");
}

// --- event bodies (SPEC §7's table) ---

TEST(EventBodyTest, LinkCreated) {
  const LinkRecord link = MakeLink("hm@acme.example");
  const Event event = LinkCreatedEvent(link, 138);
  ExpectEnvelope(event, CompanyId{42}, EventType::kLinkCreated, kT0);
  json::object data = Data(event);
  EXPECT_EQ(Keys(data), (std::set<std::string>{"report_id", "assessment_id", "link_id",
                                               "expires_at", "recipient"}));
  EXPECT_EQ(data["report_id"], json::value(318));
  EXPECT_EQ(data["assessment_id"], json::value(138));
  EXPECT_EQ(data["link_id"], json::value(link.link_id.ToString()));
  EXPECT_EQ(data["expires_at"], json::value(core::FormatRfc3339Micros(kT0 + hours{2})));
  EXPECT_EQ(data["recipient"], json::value("hm@acme.example"));
}

TEST(EventBodyTest, LinkCreatedWithoutRecipientHasNull) {
  const Event event = LinkCreatedEvent(MakeLink(std::nullopt), 138);
  json::object data = Data(event);
  ASSERT_TRUE(data.contains("recipient"));
  EXPECT_TRUE(data["recipient"].is_null());
}

TEST(EventBodyTest, LargeIdsStayExact) {
  // Beyond 2^53: an integer in the JSON, not a double.
  const int64_t big = (int64_t{1} << 62) + 1;
  LinkRecord link = MakeLink(std::nullopt);
  link.report_id = ReportId{big + 2};
  json::object data = Data(LinkCreatedEvent(link, big));
  ASSERT_TRUE(data["assessment_id"].is_int64());
  EXPECT_EQ(data["assessment_id"].as_int64(), big);
  ASSERT_TRUE(data["report_id"].is_int64());
  EXPECT_EQ(data["report_id"].as_int64(), big + 2);
}

TEST(EventBodyTest, LinkViewed) {
  const Instant at = kT0 + seconds{90};
  const LinkOpen open = MakeOpen(MakeLinkId(3), at, true, std::nullopt);
  OpenEvent info = MakeOpenEvent();
  info.format = "pdf";
  const Event first = LinkViewedEvent(open, info, 1);
  ExpectEnvelope(first, CompanyId{42}, EventType::kLinkViewed, at);
  json::object data = Data(first);
  EXPECT_EQ(Keys(data), (std::set<std::string>{"report_id", "assessment_id", "link_id", "format",
                                               "views", "first_view", "recipient"}));
  EXPECT_EQ(data["report_id"], json::value(318));
  EXPECT_EQ(data["assessment_id"], json::value(138));
  EXPECT_EQ(data["link_id"], json::value(MakeLinkId(3).ToString()));
  EXPECT_EQ(data["format"], json::value("pdf"));
  EXPECT_EQ(data["views"], json::value(1));
  EXPECT_EQ(data["first_view"], json::value(true));
  EXPECT_EQ(data["recipient"], json::value("hm@acme.example"));

  json::object later = Data(LinkViewedEvent(open, MakeOpenEvent(std::nullopt), 5));
  EXPECT_EQ(later["views"], json::value(5));
  EXPECT_EQ(later["first_view"], json::value(false));
  EXPECT_EQ(later["format"], json::value("html"));
  ASSERT_TRUE(later.contains("recipient"));
  EXPECT_TRUE(later["recipient"].is_null());
}

TEST(EventBodyTest, LinkDeniedForEachReason) {
  const Instant at = kT0 + seconds{7};
  const LinkOpen open = MakeOpen(MakeLinkId(4), at, false, std::nullopt);
  const std::vector<std::pair<DenyReason, std::string_view>> reasons = {
      {DenyReason::kExpired, "expired"},
      {DenyReason::kRevoked, "revoked"},
      {DenyReason::kViewLimit, "view_limit"},
      {DenyReason::kDownloadDisabled, "download_disabled"},
  };
  for (const auto& [reason, name] : reasons) {
    SCOPED_TRACE(name);
    const Event event = LinkDeniedEvent(open, MakeOpenEvent("Hiring panel", reason));
    ExpectEnvelope(event, CompanyId{42}, EventType::kLinkDenied, at);
    json::object data = Data(event);
    EXPECT_EQ(Keys(data), (std::set<std::string>{"report_id", "link_id", "reason", "recipient"}));
    EXPECT_EQ(data["report_id"], json::value(318));
    EXPECT_EQ(data["link_id"], json::value(MakeLinkId(4).ToString()));
    EXPECT_EQ(data["reason"], json::value(name));
    EXPECT_EQ(data["recipient"], json::value("Hiring panel"));
  }
  json::object anonymous =
      Data(LinkDeniedEvent(open, MakeOpenEvent(std::nullopt, DenyReason::kRevoked)));
  ASSERT_TRUE(anonymous.contains("recipient"));
  EXPECT_TRUE(anonymous["recipient"].is_null());
}

TEST(EventBodyTest, LinkRevoked) {
  const Instant at = kT0 + seconds{60};
  const Event event =
      LinkRevokedEvent(CompanyId{42}, ReportId{318}, MakeLinkId(5), "hm@acme.example", at);
  ExpectEnvelope(event, CompanyId{42}, EventType::kLinkRevoked, at);
  json::object data = Data(event);
  EXPECT_EQ(Keys(data), (std::set<std::string>{"report_id", "link_id", "recipient"}));
  EXPECT_EQ(data["report_id"], json::value(318));
  EXPECT_EQ(data["link_id"], json::value(MakeLinkId(5).ToString()));
  EXPECT_EQ(data["recipient"], json::value("hm@acme.example"));

  json::object anonymous =
      Data(LinkRevokedEvent(CompanyId{42}, ReportId{318}, MakeLinkId(5), std::nullopt, at));
  ASSERT_TRUE(anonymous.contains("recipient"));
  EXPECT_TRUE(anonymous["recipient"].is_null());
}

TEST(EventBodyTest, ReportUpdatedHasNoCandidateData) {
  Report report;
  report.report_id = ReportId{318};
  report.assessment_id = 138;
  report.assessment_name = "Backend Engineer Screening";
  report.candidate_id = 5012;
  report.name = "Priya Raman";
  report.email = "priya@example.com";
  report.invite_status = InviteStatus::kCompleted;
  const Instant at = kT0 + seconds{3};
  const Event event = ReportUpdatedEvent(CompanyId{42}, report, at);
  ExpectEnvelope(event, CompanyId{42}, EventType::kReportUpdated, at);
  json::object data = Data(event);
  EXPECT_EQ(Keys(data), (std::set<std::string>{"report_id", "assessment_id", "invite_status"}));
  EXPECT_EQ(data["report_id"], json::value(318));
  EXPECT_EQ(data["assessment_id"], json::value(138));
  EXPECT_EQ(data["invite_status"], json::value("Completed"));
  EXPECT_EQ(event.body.find("Priya"), std::string::npos);
  EXPECT_EQ(event.body.find("priya@example.com"), std::string::npos);
  EXPECT_EQ(event.body.find("5012"), std::string::npos);

  report.invite_status = InviteStatus::kStarted;
  EXPECT_EQ(Data(ReportUpdatedEvent(CompanyId{42}, report, at))["invite_status"],
            json::value("Started"));
}

TEST(EventBodyTest, WebhookTestGoesToItsWebhookWithItsDeliveryId) {
  const Event event = WebhookTestEvent(CompanyId{42}, "wh_0123456789abcdef01234567",
                                       "msg_0123456789abcdef0123456789abcdef", kT0);
  ExpectEnvelope(event, CompanyId{42}, EventType::kWebhookTest, kT0);
  json::object data = Data(event);
  EXPECT_EQ(Keys(data), (std::set<std::string>{"webhook_id"}));
  EXPECT_EQ(data["webhook_id"], json::value("wh_0123456789abcdef01234567"));
  EXPECT_EQ(event.only_webhook, std::optional<std::string>("wh_0123456789abcdef01234567"));
  EXPECT_EQ(event.delivery_id, std::optional<std::string>("msg_0123456789abcdef0123456789abcdef"));
}

// --- OpenEvents ---

// The (link, views, first_view) of a link.viewed event, or the reason of a
// link.denied one, as one string for comparison.
std::string Describe(const Event& event) {
  json::object data = Data(event);
  std::string out(EventTypeName(event.type));
  out += " " + std::string(data["link_id"].as_string());
  if (event.type == EventType::kLinkViewed) {
    out += " views=" + std::to_string(data["views"].as_int64());
    out += data["first_view"].as_bool() ? " first" : "";
  } else if (event.type == EventType::kLinkDenied) {
    out += " " + std::string(data["reason"].as_string());
  }
  return out;
}

std::vector<std::string> DescribeAll(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const Event& e : events) out.push_back(Describe(e));
  return out;
}

TEST(OpenEventsTest, NumbersTheViewsOfEachLinkAcrossABatch) {
  const LinkId a = MakeLinkId(1), b = MakeLinkId(2), c = MakeLinkId(3), d = MakeLinkId(4);
  const std::vector<LinkOpen> opens = {
      MakeOpen(a, kT0 + seconds{1}, true, MakeOpenEvent()),  // a: view 6 of 7
      MakeOpen(b, kT0 + seconds{2}, true, MakeOpenEvent()),  // b: view 2 of 3
      MakeOpen(d, kT0 + seconds{3}, true, MakeOpenEvent()),  // d: view 1 of 2
      MakeOpen(b, kT0 + seconds{4}, true, std::nullopt),     // b: view 3, no event
      MakeOpen(a, kT0 + seconds{5}, true, MakeOpenEvent()),  // a: view 7
      MakeOpen(c, kT0 + seconds{6}, true, MakeOpenEvent()),  // c: view 1 of 1
      MakeOpen(d, kT0 + seconds{7}, true, MakeOpenEvent()),  // d: view 2
  };
  const ViewTotals totals = {{a, 7}, {b, 3}, {c, 1}, {d, 2}};
  const std::vector<Event> events = OpenEvents(opens, totals);
  EXPECT_EQ(DescribeAll(events), (std::vector<std::string>{
                                     "link.viewed " + a.ToString() + " views=6",
                                     "link.viewed " + b.ToString() + " views=2",
                                     "link.viewed " + d.ToString() + " views=1 first",
                                     "link.viewed " + a.ToString() + " views=7",
                                     "link.viewed " + c.ToString() + " views=1 first",
                                     "link.viewed " + d.ToString() + " views=2",
                                 }));
  // Each event is at its own open's instant.
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[0].at, kT0 + seconds{1});
  EXPECT_EQ(events[3].at, kT0 + seconds{5});
  EXPECT_EQ(events[5].at, kT0 + seconds{7});
}

TEST(OpenEventsTest, UncountedOpensMakeNoViewAndAreNotNumbered) {
  const LinkId a = MakeLinkId(1);
  const std::vector<LinkOpen> opens = {
      MakeOpen(a, kT0, false, MakeOpenEvent()),               // a scanner or a HEAD: no event
      MakeOpen(a, kT0 + seconds{1}, true, MakeOpenEvent()),   // the only counted open
      MakeOpen(a, kT0 + seconds{2}, false, MakeOpenEvent()),  // again none
  };
  const std::vector<Event> events = OpenEvents(opens, {{a, 1}});
  EXPECT_EQ(DescribeAll(events),
            (std::vector<std::string>{"link.viewed " + a.ToString() + " views=1 first"}));
}

TEST(OpenEventsTest, DeniedEventsAreKeptWhateverTheTotals) {
  const LinkId a = MakeLinkId(1), gone = MakeLinkId(9);
  const std::vector<LinkOpen> opens = {
      MakeOpen(a, kT0, true, MakeOpenEvent()),
      MakeOpen(a, kT0 + seconds{1}, false, MakeOpenEvent("x", DenyReason::kViewLimit)),
      // Not in the totals (nothing counted for it): the refusal is still an event.
      MakeOpen(gone, kT0 + seconds{2}, false, MakeOpenEvent("x", DenyReason::kExpired)),
      MakeOpen(gone, kT0 + seconds{3}, false, MakeOpenEvent("x", DenyReason::kDownloadDisabled)),
  };
  const std::vector<Event> events = OpenEvents(opens, {{a, 4}});
  EXPECT_EQ(DescribeAll(events), (std::vector<std::string>{
                                     "link.viewed " + a.ToString() + " views=4",
                                     "link.denied " + a.ToString() + " view_limit",
                                     "link.denied " + gone.ToString() + " expired",
                                     "link.denied " + gone.ToString() + " download_disabled",
                                 }));
}

TEST(OpenEventsTest, ACountedOpenOfALinkWithoutTotalsMakesNoViewedEvent) {
  // The store counted nothing for it (the link does not exist).
  const LinkId known = MakeLinkId(1), unknown = MakeLinkId(2);
  const std::vector<LinkOpen> opens = {
      MakeOpen(unknown, kT0, true, MakeOpenEvent()),
      MakeOpen(known, kT0 + seconds{1}, true, MakeOpenEvent()),
  };
  EXPECT_EQ(DescribeAll(OpenEvents(opens, {{known, 1}})),
            (std::vector<std::string>{"link.viewed " + known.ToString() + " views=1 first"}));
  EXPECT_TRUE(OpenEvents(opens, {}).empty());
  EXPECT_TRUE(OpenEvents({}, {{known, 1}}).empty());
}

TEST(OpenEventsTest, OpensWithoutAnEventMakeNone) {
  const LinkId a = MakeLinkId(1);
  const std::vector<LinkOpen> opens = {
      MakeOpen(a, kT0, true, std::nullopt),
      MakeOpen(a, kT0 + seconds{1}, false, std::nullopt),
  };
  EXPECT_TRUE(OpenEvents(opens, {{a, 1}}).empty());
}

// --- ParseWebhookRegistration ---

Result<WebhookRegistration> Parse(std::string_view body) {
  auto value = core::ParseJson(body);
  EXPECT_TRUE(value && value->is_object()) << body;
  if (!value || !value->is_object()) return Status::Internal("bad test body");
  return ParseWebhookRegistration(value->as_object());
}

// The error message of parsing `body` (kInvalidArgument), or "" if it parsed.
std::string ErrorOf(std::string_view body) {
  auto parsed = Parse(body);
  if (parsed) return "";
  EXPECT_EQ(parsed.error().code(), Code::kInvalidArgument) << body;
  return parsed.error().message();
}

TEST(ParseWebhookRegistrationTest, Defaults) {
  for (std::string_view body : {R"({"url": "https://hooks.acme.example/rs"})",
                                R"({"url": "https://hooks.acme.example/rs", "events": null,
                                    "description": null})"}) {
    SCOPED_TRACE(body);
    auto r = Parse(body);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->url, "https://hooks.acme.example/rs");
    EXPECT_EQ(r->events, kAllEvents);
    EXPECT_EQ(r->description, "");
  }
}

TEST(ParseWebhookRegistrationTest, EveryFieldSet) {
  auto r = Parse(R"({"url": "http://127.0.0.1:9/x", "events": ["report.updated", "link.viewed",
                     "link.viewed"], "description": "ATS <sync> \u00e9"})");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->url, "http://127.0.0.1:9/x");  // the URL rules are not this parser's
  EXPECT_EQ(r->events, EventBit(EventType::kReportUpdated) | EventBit(EventType::kLinkViewed));
  EXPECT_EQ(r->description, "ATS <sync> \xc3\xa9");

  auto all = Parse(R"({"url": "https://h.example", "events": ["link.created", "link.viewed",
                       "link.revoked", "link.denied", "report.updated", "webhook.test"]})");
  ASSERT_TRUE(all) << all.error().message();
  EXPECT_EQ(all->events, kAllEvents);
  auto test_only = Parse(R"({"url": "https://h.example", "events": ["webhook.test"]})");
  ASSERT_TRUE(test_only) << test_only.error().message();
  EXPECT_EQ(test_only->events, EventBit(EventType::kWebhookTest));
}

TEST(ParseWebhookRegistrationTest, UrlIsRequiredAndAString) {
  EXPECT_EQ(ErrorOf("{}"), "url is required");
  EXPECT_EQ(ErrorOf(R"({"url": null})"), "url is required");
  EXPECT_EQ(ErrorOf(R"({"events": ["link.created"]})"), "url is required");
  for (std::string_view body : {R"({"url": 1})", R"({"url": ["https://h.example"]})",
                                R"({"url": {"href": "https://h.example"}})", R"({"url": true})"}) {
    EXPECT_EQ(ErrorOf(body), "url must be a string") << body;
  }
}

TEST(ParseWebhookRegistrationTest, EventsMustBeANonEmptyListOfKnownTypes) {
  for (std::string_view body : {R"({"url": "https://h.example", "events": "link.created"})",
                                R"({"url": "https://h.example", "events": {"link.created": true}})",
                                R"({"url": "https://h.example", "events": 3})"}) {
    SCOPED_TRACE(body);
    const std::string message = ErrorOf(body);
    EXPECT_TRUE(message.starts_with("events must be a list")) << message;
    EXPECT_NE(message.find("link.created"), std::string::npos) << message;  // lists the types
  }
  EXPECT_EQ(ErrorOf(R"({"url": "https://h.example", "events": []})"), "events must not be empty");
  EXPECT_EQ(ErrorOf(R"({"url": "https://h.example", "events": ["link.created", 7]})"),
            "events[1] must be a string");
  EXPECT_EQ(ErrorOf(R"({"url": "https://h.example", "events": [null]})"),
            "events[0] must be a string");
  const std::string unknown =
      ErrorOf(R"({"url": "https://h.example", "events": ["link.viewed", "link.denied",
               "link.deleted"]})");
  EXPECT_TRUE(unknown.starts_with("events[2] is not an event type")) << unknown;
  EXPECT_NE(unknown.find("webhook.test"), std::string::npos) << unknown;
  EXPECT_TRUE(ErrorOf(R"({"url": "https://h.example", "events": [""]})")
                  .starts_with("events[0] is not an event type"));
  EXPECT_TRUE(ErrorOf(R"({"url": "https://h.example", "events": ["LINK.CREATED"]})")
                  .starts_with("events[0] is not an event type"));
}

TEST(ParseWebhookRegistrationTest, DescriptionIsAStringOfAtMost500Characters) {
  const std::string message = "description must be a string of at most 500 characters";
  EXPECT_EQ(ErrorOf(R"({"url": "https://h.example", "description": 5})"), message);
  EXPECT_EQ(ErrorOf(R"({"url": "https://h.example", "description": ["a"]})"), message);
  EXPECT_EQ(ErrorOf(R"({"url": "https://h.example", "description": false})"), message);

  auto with = [](const std::string& text) {
    return R"({"url": "https://h.example", "description": )" +
           core::WriteJson(json::value(json::string(text))) + "}";
  };
  auto ok = Parse(with(std::string(500, 'a')));
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->description.size(), 500u);
  EXPECT_EQ(ErrorOf(with(std::string(501, 'a'))), message);

  // Characters, not bytes: 500 "é" (1000 bytes) fit, 501 do not; so do 500
  // four-byte emoji.
  std::string e_acute, emoji;
  for (int i = 0; i < 500; ++i) e_acute += "\xc3\xa9";
  for (int i = 0; i < 500; ++i) emoji += "\xf0\x9f\x9a\x80";
  auto accented = Parse(with(e_acute));
  ASSERT_TRUE(accented) << accented.error().message();
  EXPECT_EQ(accented->description, e_acute);
  auto rockets = Parse(with(emoji));
  ASSERT_TRUE(rockets) << rockets.error().message();
  EXPECT_EQ(rockets->description, emoji);
  EXPECT_EQ(ErrorOf(with(e_acute + "\xc3\xa9")), message);
  EXPECT_EQ(ErrorOf(with(emoji + "a")), message);
}

TEST(ParseWebhookRegistrationTest, UnknownFieldsAreRefused) {
  for (std::string_view body : {R"({"url": "https://h.example", "secret": "whsec_x"})",
                                R"({"url": "https://h.example", "event": ["link.created"]})",
                                R"({"URL": "https://h.example"})"}) {
    SCOPED_TRACE(body);
    const std::string message = ErrorOf(body);
    EXPECT_TRUE(message.starts_with("unknown field")) << message;
    EXPECT_EQ(message.find("whsec_x"), std::string::npos) << message;
  }
}

// --- secrets, ids, deliveries ---

bool IsStandardBase64(std::string_view s) {
  return s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
         std::string_view::npos;
}

TEST(WebhookSecretTest, IsWhsecAndStandardBase64OfTheBytes) {
  std::array<uint8_t, 32> secret{};
  for (size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<uint8_t>(0xf8 + i * 3);
  const std::string text = FormatWebhookSecret(secret);
  ASSERT_TRUE(text.starts_with("whsec_")) << text;
  const std::string_view encoded = std::string_view(text).substr(6);
  EXPECT_EQ(encoded.size(), 44u);
  EXPECT_TRUE(IsStandardBase64(encoded)) << encoded;
  EXPECT_EQ(encoded.back(), '=');
  // Standard, not URL-safe: these bytes have '+' or '/' in their encoding.
  EXPECT_NE(encoded.find_first_of("+/"), std::string_view::npos) << encoded;
  auto decoded = core::Base64Decode(encoded);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, Bytes(secret.begin(), secret.end()));

  // A known value: 32 zero bytes.
  EXPECT_EQ(FormatWebhookSecret(std::array<uint8_t, 32>{}),
            "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
}

bool IsLowerHex(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

TEST(WebhookIdsTest, ShapesAndUniqueness) {
  std::set<std::string> webhooks, deliveries;
  for (int i = 0; i < 200; ++i) {
    Result<std::string> w = NewWebhookId();
    ASSERT_TRUE(w);
    ASSERT_EQ(w->size(), 3u + 24u) << *w;
    EXPECT_TRUE(w->starts_with("wh_")) << *w;
    EXPECT_TRUE(IsLowerHex(std::string_view(*w).substr(3))) << *w;
    webhooks.insert(*w);

    Result<std::string> d = NewDeliveryId();
    ASSERT_TRUE(d);
    ASSERT_EQ(d->size(), 4u + 32u) << *d;
    EXPECT_TRUE(d->starts_with("msg_")) << *d;
    EXPECT_TRUE(IsLowerHex(std::string_view(*d).substr(4))) << *d;
    deliveries.insert(*d);
  }
  EXPECT_EQ(webhooks.size(), 200u);
  EXPECT_EQ(deliveries.size(), 200u);
}

TEST(DeliveryTest, StateFollowsNextAttemptAndDeliveredAt) {
  Delivery d;
  d.next_attempt_at = kT0;
  EXPECT_EQ(d.state(), DeliveryState::kPending);
  d.attempts = 3;
  d.last_status = 500;
  d.last_error = "HTTP 500";
  EXPECT_EQ(d.state(), DeliveryState::kPending);  // still to be retried
  d.next_attempt_at.reset();
  EXPECT_EQ(d.state(), DeliveryState::kFailed);
  d.delivered_at = kT0;
  EXPECT_EQ(d.state(), DeliveryState::kDelivered);
  // A delivered one sent again (a retry) is pending until its next attempt.
  d.next_attempt_at = kT0 + seconds{1};
  EXPECT_EQ(d.state(), DeliveryState::kPending);

  EXPECT_EQ(DeliveryStateName(DeliveryState::kPending), "pending");
  EXPECT_EQ(DeliveryStateName(DeliveryState::kDelivered), "delivered");
  EXPECT_EQ(DeliveryStateName(DeliveryState::kFailed), "failed");
}

// --- the API's JSON ---

TEST(WebhookJsonTest, WebhookShowsTheSecretOnlyWhenGiven) {
  Webhook w;
  w.webhook_id = "wh_0123456789abcdef01234567";
  w.company = CompanyId{42};
  w.url = "https://hooks.acme.example/rs";
  w.events = EventBit(EventType::kLinkViewed) | EventBit(EventType::kLinkCreated);
  w.description = "ATS";
  w.secret.fill(7);
  w.created_at = kT0;

  json::object listed;
  AppendWebhookJson(w, listed);
  EXPECT_EQ(Keys(listed), (std::set<std::string>{"webhook_id", "url", "events", "description",
                                                 "created_at", "disabled_at"}));
  EXPECT_EQ(listed["webhook_id"], json::value("wh_0123456789abcdef01234567"));
  EXPECT_EQ(listed["url"], json::value("https://hooks.acme.example/rs"));
  EXPECT_EQ(listed["events"], json::value(json::array{"link.created", "link.viewed"}));
  EXPECT_EQ(listed["description"], json::value("ATS"));
  EXPECT_EQ(listed["created_at"], json::value(core::FormatRfc3339Micros(kT0)));
  EXPECT_TRUE(listed["disabled_at"].is_null());
  EXPECT_EQ(core::WriteJson(listed).find(FormatWebhookSecret(w.secret).substr(6)),
            std::string::npos);

  w.disabled_at = kT0 + seconds{5};
  json::object registered;
  AppendWebhookJson(w, registered, FormatWebhookSecret(w.secret));
  EXPECT_EQ(registered["secret"], json::value(FormatWebhookSecret(w.secret)));
  EXPECT_EQ(registered["disabled_at"], json::value(core::FormatRfc3339Micros(kT0 + seconds{5})));
}

TEST(WebhookJsonTest, DeliveryHasTheSpecFields) {
  Delivery d;
  d.delivery_id = "msg_0123456789abcdef0123456789abcdef";
  d.webhook_id = "wh_0123456789abcdef01234567";
  d.type = EventType::kLinkRevoked;
  d.created_at = kT0;
  d.next_attempt_at = kT0 + seconds{30};
  json::object pending;
  AppendDeliveryJson(d, pending);
  for (std::string_view key : {"delivery_id", "event_type", "created_at", "attempts", "last_status",
                               "last_error", "delivered_at", "next_attempt_at"}) {
    EXPECT_TRUE(pending.contains(key)) << key;
  }
  EXPECT_EQ(pending["delivery_id"], json::value("msg_0123456789abcdef0123456789abcdef"));
  EXPECT_EQ(pending["event_type"], json::value("link.revoked"));
  EXPECT_EQ(pending["attempts"], json::value(0));
  EXPECT_TRUE(pending["last_status"].is_null());
  EXPECT_TRUE(pending["last_error"].is_null());
  EXPECT_TRUE(pending["delivered_at"].is_null());
  EXPECT_EQ(pending["next_attempt_at"], json::value(core::FormatRfc3339Micros(kT0 + seconds{30})));

  d.attempts = 2;
  d.last_status = 204;
  d.delivered_at = kT0 + seconds{31};
  d.next_attempt_at.reset();
  json::object delivered;
  AppendDeliveryJson(d, delivered);
  EXPECT_EQ(delivered["attempts"], json::value(2));
  EXPECT_EQ(delivered["last_status"], json::value(204));
  EXPECT_EQ(delivered["delivered_at"], json::value(core::FormatRfc3339Micros(kT0 + seconds{31})));
  EXPECT_TRUE(delivered["next_attempt_at"].is_null());
}

}  // namespace
}  // namespace reportshare::domain
