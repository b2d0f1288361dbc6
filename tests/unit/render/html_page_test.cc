#include "render/html/html_page.h"

#include <gtest/gtest.h>

#include <regex>

#include "render/renderer.h"
#include "support/sample_reports.h"

namespace reportshare::render::html {
namespace {

using test_support::At;
using test_support::ManySections;
using test_support::SpecExample;

std::string Html(const StoredReport& s, std::string_view href = "/r/tok?format=pdf") {
  return MakeBasicRenderer()->RenderHtml(s, At("2025-07-09T07:00:00Z"),
                                         PageOptions(std::string(href)));
}

TEST(EscapeHtmlTest, EscapesTheFiveCharacters) {
  EXPECT_EQ(EscapeHtml(""), "");
  EXPECT_EQ(EscapeHtml("plain text"), "plain text");
  EXPECT_EQ(EscapeHtml("a & b"), "a &amp; b");
  EXPECT_EQ(EscapeHtml("<b>x</b>"), "&lt;b&gt;x&lt;/b&gt;");
  EXPECT_EQ(EscapeHtml("\"q\" 'a'"), "&quot;q&quot; &#39;a&#39;");
  EXPECT_EQ(EscapeHtml("&amp;"), "&amp;amp;");
  EXPECT_EQ(EscapeHtml("प्रिया 王小明"), "प्रिया 王小明");
}

TEST(RenderHtmlTest, ShowsEveryField) {
  std::string html = Html(SpecExample());
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
  for (const char* want : {"Acme Talent",
                           "Backend Engineer Screening",
                           "Priya Raman",
                           "priya@example.com",
                           "5012",
                           "Phone",
                           "+91 98450 00000",
                           "9 July 2025, 06:02 UTC",
                           "9 July 2025, 06:58 UTC",
                           "56 min 29 s",
                           "72.5%",
                           "Cut-off: 60%",
                           "Passed",
                           "switched away from the test tab 2 times",
                           "Margin: +12.5 points",
                           "Assessment #138 · Candidate #5012",
                           "Python",
                           "Data structures",
                           "90%",
                           "Report ID 318",
                           "Generated 9 July 2025, 07:00 UTC",
                           "<svg",
                           "<rect",
                           "name=\"viewport\"",
                           "@media print",
                           "Confidential",
                           "Download PDF"}) {
    EXPECT_NE(html.find(want), std::string::npos) << want;
  }
}

TEST(RenderHtmlTest, SelfContainedAndScriptFree) {
  StoredReport s = ManySections(5, 3);
  s.report.name = "<script>alert(1)</script>";
  s.report.assessment_name = "<SCRIPT src=//evil.example></SCRIPT>";
  s.report.sections[0].section = "\"><script>x</script>";
  s.report.registration_fields = {{"<img onerror=a>", "'single' & \"double\""}};
  std::string html = Html(s, "/x?format=pdf&a=\"<script>\"");
  std::string lower = html;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(lower.find("<script"), std::string::npos);
  EXPECT_EQ(lower.find("<img"), std::string::npos);
  EXPECT_EQ(lower.find("http://"), std::string::npos);
  EXPECT_EQ(lower.find("https://"), std::string::npos);
  EXPECT_EQ(lower.find("@import"), std::string::npos);
  EXPECT_EQ(lower.find("url("), std::string::npos);
  EXPECT_EQ(lower.find("src=\""), std::string::npos);
  EXPECT_EQ(lower.find("<link"), std::string::npos);
  EXPECT_EQ(lower.find("<iframe"), std::string::npos);
  EXPECT_EQ(lower.find("<object"), std::string::npos);
  EXPECT_EQ(lower.find("<base"), std::string::npos);
  // Every '<' left is one of ours (user text is escaped): no event handlers.
  EXPECT_FALSE(std::regex_search(lower, std::regex(R"(<[a-z][^>]*\son[a-z]+\s*=)"))) << html;
  // The only link is the one given; nothing names another host.
  EXPECT_EQ(lower.find("href="), lower.rfind("href="));
  EXPECT_EQ(lower.find("\"//"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("href=\"/x?format=pdf&amp;a=&quot;&lt;script&gt;&quot;\""),
            std::string::npos);
  EXPECT_NE(html.find("&#39;single&#39; &amp; &quot;double&quot;"), std::string::npos);
}

TEST(RenderHtmlTest, ContainsHrefAndEverySection) {
  StoredReport s = ManySections(40, 10);
  std::string html = Html(s, "/assessments/bp/reports/shared/abc.def?format=pdf");
  EXPECT_NE(html.find("href=\"/assessments/bp/reports/shared/abc.def?format=pdf\""),
            std::string::npos);
  for (const Section& sec : s.report.sections) {
    EXPECT_NE(html.find(">" + sec.section + "<"), std::string::npos) << sec.section;
    for (const SkillScore& k : sec.skill_wise_score) {
      EXPECT_NE(html.find(">" + k.skill + "<"), std::string::npos) << k.skill;
    }
  }
}

TEST(RenderHtmlTest, NoCutOffMeansNoVerdictAndNoOfftabMeansNoNote) {
  StoredReport s = SpecExample();
  s.report.cut_off.reset();
  s.report.offtab_count.reset();
  std::string html = Html(s);
  EXPECT_EQ(html.find("Passed"), std::string::npos);
  EXPECT_EQ(html.find("Below cut-off"), std::string::npos);
  EXPECT_EQ(html.find("Proctoring"), std::string::npos);
  EXPECT_EQ(html.find("Margin"), std::string::npos);
  EXPECT_NE(html.find("72.5%"), std::string::npos);
}

TEST(RenderHtmlTest, BelowCutOffVerdict) {
  StoredReport s = SpecExample();
  s.report.overall_percentage = 41;
  EXPECT_NE(Html(s).find("Below cut-off"), std::string::npos);
}

TEST(RenderHtmlTest, EveryScriptVerbatim) {
  for (const char* name : {"प्रिया रमन", "ليلى حداد", "王小明", "Sam 🚀 Lee"}) {
    StoredReport s = SpecExample();
    s.report.name = name;
    s.report.sections[0].skill_wise_score[0].skill = name;
    std::string html = Html(s);
    EXPECT_NE(html.find(std::string("<h1>") + name + "</h1>"), std::string::npos) << name;
    EXPECT_NE(html.find(std::string(">") + name + "<"), std::string::npos) << name;
  }
}

TEST(RenderHtmlTest, ResponsiveAndPrintable) {
  std::string html = Html(SpecExample());
  EXPECT_NE(html.find("width=device-width"), std::string::npos);
  EXPECT_NE(html.find("@media(max-width:480px)"), std::string::npos);
  EXPECT_NE(html.find("@page{size:A4"), std::string::npos);
  EXPECT_NE(html.find(".download{display:none}"), std::string::npos);  // not printed
}

TEST(RenderNoticePageTest, EscapedAndSelfContained) {
  std::string html =
      RenderNoticePage("Link <expired>", "Ask the sender for a new one & \"retry\".");
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
  EXPECT_NE(html.find("Link &lt;expired&gt;"), std::string::npos);
  EXPECT_NE(html.find("Ask the sender for a new one &amp; &quot;retry&quot;."), std::string::npos);
  EXPECT_NE(html.find("name=\"viewport\""), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);
}

}  // namespace
}  // namespace reportshare::render::html
