// The tagged PDF (SPEC §4, "Accessible"; issue 16): the structure tree, read
// back with qpdf (support/pdf_structure.h) the way an assistive technology
// would walk it, and every page's content checked to lie inside a tag or an
// artifact.
#include "render/pdf/pdf_tagging.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "domain/link_options.h"
#include "render/pdf/pdf_writer.h"
#include "render/renderer.h"
#include "render/view.h"
#include "support/pdf_structure.h"
#include "support/sample_reports.h"

namespace reportshare::render::pdf {
namespace {

using test_support::AllElements;
using test_support::At;
using test_support::CountOf;
using test_support::Element;
using test_support::Inspect;
using test_support::Inspection;
using test_support::ManySections;
using test_support::Marked;
using test_support::SpecExample;

const Instant kGenerated = At("2025-07-09T07:00:00Z");
constexpr double kPageWidth = 595.276;

std::string Pdf(const StoredReport& s, const RenderOptions& options = {}) {
  Result<std::string> pdf = MakeBasicRenderer()->RenderPdf(s, kGenerated, options);
  EXPECT_TRUE(pdf.has_value());
  return pdf.has_value() ? *pdf : std::string();
}

RenderOptions In(Language language) {
  RenderOptions options;
  options.language = language;
  return options;
}

// The variants every check runs on: default, Arabic, a watermarked
// multi-page report and an anonymized one.
struct Variant {
  std::string name;
  StoredReport report;
  RenderOptions options;
};
std::vector<Variant> Variants() {
  RenderOptions watermarked = In(Language::kDe);
  watermarked.watermark = Watermark{"hm@acme.example", "Gk3aBcDeFgHiJkLmNoPqRs", kGenerated};
  StoredReport arabic = SpecExample();
  arabic.report.name = "ليلى حداد";
  // Emoji are drawn as images; one image used twice makes cairo 1.16 repeat
  // a key in the page's resources, which qpdf warns of (and must accept).
  StoredReport emoji = SpecExample();
  emoji.report.name = "😀 Emoji 👩🏽‍💻 Person";
  emoji.report.sections = {{"😀 Emoji 👩🏽‍💻 Person", 50, {{"技能 😀", 1}}}};
  return {{"default", SpecExample(), {}},
          {"arabic", arabic, In(Language::kAr)},
          {"many sections, watermarked", ManySections(40, 10), watermarked},
          {"emoji", emoji, {}},
          {"anonymized", domain::Anonymize(SpecExample(), "Candidate 7KQ2ZP"), In(Language::kFr)},
          {"no sections",
           [] {
             StoredReport s = SpecExample();
             s.report.sections.clear();
             return s;
           }(),
           {}}};
}

TEST(TaggedPdfTest, EveryVariantIsTaggedWithNothingOutsideATagOrAnArtifact) {
  for (const Variant& v : Variants()) {
    SCOPED_TRACE(v.name);
    Inspection in = Inspect(Pdf(v.report, v.options));
    ASSERT_TRUE(in.has_tree);
    EXPECT_TRUE(in.marked);
    EXPECT_EQ(in.paint_ops_outside, 0);
    EXPECT_EQ(in.nested_marked_content, 0);
    EXPECT_EQ(in.parent_tree_mismatches, 0);
    ASSERT_EQ(in.roots.size(), 1u);
    EXPECT_EQ(in.roots[0].type, "Document");
    int artifacts = 0, tagged = 0;
    std::set<int> pages_with_artifacts;
    for (const Marked& m : in.marked_content) {
      EXPECT_NE(m.tag, kArtifactTag);
      if (m.tag == "Artifact") {
        EXPECT_EQ(m.mcid, -1);
        ++artifacts;
        pages_with_artifacts.insert(m.page);
      } else {
        EXPECT_GE(m.mcid, 0) << m.tag;
        ++tagged;
      }
    }
    EXPECT_GT(tagged, 10);
    EXPECT_EQ(static_cast<int>(pages_with_artifacts.size()), in.pages);  // rules, page numbers
    // Only leaves have content; containers have children; nothing is a stand-in.
    for (const Element* e : AllElements(in)) {
      EXPECT_NE(e->type, kArtifactTag);
      if (e->children.empty()) {
        EXPECT_FALSE(e->mcids.empty()) << e->type;
      } else {
        EXPECT_TRUE(e->mcids.empty()) << e->type;
      }
    }
  }
}

TEST(TaggedPdfTest, TheTreeFollowsTheReportInReadingOrder) {
  const StoredReport s = SpecExample();
  const ReportView view = MakeReportView(s, kGenerated);
  Inspection in = Inspect(Pdf(s));
  ASSERT_EQ(in.roots.size(), 1u);
  const Element& doc = in.roots[0];
  // Company, report kind, the candidate's name, the subtitle; the two
  // details tables; the score box; the proctoring note; the chart under its
  // heading; the skill tables under theirs; the footer.
  std::vector<std::string> want = {"P",   "P", "H1", "P",      "Table", "Table",
                                   "Div", "P", "H2", "Figure", "H2"};
  for (size_t i = 0; i < view.sections.size(); ++i) want.push_back("Table");
  want.push_back("P");
  EXPECT_EQ(doc.ChildTypes(), want);
  ASSERT_EQ(doc.children.size(), want.size());
  EXPECT_EQ(CountOf(in, "H1"), 1);

  // Details: a row per item, a TH label and a TD value.
  const std::vector<LabeledValue>* columns[] = {&view.candidate_details, &view.assessment_details};
  for (int c = 0; c < 2; ++c) {
    const Element& table = doc.children[4 + static_cast<size_t>(c)];
    ASSERT_EQ(table.children.size(), columns[c]->size());
    for (const Element& tr : table.children) {
      EXPECT_EQ(tr.type, "TR");
      EXPECT_EQ(tr.ChildTypes(), (std::vector<std::string>{"TH", "TD"}));
      EXPECT_EQ(tr.children[0].scope, "Row");
    }
  }
  // The score box: caption, score, cut-off and margin, verdict.
  EXPECT_EQ(doc.children[6].ChildTypes(), (std::vector<std::string>{"P", "P", "P", "P"}));

  // A skills table: a head row of two column headers, a body row per skill
  // with its name as the row header.
  for (size_t i = 0; i < view.sections.size(); ++i) {
    const Element& table = doc.children[11 + i];
    ASSERT_EQ(table.ChildTypes(), (std::vector<std::string>{"THead", "TBody"}));
    ASSERT_EQ(table.children[0].children.size(), 1u);
    const Element& head = table.children[0].children[0];
    EXPECT_EQ(head.ChildTypes(), (std::vector<std::string>{"TH", "TH"}));
    for (const Element& th : head.children) EXPECT_EQ(th.scope, "Column");
    const Element& body = table.children[1];
    ASSERT_EQ(body.children.size(), view.sections[i].skills.size());
    for (const Element& tr : body.children) {
      EXPECT_EQ(tr.ChildTypes(), (std::vector<std::string>{"TH", "TD"}));
      EXPECT_EQ(tr.children[0].scope, "Row");
    }
  }

  // The marked content of the first page comes in the same order as the
  // tree's leaves, and says what the report says.
  std::vector<std::string> texts;
  for (const Marked& m : in.marked_content) {
    if (m.tag != "Artifact") texts.push_back(m.text);
  }
  ASSERT_GT(texts.size(), 4u);
  EXPECT_NE(texts[0].find("Acme"), std::string::npos);
  EXPECT_NE(texts[3].find("Backend Engineer Screening"), std::string::npos);
}

TEST(TaggedPdfTest, TheFigureStatesEverySectionScoreAndTheCutOff) {
  StoredReport s = ManySections(6, 2);
  const ReportView view = MakeReportView(s, kGenerated);
  Inspection in = Inspect(Pdf(s));
  std::vector<const Element*> figures;
  for (const Element* e : AllElements(in)) {
    if (e->type == "Figure") figures.push_back(e);
  }
  ASSERT_EQ(figures.size(), 1u);
  const std::string& alt = figures[0]->alt;
  EXPECT_EQ(alt, view.chart_alt);
  EXPECT_TRUE(alt.starts_with("Section scores: ")) << alt;
  for (const SectionView& section : view.sections) {
    EXPECT_NE(alt.find(section.name + " " + section.percent_text), std::string::npos)
        << section.name;
  }
  EXPECT_NE(alt.find("Cut-off: 60%"), std::string::npos) << alt;

  // Without a cut-off there is none to state; in Arabic, the words are Arabic.
  s.report.cut_off.reset();
  Inspection no_cut = Inspect(Pdf(s));
  for (const Element* e : AllElements(no_cut)) {
    if (e->type == "Figure") {
      EXPECT_EQ(e->alt.find("Cut-off"), std::string::npos) << e->alt;
    }
  }
  const ReportView ar = MakeReportView(SpecExample(), kGenerated, In(Language::kAr));
  Inspection arabic = Inspect(Pdf(SpecExample(), In(Language::kAr)));
  for (const Element* e : AllElements(arabic)) {
    if (e->type == "Figure") {
      EXPECT_EQ(e->alt, ar.chart_alt);
      EXPECT_NE(e->alt.find(ar.cut_off_text), std::string::npos);
      EXPECT_NE(e->alt.find(ar.labels.section_scores), std::string::npos);
    }
  }
}

TEST(TaggedPdfTest, NoSectionsNoFigure) {
  StoredReport s = SpecExample();
  s.report.sections.clear();
  Inspection in = Inspect(Pdf(s));
  EXPECT_EQ(CountOf(in, "Figure"), 0);
  EXPECT_EQ(CountOf(in, "H2"), 2);
}

TEST(TaggedPdfTest, CatalogHasTheLanguageAndShowsTheTitle) {
  for (Language l : domain::kLanguages) {
    Inspection in = Inspect(Pdf(SpecExample(), In(l)));
    EXPECT_EQ(in.lang, std::string(domain::LanguageTag(l)));
    EXPECT_TRUE(in.display_doc_title);
  }
}

TEST(TaggedPdfTest, TablesAndTheChartThatBreakAcrossPagesStayWhole) {
  const StoredReport s = ManySections(40, 10);
  Inspection in = Inspect(Pdf(s));
  ASSERT_GE(in.pages, 5);
  EXPECT_EQ(CountOf(in, "Figure"), 1);
  EXPECT_EQ(CountOf(in, "Table"), 2 + 40);
  // Details (3 candidate, 4 assessment rows), then a head row and 10 skill
  // rows per section.
  EXPECT_EQ(CountOf(in, "TR"), 3 + 4 + 40 * (1 + 10));
  // The chart of 40 rows starts low on page 1 and goes on on page 2: still
  // one Figure; a section's table that breaks likewise; the Document spans
  // every page.
  for (const Element* e : AllElements(in)) {
    if (e->type == "Figure") {
      EXPECT_EQ(e->pages, (std::set<int>{1, 2}));
    }
  }
  EXPECT_EQ(static_cast<int>(in.roots[0].pages.size()), in.pages);
  // A section of 60 skills breaks between rows: one table over two pages.
  Inspection long_sections = Inspect(Pdf(ManySections(2, 60)));
  int tables = 0;
  for (const Element* e : AllElements(long_sections)) {
    if (e->type != "Table" || e->children.size() != 2) continue;  // skills tables
    ++tables;
    EXPECT_GE(e->pages.size(), 2u);
    EXPECT_EQ(e->children[1].children.size(), 60u);
  }
  EXPECT_EQ(tables, 2);
}

TEST(TaggedPdfTest, TheFooterIsReadOnceAndPageNumbersAreArtifacts) {
  Inspection in = Inspect(Pdf(ManySections(40, 10)));
  ASSERT_GE(in.pages, 5);
  int footers = 0;
  std::set<int> pages_with_numbers;
  for (const Marked& m : in.marked_content) {
    bool footer_line = m.y > 780;  // the footer's baseline is below the content
    if (!footer_line) continue;
    if (m.tag == "Artifact" && m.text.find("Page ") != std::string::npos) {
      pages_with_numbers.insert(m.page);
    }
    if (m.tag != "Artifact") {
      ++footers;
      EXPECT_EQ(m.page, in.pages);
      EXPECT_EQ(m.tag, "P");
      EXPECT_NE(m.text.find("Report ID 318"), std::string::npos) << m.text;
    }
  }
  EXPECT_EQ(footers, 1);
  EXPECT_EQ(static_cast<int>(pages_with_numbers.size()), in.pages);
}

TEST(TaggedPdfTest, ReadingOrderIsRightToLeftInArabic) {
  // The first details row: its label (TH) is read before its value (TD),
  // and stands at the start of the line: the left in English, the right in
  // Arabic.
  for (Language l : {Language::kEn, Language::kAr}) {
    SCOPED_TRACE(std::string(domain::LanguageTag(l)));
    Inspection in = Inspect(Pdf(SpecExample(), In(l)));
    const Marked* th = nullptr;
    const Marked* td = nullptr;
    for (const Marked& m : in.marked_content) {
      if (m.tag == "TH" && th == nullptr) th = &m;
      if (m.tag == "TD" && td == nullptr) td = &m;
    }
    ASSERT_NE(th, nullptr);
    ASSERT_NE(td, nullptr);
    EXPECT_LT(th - in.marked_content.data(), td - in.marked_content.data());
    if (l == Language::kAr) {
      EXPECT_GT(th->x, td->x);
      EXPECT_GT(th->x, kPageWidth / 2);
    } else {
      EXPECT_LT(th->x, td->x);
      EXPECT_LT(th->x, kPageWidth / 2);
    }
  }
}

TEST(TaggedPdfTest, TaggingKeepsTheBytesDeterministic) {
  for (const Variant& v : Variants()) {
    EXPECT_EQ(Pdf(v.report, v.options), Pdf(v.report, v.options)) << v.name;
  }
}

// The checks above can fail: an untagged PDF, drawn by Cairo, shows no tree,
// no language and every operator outside marked content.
TEST(TaggedPdfTest, NegativeControlAnUntaggedPdfFailsTheChecks) {
  std::string bytes;
  cairo_surface_t* surface = cairo_pdf_surface_create_for_stream(
      [](void* closure, const unsigned char* data, unsigned int length) {
        static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
        return CAIRO_STATUS_SUCCESS;
      },
      &bytes, 200, 200);
  cairo_t* cr = cairo_create(surface);
  cairo_rectangle(cr, 10, 10, 50, 50);
  cairo_fill(cr);
  cairo_select_font_face(cr, "Noto Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_move_to(cr, 10, 100);
  cairo_show_text(cr, "untagged");
  cairo_destroy(cr);
  cairo_surface_finish(surface);
  cairo_surface_destroy(surface);
  Inspection in = Inspect(bytes);
  EXPECT_FALSE(in.has_tree);
  EXPECT_EQ(in.lang, "");
  EXPECT_FALSE(in.display_doc_title);
  EXPECT_GE(in.paint_ops_outside, 2);

  // FinishTaggedPdf refuses it (no structure tree), and refuses what is not a PDF.
  EXPECT_FALSE(FinishTaggedPdf(bytes, {"en", {}}).has_value());
  EXPECT_FALSE(FinishTaggedPdf("not a pdf", {"en", {}}).has_value());
  EXPECT_FALSE(FinishTaggedPdf(bytes.substr(0, bytes.size() / 2), {"en", {}}).has_value());
}

TEST(TaggedPdfTest, FinishTaggedPdfRefusesFiguresWithoutTheirText) {
  // Render once, then finish Cairo's output again with the wrong number of
  // descriptions: the tagging is checked, not assumed.
  std::string pdf = Pdf(SpecExample());
  EXPECT_FALSE(FinishTaggedPdf(pdf, {"en", {}}).has_value());
  EXPECT_FALSE(FinishTaggedPdf(pdf, {"en", {"one", "two"}}).has_value());
  Result<std::string> again = FinishTaggedPdf(pdf, {"en", {"the chart"}});
  ASSERT_TRUE(again.has_value());
  const Inspection refinished = Inspect(*again);
  for (const Element* e : AllElements(refinished)) {
    if (e->type == "Figure") {
      EXPECT_EQ(e->alt, "the chart");
    }
  }
}

}  // namespace
}  // namespace reportshare::render::pdf
