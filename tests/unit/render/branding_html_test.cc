// The branded page (SPEC §8): the logo inline as a data: URI, the display
// name for the company's, the palette as CSS variables, the footer text;
// still self-contained and with every string escaped.
#include <gtest/gtest.h>

#include <memory>
#include <regex>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "render/renderer.h"
#include "render/view.h"
#include "support/html_checks.h"
#include "support/png_samples.h"
#include "support/sample_reports.h"

namespace reportshare::render::html {
namespace {

using test_support::At;
using test_support::ExpectSelfContainedPage;
using test_support::Lowercase;
using test_support::MakeLogo;
using test_support::ManySections;
using test_support::SampleBranding;
using test_support::SpecExample;

RenderOptions Options(std::shared_ptr<const domain::Branding> branding,
                      Language language = Language::kEn) {
  RenderOptions options = PageOptions("/r/tok?format=pdf");
  options.branding = std::move(branding);
  options.language = language;
  return options;
}

std::string Html(const StoredReport& s, const RenderOptions& options) {
  return MakeBasicRenderer()->RenderHtml(s, At("2025-07-09T07:00:00Z"), options);
}

size_t Count(const std::string& text, std::string_view part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// An element as written, from `open` up to its `close` (not included); ""
// (and a failure) if either is missing.
std::string Part(const std::string& html, std::string_view open, std::string_view close) {
  size_t begin = html.find(open);
  size_t end = html.find(close);
  EXPECT_NE(begin, std::string::npos) << open;
  EXPECT_NE(end, std::string::npos) << close;
  return begin == std::string::npos || end == std::string::npos ? ""
                                                                : html.substr(begin, end - begin);
}

std::string Header(const std::string& html) { return Part(html, "<header", "</header>"); }
std::string Footer(const std::string& html) { return Part(html, "<footer>", "</footer>"); }

std::string Base64Of(const std::string& bytes) { return core::Base64Encode(core::AsBytes(bytes)); }

TEST(BrandedHtmlTest, TheLogoIsTheExactPngInADataUriAtItsFittedSize) {
  struct Case {
    int width, height;
    const char* shown_width;
    const char* shown_height;
  };
  for (const Case& c : {Case{120, 30, "120", "30"},    // fits as it is
                        Case{2000, 50, "180", "5"},    // 180 × 4.5, rounded
                        Case{50, 2000, "1", "40"},     // 1 × 40
                        Case{16, 16, "16", "16"},      // tiny: never blown up
                        Case{500, 500, "40", "40"},    // square, large
                        Case{1, 2000, "1", "40"},      // a sliver still gets a pixel
                        Case{2000, 1, "180", "1"}}) {  // 180 × 0.09
    SCOPED_TRACE(testing::Message() << c.width << "×" << c.height);
    auto branding = SampleBranding();
    branding->logo = MakeLogo(c.width, c.height);
    const std::string html = Html(SpecExample(), Options(branding));
    const std::string img = std::string("<img src=\"data:image/png;base64,") +
                            Base64Of(branding->logo->png) + "\" alt=\"\" width=\"" + c.shown_width +
                            "\" height=\"" + c.shown_height + "\">";
    // In the header's brand box, before the display name.
    EXPECT_NE(Header(html).find("<div class=\"brand\">" + img +
                                "<div class=\"company\">Acme Hiring</div></div>"),
              std::string::npos)
        << Header(html).substr(0, 300);
    EXPECT_EQ(Count(html, "<img"), 1u);
  }
}

TEST(BrandedHtmlTest, TheDisplayNameReplacesTheCompanyName) {
  const std::string plain = Html(SpecExample(), PageOptions("/r/tok?format=pdf"));
  EXPECT_NE(Header(plain).find("<div class=\"company\">Acme Talent</div>"), std::string::npos);
  const std::string html = Html(SpecExample(), Options(SampleBranding()));
  EXPECT_NE(Header(html).find("<div class=\"company\">Acme Hiring</div>"), std::string::npos);
  EXPECT_EQ(Header(html).find("Acme Talent"), std::string::npos);
  EXPECT_EQ(html.find("Acme Talent"), std::string::npos);  // nowhere else either
  // Escaped like every string of the report.
  auto branding = SampleBranding();
  branding->display_name = "Tom & \"Jerry\" <Ltd> 'UK'";
  const std::string escaped = Html(SpecExample(), Options(branding));
  EXPECT_NE(escaped.find("<div class=\"company\">Tom &amp; &quot;Jerry&quot; &lt;Ltd&gt; "
                         "&#39;UK&#39;</div>"),
            std::string::npos);
  EXPECT_EQ(escaped.find("<Ltd>"), std::string::npos);
}

TEST(BrandedHtmlTest, ThePaletteOverridesTheDefaultVariablesOnlyWhenItDiffers) {
  const std::string base =
      ":root{--primary:#1d4e9e;--primary-dark:#163d7d;--pass:#2e7d32;--fail:#c62828}";
  const std::string plain = Html(SpecExample(), PageOptions("/r/tok?format=pdf"));
  EXPECT_EQ(Count(plain, ":root{"), 1u);
  EXPECT_NE(plain.find(base), std::string::npos);
  EXPECT_NE(plain.find("fill=\"#2e7d32\""), std::string::npos);  // passing bars: green

  const std::string html = Html(SpecExample(), Options(SampleBranding()));
  const std::string override_css =
      ":root{--primary:#0b5394;--primary-dark:#084276;--pass:#0b5394;--fail:#c62828}";
  EXPECT_EQ(Count(html, ":root{"), 2u);
  const size_t at = html.find(override_css);
  ASSERT_NE(at, std::string::npos);
  // After the defaults (it wins), inside the one style sheet.
  EXPECT_GT(at, html.find(base));
  EXPECT_LT(at, html.find("</style>"));
  EXPECT_GT(at, html.find("<style>"));
  // The bars, drawn with colours of their own, take the palette too.
  EXPECT_NE(html.find("fill=\"#0b5394\""), std::string::npos);
  EXPECT_EQ(html.find("fill=\"#2e7d32\""), std::string::npos);

  // A branding without a colour: the default variables, no override.
  auto no_colour = SampleBranding();
  no_colour->primary_color.reset();
  const std::string uncoloured = Html(SpecExample(), Options(no_colour));
  EXPECT_EQ(Count(uncoloured, ":root{"), 1u);
  EXPECT_NE(uncoloured.find("fill=\"#2e7d32\""), std::string::npos);

  // A pale brand colour is drawn a little darker, page-wide (MakePalette).
  auto grey = SampleBranding();
  grey->primary_color = domain::ParseHexColor("#767676");
  EXPECT_NE(Html(SpecExample(), Options(grey)).find(":root{--primary:#6e6e6e;"), std::string::npos);

  // A red brand: failing scores in slate, never in the default red.
  auto red = SampleBranding();
  red->primary_color = domain::ParseHexColor("#b00020");
  StoredReport failing = SpecExample();
  failing.report.sections.push_back({"Databases", 30, {{"SQL", 20}}});
  const std::string reds = Html(failing, Options(red));
  EXPECT_NE(
      reds.find(":root{--primary:#b00020;--primary-dark:#8c0019;--pass:#b00020;--fail:#5b6474}"),
      std::string::npos);
  EXPECT_NE(reds.find("fill=\"#5b6474\""), std::string::npos);
  EXPECT_EQ(reds.find("fill=\"#c62828\""), std::string::npos);
  EXPECT_NE(reds.find("fill=\"#b00020\""), std::string::npos);
}

TEST(BrandedHtmlTest, TheFooterTextIsEscapedAtTheEndOfTheFooter) {
  auto branding = SampleBranding();
  branding->footer_text = "Call <b>us</b> & \"ask\" 'why' <script>alert(1)</script>";
  const std::string html = Html(SpecExample(), Options(branding));
  const std::string want =
      "<p class=\"brand-note\">Call &lt;b&gt;us&lt;/b&gt; &amp; &quot;ask&quot; &#39;why&#39; "
      "&lt;script&gt;alert(1)&lt;/script&gt;</p></footer>";
  EXPECT_NE(html.find(want), std::string::npos) << Footer(html);
  EXPECT_NE(Footer(html).find("class=\"brand-note\""), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  // The footer's own lines are still there, before it.
  EXPECT_LT(html.find("Report ID 318"), html.find("class=\"brand-note\""));
  EXPECT_LT(html.find("Confidential"), html.find("class=\"brand-note\""));
}

TEST(BrandedHtmlTest, AnUnbrandedPageHasNoLogoAndNoFooterText) {
  for (const RenderOptions& options :
       {PageOptions("/r/tok?format=pdf"), Options(std::make_shared<domain::Branding>())}) {
    const std::string html = Html(SpecExample(), options);
    EXPECT_EQ(html.find("<img"), std::string::npos);
    EXPECT_EQ(html.find("data:"), std::string::npos);
    EXPECT_EQ(html.find("class=\"brand-note\""), std::string::npos);
    EXPECT_NE(
        Header(html).find("<div class=\"brand\"><div class=\"company\">Acme Talent</div></div>"),
        std::string::npos);
  }
}

// The checks of RenderHtmlTest.SelfContainedAndScriptFree, on a branded page
// with hostile report data and hostile branding: the logo is the page's only
// image and only source, and it is data, not a link.
TEST(BrandedHtmlTest, StillSelfContainedScriptFreeAndEscaped) {
  StoredReport s = ManySections(5, 3);
  s.report.name = "<script>alert(1)</script>";
  s.report.sections[0].section = "\"><script>x</script>";
  s.report.registration_fields = {{"<img onerror=a>", "'single' & \"double\""}};
  auto branding = SampleBranding();
  branding->display_name = "<img src=x onerror=alert(1)>";
  branding->footer_text = "https://evil.example/\"><script>y</script>";
  const std::string html = Html(s, Options(branding));
  ExpectSelfContainedPage(html);
  // One image, one source: the logo's data URI.
  const std::string lower = Lowercase(html);
  EXPECT_EQ(Count(lower, "<img"), 1u);
  EXPECT_EQ(Count(lower, "src=\""), 1u);
  EXPECT_EQ(Count(lower, "src=\"data:image/png;base64,"), 1u);
  // The footer's URL is text, escaped, not a link.
  EXPECT_NE(html.find("https://evil.example/&quot;&gt;&lt;script&gt;y&lt;/script&gt;"),
            std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  // The data URI is Base64 and nothing else, closed by its quote.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(html, m, std::regex(R"re(src="data:image/png;base64,([^"]*)")re")));
  EXPECT_TRUE(std::regex_match(m[1].str(), std::regex("[A-Za-z0-9+/]*={0,2}")));
  EXPECT_EQ(m[1].str(), Base64Of(branding->logo->png));
  // Elements open and close in pairs.
  for (const char* tag : {"div", "p", "header", "footer", "main", "table", "svg"}) {
    EXPECT_EQ(Count(html, std::string("<") + tag + ">") + Count(html, std::string("<") + tag + " "),
              Count(html, std::string("</") + tag + ">"))
        << tag;
  }
}

TEST(BrandedHtmlTest, RightToLeftIsolatesALatinDisplayNameAndKeepsTheLogo) {
  auto latin = SampleBranding();
  latin->footer_text = "Acme Hiring GmbH · Registered in Berlin";
  const std::string html = Html(SpecExample(), Options(latin, Language::kAr));
  EXPECT_NE(html.find("dir=\"rtl\""), std::string::npos);
  EXPECT_NE(Header(html).find("\" alt=\"\" width=\"120\" height=\"30\"><div class=\"company\">"
                              "<bdi dir=\"ltr\">Acme Hiring</bdi></div>"),
            std::string::npos);
  EXPECT_NE(
      Footer(html).find("<p class=\"brand-note\"><bdi dir=\"ltr\">Acme Hiring GmbH · Registered in "
                        "Berlin</bdi></p>"),
      std::string::npos);
  auto arabic = SampleBranding();
  arabic->display_name = "شركة أكمي";
  arabic->footer_text = "سري للغاية";
  const std::string ar = Html(SpecExample(), Options(arabic, Language::kAr));
  EXPECT_NE(ar.find("<div class=\"company\">شركة أكمي</div>"), std::string::npos);
  EXPECT_NE(ar.find("<p class=\"brand-note\">سري للغاية</p>"), std::string::npos);
}

}  // namespace
}  // namespace reportshare::render::html
