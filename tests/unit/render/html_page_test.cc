#include "render/html/html_page.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "render/i18n/catalogue.h"
#include "render/renderer.h"
#include "support/html_checks.h"
#include "support/sample_reports.h"

namespace reportshare::render::html {
namespace {

using test_support::At;
using test_support::ExpectSelfContainedPage;
using test_support::Lowercase;
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
  // No script, no event handler, nothing loaded; the only link is the one
  // given.
  ExpectSelfContainedPage(html);
  // Unbranded, it has no image, no source at all and no https:// either.
  const std::string lower = Lowercase(html);
  EXPECT_EQ(lower.find("<img"), std::string::npos);
  EXPECT_EQ(lower.find("https://"), std::string::npos);
  EXPECT_EQ(lower.find("src=\""), std::string::npos);
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
  EXPECT_NE(html.find(".download,.langs{display:none}"), std::string::npos);  // not printed
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

// Languages (SPEC §5).

RenderOptions In(Language language) {
  RenderOptions options = PageOptions("/r/tok?format=pdf");
  options.language = language;
  return options;
}

std::string Html(const StoredReport& s, const RenderOptions& options) {
  return MakeBasicRenderer()->RenderHtml(s, At("2025-07-09T07:00:00Z"), options);
}

// The labels of the page (not the formats, the notices or the language names).
bool IsPageLabel(std::string_view key) {
  return !key.starts_with("format.") && !key.starts_with("notice.") &&
         key != "language.native_name" && !key.starts_with("footer.page");
}

// The literal parts of a message between its placeholders, trimmed:
// "Cut-off: {percent}" → "Cut-off:".
std::vector<std::string> Fragments(std::string_view message) {
  std::vector<std::string> out;
  std::string text = std::regex_replace(std::string(message), std::regex(R"(\{[a-z_]+\})"), "\n");
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    size_t b = line.find_first_not_of(' ');
    size_t e = line.find_last_not_of(' ');
    if (b == std::string::npos) continue;
    line = line.substr(b, e - b + 1);
    if (line.size() >= 3) out.push_back(line);
  }
  return out;
}

TEST(RenderHtmlTest, LangAndDirOfEveryLanguage) {
  for (Language l : domain::kLanguages) {
    std::string html = Html(SpecExample(), In(l));
    std::string want = "<html lang=\"" + std::string(domain::LanguageTag(l)) + "\" dir=\"" +
                       (l == Language::kAr ? "rtl" : "ltr") + "\">";
    EXPECT_NE(html.find(want), std::string::npos) << want;
  }
}

// Every label of the page in the page's language, and none of the English
// ones left (the report's own data, "Python" or "Phone", stays as it is).
TEST(RenderHtmlTest, EveryLabelTranslatedAndNoEnglishLeft) {
  const i18n::Catalogue& en = i18n::CatalogueOf(Language::kEn);
  StoredReport s = SpecExample();
  s.report.sections.push_back({"Empty", 10, {}});
  for (Language l : domain::kLanguages) {
    if (l == Language::kEn) continue;
    const i18n::Catalogue& t = i18n::CatalogueOf(l);
    std::string tag(domain::LanguageTag(l));
    RenderOptions options = In(l);
    options.language_links = true;
    options.watermark = Watermark{"", "Gk3aBcDeFgHiJkLmNoPqRs", At("2026-12-02T07:15:00Z")};
    std::string html = Html(s, options);
    for (const char* key :
         {"report.kind", "report.download_pdf", "score.overall", "proctoring.label",
          "sections.heading", "skills.heading", "skills.empty", "footer.confidential",
          "detail.email", "detail.candidate_id", "detail.assessment_id", "detail.started",
          "detail.completed", "detail.duration", "verdict.above", "language.switcher",
          "watermark.shared_link"}) {
      EXPECT_NE(html.find(EscapeHtml(t.Format(key))), std::string::npos) << tag << " " << key;
    }
    ReportView v = MakeReportView(s, At("2025-07-09T07:00:00Z"), options);
    for (const std::string& text : {v.title, v.subtitle, v.cut_off_text, v.margin_text,
                                    v.proctoring_note, v.report_id_text, v.generated_text}) {
      EXPECT_NE(html.find(EscapeHtml(text)), std::string::npos) << tag << " " << text;
    }
    // What a reader sees: the text outside tags, the style sheet left out.
    std::string visible = std::regex_replace(html, std::regex(R"(<style>[^]*?</style>)"), "");
    visible = std::regex_replace(visible, std::regex(R"(<[^>]*>)"), "\n");
    for (const auto& [key, message] : en.messages()) {
      if (!IsPageLabel(key)) continue;
      const i18n::Message& translated = t.messages().find(key)->second;
      std::string own = translated.text;
      for (const auto& [category, form] : translated.forms) own += "\n" + form;
      std::vector<std::string> texts;
      if (message.plural()) {
        for (const auto& [category, form] : message.forms) texts.push_back(form);
      } else {
        texts.push_back(message.text);
      }
      for (const std::string& text : texts) {
        for (const std::string& fragment : Fragments(text)) {
          // A word both languages write alike (fr "points") is not left over.
          if (own.find(fragment) != std::string::npos) continue;
          EXPECT_EQ(visible.find(EscapeHtml(fragment)), std::string::npos)
              << tag << ": English \"" << fragment << "\" (" << key << ") left in the page";
        }
      }
    }
    EXPECT_EQ(visible.find("July"), std::string::npos) << tag;
    if (l != Language::kHi) {
      EXPECT_EQ(visible.find("72.5%"), std::string::npos) << tag;
    }
    if (l == Language::kDe || l == Language::kAr || l == Language::kHi) {
      EXPECT_EQ(visible.find("min 29 s"), std::string::npos) << tag;
    }
  }
}

TEST(RenderHtmlTest, NumbersInTheLanguagesFormat) {
  struct Case {
    Language language;
    const char* overall;
    const char* skill;
  };
  for (const Case& c :
       {Case{Language::kEn, ">72.5%<", ">90%<"},
        Case{Language::kEs, ">72,5\u00a0%<", ">90\u00a0%<"},
        Case{Language::kFr, ">72,5\u202f%<", ">90\u202f%<"},
        Case{Language::kDe, ">72,5\u00a0%<", ">90\u00a0%<"},
        Case{Language::kPt, ">72,5%<", ">90%<"}, Case{Language::kHi, ">72.5%<", ">90%<"},
        Case{Language::kAr, ">٧٢٫٥٪<", ">٩٠٪<"}}) {
    std::string html = Html(SpecExample(), In(c.language));
    EXPECT_NE(html.find(c.overall), std::string::npos) << c.overall;
    EXPECT_NE(html.find(c.skill), std::string::npos) << c.skill;
  }
  std::string ar = Html(SpecExample(), In(Language::kAr));
  EXPECT_EQ(ar.find("72.5"), std::string::npos);
  EXPECT_NE(ar.find("٩ يوليو ٢٠٢٥، ٠٦:٠٢ UTC"), std::string::npos);
  EXPECT_NE(Html(SpecExample(), In(Language::kFr)).find("9 juillet 2025 à 06:02 UTC"),
            std::string::npos);
}

TEST(RenderHtmlTest, LanguageSwitcherLinksTheOtherSix) {
  RenderOptions options = In(Language::kDe);
  options.language_links = true;
  std::string html = Html(SpecExample(), options);
  std::smatch nav;
  ASSERT_TRUE(std::regex_search(
      html, nav, std::regex(R"(<nav class="langs" aria-label="Sprache">.*?</nav>)")));
  std::string links = nav[0];
  for (const char* want : {R"(<a href="?lang=en" hreflang="en" lang="en">English</a>)",
                           R"(<a href="?lang=es" hreflang="es" lang="es">Español</a>)",
                           R"(<a href="?lang=fr" hreflang="fr" lang="fr">Français</a>)",
                           R"(<a href="?lang=pt" hreflang="pt" lang="pt">Português</a>)",
                           R"(<a href="?lang=hi" hreflang="hi" lang="hi">हिन्दी</a>)",
                           R"(<a href="?lang=ar" hreflang="ar" lang="ar">العربية</a>)",
                           R"(<strong aria-current="true">Deutsch</strong>)"}) {
    EXPECT_NE(links.find(want), std::string::npos) << want << "\n" << links;
  }
  EXPECT_EQ(links.find("?lang=de"), std::string::npos);
  // In the order of the languages, the current one in its place.
  EXPECT_LT(links.find("Français"), links.find("Deutsch"));
  EXPECT_LT(links.find("Deutsch"), links.find("Português"));
  // No links unless asked for.
  EXPECT_EQ(Html(SpecExample(), In(Language::kDe)).find("<nav"), std::string::npos);
}

TEST(RenderHtmlTest, RightToLeftUsesLogicalCssAndMirroredBars) {
  std::string ar = Html(SpecExample(), In(Language::kAr));
  // One stylesheet for both directions: no physical left/right in it.
  std::smatch style;
  ASSERT_TRUE(std::regex_search(ar, style, std::regex(R"(<style>[^]*?</style>)")));
  std::string css = style[0];
  for (const char* physical :
       {"margin-left", "margin-right", "padding-left", "padding-right", "border-left",
        "border-right", "text-align:left", "text-align:right", "float:"}) {
    EXPECT_EQ(css.find(physical), std::string::npos) << physical;
  }
  // Bars grow from the right: the 80% bar of "Python" starts at x=20, and the
  // cut-off (60%) line sits at 40 from the left.
  EXPECT_NE(ar.find(R"(<rect x="20.00" width="80.00")"), std::string::npos);
  EXPECT_NE(ar.find(R"(x1="40.00")"), std::string::npos);
  std::string en = Html(SpecExample(), In(Language::kEn));
  EXPECT_NE(en.find(R"(<rect width="80.00")"), std::string::npos);
  EXPECT_NE(en.find(R"(x1="60.00")"), std::string::npos);
  // Left-to-right data is isolated in the right-to-left page; Arabic data is not.
  EXPECT_NE(ar.find(R"(<bdi dir="ltr">+91 98450 00000</bdi>)"), std::string::npos);
  EXPECT_NE(ar.find(R"(<h1><bdi dir="ltr">Priya Raman</bdi></h1>)"), std::string::npos);
  StoredReport arabic = SpecExample();
  arabic.report.name = "ليلى حداد";
  EXPECT_NE(Html(arabic, In(Language::kAr)).find("<h1>ليلى حداد</h1>"), std::string::npos);
  EXPECT_EQ(en.find("<bdi"), std::string::npos);
}

TEST(RenderHtmlTest, WatermarkOverlay) {
  RenderOptions options = In(Language::kEn);
  options.watermark =
      Watermark{"hm@acme.example", "Gk3aBcDeFgHiJkLmNoPqRs", At("2026-12-02T07:15:00Z")};
  std::string html = Html(SpecExample(), options);
  const std::string text = "hm@acme.example · Gk3aBcDeFgHiJkLmNoPqRs · 2 December 2026, 07:15 UTC";
  // Real text, repeated over the page, in a layer the pointer goes through.
  size_t count = 0;
  for (size_t at = html.find(text); at != std::string::npos; at = html.find(text, at + 1)) ++count;
  EXPECT_GE(count, 20u);
  EXPECT_NE(html.find(R"(<div class="wm" aria-hidden="true">)"), std::string::npos);
  // (Found by hand, not std::regex: its recursive matcher overflows the stack
  // on a page this long under ASan.)
  auto rule_of = [&](std::string_view selector) -> std::string {
    size_t start = html.find(std::string(selector) + "{");
    if (start == std::string::npos) return "";
    size_t end = html.find('}', start);
    return end == std::string::npos ? "" : html.substr(start, end - start + 1);
  };
  const std::string rule = rule_of(".wm");
  ASSERT_FALSE(rule.empty());
  for (const char* want : {"position:fixed", "inset:0", "overflow:hidden", "pointer-events:none"}) {
    EXPECT_NE(rule.find(want), std::string::npos) << want;
  }
  // Faint: the layer's opacity stays within 0.08–0.15.
  const std::string layer = rule_of(".wm div");
  const size_t opacity = layer.find("opacity:");
  ASSERT_NE(opacity, std::string::npos) << layer;
  const double value = std::stod(layer.substr(opacity + 8));
  EXPECT_GE(value, 0.08);
  EXPECT_LE(value, 0.15);
  // Not hidden in print.
  const size_t print = html.find("@media print{");
  ASSERT_NE(print, std::string::npos);
  EXPECT_EQ(html.find(".wm{display:none", print), std::string::npos);
  // Without a watermark, no layer.
  EXPECT_EQ(Html(SpecExample()).find("class=\"wm\""), std::string::npos);
}

TEST(RenderHtmlTest, WatermarkRecipientIsEscaped) {
  RenderOptions options = In(Language::kEn);
  options.watermark = Watermark{"<script>alert(1)</script> & \"Co\"", "Gk3aBcDeFgHiJkLmNoPqRs",
                                At("2026-12-02T07:15:00Z")};
  std::string html = Html(SpecExample(), options);
  EXPECT_EQ(Lowercase(html).find("<script"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot; · "
                      "Gk3aBcDeFgHiJkLmNoPqRs"),
            std::string::npos);
}

TEST(RenderHtmlTest, NoDownloadControlWhenDisabled) {
  RenderOptions options = In(Language::kFr);
  options.allow_download = false;
  std::string html = Html(SpecExample(), options);
  EXPECT_EQ(html.find("class=\"download\""), std::string::npos);
  EXPECT_EQ(html.find("Télécharger"), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
}

}  // namespace
}  // namespace reportshare::render::html
