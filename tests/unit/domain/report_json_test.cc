#include "domain/report_json.h"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <limits>
#include <set>
#include <string>

#include "core/json.h"
#include "core/rfc3339.h"
#include "support/sample_reports.h"

namespace reportshare::domain {
namespace {

namespace json = boost::json;

// SPEC §1, verbatim.
json::object Example() {
  auto v = core::ParseJson(test_support::SpecExampleJson());
  EXPECT_TRUE(v);
  return v->as_object();
}

json::object MinimalPending() {
  return json::object{
      {"assessment_id", 138}, {"name", "Priya Raman"}, {"invite_status", "Pending"}};
}

Result<Report> Parse(const json::value& v, int64_t path_id = 318) {
  return ParseReport(v, ReportId{path_id});
}

// Expects rejection with a message that contains `field`.
void ExpectFieldError(const json::value& v, std::string_view field) {
  auto r = Parse(v);
  ASSERT_FALSE(r) << "accepted: " << json::serialize(v);
  EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
  EXPECT_NE(r.error().message().find(field), std::string::npos)
      << "message \"" << r.error().message() << "\" does not name " << field;
}

void ExpectSameReport(const Report& a, const Report& b) {
  EXPECT_EQ(a.report_id, b.report_id);
  EXPECT_EQ(a.assessment_id, b.assessment_id);
  EXPECT_EQ(a.assessment_name, b.assessment_name);
  EXPECT_EQ(a.candidate_id, b.candidate_id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.email, b.email);
  EXPECT_EQ(a.invite_status, b.invite_status);
  EXPECT_EQ(a.started_date, b.started_date);
  EXPECT_EQ(a.completed_date, b.completed_date);
  EXPECT_EQ(a.cut_off, b.cut_off);
  EXPECT_EQ(a.overall_percentage, b.overall_percentage);
  EXPECT_EQ(a.offtab_count, b.offtab_count);
  ASSERT_EQ(a.registration_fields.size(), b.registration_fields.size());
  for (size_t i = 0; i < a.registration_fields.size(); ++i) {
    EXPECT_EQ(a.registration_fields[i].label, b.registration_fields[i].label);
    EXPECT_EQ(a.registration_fields[i].value, b.registration_fields[i].value);
  }
  ASSERT_EQ(a.sections.size(), b.sections.size());
  for (size_t i = 0; i < a.sections.size(); ++i) {
    EXPECT_EQ(a.sections[i].section, b.sections[i].section);
    EXPECT_EQ(a.sections[i].percentage, b.sections[i].percentage);
    ASSERT_EQ(a.sections[i].skill_wise_score.size(), b.sections[i].skill_wise_score.size());
    for (size_t j = 0; j < a.sections[i].skill_wise_score.size(); ++j) {
      EXPECT_EQ(a.sections[i].skill_wise_score[j].skill, b.sections[i].skill_wise_score[j].skill);
      EXPECT_EQ(a.sections[i].skill_wise_score[j].percentage,
                b.sections[i].skill_wise_score[j].percentage);
    }
  }
}

TEST(ParseReportTest, SpecExample) {
  auto r = Parse(Example());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->report_id, ReportId{318});
  EXPECT_EQ(r->assessment_id, 138);
  EXPECT_EQ(r->assessment_name, "Backend Engineer Screening");
  EXPECT_EQ(r->candidate_id, 5012);
  EXPECT_EQ(r->name, "Priya Raman");
  EXPECT_EQ(r->email, "priya@example.com");
  EXPECT_EQ(r->invite_status, InviteStatus::kCompleted);
  EXPECT_TRUE(r->completed());
  EXPECT_EQ(r->started_date, core::ParseRfc3339("2025-07-09T06:02:11Z"));
  EXPECT_EQ(r->completed_date, core::ParseRfc3339("2025-07-09T06:58:40Z"));
  EXPECT_EQ(r->cut_off, 60.0);
  EXPECT_EQ(r->overall_percentage, 72.5);
  EXPECT_EQ(r->offtab_count, 2);
  ASSERT_EQ(r->registration_fields.size(), 1u);
  EXPECT_EQ(r->registration_fields[0].label, "Phone");
  EXPECT_EQ(r->registration_fields[0].value, "+91 98450 00000");
  ASSERT_EQ(r->sections.size(), 1u);
  EXPECT_EQ(r->sections[0].section, "Python");
  EXPECT_EQ(r->sections[0].percentage, 80.0);
  ASSERT_EQ(r->sections[0].skill_wise_score.size(), 1u);
  EXPECT_EQ(r->sections[0].skill_wise_score[0].skill, "Data structures");
  EXPECT_EQ(r->sections[0].skill_wise_score[0].percentage, 90.0);
}

TEST(ParseReportTest, BodyMustBeAnObject) {
  for (const json::value& v :
       {json::value(json::array{}), json::value(1), json::value("x"), json::value(nullptr)}) {
    auto r = Parse(v);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
  }
}

TEST(ParseReportTest, AlwaysRequiredFields) {
  for (std::string_view field : {"assessment_id", "name", "invite_status"}) {
    json::object o = Example();
    o.erase(field);
    ExpectFieldError(o, field);
    json::object p = MinimalPending();
    p[field] = nullptr;  // null counts as missing
    ExpectFieldError(p, field);
  }
}

TEST(ParseReportTest, CompletedRequiredFields) {
  for (std::string_view field : {"completed_date", "overall_percentage", "sections"}) {
    json::object o = Example();
    o.erase(field);
    ExpectFieldError(o, field);
  }
}

TEST(ParseReportTest, CompletedWithEmptySections) {
  json::object o = Example();
  o["sections"] = json::array{};
  auto r = Parse(o);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->sections.empty());
}

TEST(ParseReportTest, PendingAndStartedWithOnlyRequiredFields) {
  auto r = Parse(MinimalPending(), 77);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->report_id, ReportId{77});
  EXPECT_EQ(r->invite_status, InviteStatus::kPending);
  EXPECT_FALSE(r->completed());
  EXPECT_FALSE(r->completed_date);
  EXPECT_FALSE(r->overall_percentage);
  EXPECT_FALSE(r->candidate_id);
  EXPECT_TRUE(r->sections.empty());

  json::object started = MinimalPending();
  started["invite_status"] = "Started";
  auto s = Parse(started);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->invite_status, InviteStatus::kStarted);
}

TEST(ParseReportTest, InviteStatusSpelling) {
  for (std::string_view bad : {"completed", "COMPLETED", "Complete", "Completed ", " Completed",
                               "pending", "Started\n", "Done", ""}) {
    json::object o = Example();
    o["invite_status"] = bad;
    ExpectFieldError(o, "invite_status");
  }
  json::object o = Example();
  o["invite_status"] = 2;
  ExpectFieldError(o, "invite_status");
}

TEST(ParseReportTest, NumbersAsStringsAreRejected) {
  for (std::string_view field : {"report_id", "assessment_id", "candidate_id", "cut_off",
                                 "overall_percentage", "offtab_count"}) {
    json::object o = Example();
    o[field] = json::serialize(o[field]);  // 138 -> "138"
    ExpectFieldError(o, field);
  }
  json::object o = Example();
  o["sections"].as_array()[0].as_object()["percentage"] = "80";
  ExpectFieldError(o, "sections[0].percentage");
}

TEST(ParseReportTest, OtherWrongTypes) {
  json::object o = Example();
  o["name"] = 5;
  ExpectFieldError(o, "name");
  o = Example();
  o["assessment_id"] = 138.5;
  ExpectFieldError(o, "assessment_id");
  o = Example();
  o["assessment_id"] = true;
  ExpectFieldError(o, "assessment_id");
  o = Example();
  o["sections"] = json::object{};
  ExpectFieldError(o, "sections");
  o = Example();
  o["sections"] = json::array{1};
  ExpectFieldError(o, "sections[0]");
  o = Example();
  o["registration_fields"] = json::array{"Phone"};
  ExpectFieldError(o, "registration_fields[0]");
  o = Example();
  o["completed_date"] = 1752040720;
  ExpectFieldError(o, "completed_date");
  o = Example();
  o["overall_percentage"] = true;
  ExpectFieldError(o, "overall_percentage");
}

TEST(ParseReportTest, PercentagesOutOfRange) {
  for (double bad : {-0.001, -1.0, 100.001, 101.0, 1e300}) {
    for (std::string_view field : {"cut_off", "overall_percentage"}) {
      json::object o = Example();
      o[field] = bad;
      ExpectFieldError(o, field);
    }
    json::object o = Example();
    o["sections"].as_array()[0].as_object()["percentage"] = bad;
    ExpectFieldError(o, "sections[0].percentage must be a number from 0 to 100");
    o = Example();
    o["sections"]
        .as_array()[0]
        .as_object()["skill_wise_score"]
        .as_array()[0]
        .as_object()["percentage"] = bad;
    ExpectFieldError(o, "sections[0].skill_wise_score[0].percentage");
  }
  json::object o = Example();
  o["overall_percentage"] = -5;
  ExpectFieldError(o, "overall_percentage");
  o = Example();
  o["overall_percentage"] = uint64_t{1} << 63;
  ExpectFieldError(o, "overall_percentage");
  o = Example();
  o["overall_percentage"] = std::numeric_limits<double>::infinity();
  ExpectFieldError(o, "overall_percentage");
  o = Example();
  o["overall_percentage"] = std::numeric_limits<double>::quiet_NaN();
  ExpectFieldError(o, "overall_percentage");
}

TEST(ParseReportTest, PercentageBoundsAreInclusive) {
  for (double ok : {0.0, 100.0}) {
    json::object o = Example();
    o["overall_percentage"] = ok;
    o["cut_off"] = static_cast<int64_t>(ok);
    EXPECT_TRUE(Parse(o)) << ok;
  }
}

TEST(ParseReportTest, IdsPastInt64) {
  // As ParseJson delivers them: 2^63 as uint64, 2^64 as a double.
  for (std::string_view field : {"assessment_id", "candidate_id"}) {
    for (std::string_view number : {"9223372036854775808", "18446744073709551616"}) {
      json::object o = Example();
      o[field] = core::ParseJson(number).value();
      ExpectFieldError(o, field);
    }
    json::object o = Example();
    o[field] = 0;
    ExpectFieldError(o, field);
    o[field] = -1;
    ExpectFieldError(o, field);
  }
  json::object o = Example();
  o["report_id"] = core::ParseJson("9223372036854775808").value();
  ExpectFieldError(o, "report_id");
  o["assessment_id"] = std::numeric_limits<int64_t>::max();
  o["report_id"] = 318;
  EXPECT_TRUE(Parse(o));
}

TEST(ParseReportTest, ReportIdMustMatchPath) {
  json::object o = Example();
  auto mismatch = Parse(o, 319);
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().code(), Code::kInvalidArgument);
  EXPECT_NE(mismatch.error().message().find("report_id"), std::string::npos);

  o.erase("report_id");
  auto absent = Parse(o, 319);
  ASSERT_TRUE(absent);
  EXPECT_EQ(absent->report_id, ReportId{319});
}

TEST(ParseReportTest, DatesMustBeRfc3339) {
  for (std::string_view bad : {"2025-07-09", "2025-07-09 06:58:40", "2025-02-30T00:00:00Z", ""}) {
    json::object o = Example();
    o["completed_date"] = bad;
    ExpectFieldError(o, "completed_date");
  }
  json::object o = Example();
  o["completed_date"] = "2025-07-09T06:00:00Z";  // before started_date
  ExpectFieldError(o, "completed_date");
}

TEST(ParseReportTest, UnknownFieldsAreIgnored) {
  json::object o = Example();
  o["favourite_colour"] = "blue";
  o["sections"].as_array()[0].as_object()["extra"] = json::array{1, 2};
  EXPECT_TRUE(Parse(o));
}

TEST(ParseReportTest, SizeCaps) {
  json::object o = Example();
  o["name"] = std::string(1000, 'x');
  EXPECT_TRUE(Parse(o));
  o["name"] = std::string(1001, 'x');
  ExpectFieldError(o, "name");
  o = Example();
  o["name"] = "";
  ExpectFieldError(o, "name");

  // 40 sections x 10 skills is legal (SPEC §1).
  json::array sections;
  for (int s = 0; s < 40; ++s) {
    json::array skills;
    for (int k = 0; k < 10; ++k) {
      skills.push_back(
          json::object{{"skill", "skill " + std::to_string(k)}, {"percentage", k * 10}});
    }
    sections.push_back(json::object{{"section", "section " + std::to_string(s)},
                                    {"percentage", 50},
                                    {"skill_wise_score", skills}});
  }
  o = Example();
  o["sections"] = sections;
  auto r = Parse(o);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->sections.size(), 40u);
  EXPECT_EQ(r->sections[39].skill_wise_score.size(), 10u);
}

TEST(ParseReportTest, UnicodeAndMetacharactersKeptIntact) {
  json::object o = Example();
  const std::string name = "प्रिया <script>alert(1)</script> & \") Tj (إختبار 测试 😀";
  o["name"] = name;
  auto r = Parse(o);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name, name);
}

// A NUL cut the PDF's name short and an escape sequence went raw into the
// page (issue 10's abusive clients): every text field refuses control
// characters, wherever it is in the report. Candidate data is otherwise kept
// byte for byte: tabs, line breaks and bidi controls pass.
TEST(ParseReportTest, ControlCharactersAreRefusedInEveryTextField) {
  const std::string controls[] = {std::string("Priya\0Raman", 11),
                                  "Priya\x1b[31mRaman",
                                  "Priya\aRaman",
                                  "Priya\x7fRaman",
                                  "Priya\xc2\x85Raman",
                                  "Priya\x01Raman"};
  for (const std::string& bad : controls) {
    SCOPED_TRACE(bad);
    json::object o = Example();
    o["name"] = bad;
    ExpectFieldError(o, "name");
    o = Example();
    o["email"] = bad;
    ExpectFieldError(o, "email");
    o = Example();
    o["sections"].as_array()[0].as_object()["section"] = bad;
    ExpectFieldError(o, "sections[0].section");
    o = Example();
    o["sections"].as_array()[0].as_object()["skill_wise_score"].as_array()[0].as_object()["skill"] =
        bad;
    ExpectFieldError(o, "sections[0].skill_wise_score[0].skill");
    o = Example();
    o["registration_fields"].as_array()[0].as_object()["value"] = bad;
    ExpectFieldError(o, "registration_fields[0].value");
  }
  // Tabs, line breaks, a right-to-left mark and an override are kept.
  for (const std::string good :
       {"Priya\tRaman", "Line one\r\nline two", "\xd9\x84\xd9\x8a\xd9\x84\xd9\x89\xe2\x80\x8f",
        "Zero\xe2\x80\x8bWidth \xe2\x80\xaeRTL-override"}) {
    json::object o = Example();
    o["name"] = good;
    auto r = Parse(o);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->name, good);
  }
}

TEST(ReportToJsonTest, PendingHasExactlyTheSixKeys) {
  json::object in = MinimalPending();
  in["email"] = "priya@example.com";
  in["candidate_id"] = 5012;
  in["assessment_name"] = "Backend Engineer Screening";
  in["cut_off"] = 60;
  in["started_date"] = "2025-07-09T06:02:11Z";
  in["sections"] = json::array{};
  auto r = Parse(in);
  ASSERT_TRUE(r) << r.error().message();
  json::object out = ReportToJson(*r);
  std::set<std::string> keys;
  for (const auto& kv : out) keys.insert(std::string(kv.key()));
  EXPECT_EQ(keys, (std::set<std::string>{"assessment_id", "candidate_id", "email", "invite_status",
                                         "name", "report_id"}));
  EXPECT_EQ(out.at("assessment_id").as_int64(), 138);
  EXPECT_EQ(out.at("candidate_id").as_int64(), 5012);
  EXPECT_EQ(out.at("email").as_string(), "priya@example.com");
  EXPECT_EQ(out.at("invite_status").as_string(), "Pending");
  EXPECT_EQ(out.at("name").as_string(), "Priya Raman");
  EXPECT_EQ(out.at("report_id").as_int64(), 318);
}

TEST(ReportToJsonTest, CompletedIsTheFullObject) {
  auto r = Parse(Example());
  ASSERT_TRUE(r);
  json::object out = ReportToJson(*r);
  for (std::string_view key :
       {"report_id", "assessment_id", "assessment_name", "candidate_id", "name", "email",
        "invite_status", "started_date", "completed_date", "cut_off", "overall_percentage",
        "offtab_count", "registration_fields", "sections"}) {
    EXPECT_TRUE(out.contains(key)) << key;
  }
  EXPECT_EQ(core::WriteJson(out.at("overall_percentage")), "72.5");
  EXPECT_EQ(core::WriteJson(out.at("cut_off")), "60");
}

TEST(ReportToStorageJsonTest, RoundTrip) {
  auto original = Parse(Example());
  ASSERT_TRUE(original);
  // Through text, as the store keeps it.
  auto reparsed_json = core::ParseJson(core::WriteJson(ReportToStorageJson(*original)));
  ASSERT_TRUE(reparsed_json);
  auto back = Parse(*reparsed_json);
  ASSERT_TRUE(back) << back.error().message();
  ExpectSameReport(*original, *back);
}

TEST(ReportToStorageJsonTest, RoundTripPendingAndFractions) {
  json::object in = MinimalPending();
  in["started_date"] = "2025-07-09T06:02:11.123456+05:30";
  in["cut_off"] = 33.333333333333336;
  in["registration_fields"] = json::array{json::object{{"label", "Empty"}}};
  auto original = Parse(in);
  ASSERT_TRUE(original) << original.error().message();
  auto back = Parse(core::ParseJson(core::WriteJson(ReportToStorageJson(*original))).value());
  ASSERT_TRUE(back) << back.error().message();
  ExpectSameReport(*original, *back);
}

}  // namespace
}  // namespace reportshare::domain
