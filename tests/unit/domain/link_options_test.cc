#include "domain/link_options.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "core/json.h"

namespace reportshare::domain {
namespace {

namespace json = boost::json;

Result<LinkOptions> Parse(std::string_view body) {
  auto value = core::ParseJson(body);
  EXPECT_TRUE(value && value->is_object()) << body;
  return ParseLinkOptions(value->as_object());
}

// The error message of parsing `body`, or "" if it parsed.
std::string ErrorOf(std::string_view body) {
  auto parsed = Parse(body);
  if (parsed) return "";
  EXPECT_EQ(parsed.error().code(), Code::kInvalidArgument);
  return parsed.error().message();
}

TEST(ParseLinkOptionsTest, EmptyAndNullsGiveTheDefaults) {
  for (std::string_view body :
       {"{}", R"({"unknown": 1, "expiration_hours": 2})",
        R"({"allow_download": null, "max_views": null, "recipient": null, "watermark": null,
            "variant": null, "language": null})"}) {
    SCOPED_TRACE(body);
    auto o = Parse(body);
    ASSERT_TRUE(o) << o.error().message();
    EXPECT_EQ(*o, LinkOptions{});
    EXPECT_TRUE(o->allow_download);
    EXPECT_FALSE(o->watermark);
    EXPECT_EQ(o->variant, Variant::kFull);
    EXPECT_FALSE(o->max_views || o->recipient || o->language);
  }
}

TEST(ParseLinkOptionsTest, EveryFieldSet) {
  auto o = Parse(R"({"allow_download": false, "max_views": 3, "recipient": "hm@acme.example",
                     "watermark": true, "variant": "anonymized", "language": "AR"})");
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_FALSE(o->allow_download);
  EXPECT_EQ(o->max_views, 3);
  EXPECT_EQ(o->recipient, "hm@acme.example");
  EXPECT_TRUE(o->watermark);
  EXPECT_EQ(o->variant, Variant::kAnonymized);
  EXPECT_EQ(o->language, Language::kAr);
  EXPECT_EQ(Parse(R"({"max_views": 1000})")->max_views, 1000);
  EXPECT_EQ(Parse(R"({"max_views": 1})")->max_views, 1);
  EXPECT_EQ(Parse(R"({"max_views": 3.0})")->max_views, 3);  // an integer-valued number
}

TEST(ParseLinkOptionsTest, EachBadValueNamesItsField) {
  struct Case {
    const char* body;
    const char* field;
  };
  const Case cases[] = {
      {R"({"allow_download": "false"})", "allow_download"},
      {R"({"allow_download": 0})", "allow_download"},
      {R"({"watermark": 1})", "watermark"},
      {R"({"watermark": []})", "watermark"},
      {R"({"max_views": 0})", "max_views"},
      {R"({"max_views": -1})", "max_views"},
      {R"({"max_views": 1001})", "max_views"},
      {R"({"max_views": 2.5})", "max_views"},
      {R"({"max_views": "3"})", "max_views"},
      {R"({"max_views": true})", "max_views"},
      {R"({"max_views": 18446744073709551615})", "max_views"},
      {R"({"max_views": 1e300})", "max_views"},
      {R"({"recipient": ""})", "recipient"},
      {R"({"recipient": 5})", "recipient"},
      {R"({"recipient": ["a"]})", "recipient"},
      {R"({"recipient": "line\nbreak"})", "recipient"},
      {R"({"recipient": "tab\there"})", "recipient"},
      {R"({"recipient": "nul\u0000"})", "recipient"},
      {R"({"recipient": "del\u007f"})", "recipient"},
      {R"({"recipient": "c1\u0085"})", "recipient"},
      {R"({"recipient": "ls\u2028"})", "recipient"},
      {R"({"recipient": "\u202eevil"})", "recipient"},
      {R"({"recipient": "\u2066isolate"})", "recipient"},
      {R"({"variant": "Full"})", "variant"},
      {R"({"variant": "anonymous"})", "variant"},
      {R"({"variant": 1})", "variant"},
      {R"({"language": "es-MX"})", "language"},
      {R"({"language": "zh"})", "language"},
      {R"({"language": ""})", "language"},
      {R"({"language": 7})", "language"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    std::string error = ErrorOf(c.body);
    EXPECT_TRUE(error.starts_with(std::string(c.field) + " must be")) << error;
  }
  EXPECT_NE(ErrorOf(R"({"max_views": 0})").find("1 to 1000"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"language": "zh"})").find("en, es, fr, de, pt, hi, ar"), std::string::npos);
  // The rejected value itself is never echoed.
  EXPECT_EQ(ErrorOf(R"({"recipient": "secret\nname"})").find("secret"), std::string::npos);
}

TEST(CheckRecipientTest, CountsCharactersNotBytes) {
  std::string two_hundred;
  for (int i = 0; i < 200; ++i) two_hundred += "न";  // 3 bytes each
  EXPECT_TRUE(CheckRecipient(two_hundred).ok());
  EXPECT_FALSE(CheckRecipient(two_hundred + "a").ok());
  EXPECT_TRUE(CheckRecipient("🚀").ok());
  EXPECT_TRUE(CheckRecipient("ليلى\u200f (RLM is allowed)").ok());
  EXPECT_TRUE(CheckRecipient(std::string(200, 'x')).ok());
  EXPECT_FALSE(CheckRecipient(std::string(201, 'x')).ok());
  EXPECT_FALSE(CheckRecipient("").ok());
  // Not UTF-8: a cut sequence, an overlong '/', a surrogate, a stray continuation byte.
  for (std::string_view bad : {"\xe0\xa4", "\xc0\xaf", "\xed\xa0\x80",
                               "a\x80"
                               "b",
                               "\xf8\x88\x80\x80\x80"}) {
    Status s = CheckRecipient(bad);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("not valid UTF-8"), std::string::npos) << s.message();
  }
}

TEST(LinkOptionsJsonTest, ShowsEveryOptionWithNulls) {
  json::object out;
  AppendLinkOptionsJson(LinkOptions{}, out);
  EXPECT_EQ(json::value(out), core::ParseJson(R"({"recipient": null, "allow_download": true,
      "max_views": null, "watermark": false, "variant": "full", "language": null})")
                                  .value());
  LinkOptions o;
  o.allow_download = false;
  o.max_views = 3;
  o.recipient = "Hiring panel";
  o.watermark = true;
  o.variant = Variant::kAnonymized;
  o.language = Language::kHi;
  json::object set;
  AppendLinkOptionsJson(o, set);
  EXPECT_EQ(json::value(set), core::ParseJson(R"({"recipient": "Hiring panel",
      "allow_download": false, "max_views": 3, "watermark": true, "variant": "anonymized",
      "language": "hi"})")
                                  .value());
}

TEST(PseudonymTest, StableKeyedAndFromTheAlphabet) {
  const std::array<uint8_t, 32> key{1, 2, 3};
  const std::array<uint8_t, 32> other{9};
  std::string p = Pseudonym(key, ReportId{318});
  ASSERT_EQ(p.size(), 16u);
  EXPECT_TRUE(p.starts_with("Candidate "));
  for (char c : p.substr(10)) {
    EXPECT_TRUE((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '9')) << p;
  }
  EXPECT_EQ(Pseudonym(key, ReportId{318}), p);
  EXPECT_NE(Pseudonym(key, ReportId{319}), p);
  EXPECT_NE(Pseudonym(other, ReportId{318}), p);
  // Spread: 200 reports give (nearly) 200 pseudonyms.
  std::set<std::string> seen;
  for (int64_t id = 1; id <= 200; ++id) seen.insert(Pseudonym(key, ReportId{id}));
  EXPECT_GE(seen.size(), 199u);
}

TEST(AnonymizeTest, RemovesEveryIdentifyingField) {
  StoredReport s;
  s.company_name = "Acme";
  s.report.report_id = ReportId{318};
  s.report.name = "Priya Raman";
  s.report.email = "priya@example.com";
  s.report.candidate_id = 5012;
  s.report.registration_fields = {{"Phone", "+91 98450 00000"}};
  s.report.assessment_name = "Backend";
  StoredReport a = Anonymize(s, "Candidate ABC234");
  EXPECT_EQ(a.report.name, "Candidate ABC234");
  EXPECT_TRUE(a.report.email.empty());
  EXPECT_FALSE(a.report.candidate_id);
  EXPECT_TRUE(a.report.registration_fields.empty());
  EXPECT_EQ(a.report.assessment_name, "Backend");
  EXPECT_EQ(a.company_name, "Acme");
  EXPECT_EQ(a.report.report_id, ReportId{318});
}

TEST(LanguageTest, TagsParseBothWays) {
  for (Language l : kLanguages) EXPECT_EQ(ParseLanguageTag(LanguageTag(l)), l);
  EXPECT_EQ(ParseLanguageTag("De"), Language::kDe);
  EXPECT_FALSE(ParseLanguageTag("de-DE"));
  EXPECT_FALSE(ParseLanguageTag("xx"));
  EXPECT_TRUE(IsRightToLeft(Language::kAr));
  EXPECT_FALSE(IsRightToLeft(Language::kHi));
}

}  // namespace
}  // namespace reportshare::domain
