#include "render/view.h"

#include <gtest/gtest.h>

#include "domain/link_options.h"
#include "support/sample_reports.h"

namespace reportshare::render {
namespace {

using test_support::At;
using test_support::SpecExample;

const Instant kGenerated = At("2025-07-09T07:00:00Z");

RenderOptions In(Language language) {
  RenderOptions options;
  options.language = language;
  return options;
}

const std::string* Detail(const std::vector<LabeledValue>& rows, std::string_view label) {
  for (const LabeledValue& d : rows) {
    if (d.label == label) return &d.value;
  }
  return nullptr;
}

TEST(MakeReportViewTest, SpecExample) {
  ReportView v = MakeReportView(SpecExample(), kGenerated);
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
  EXPECT_EQ(v.generated_text, "Generated 9 July 2025, 07:00 UTC");
  ASSERT_EQ(v.candidate_details.size(), 3u);
  EXPECT_EQ(v.candidate_details[0].value, "priya@example.com");
  EXPECT_EQ(v.candidate_details[1].value, "5012");
  EXPECT_EQ(v.candidate_details[2].label, "Phone");
  ASSERT_NE(Detail(v.assessment_details, "Duration"), nullptr);
  EXPECT_EQ(*Detail(v.assessment_details, "Duration"), "56 min 29 s");
  ASSERT_NE(Detail(v.assessment_details, "Started"), nullptr);
  EXPECT_EQ(*Detail(v.assessment_details, "Started"), "9 July 2025, 06:02 UTC");
  ASSERT_EQ(v.sections.size(), 1u);
  EXPECT_EQ(v.sections[0].percent_text, "80%");
  EXPECT_FALSE(v.sections[0].below_cut_off);
  EXPECT_EQ(v.labels.report_kind, "CANDIDATE ASSESSMENT REPORT");
  EXPECT_EQ(v.labels.skill_scores, "Skill-wise scores");
  EXPECT_EQ(v.chart_ticks, (std::vector<std::string>{"0%", "25%", "50%", "75%", "100%"}));
  EXPECT_EQ(v.language, Language::kEn);
  EXPECT_FALSE(v.right_to_left);
  EXPECT_EQ(v.language_name, "English");
  EXPECT_TRUE(v.watermark_text.empty());
  EXPECT_TRUE(v.language_links.empty());
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
  s.report.overall_percentage = 61;
  EXPECT_EQ(MakeReportView(s, {}).margin_text, "Margin: +1 point");
  s.report.overall_percentage = 100;
  EXPECT_EQ(MakeReportView(s, {}).margin_text, "Margin: +40 points");
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
  EXPECT_EQ(Detail(v.assessment_details, "Duration"), nullptr);
}

TEST(MakeReportViewTest, FiguresNeverContradictTheVerdict) {
  StoredReport just_below = SpecExample();
  just_below.report.overall_percentage = 59.96;
  just_below.report.cut_off = 60;
  ReportView v = MakeReportView(just_below, kGenerated);
  EXPECT_EQ(v.verdict, Verdict::kBelowCutOff);
  EXPECT_EQ(v.overall_text, "59.96%");
  EXPECT_EQ(v.margin_text, "Margin: −0.04 points");

  StoredReport level = just_below;
  level.report.overall_percentage = 60;
  ReportView at = MakeReportView(level, kGenerated);
  EXPECT_EQ(at.verdict, Verdict::kPassed);
  EXPECT_EQ(at.verdict_text, "Passed — at the cut-off");
  EXPECT_EQ(at.overall_text, "60%");
  EXPECT_EQ(at.margin_text, "Margin: ±0 points");
}

// The extra digits work in every language: the localized figures of a score
// just under the cut-off differ from the cut-off's, and the margin is signed.
TEST(MakeReportViewTest, FiguresNeverContradictTheVerdictInAnyLanguage) {
  StoredReport s = SpecExample();
  s.report.overall_percentage = 59.996;
  s.report.cut_off = 60;
  for (Language l : domain::kLanguages) {
    ReportView v = MakeReportView(s, kGenerated, In(l));
    EXPECT_EQ(v.verdict, Verdict::kBelowCutOff);
    EXPECT_EQ(v.cut_off_text.find(v.overall_text), std::string::npos)
        << domain::LanguageTag(l) << ": " << v.overall_text << " vs " << v.cut_off_text;
    EXPECT_NE(v.margin_text.find("\u2212"), std::string::npos) << v.margin_text;
  }
  ReportView de = MakeReportView(s, kGenerated, In(Language::kDe));
  EXPECT_EQ(de.overall_text, "59,996\u00a0%");
  EXPECT_EQ(de.margin_text, "Abstand: \u22120,004 Punkte");
  ReportView ar = MakeReportView(s, kGenerated, In(Language::kAr));
  EXPECT_EQ(ar.overall_text, "٥٩٫٩٩٦٪");
  EXPECT_EQ(ar.margin_text, "الفارق: \u2212٠٫٠٠٤ نقطة");
}

TEST(MakeReportViewTest, German) {
  ReportView v = MakeReportView(SpecExample(), kGenerated, In(Language::kDe));
  EXPECT_EQ(v.title, "Bewertungsbericht – Priya Raman");
  EXPECT_EQ(v.overall_text, "72,5\u00a0%");
  EXPECT_EQ(v.cut_off_text, "Bestehensgrenze: 60\u00a0%");
  EXPECT_EQ(v.margin_text, "Abstand: +12,5 Punkte");
  EXPECT_EQ(v.verdict_text, "Bestanden – über der Bestehensgrenze");
  EXPECT_EQ(v.subtitle,
            "Backend Engineer Screening · Bewertung Nr.\u00a0138 · Kandidat Nr.\u00a05012");
  EXPECT_EQ(v.generated_text, "Erstellt am 9. Juli 2025, 07:00 UTC");
  EXPECT_EQ(v.report_id_text, "Bericht-ID 318");
  ASSERT_NE(Detail(v.assessment_details, "Dauer"), nullptr);
  EXPECT_EQ(*Detail(v.assessment_details, "Dauer"), "56 Min. 29 Sek.");
  EXPECT_EQ(*Detail(v.candidate_details, "E-Mail"), "priya@example.com");
  // Candidate data is never translated: the registration field keeps its label.
  EXPECT_EQ(*Detail(v.candidate_details, "Phone"), "+91 98450 00000");
  EXPECT_EQ(v.sections[0].name, "Python");
  EXPECT_EQ(v.sections[0].skills[0].name, "Data structures");
  EXPECT_EQ(v.proctoring_note,
            "Der Kandidat hat den Tab mit dem Test während der Bewertung 2-mal verlassen.");
  EXPECT_EQ(v.chart_ticks.front(), "0\u00a0%");
  EXPECT_EQ(v.language_name, "Deutsch");
}

TEST(MakeReportViewTest, ArabicIsRightToLeftWithArabicDigits) {
  ReportView v = MakeReportView(SpecExample(), kGenerated, In(Language::kAr));
  EXPECT_TRUE(v.right_to_left);
  EXPECT_EQ(v.title, "تقرير التقييم — Priya Raman");
  EXPECT_EQ(v.overall_text, "٧٢٫٥٪");
  EXPECT_EQ(v.cut_off_text, "حد النجاح: ٦٠٪");
  EXPECT_EQ(v.margin_text, "الفارق: +١٢٫٥ نقطة");
  EXPECT_EQ(v.verdict_text, "ناجح — أعلى من حد النجاح");
  EXPECT_EQ(v.proctoring_note, "غادر المرشح علامة تبويب الاختبار مرتين أثناء التقييم.");
  EXPECT_EQ(v.generated_text, "أُنشئ في ٩ يوليو ٢٠٢٥، ٠٧:٠٠ UTC");
  // Identifiers stay as they are.
  EXPECT_EQ(v.report_id_text, "معرّف التقرير 318");
  EXPECT_EQ(*Detail(v.candidate_details, "معرّف المرشح"), "5012");
  EXPECT_EQ(v.chart_ticks.back(), "١٠٠٪");
}

TEST(MakeReportViewTest, LanguageLinksAreTheOtherSixInTheirOwnNames) {
  RenderOptions options = In(Language::kFr);
  options.language_links = true;
  ReportView v = MakeReportView(SpecExample(), kGenerated, options);
  ASSERT_EQ(v.language_links.size(), 6u);
  EXPECT_EQ(v.language_links[0].label, "English");
  EXPECT_EQ(v.language_links[0].value, "?lang=en");
  EXPECT_EQ(v.language_links[0].tag, "en");
  EXPECT_EQ(v.language_links[1].label, "Español");
  EXPECT_EQ(v.language_links[2].label, "Deutsch");
  EXPECT_EQ(v.language_links[4].label, "हिन्दी");
  EXPECT_EQ(v.language_links[5].label, "العربية");
  EXPECT_EQ(v.language_links[5].value, "?lang=ar");
  for (const LanguageLink& l : v.language_links) EXPECT_NE(l.tag, "fr");
  EXPECT_EQ(v.language_name, "Français");
}

TEST(MakeReportViewTest, WatermarkText) {
  RenderOptions options;
  options.watermark =
      Watermark{"hm@acme.example", "Gk3aBcDeFgHiJkLmNoPqRs", At("2026-12-02T07:15:42Z")};
  EXPECT_EQ(MakeReportView(SpecExample(), kGenerated, options).watermark_text,
            "hm@acme.example · Gk3aBcDeFgHiJkLmNoPqRs · 2 December 2026, 07:15 UTC");
  options.watermark->recipient.clear();
  EXPECT_EQ(MakeReportView(SpecExample(), kGenerated, options).watermark_text,
            "Shared link · Gk3aBcDeFgHiJkLmNoPqRs · 2 December 2026, 07:15 UTC");
  options.language = Language::kEs;
  EXPECT_EQ(MakeReportView(SpecExample(), kGenerated, options).watermark_text,
            "Enlace compartido · Gk3aBcDeFgHiJkLmNoPqRs · 2 de diciembre de 2026, 07:15 UTC");
  options.language = Language::kAr;
  EXPECT_EQ(MakeReportView(SpecExample(), kGenerated, options).watermark_text,
            "رابط مشترك · Gk3aBcDeFgHiJkLmNoPqRs · ٢ ديسمبر ٢٠٢٦، ٠٧:١٥ UTC");
}

// The view of an anonymized report (SPEC §5: no email, candidate id or
// registration fields) has no empty rows and no "Candidate #".
TEST(MakeReportViewTest, AnonymizedReport) {
  const StoredReport s = domain::Anonymize(SpecExample(), "Candidate 7KQ2ZP");
  for (Language l : domain::kLanguages) {
    ReportView v = MakeReportView(s, kGenerated, In(l));
    EXPECT_TRUE(v.candidate_details.empty());
    EXPECT_EQ(v.subtitle.find("5012"), std::string::npos);
    EXPECT_EQ(v.candidate_name, "Candidate 7KQ2ZP");
  }
}

}  // namespace
}  // namespace reportshare::render
