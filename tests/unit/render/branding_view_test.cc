// The branding in the view (SPEC §8): the palette a primary colour gives,
// the size a logo is shown at, and what MakeReportView takes of a branding.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>
#include <vector>

#include "render/view.h"
#include "support/png_samples.h"
#include "support/sample_reports.h"

namespace reportshare::render {
namespace {

using domain::Color;
using test_support::At;
using test_support::MakeLogo;
using test_support::SpecExample;

const Instant kGenerated = At("2025-07-09T07:00:00Z");

constexpr Color kDefaultBlue{0x1d, 0x4e, 0x9e};
constexpr Color kDefaultBlueDark{0x16, 0x3d, 0x7d};
constexpr Color kDefaultGreen{0x2e, 0x7d, 0x32};
constexpr Color kRed{0xc6, 0x28, 0x28};
constexpr Color kSlate{0x5b, 0x64, 0x74};

Color Hex(const char* text) {
  std::optional<Color> c = domain::ParseHexColor(text);
  EXPECT_TRUE(c.has_value()) << text;
  return c.value_or(Color{});
}

// The palest background text sits on: the table heads (#f0f3f7 on the page,
// #f0f2f7 in the PDF).
constexpr Color kTableHead{0xf0, 0xf2, 0xf7};

// `drawn` is `given` if that keeps 4.5:1 on a table head; else `given`
// darkened, keeping its hue (every channel scaled alike), just enough: 4.5:1
// there, and a shade lighter would not have it.
void ExpectLegibleVersionOf(Color drawn, Color given) {
  constexpr double kMin = domain::kMinPrimaryContrast;
  if (domain::ContrastRatio(given, kTableHead) >= kMin) {
    EXPECT_EQ(drawn, given) << drawn.Hex() << " for " << given.Hex();
    return;
  }
  EXPECT_GE(domain::ContrastRatio(drawn, kTableHead), kMin) << drawn.Hex();
  const uint8_t top = std::max({given.r, given.g, given.b});
  ASSERT_GT(top, 0);
  const double f = static_cast<double>(std::max({drawn.r, drawn.g, drawn.b})) / top;
  EXPECT_LT(f, 1.0) << drawn.Hex() << " for " << given.Hex();
  EXPECT_NEAR(drawn.r, given.r * f, 1.5) << drawn.Hex() << " for " << given.Hex();
  EXPECT_NEAR(drawn.g, given.g * f, 1.5) << drawn.Hex() << " for " << given.Hex();
  EXPECT_NEAR(drawn.b, given.b * f, 1.5) << drawn.Hex() << " for " << given.Hex();
  const double lighter = std::min(1.0, f + 0.025);
  auto scale = [lighter](uint8_t v) { return static_cast<uint8_t>(v * lighter); };
  const Color shade{scale(given.r), scale(given.g), scale(given.b)};
  EXPECT_LT(domain::ContrastRatio(shade, kTableHead), kMin)
      << drawn.Hex() << " is darker than it needs to be for " << given.Hex();
}

// ------------------------------------------------------------ MakePalette

TEST(MakePaletteTest, WithoutAColourItIsTheDefaultLook) {
  const Palette p = MakePalette(std::nullopt);
  EXPECT_EQ(p.primary, kDefaultBlue);
  EXPECT_EQ(p.primary_dark, kDefaultBlueDark);
  EXPECT_EQ(p.pass, kDefaultGreen);
  EXPECT_EQ(p.fail, kRed);
  EXPECT_EQ(p.primary.Hex(), "#1d4e9e");
  EXPECT_EQ(p.primary_dark.Hex(), "#163d7d");
  EXPECT_EQ(p.pass.Hex(), "#2e7d32");
  EXPECT_EQ(p.fail.Hex(), "#c62828");
  const Palette defaults;  // what a view without branding holds
  EXPECT_EQ(defaults.primary, p.primary);
  EXPECT_EQ(defaults.primary_dark, p.primary_dark);
  EXPECT_EQ(defaults.pass, p.pass);
  EXPECT_EQ(defaults.fail, p.fail);
}

TEST(MakePaletteTest, ABrandColourIsPrimaryAndPassingFailingStaysRed) {
  for (const char* brand : {"#0b5394", "#1b5e20", "#4a148c", "#37474f", "#1d4e9e"}) {
    SCOPED_TRACE(brand);
    const Color c = Hex(brand);
    const Palette p = MakePalette(c);
    EXPECT_EQ(p.primary, c);
    EXPECT_EQ(p.pass, c);  // passing scores take the primary colour
    EXPECT_EQ(p.fail, kRed);
    // The control under the pointer: darker in every channel, same hue.
    EXPECT_LE(p.primary_dark.r, c.r);
    EXPECT_LE(p.primary_dark.g, c.g);
    EXPECT_LE(p.primary_dark.b, c.b);
    EXPECT_NE(p.primary_dark, c);
    EXPECT_NEAR(p.primary_dark.r, c.r * 0.8, 1);
    EXPECT_NEAR(p.primary_dark.g, c.g * 0.8, 1);
    EXPECT_NEAR(p.primary_dark.b, c.b * 0.8, 1);
  }
}

// A red brand colour would make passing and failing scores look alike:
// failing ones turn slate. "Red" is a hue within 25° of 0° and a saturation
// over 0.3 (HSL).
TEST(MakePaletteTest, ARedBrandColourTurnsFailingScoresSlate) {
  struct Case {
    const char* color;
    double hue;  // computed by hand, for the record
    bool red;
  };
  for (const Case& c : {
           Case{"#b00020", 349.1, true},   // a brand red
           Case{"#c62828", 0.0, true},     // the fail red itself
           Case{"#c2185b", 336.4, true},   // magenta-red: 23.6° short of 360°, inside
           Case{"#ad1457", 333.7, false},  // pink: 26.3° short, outside
           Case{"#b34700", 23.8, true},    // red-orange, inside
           Case{"#b35900", 29.8, false},   // orange, outside
           Case{"#8e0000", 0.0, true},     // dark red
           Case{"#6d4c4c", 0.0, false},    // reddish grey: saturation 0.18
           Case{"#595959", 0.0, false},    // grey: no hue at all
       }) {
    SCOPED_TRACE(c.color);
    const Palette p = MakePalette(Hex(c.color));
    ExpectLegibleVersionOf(p.primary, Hex(c.color));
    EXPECT_EQ(p.pass, p.primary);
    EXPECT_EQ(p.fail, c.red ? kSlate : kRed);
    EXPECT_NE(p.fail, p.pass);
  }
}

// A primary colour SPEC §8 accepts has 4.5:1 against white, and less on the
// pale grey of a table head: it is drawn darkened (same hue) just enough to
// keep 4.5:1 there too; one that has it already is drawn as it is.
TEST(MakePaletteTest, APaleBrandColourIsDrawnJustDarkEnoughForTheTableHeads) {
  // The palest grey allowed (4.54:1 on white), as view.h documents it.
  EXPECT_EQ(MakePalette(Hex("#767676")).primary, Hex("#6e6e6e"));
  int darkened = 0;
  for (const char* brand : {"#767676", "#b35900", "#0072c6", "#d1006b", "#2e7d32", "#008577",
                            "#6f42c1", "#0b5394", "#000000", "#1d4e9e"}) {
    SCOPED_TRACE(brand);
    const Color given = Hex(brand);
    ASSERT_GE(domain::ContrastRatio(given, domain::kWhite), domain::kMinPrimaryContrast);
    const Palette p = MakePalette(given);
    ExpectLegibleVersionOf(p.primary, given);
    darkened += p.primary != given ? 1 : 0;
    EXPECT_EQ(p.pass, p.primary);
    // The control under the pointer is darker still, from the colour drawn.
    EXPECT_NEAR(p.primary_dark.r, p.primary.r * 0.8, 1);
    EXPECT_NEAR(p.primary_dark.g, p.primary.g * 0.8, 1);
    EXPECT_NEAR(p.primary_dark.b, p.primary.b * 0.8, 1);
    EXPECT_GE(domain::ContrastRatio(p.primary, domain::kWhite), domain::kMinPrimaryContrast);
  }
  EXPECT_GE(darkened, 3);  // #767676, #b35900, #0072c6 at least
}

// ------------------------------------------------------------ FitLogo

void ExpectSize(LogoSize got, double width, double height) {
  EXPECT_NEAR(got.width, width, 1e-9);
  EXPECT_NEAR(got.height, height, 1e-9);
}

TEST(FitLogoTest, FitsTheBoxKeepingItsShape) {
  // The page's box: 180×40 CSS px, a pixel at most one CSS px.
  ExpectSize(FitLogo(2000, 50, 180, 40, 1), 180, 4.5);  // wide: the width binds
  ExpectSize(FitLogo(50, 2000, 180, 40, 1), 1, 40);     // tall: the height binds
  ExpectSize(FitLogo(16, 16, 180, 40, 1), 16, 16);      // tiny: its own pixels
  ExpectSize(FitLogo(2000, 2000, 180, 40, 1), 40, 40);  // square, large
  ExpectSize(FitLogo(360, 80, 180, 40, 1), 180, 40);    // the box's shape, twice its size
  ExpectSize(FitLogo(180, 40, 180, 40, 1), 180, 40);    // exactly the box
  ExpectSize(FitLogo(1, 2000, 180, 40, 1), 0.02, 40);
  ExpectSize(FitLogo(2000, 1, 180, 40, 1), 180, 0.09);
  // The PDF's box: 135×30 pt, a pixel at most 0.75 pt (a CSS px).
  ExpectSize(FitLogo(16, 16, 135, 30, 0.75), 12, 12);
  ExpectSize(FitLogo(100, 20, 135, 30, 0.75), 75, 15);
  ExpectSize(FitLogo(2000, 50, 135, 30, 0.75), 135, 3.375);
  ExpectSize(FitLogo(50, 2000, 135, 30, 0.75), 0.75, 30);
  ExpectSize(FitLogo(2000, 2000, 135, 30, 0.75), 30, 30);
  // The page and the PDF show a logo alike: the PDF's size is the page's in
  // points (a CSS px is 0.75 pt).
  for (auto [w, h] :
       std::vector<std::pair<int, int>>{{2000, 50}, {50, 2000}, {16, 16}, {300, 90}, {120, 30}}) {
    LogoSize page = FitLogo(w, h, 180, 40, 1);
    LogoSize pdf = FitLogo(w, h, 135, 30, 0.75);
    EXPECT_NEAR(pdf.width, page.width * 0.75, 1e-9) << w << "×" << h;
    EXPECT_NEAR(pdf.height, page.height * 0.75, 1e-9) << w << "×" << h;
  }
}

TEST(FitLogoTest, NeverLargerThanTheBoxOrItsPixelsAndKeepsItsAspect) {
  for (int w : {1, 2, 7, 16, 40, 135, 180, 181, 999, 2000}) {
    for (int h : {1, 3, 16, 29, 30, 40, 41, 500, 2000}) {
      for (double unit : {1.0, 0.75}) {
        LogoSize s = FitLogo(w, h, 180 * unit, 40 * unit, unit);
        SCOPED_TRACE(testing::Message() << w << "×" << h << " at " << unit);
        EXPECT_LE(s.width, 180 * unit + 1e-9);
        EXPECT_LE(s.height, 40 * unit + 1e-9);
        EXPECT_LE(s.width, w * unit + 1e-9);
        EXPECT_LE(s.height, h * unit + 1e-9);
        EXPECT_GT(s.width, 0);
        EXPECT_GT(s.height, 0);
        EXPECT_NEAR(s.width / s.height, static_cast<double>(w) / h, 1e-9);
        // As large as allowed: one of the three limits binds.
        const bool binds = std::abs(s.width - 180 * unit) < 1e-9 ||
                           std::abs(s.height - 40 * unit) < 1e-9 ||
                           std::abs(s.width - w * unit) < 1e-9;
        EXPECT_TRUE(binds) << s.width << "×" << s.height;
      }
    }
  }
  // No size, no logo.
  ExpectSize(FitLogo(0, 10, 180, 40, 1), 0, 0);
  ExpectSize(FitLogo(10, 0, 180, 40, 1), 0, 0);
  ExpectSize(FitLogo(-5, 10, 180, 40, 1), 0, 0);
}

// ------------------------------------------------------------ MakeReportView

std::shared_ptr<const domain::Branding> FullBranding() {
  auto b = std::make_shared<domain::Branding>();
  b->display_name = "Acme Hiring";
  b->primary_color = Hex("#0b5394");
  b->logo = MakeLogo(120, 30);
  b->footer_text = "Acme Hiring · confidential";
  b->public_url = "https://hire.acme.example";
  b->version = 3;
  return b;
}

TEST(MakeReportViewBrandingTest, WithoutBrandingTheDefaultLook) {
  const ReportView v = MakeReportView(SpecExample(), kGenerated);
  EXPECT_EQ(v.company_name, "Acme Talent");
  EXPECT_EQ(v.palette.primary, kDefaultBlue);
  EXPECT_EQ(v.palette.pass, kDefaultGreen);
  EXPECT_EQ(v.palette.fail, kRed);
  EXPECT_EQ(v.logo, nullptr);
  EXPECT_EQ(v.footer_text, "");
  EXPECT_EQ(v.branding, nullptr);
}

TEST(MakeReportViewBrandingTest, TheBrandingReplacesNameColoursAndAddsLogoAndFooter) {
  RenderOptions options;
  options.branding = FullBranding();
  const ReportView v = MakeReportView(SpecExample(), kGenerated, options);
  EXPECT_EQ(v.company_name, "Acme Hiring");
  EXPECT_EQ(v.palette.primary, Hex("#0b5394"));
  EXPECT_EQ(v.palette.pass, Hex("#0b5394"));
  EXPECT_EQ(v.palette.fail, kRed);
  ASSERT_NE(v.logo, nullptr);
  EXPECT_EQ(*v.logo, *options.branding->logo);
  EXPECT_EQ(v.footer_text, "Acme Hiring · confidential");
  // The rest of the report is as it was.
  const ReportView plain = MakeReportView(SpecExample(), kGenerated);
  EXPECT_EQ(v.title, plain.title);
  EXPECT_EQ(v.candidate_name, plain.candidate_name);
  EXPECT_EQ(v.overall_text, plain.overall_text);
  EXPECT_EQ(v.report_id_text, plain.report_id_text);
}

TEST(MakeReportViewBrandingTest, AFieldNotSetShowsItsDefault) {
  auto only_footer = std::make_shared<domain::Branding>();
  only_footer->footer_text = "Footer only";
  RenderOptions options;
  options.branding = only_footer;
  ReportView v = MakeReportView(SpecExample(), kGenerated, options);
  EXPECT_EQ(v.company_name, "Acme Talent");
  EXPECT_EQ(v.palette.primary, kDefaultBlue);
  EXPECT_EQ(v.palette.pass, kDefaultGreen);
  EXPECT_EQ(v.logo, nullptr);
  EXPECT_EQ(v.footer_text, "Footer only");

  auto only_colour = std::make_shared<domain::Branding>();
  only_colour->primary_color = Hex("#b00020");
  options.branding = only_colour;
  v = MakeReportView(SpecExample(), kGenerated, options);
  EXPECT_EQ(v.company_name, "Acme Talent");
  EXPECT_EQ(v.palette.primary, Hex("#b00020"));
  EXPECT_EQ(v.palette.fail, kSlate);
  EXPECT_EQ(v.footer_text, "");

  // A company that never set any branding: the default look exactly.
  options.branding = std::make_shared<domain::Branding>();
  v = MakeReportView(SpecExample(), kGenerated, options);
  EXPECT_EQ(v.company_name, "Acme Talent");
  EXPECT_EQ(v.palette.primary, kDefaultBlue);
  EXPECT_EQ(v.palette.pass, kDefaultGreen);
  EXPECT_EQ(v.logo, nullptr);
}

// The view's logo points into the branding it keeps: it outlives the
// options it was made from, and a copy of the view (run under ASan).
TEST(MakeReportViewBrandingTest, TheLogoOutlivesTheOptions) {
  const std::string png = FullBranding()->logo->png;
  ReportView copy;
  {
    RenderOptions options;
    options.branding = FullBranding();
    ReportView v = MakeReportView(SpecExample(), kGenerated, options);
    options.branding.reset();
    copy = v;
  }
  ASSERT_NE(copy.logo, nullptr);
  EXPECT_EQ(copy.logo->png, png);
  EXPECT_EQ(copy.logo->width, 120);
  EXPECT_EQ(copy.logo, &*copy.branding->logo);
}

}  // namespace
}  // namespace reportshare::render
