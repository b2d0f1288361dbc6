// The branded PDF (SPEC §8): the logo as an image XObject drawn as an
// artifact, the display name and footer text as text (the footer text on
// every page, read once), headings, bars and the verdict in the palette,
// and the same bytes for the same inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "render/renderer.h"
#include "render/view.h"
#include "support/pdf_structure.h"
#include "support/pdf_text.h"
#include "support/png_samples.h"
#include "support/sample_reports.h"

namespace reportshare::render::pdf {
namespace {

using test_support::AllElements;
using test_support::At;
using test_support::CountOf;
using test_support::Element;
using test_support::ExtractText;
using test_support::Inspect;
using test_support::Inspection;
using test_support::LogoOf;
using test_support::MakeLogo;
using test_support::ManySections;
using test_support::Marked;
using test_support::PageTexts;
using test_support::PatternRgba;
using test_support::PngFromRgba;
using test_support::RunCommand;
using test_support::SampleBranding;
using test_support::SpecExample;
using test_support::TempPdf;
using test_support::WithoutBidiMarks;

const Instant kGenerated = At("2025-07-09T07:00:00Z");
constexpr double kPageWidth = 595.276;
constexpr double kPageHeight = 841.89;

RenderOptions Options(std::shared_ptr<const domain::Branding> branding,
                      Language language = Language::kEn) {
  RenderOptions options;
  options.branding = std::move(branding);
  options.language = language;
  return options;
}

std::string Pdf(const StoredReport& s, const RenderOptions& options) {
  Result<std::string> pdf = MakeBasicRenderer()->RenderPdf(s, kGenerated, options);
  EXPECT_TRUE(pdf.has_value()) << (pdf ? "" : pdf.error().message());
  return pdf.has_value() ? *pdf : std::string();
}

// Whitespace runs as one space (pdftotext breaks long lines).
std::string Squeezed(const std::string& text) {
  std::istringstream in(text);
  std::string out;
  for (std::string word; in >> word;) out += (out.empty() ? "" : " ") + word;
  return out;
}

// The checks every tagged PDF passes (TaggedPdfTest): nothing drawn outside
// a tag or an artifact, a parent tree that agrees, content only in leaves.
void ExpectWellTagged(const Inspection& in) {
  ASSERT_TRUE(in.has_tree);
  EXPECT_TRUE(in.marked);
  EXPECT_EQ(in.paint_ops_outside, 0);
  EXPECT_EQ(in.nested_marked_content, 0);
  EXPECT_EQ(in.parent_tree_mismatches, 0);
  for (const Element* e : AllElements(in)) {
    if (e->children.empty()) {
      EXPECT_FALSE(e->mcids.empty()) << e->type;
    } else {
      EXPECT_TRUE(e->mcids.empty()) << e->type;
    }
  }
}

// The marked content that paints `image`, on its page.
std::vector<const Marked*> PaintersOf(const Inspection& in, const test_support::Image& image) {
  std::vector<const Marked*> out;
  for (const Marked& m : in.marked_content) {
    if (m.page != image.page) continue;
    for (const std::string& x : m.xobjects) {
      if (x == image.resource) out.push_back(&m);
    }
  }
  return out;
}

// ------------------------------------------------------------ the logo

TEST(BrandedPdfTest, TheLogoIsOneImageOfItsPixelsDrawnAsAnArtifact) {
  auto branding = SampleBranding();
  const std::string pdf = Pdf(SpecExample(), Options(branding));
  const Inspection in = Inspect(pdf);
  ExpectWellTagged(in);
  ASSERT_EQ(in.images.size(), 1u);
  const test_support::Image& logo = in.images[0];
  EXPECT_EQ(logo.page, 1);
  EXPECT_EQ(logo.width, 120);  // embedded at its own resolution
  EXPECT_EQ(logo.height, 30);
  EXPECT_EQ(logo.bits_per_component, 8);
  EXPECT_EQ(logo.color_space, "/DeviceRGB");
  EXPECT_FALSE(logo.soft_mask);  // opaque: no mask
  // Its pixels are the PNG's, in order (no channel swapped, no row flipped).
  const std::string rgba = PatternRgba(120, 30);
  ASSERT_EQ(logo.samples.size(), size_t{120} * 30 * 3);
  int wrong = 0;
  for (size_t p = 0; p < size_t{120} * 30; ++p) {
    for (size_t c = 0; c < 3; ++c) wrong += logo.samples[p * 3 + c] != rgba[p * 4 + c] ? 1 : 0;
  }
  EXPECT_EQ(wrong, 0);
  // Drawn once, inside an artifact: decoration, the name beside it is the text.
  std::vector<const Marked*> painters = PaintersOf(in, logo);
  ASSERT_EQ(painters.size(), 1u);
  EXPECT_EQ(painters[0]->tag, "Artifact");
  EXPECT_EQ(painters[0]->mcid, -1);
  // The structure tree is the unbranded one's: no Figure for the logo.
  const Inspection plain = Inspect(Pdf(SpecExample(), {}));
  ASSERT_EQ(plain.roots.size(), 1u);
  std::vector<std::string> want = plain.roots[0].ChildTypes();
  want.push_back("P");  // the footer text, once
  EXPECT_EQ(in.roots[0].ChildTypes(), want);
  EXPECT_EQ(CountOf(in, "Figure"), 1);  // the chart
  for (const Element* e : AllElements(in)) {
    if (e->type == "Figure") {
      EXPECT_NE(e->alt.find("Section scores"), std::string::npos);
    }
  }
}

TEST(BrandedPdfTest, ATransparentLogoKeepsItsAlphaAsASoftMask) {
  auto branding = SampleBranding();
  branding->logo = MakeLogo(60, 20, 128);  // alpha 0, 128, 255 across
  const Inspection in = Inspect(Pdf(SpecExample(), Options(branding)));
  ExpectWellTagged(in);
  ASSERT_EQ(in.images.size(), 1u);
  const test_support::Image& logo = in.images[0];
  EXPECT_EQ(logo.width, 60);
  EXPECT_EQ(logo.height, 20);
  ASSERT_TRUE(logo.soft_mask);
  const std::string rgba = PatternRgba(60, 20, 128);
  ASSERT_EQ(logo.mask_samples.size(), size_t{60} * 20);
  ASSERT_EQ(logo.samples.size(), size_t{60} * 20 * 3);
  for (size_t p = 0; p < size_t{60} * 20; ++p) {
    const int alpha = static_cast<uint8_t>(rgba[p * 4 + 3]);
    ASSERT_EQ(static_cast<uint8_t>(logo.mask_samples[p]), alpha) << "pixel " << p;
    if (alpha == 0) continue;  // no colour to keep
    for (size_t c = 0; c < 3; ++c) {
      // Premultiplied and back: within rounding of the PNG's colour.
      ASSERT_NEAR(static_cast<uint8_t>(logo.samples[p * 3 + c]),
                  static_cast<uint8_t>(rgba[p * 4 + c]), alpha == 255 ? 0 : 2)
          << "pixel " << p << " channel " << c;
    }
  }
  EXPECT_EQ(PaintersOf(in, logo).size(), 1u);
  for (const Marked* m : PaintersOf(in, logo)) EXPECT_EQ(m->tag, "Artifact");
}

TEST(BrandedPdfTest, NoLogoNoImage) {
  EXPECT_TRUE(Inspect(Pdf(SpecExample(), {})).images.empty());
  auto no_logo = SampleBranding();
  no_logo->logo.reset();
  EXPECT_TRUE(Inspect(Pdf(SpecExample(), Options(no_logo))).images.empty());
  EXPECT_TRUE(
      Inspect(Pdf(SpecExample(), Options(std::make_shared<domain::Branding>()))).images.empty());
}

TEST(BrandedPdfTest, ExtremeLogoShapesRender) {
  for (auto [w, h] : std::vector<std::pair<int, int>>{{1, 2000}, {2000, 1}, {2000, 2000}, {1, 1}}) {
    SCOPED_TRACE(testing::Message() << w << "×" << h);
    auto branding = SampleBranding();
    branding->logo = MakeLogo(w, h);
    Result<std::string> pdf =
        MakeBasicRenderer()->RenderPdf(SpecExample(), kGenerated, Options(branding));
    ASSERT_TRUE(pdf.has_value()) << pdf.error().message();
    const Inspection in = Inspect(*pdf);
    ExpectWellTagged(in);
    ASSERT_EQ(in.images.size(), 1u);
    EXPECT_EQ(in.images[0].width, w);
    EXPECT_EQ(in.images[0].height, h);
    EXPECT_NE(ExtractText(*pdf).find("Acme Hiring"), std::string::npos);
  }
}

// A logo that does not decode (the store checks it does; this is defence):
// the document renders without it.
TEST(BrandedPdfTest, ALogoThatDoesNotDecodeIsLeftOut) {
  auto branding = SampleBranding();
  branding->logo = LogoOf("not a png", 120, 30);
  Result<std::string> pdf =
      MakeBasicRenderer()->RenderPdf(SpecExample(), kGenerated, Options(branding));
  ASSERT_TRUE(pdf.has_value()) << pdf.error().message();
  EXPECT_TRUE(Inspect(*pdf).images.empty());
  EXPECT_NE(ExtractText(*pdf).find("Acme Hiring"), std::string::npos);
}

// ------------------------------------------------------------ text

TEST(BrandedPdfTest, TheDisplayNameAndFooterTextAreText) {
  const std::string pdf = Pdf(SpecExample(), Options(SampleBranding()));
  const std::string text = ExtractText(pdf);
  EXPECT_NE(text.find("Acme Hiring"), std::string::npos);
  EXPECT_EQ(text.find("Acme Talent"), std::string::npos);
  EXPECT_NE(text.find("Acme Hiring GmbH, Registered in Berlin"), std::string::npos) << text;
  // The document's author is the name it shows.
  TempPdf file(pdf);
  const std::string info = RunCommand("pdfinfo -enc UTF-8 " + file.path() + " 2>/dev/null");
  EXPECT_NE(info.find("Author:          Acme Hiring\n"), std::string::npos) << info;
  // The longest footer text there may be (200 characters) wraps, whole.
  auto branding = SampleBranding();
  std::string long_text;
  while (long_text.size() < 190) long_text += "Footer words repeat. ";
  long_text.resize(200);
  branding->footer_text = long_text;
  const std::string long_pdf = Pdf(SpecExample(), Options(branding));
  EXPECT_NE(Squeezed(ExtractText(long_pdf)).find(Squeezed(long_text)), std::string::npos)
      << ExtractText(long_pdf);
}

// On every page of a long report, under the footer line; read once (content
// on the last page, an artifact elsewhere, like the footer itself); and the
// content stops above it, however many lines it takes.
TEST(BrandedPdfTest, TheFooterTextIsOnEveryPageAndTheContentStopsAboveIt) {
  for (const std::string& note :
       {std::string("Acme Hiring GmbH, Registered in Berlin"),
        std::string("Long footer text that wraps onto a second line and maybe a third. ") +
            "It is written by the company and shown under the footer line of every page, " +
            "so the pages must leave room."}) {
    SCOPED_TRACE(note);
    auto branding = SampleBranding();
    branding->footer_text = note;
    const StoredReport big = ManySections(40, 10);
    const std::string pdf = Pdf(big, Options(branding));
    const std::vector<std::string> pages = PageTexts(pdf);
    ASSERT_GE(pages.size(), 5u);
    for (size_t p = 0; p < pages.size(); ++p) {
      EXPECT_NE(Squeezed(pages[p]).find(Squeezed(note)), std::string::npos) << "page " << p + 1;
      EXPECT_NE(pages[p].find("Page " + std::to_string(p + 1) + " of "), std::string::npos);
    }
    const Inspection in = Inspect(pdf);
    ExpectWellTagged(in);
    ASSERT_EQ(in.pages, static_cast<int>(pages.size()));
    const std::string note_start = note.substr(0, 16);  // not the display name
    int note_content = 0;
    for (int page = 1; page <= in.pages; ++page) {
      SCOPED_TRACE(testing::Message() << "page " << page);
      // The footer line's text: the page number (an artifact), beside the
      // report id.
      double footer_y = -1;
      double note_y = -1;
      for (const Marked& m : in.marked_content) {
        if (m.page != page) continue;
        if (m.tag == "Artifact" && m.text.find("Page ") != std::string::npos) footer_y = m.y;
        if (m.tag == "P" && m.text.find(note_start) != std::string::npos) {
          ++note_content;
          EXPECT_EQ(page, in.pages);
          note_y = m.y;
        }
      }
      ASSERT_GT(footer_y, 0);
      if (page == in.pages) {
        ASSERT_GT(note_y, 0);
        EXPECT_GT(note_y, footer_y + 5);      // under the footer line
        EXPECT_LT(note_y, kPageHeight - 20);  // and on the page
      }
      // Everything else ends above the footer's rule (6 pt above its text's
      // top): its first baseline at least a line higher.
      for (const Marked& m : in.marked_content) {
        if (m.page != page || m.tag == "Artifact" || m.y < 0) continue;
        if (m.text.find("Report ID") != std::string::npos ||
            m.text.find(note_start) != std::string::npos) {
          continue;
        }
        EXPECT_LT(m.y, footer_y - 20) << m.tag << " " << m.text;
      }
    }
    EXPECT_EQ(note_content, 1);
    // The tree: the footer, then the footer text, last.
    const std::vector<std::string> roots = in.roots[0].ChildTypes();
    ASSERT_GE(roots.size(), 2u);
    EXPECT_EQ(roots[roots.size() - 1], "P");
    EXPECT_EQ(roots[roots.size() - 2], "P");
  }
}

TEST(BrandedPdfTest, SameInputsSameBytes) {
  const StoredReport s = ManySections(6, 4);
  const std::string a = Pdf(s, Options(SampleBranding()));
  EXPECT_EQ(a, Pdf(s, Options(SampleBranding())));
  EXPECT_NE(a, Pdf(s, {}));
  auto other_logo = SampleBranding();
  other_logo->logo = MakeLogo(120, 30, 128);
  EXPECT_NE(a, Pdf(s, Options(other_logo)));
  // A transparent logo too, in Arabic.
  EXPECT_EQ(Pdf(s, Options(other_logo, Language::kAr)), Pdf(s, Options(other_logo, Language::kAr)));
}

TEST(BrandedPdfTest, QpdfCheckPasses) {
  auto transparent = SampleBranding();
  transparent->logo = MakeLogo(300, 80, 128);
  for (const std::string& pdf : {Pdf(SpecExample(), Options(SampleBranding())),
                                 Pdf(ManySections(40, 10), Options(transparent, Language::kAr))}) {
    TempPdf file(pdf);
    int code = -1;
    std::string out = RunCommand("qpdf --check " + file.path() + " 2>&1", &code);
    EXPECT_EQ(code, 0) << out;
    EXPECT_EQ(out.find("WARNING"), std::string::npos) << out;
  }
}

// ------------------------------------------------------------ as drawn

// Page 1 rendered by poppler at 72 dpi (a pixel a point).
struct Raster {
  int width = 0, height = 0;
  std::string rgb;
  std::array<int, 3> At(int x, int y) const {
    size_t i = (static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)) * 3;
    return {static_cast<uint8_t>(rgb[i]), static_cast<uint8_t>(rgb[i + 1]),
            static_cast<uint8_t>(rgb[i + 2])};
  }
  // Pixels within `slack` of `color` in every channel, in [x0, x1) × [y0, y1).
  int Count(domain::Color color, int slack = 3, int x0 = 0, int y0 = 0, int x1 = -1,
            int y1 = -1) const {
    if (x1 < 0) x1 = width;
    if (y1 < 0) y1 = height;
    int n = 0;
    for (int y = y0; y < y1; ++y) {
      for (int x = x0; x < x1; ++x) {
        std::array<int, 3> p = At(x, y);
        n += std::abs(p[0] - color.r) <= slack && std::abs(p[1] - color.g) <= slack &&
                     std::abs(p[2] - color.b) <= slack
                 ? 1
                 : 0;
      }
    }
    return n;
  }
};

Raster RenderFirstPage(const std::string& pdf) {
  TempPdf file(pdf);
  const std::string out = file.path() + ".page";
  RunCommand("pdftoppm -r 72 -f 1 -l 1 -singlefile " + file.path() + " " + out + " 2>&1");
  std::ifstream in(out + ".ppm", std::ios::binary);
  const std::string ppm((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::remove((out + ".ppm").c_str());
  Raster r;
  // P6\n<w> <h>\n255\n<bytes>
  std::istringstream header(ppm);
  std::string magic;
  int max = 0;
  header >> magic >> r.width >> r.height >> max;
  EXPECT_EQ(magic, "P6");
  EXPECT_EQ(max, 255);
  const size_t data = static_cast<size_t>(header.tellg()) + 1;
  r.rgb = ppm.substr(data);
  EXPECT_EQ(r.rgb.size(), static_cast<size_t>(r.width) * static_cast<size_t>(r.height) * 3);
  return r;
}

constexpr domain::Color kDefaultBlue{0x1d, 0x4e, 0x9e};
constexpr domain::Color kDefaultGreen{0x2e, 0x7d, 0x32};
constexpr domain::Color kRed{0xc6, 0x28, 0x28};
constexpr domain::Color kBrandBlue{0x0b, 0x53, 0x94};

TEST(BrandedPdfTest, HeadingsBarsAndTheVerdictTakeThePalette) {
  StoredReport s = SpecExample();
  s.report.sections.push_back({"Databases", 30, {{"SQL", 20}}});  // below the cut-off
  const Raster plain = RenderFirstPage(Pdf(s, {}));
  EXPECT_GT(plain.Count(kDefaultBlue), 500);    // name, rule, headings
  EXPECT_GT(plain.Count(kDefaultGreen), 3000);  // passing bars, the verdict pill
  EXPECT_GT(plain.Count(kRed), 500);            // failing bars

  auto blue = SampleBranding();
  blue->logo.reset();  // only the palette's pixels
  const Raster branded = RenderFirstPage(Pdf(s, Options(blue)));
  EXPECT_GT(branded.Count(kBrandBlue), 5000);  // all of those
  EXPECT_EQ(branded.Count(kDefaultBlue), 0);
  EXPECT_EQ(branded.Count(kDefaultGreen), 0);
  EXPECT_GT(branded.Count(kRed), 500);  // failing stays red beside a blue

  // A red brand: failing scores are never drawn in the default red.
  auto red = SampleBranding();
  red->logo.reset();
  red->primary_color = domain::ParseHexColor("#b00020");
  const Raster reds = RenderFirstPage(Pdf(s, Options(red)));
  EXPECT_GT(reds.Count({0xb0, 0x00, 0x20}), 5000);
  EXPECT_EQ(reds.Count(kRed), 0);
  // They are slate (muted text is nearly that grey too: count the gain).
  constexpr domain::Color kSlate{0x5b, 0x64, 0x74};
  EXPECT_GT(reds.Count(kSlate) - branded.Count(kSlate), 500);
  EXPECT_EQ(reds.Count(kDefaultGreen), 0);
}

// The logo stands at the start of the header line: the left, or the right
// in a right-to-left document; the image itself is not mirrored.
TEST(BrandedPdfTest, TheLogoIsAtTheStartOfTheLineAndNotMirrored) {
  // Left half magenta, right half cyan, 120×30 px: 90×22.5 pt.
  std::string rgba;
  for (int y = 0; y < 30; ++y) {
    for (int x = 0; x < 120; ++x) {
      rgba += x < 60 ? std::string("\xff\x00\xff\xff", 4) : std::string("\x00\xff\xff\xff", 4);
    }
  }
  auto branding = SampleBranding();
  branding->logo = LogoOf(PngFromRgba(120, 30, rgba), 120, 30);
  constexpr domain::Color kMagenta{255, 0, 255};
  constexpr domain::Color kCyan{0, 255, 255};
  for (Language l : {Language::kEn, Language::kAr}) {
    SCOPED_TRACE(std::string(domain::LanguageTag(l)));
    const std::string pdf = Pdf(SpecExample(), Options(branding, l));
    const Raster page = RenderFirstPage(pdf);
    ASSERT_GT(page.width, 590);
    const int middle = page.width / 2;
    const int magenta_left = page.Count(kMagenta, 3, 0, 0, middle, 120);
    const int magenta_right = page.Count(kMagenta, 3, middle, 0, -1, 120);
    const int cyan_left = page.Count(kCyan, 3, 0, 0, middle, 120);
    const int cyan_right = page.Count(kCyan, 3, middle, 0, -1, 120);
    // About 45 × 22 pixels of each colour, all in the top 120 pixels.
    EXPECT_GT(magenta_left + magenta_right, 700);
    EXPECT_GT(cyan_left + cyan_right, 700);
    EXPECT_EQ(page.Count(kMagenta), magenta_left + magenta_right);
    // The logo's left and right edges in the top band.
    int first = page.width, last = -1;
    for (int y = 0; y < 120; ++y) {
      for (int x = 0; x < page.width; ++x) {
        std::array<int, 3> p = page.At(x, y);
        if ((p[0] > 200 && p[1] < 60 && p[2] > 200) || (p[0] < 60 && p[1] > 200 && p[2] > 200)) {
          first = std::min(first, x);
          last = std::max(last, x);
        }
      }
    }
    const bool rtl = l == Language::kAr;
    if (rtl) {
      EXPECT_EQ(magenta_left + cyan_left, 0);
      EXPECT_NEAR(last, kPageWidth - 48, 2);  // against the right margin
    } else {
      EXPECT_EQ(magenta_right + cyan_right, 0);
      EXPECT_NEAR(first, 48, 2);  // against the left margin
    }
    EXPECT_NEAR(last - first + 1, 90, 2);
    // Magenta still left of cyan: the picture reads as it was drawn.
    int magenta_x = 0, cyan_x = 0;
    for (int x = first; x <= last; ++x) {
      for (int y = 0; y < 120; ++y) {
        std::array<int, 3> p = page.At(x, y);
        if (p[0] > 200 && p[1] < 60 && p[2] > 200) magenta_x = std::max(magenta_x, x);
        if (p[0] < 60 && p[1] > 200 && p[2] > 200 && cyan_x == 0) cyan_x = x;
      }
    }
    EXPECT_LT(magenta_x, cyan_x + 2);
    // The name is there, in the reading order, and the footer text too.
    const std::string text = WithoutBidiMarks(ExtractText(pdf));
    EXPECT_NE(text.find("Acme Hiring"), std::string::npos);
    EXPECT_NE(text.find("Acme Hiring GmbH, Registered in Berlin"), std::string::npos);
    ExpectWellTagged(Inspect(pdf));
  }
}

TEST(BrandedPdfTest, ARightToLeftBrandedReportRenders) {
  auto branding = SampleBranding();
  branding->display_name = "شركة أكمي للتوظيف";
  branding->footer_text = "سري — لا يُعاد توجيهه";
  branding->logo = MakeLogo(200, 60, 128);
  StoredReport s = ManySections(12, 4);
  s.report.name = "ليلى حداد";
  const std::string pdf = Pdf(s, Options(branding, Language::kAr));
  const Inspection in = Inspect(pdf);
  ExpectWellTagged(in);
  EXPECT_EQ(in.lang, "ar");
  ASSERT_EQ(in.images.size(), 1u);
  EXPECT_EQ(in.images[0].width, 200);
  const std::vector<std::string> pages = PageTexts(pdf);
  ASSERT_GE(pages.size(), 2u);
  EXPECT_NE(pages[0].find("شركة أكمي للتوظيف"), std::string::npos) << pages[0];
  for (const std::string& page : pages) {
    EXPECT_NE(page.find("سري"), std::string::npos) << page;
  }
}

}  // namespace
}  // namespace reportshare::render::pdf
