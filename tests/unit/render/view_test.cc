#include "render/view.h"

#include <gtest/gtest.h>

#include "support/sample_reports.h"

namespace reportshare::render {
namespace {

using test_support::At;
using test_support::SpecExample;

TEST(FormatPercentTest, DropsTrailingZeroAndKeepsOneDecimal) {
  EXPECT_EQ(FormatPercent(80.0), "80%");
  EXPECT_EQ(FormatPercent(72.5), "72.5%");
  EXPECT_EQ(FormatPercent(0), "0%");
  EXPECT_EQ(FormatPercent(100), "100%");
  EXPECT_EQ(FormatPercent(33.333), "33.3%");
}

TEST(FormatDurationTest, Forms) {
  using namespace std::chrono;
  EXPECT_EQ(FormatDuration(minutes(56) + seconds(29)), "56 min 29 s");
  EXPECT_EQ(FormatDuration(hours(1) + minutes(2)), "1 h 2 min 0 s");
  EXPECT_EQ(FormatDuration(seconds(12)), "12 s");
  EXPECT_EQ(FormatDuration(microseconds(0)), "0 s");
}

TEST(FormatUtcMinutesTest, Readable) {
  EXPECT_EQ(FormatUtcMinutes(At("2025-07-09T06:02:11Z")), "2025-07-09 06:02 UTC");
}

TEST(MakeReportViewTest, SpecExample) {
  ReportView v = MakeReportView(SpecExample(), At("2025-07-09T07:00:00Z"));
  EXPECT_EQ(v.title, "Assessment report — Priya Raman");
  EXPECT_EQ(v.company_name, "Acme Talent");
  EXPECT_EQ(v.overall_text, "72.5%");
  EXPECT_EQ(v.cut_off_text, "Cut-off: 60%");
  EXPECT_EQ(v.verdict, Verdict::kPassed);
  EXPECT_EQ(v.subtitle, "Backend Engineer Screening · Assessment #138 · Candidate #5012");
  EXPECT_EQ(v.verdict_text, "Passed — above cut-off");
  EXPECT_EQ(v.margin_text, "Margin: +12.5 points");
  EXPECT_EQ(v.proctoring_note,
            "The candidate switched away from the test tab 2 times during the assessment.");
  EXPECT_EQ(v.report_id_text, "Report ID 318");
  EXPECT_EQ(v.generated_text, "Generated 2025-07-09 07:00 UTC");
  ASSERT_EQ(v.candidate_details.size(), 3u);
  EXPECT_EQ(v.candidate_details[0].value, "priya@example.com");
  EXPECT_EQ(v.candidate_details[1].value, "5012");
  EXPECT_EQ(v.candidate_details[2].label, "Phone");
  bool has_duration = false;
  for (const LabeledValue& d : v.assessment_details) {
    if (d.label == "Duration") {
      has_duration = true;
      EXPECT_EQ(d.value, "56 min 29 s");
    }
  }
  EXPECT_TRUE(has_duration);
  ASSERT_EQ(v.sections.size(), 1u);
  EXPECT_EQ(v.sections[0].percent_text, "80%");
  EXPECT_FALSE(v.sections[0].below_cut_off);
}

TEST(MakeReportViewTest, VerdictAtAndBelowCutOff) {
  StoredReport s = SpecExample();
  s.report.overall_percentage = 60;
  EXPECT_EQ(MakeReportView(s, {}).verdict, Verdict::kPassed);
  s.report.overall_percentage = 59.9;
  ReportView v = MakeReportView(s, {});
  EXPECT_EQ(v.verdict, Verdict::kBelowCutOff);
  EXPECT_EQ(v.verdict_text, "Below cut-off");
  EXPECT_EQ(v.margin_text, "Margin: −0.1 points");
}

TEST(FormatMarginTest, SignedPoints) {
  EXPECT_EQ(FormatMargin(12.5), "+12.5 points");
  EXPECT_EQ(FormatMargin(-4), "−4 points");
  EXPECT_EQ(FormatMargin(0), "±0 points");
  EXPECT_EQ(FormatMargin(0.04), "±0 points");
  EXPECT_EQ(FormatMargin(-0.04), "±0 points");
  EXPECT_EQ(FormatMargin(100), "+100 points");
}

TEST(MakeReportViewTest, ProctoringNoteCounts) {
  StoredReport s = SpecExample();
  s.report.offtab_count = 1;
  EXPECT_EQ(MakeReportView(s, {}).proctoring_note,
            "The candidate switched away from the test tab 1 time during the assessment.");
  s.report.offtab_count = 0;
  EXPECT_EQ(MakeReportView(s, {}).proctoring_note,
            "The candidate did not switch away from the test tab during the assessment.");
}

TEST(MakeReportViewTest, SubtitleWithoutCandidateId) {
  StoredReport s = SpecExample();
  s.report.candidate_id.reset();
  EXPECT_EQ(MakeReportView(s, {}).subtitle, "Backend Engineer Screening · Assessment #138");
}

TEST(MakeReportViewTest, NoCutOffNoVerdictNoOfftabNoDuration) {
  StoredReport s = SpecExample();
  s.report.cut_off.reset();
  s.report.offtab_count.reset();
  s.report.started_date.reset();
  ReportView v = MakeReportView(s, {});
  EXPECT_EQ(v.verdict, Verdict::kNone);
  EXPECT_TRUE(v.verdict_text.empty());
  EXPECT_TRUE(v.cut_off_text.empty());
  EXPECT_TRUE(v.margin_text.empty());
  EXPECT_TRUE(v.proctoring_note.empty());
  for (const LabeledValue& d : v.assessment_details) EXPECT_NE(d.label, "Duration");
}

}  // namespace
}  // namespace reportshare::render

namespace reportshare::render {
namespace {

using test_support::At;
using test_support::SpecExample;

TEST(MakeReportViewTest, FiguresNeverContradictTheVerdict) {
  StoredReport just_below = SpecExample();
  just_below.report.overall_percentage = 59.96;
  just_below.report.cut_off = 60;
  ReportView v = MakeReportView(just_below, At("2025-07-09T07:00:00Z"));
  EXPECT_EQ(v.verdict, Verdict::kBelowCutOff);
  EXPECT_EQ(v.overall_text, "59.96%");
  EXPECT_EQ(v.margin_text, "Margin: −0.04 points");

  StoredReport level = just_below;
  level.report.overall_percentage = 60;
  ReportView at = MakeReportView(level, At("2025-07-09T07:00:00Z"));
  EXPECT_EQ(at.verdict, Verdict::kPassed);
  EXPECT_EQ(at.verdict_text, "Passed — at the cut-off");
  EXPECT_EQ(at.overall_text, "60%");
  EXPECT_EQ(at.margin_text, "Margin: ±0 points");
}

TEST(FormatPercentTest, DigitsAndTrailingZeros) {
  EXPECT_EQ(FormatPercent(72.5), "72.5%");
  EXPECT_EQ(FormatPercent(80.0), "80%");
  EXPECT_EQ(FormatPercent(59.96), "60%");
  EXPECT_EQ(FormatPercent(59.96, 2), "59.96%");
  EXPECT_EQ(FormatPercent(59.9, 2), "59.9%");
  EXPECT_EQ(FormatMargin(-0.04), "±0 points");
  EXPECT_EQ(FormatMargin(-0.04, 2), "−0.04 points");
}

}  // namespace
}  // namespace reportshare::render
