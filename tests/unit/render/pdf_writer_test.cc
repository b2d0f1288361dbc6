#include "render/pdf/pdf_writer.h"

#include <glib.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "domain/link_options.h"
#include "render/i18n/bidi.h"
#include "render/i18n/catalogue.h"
#include "render/renderer.h"
#include "support/pdf_text.h"
#include "support/sample_reports.h"

namespace reportshare::render::pdf {
namespace {

using test_support::At;
using test_support::ExtractText;
using test_support::ManySections;
using test_support::Nfc;
using test_support::PageCount;
using test_support::PageTexts;
using test_support::RunCommand;
using test_support::SpecExample;
using test_support::TempPdf;
using test_support::WithoutBidiMarks;

const Instant kGenerated = At("2025-07-09T07:00:00Z");

std::string Pdf(const StoredReport& s, Instant generated_at = kGenerated) {
  Result<std::string> pdf = MakeBasicRenderer()->RenderPdf(s, generated_at, {});
  EXPECT_TRUE(pdf.has_value());
  return pdf.has_value() ? *pdf : std::string();
}

std::string PdfInfo(const std::string& pdf) {
  TempPdf file(pdf);
  return RunCommand("pdfinfo -enc UTF-8 " + file.path() + " 2>/dev/null");
}

TEST(RenderPdfTest, ProducesAPdf) {
  std::string pdf = Pdf(SpecExample());
  EXPECT_TRUE(pdf.starts_with("%PDF-"));
  EXPECT_NE(pdf.find("%%EOF"), std::string::npos);
  EXPECT_EQ(PageCount(pdf), 1);
}

TEST(RenderPdfTest, SameInputSameBytesDifferentTimeDifferentBytes) {
  std::string a = Pdf(SpecExample());
  std::string b = Pdf(SpecExample());
  EXPECT_EQ(a, b);
  std::string c = Pdf(SpecExample(), At("2025-07-10T07:00:00Z"));
  EXPECT_NE(a, c);
}

TEST(RenderPdfTest, TextIsExtractable) {
  std::string text = ExtractText(Pdf(SpecExample()));
  for (const char* want : {"Acme Talent",
                           "Priya Raman",
                           "priya@example.com",
                           "5012",
                           "Backend Engineer Screening",
                           "Phone",
                           "+91 98450 00000",
                           "9 July 2025, 06:02 UTC",
                           "9 July 2025, 06:58 UTC",
                           "56 min 29 s",
                           "72.5%",
                           "Cut-off: 60%",
                           "Passed",
                           "Margin: +12.5 points",
                           "switched away from the test tab 2 times",
                           "Assessment #138",
                           "Python",
                           "Data structures",
                           "90%",
                           "Report ID 318",
                           "Generated 9 July 2025, 07:00 UTC",
                           "Page 1 of 1"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  }
}

TEST(RenderPdfTest, Metadata) {
  std::string info = PdfInfo(Pdf(SpecExample()));
  EXPECT_NE(info.find("Assessment report — Priya Raman"), std::string::npos) << info;
  EXPECT_NE(info.find("Acme Talent"), std::string::npos) << info;
  EXPECT_NE(info.find("Backend Engineer Screening"), std::string::npos) << info;
  EXPECT_NE(info.find("reportshare"), std::string::npos) << info;
  EXPECT_NE(info.find("2025"), std::string::npos) << info;
}

TEST(RenderPdfTest, NoCutOffNoVerdict) {
  StoredReport s = SpecExample();
  s.report.cut_off.reset();
  s.report.offtab_count.reset();
  std::string text = ExtractText(Pdf(s));
  EXPECT_EQ(text.find("Passed"), std::string::npos);
  EXPECT_EQ(text.find("Below cut-off"), std::string::npos);
  EXPECT_EQ(text.find("Proctoring"), std::string::npos);
  EXPECT_EQ(text.find("Margin"), std::string::npos);
  EXPECT_NE(text.find("72.5%"), std::string::npos);
}

TEST(RenderPdfTest, BelowCutOff) {
  StoredReport s = SpecExample();
  s.report.overall_percentage = 41;
  std::string text = ExtractText(Pdf(s));
  EXPECT_NE(text.find("Below cut-off"), std::string::npos) << text;
  EXPECT_NE(text.find("Margin: −19 points"), std::string::npos) << text;
  EXPECT_EQ(text.find("Passed"), std::string::npos) << text;
}

// pdffonts lists every font of the document; each must be embedded (and
// subset), and each script must come from its Noto family, not a stray
// fallback such as DejaVu.
TEST(RenderPdfTest, EveryFontEmbedded) {
  StoredReport s = ManySections(3, 2);
  s.report.name = "प्रिया ليلى حداد 王小明 Sam 🚀";
  s.report.sections[1].section = "शहर المدينة 数据";
  TempPdf file(Pdf(s));
  std::string fonts = RunCommand("pdffonts " + file.path() + " 2>&1");
  std::istringstream lines(fonts);
  std::string line;
  int rows = 0;
  std::getline(lines, line);  // column titles
  std::getline(lines, line);  // dashes
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    ++rows;
    // "name type encoding emb sub uni object ID": emb is the 5th field from the end.
    std::vector<std::string> fields;
    std::istringstream words(line);
    for (std::string w; words >> w;) fields.push_back(w);
    ASSERT_GE(fields.size(), 6u) << line;
    EXPECT_EQ(fields[fields.size() - 5], "yes") << "not embedded: " << line;
    EXPECT_EQ(fields[fields.size() - 3], "yes") << "no ToUnicode: " << line;
    EXPECT_EQ(line.find("Type 3"), std::string::npos) << line;
  }
  EXPECT_GE(rows, 4) << fonts;
  for (const char* family : {"NotoSans-Regular", "NotoSans-Bold", "NotoSansDevanagari",
                             "NotoSansArabic", "NotoSansCJK"}) {
    EXPECT_NE(fonts.find(family), std::string::npos) << family << "\n" << fonts;
  }
  EXPECT_EQ(fonts.find("DejaVu"), std::string::npos) << fonts;
}

// The outline: the two headings, and an entry per section under the second.
TEST(RenderPdfTest, OutlineHasEverySection) {
  StoredReport big = ManySections(40, 10);
  big.report.sections[3].section = "प्रिया <b>&</b>";
  TempPdf file(Pdf(big));
  std::string json = RunCommand("qpdf --json --json-key=outlines " + file.path() + " 2>&1");
  EXPECT_NE(json.find("\"title\": \"Section scores\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"title\": \"Skill-wise scores\""), std::string::npos) << json;
  for (const Section& sec : big.report.sections) {
    EXPECT_NE(json.find("\"title\": \"" + sec.section + "\""), std::string::npos) << sec.section;
  }
}

TEST(RenderPdfTest, EveryScriptShapesAndExtracts) {
  const char* names[] = {"प्रिया रमन", "ليلى حداد",        "عبد الله سلام",
                         "王小明",    "<b>Bold & co</b>", "&amp; (x) \\y"};
  for (const char* name : names) {
    StoredReport s = SpecExample();
    s.report.name = name;
    s.report.sections[0].skill_wise_score[0].skill = name;
    std::string pdf = Pdf(s);
    std::string text = ExtractText(pdf);
    EXPECT_NE(text.find(Nfc(name)), std::string::npos) << name << "\n" << text;
    EXPECT_NE(PdfInfo(pdf).find(std::string("Assessment report — ") + name), std::string::npos)
        << name;
  }
}

TEST(RenderPdfTest, EmojiShapesAndExtracts) {
  StoredReport s = SpecExample();
  s.report.name = "Sam 🚀 Lee";
  std::string text = ExtractText(Pdf(s));
  EXPECT_NE(text.find("Sam"), std::string::npos) << text;
  EXPECT_NE(text.find("🚀"), std::string::npos) << text;
}

TEST(RenderPdfTest, LongNamesWrapAndStayOnThePage) {
  StoredReport s = SpecExample();
  s.report.name = std::string(30, 'W') + " " + std::string(120, 'x');
  s.report.email = std::string(200, 'e') + "@example.com";
  s.report.sections[0].section = "A very long section name " + std::string(20, 'S') +
                                 " that has to wrap over several lines in the chart";
  std::string pdf = Pdf(s);
  TempPdf file(pdf);
  // -bbox lists each word's box; none may leave the A4 page.
  std::string boxes = RunCommand("pdftotext -bbox " + file.path() + " - 2>/dev/null");
  std::regex word(R"re(xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)")re");
  int words = 0;
  for (std::sregex_iterator it(boxes.begin(), boxes.end(), word), end; it != end; ++it) {
    ++words;
    EXPECT_GE(std::stod((*it)[1]), 0);
    EXPECT_LE(std::stod((*it)[3]), 595.3) << (*it)[0];
    EXPECT_LE(std::stod((*it)[4]), 841.9) << (*it)[0];
  }
  EXPECT_GT(words, 20);
  // A word broken across lines gets no hyphen (it would change an email).
  std::string text = ExtractText(pdf);
  EXPECT_EQ(text.find("-\n"), std::string::npos) << text;
}

TEST(RenderPdfTest, ManySectionsPaginateWithCorrectFooters) {
  int small = PageCount(Pdf(SpecExample()));
  StoredReport big = ManySections(40, 10);
  std::string pdf = Pdf(big);
  int pages = PageCount(pdf);
  EXPECT_GT(pages, small);
  EXPECT_GE(pages, 5);
  TempPdf file(pdf);
  for (int p = 1; p <= pages; ++p) {
    std::string page_text = RunCommand("pdftotext -enc UTF-8 -f " + std::to_string(p) + " -l " +
                                       std::to_string(p) + " " + file.path() + " - 2>/dev/null");
    std::string want = "Page " + std::to_string(p) + " of " + std::to_string(pages);
    EXPECT_NE(page_text.find(want), std::string::npos) << want;
    std::smatch m;
    std::string rest = page_text;
    int footers = 0;
    while (std::regex_search(rest, m, std::regex(R"(Page \d+ of \d+)"))) {
      ++footers;
      rest = m.suffix();
    }
    EXPECT_EQ(footers, 1) << "page " << p;
  }
  // A skill row never splits: on every page each skill's name and its score
  // sit on one line. A section's table header never ends a page: the line
  // after it, on the same page, is its first skill.
  for (int p = 1; p <= pages; ++p) {
    std::string page_text =
        RunCommand("pdftotext -layout -enc UTF-8 -f " + std::to_string(p) + " -l " +
                   std::to_string(p) + " " + file.path() + " - 2>/dev/null");
    std::istringstream stream(page_text);
    std::vector<std::string> lines;
    size_t skill_indent = std::string::npos;
    for (std::string line; std::getline(stream, line);) {
      if (line.find_first_not_of(" \f") == std::string::npos) continue;
      lines.push_back(line);
      if (line.find("Skill ") != std::string::npos) {
        EXPECT_TRUE(std::regex_search(line, std::regex(R"(Skill \d+\.\d+\s+\d+%)")))
            << "page " << p << ": " << line;
        skill_indent = std::min(skill_indent, line.find_first_not_of(" \f"));
      }
    }
    for (size_t i = 0; i < lines.size(); ++i) {
      // Table headers start where skills do; chart labels are right-aligned.
      if (lines[i].find_first_not_of(" \f") != skill_indent ||
          !std::regex_search(lines[i], std::regex(R"(^\s*Section \d+\s+\d+%)"))) {
        continue;
      }
      ASSERT_LT(i + 1, lines.size());
      EXPECT_NE(lines[i + 1].find("Skill "), std::string::npos)
          << "page " << p << ": " << lines[i] << " is not followed by its first skill";
    }
  }
  std::string text = ExtractText(pdf);
  for (const Section& sec : big.report.sections) {
    EXPECT_NE(text.find(sec.section + "\n"), std::string::npos) << sec.section;
    for (const SkillScore& k : sec.skill_wise_score) {
      EXPECT_NE(text.find(k.skill + "\n"), std::string::npos) << k.skill;
    }
  }
}

TEST(RenderPdfTest, EmptySections) {
  StoredReport s = SpecExample();
  s.report.sections.clear();
  std::string text = ExtractText(Pdf(s));
  EXPECT_NE(text.find("No sections."), std::string::npos);
}

TEST(RenderPdfTest, QpdfCheckPasses) {
  for (const StoredReport& s : {SpecExample(), ManySections(40, 10)}) {
    TempPdf file(Pdf(s));
    int code = -1;
    std::string out = RunCommand("qpdf --check " + file.path() + " 2>&1", &code);
    EXPECT_EQ(code, 0) << out;
    EXPECT_EQ(out.find("WARNING"), std::string::npos) << out;
  }
}

TEST(RenderPdfTest, ConcurrentRendersGiveIdenticalBytes) {
  StoredReport s = ManySections(6, 4);
  s.report.name = "प्रिया रमन ليلى 王小明";
  std::string expected = Pdf(s);
  std::vector<std::string> results(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < 3; ++round) {
        Result<std::string> pdf = MakeBasicRenderer()->RenderPdf(s, kGenerated, {});
        if (pdf.has_value()) results[i] = *pdf;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& r : results) EXPECT_EQ(r, expected);
}

TEST(RenderPdfTest, WarmUpOnAFreshThreadThenRenderTheSameBytes) {
  std::string expected = Pdf(SpecExample());
  std::string got;
  std::thread worker([&] {
    WarmUpRenderThread();
    WarmUpRenderThread();  // harmless twice
    Result<std::string> pdf = MakeBasicRenderer()->RenderPdf(SpecExample(), kGenerated, {});
    if (pdf.has_value()) got = *pdf;
  });
  worker.join();
  EXPECT_EQ(got, expected);
}

// Languages, right to left, and the watermark (SPEC §5).

RenderOptions In(Language language) {
  RenderOptions options;
  options.language = language;
  return options;
}

const Watermark kWatermark{"hm@acme.example", "Gk3aBcDeFgHiJkLmNoPqRs", At("2026-12-02T07:15:00Z")};

RenderOptions Watermarked(Language language, Watermark watermark = kWatermark) {
  RenderOptions options = In(language);
  options.watermark = std::move(watermark);
  return options;
}

std::string Pdf(const StoredReport& s, const RenderOptions& options) {
  Result<std::string> pdf = MakeBasicRenderer()->RenderPdf(s, kGenerated, options);
  EXPECT_TRUE(pdf.has_value());
  return pdf.has_value() ? *pdf : std::string();
}

std::string Text(const std::string& pdf) { return WithoutBidiMarks(ExtractText(pdf)); }

// pdftotext writes no-break spaces (U+00A0, U+202F) as plain ones.
std::string AsExtracted(std::string text) {
  for (const char* space : {"\u00a0", "\u202f"}) {
    for (size_t at = text.find(space); at != std::string::npos; at = text.find(space)) {
      text.replace(at, std::string_view(space).size(), " ");
    }
  }
  return Nfc(text);
}

struct Word {
  double x_min, y_min, x_max, y_max;
  std::string text;
};

// Every word pdftotext -bbox finds on page 1 (an Arabic word may come as one
// box per letter).
std::vector<Word> Words(const std::string& pdf) {
  TempPdf file(pdf);
  std::string boxes =
      RunCommand("pdftotext -enc UTF-8 -bbox -f 1 -l 1 " + file.path() + " - 2>/dev/null");
  std::regex word(
      R"re(xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>)re");
  std::vector<Word> words;
  for (std::sregex_iterator it(boxes.begin(), boxes.end(), word), end; it != end; ++it) {
    words.push_back({std::stod((*it)[1]), std::stod((*it)[2]), std::stod((*it)[3]),
                     std::stod((*it)[4]), (*it)[5]});
  }
  return words;
}

const Word* Find(const std::vector<Word>& words, std::string_view text) {
  for (const Word& w : words) {
    if (w.text == text) return &w;
  }
  return nullptr;
}

// The words of the document's language (no digits: pdftotext orders the
// sections of a mixed line its own way), for every language.
TEST(I18nPdfTest, LabelsInEveryLanguageAndNoEnglishLeft) {
  StoredReport s = SpecExample();
  s.report.sections.push_back({"Empty", 10, {}});
  for (Language l : domain::kLanguages) {
    const i18n::Catalogue& t = i18n::CatalogueOf(l);
    std::string tag(domain::LanguageTag(l));
    std::string text = Text(Pdf(s, In(l)));
    for (const char* key :
         {"report.kind", "score.overall", "sections.heading", "skills.heading", "skills.empty",
          "footer.confidential", "detail.email", "detail.candidate_id", "detail.assessment_id",
          "detail.started", "detail.completed", "detail.duration", "proctoring.label"}) {
      // pdftotext sets a colon between Arabic and a neutral run apart.
      if (l == Language::kAr && std::string_view(key) == "proctoring.label") continue;
      EXPECT_NE(text.find(AsExtracted(t.Format(key))), std::string::npos)
          << tag << " " << key << "\n"
          << text;
    }
    // The verdict's words (it may wrap in its pill).
    std::istringstream verdict(AsExtracted(t.Format("verdict.above")));
    for (std::string word; verdict >> word;) {
      EXPECT_NE(text.find(word), std::string::npos) << tag << " verdict: " << word;
    }
    if (l == Language::kEn) continue;
    for (const char* english : {"CANDIDATE ASSESSMENT REPORT",
                                "OVERALL SCORE",
                                "Section scores",
                                "Skill-wise scores",
                                "No skill-wise scores.",
                                "Confidential",
                                "Email",
                                "Candidate ID",
                                "Assessment ID",
                                "Started",
                                "Completed",
                                "Duration",
                                "Proctoring",
                                "Cut-off",
                                "Margin",
                                "Passed",
                                "Generated",
                                "Report ID",
                                "Page 1 of 1",
                                "July",
                                "switched away"}) {
      EXPECT_EQ(text.find(english), std::string::npos) << tag << ": " << english;
    }
  }
}

TEST(I18nPdfTest, NumbersDatesAndFootersInTheLanguagesFormat) {
  std::string de = Text(Pdf(SpecExample(), In(Language::kDe)));
  for (const char* want : {"72,5\u00a0%", "Bestehensgrenze: 60\u00a0%", "Abstand: +12,5 Punkte",
                           "9. Juli 2025, 06:02 UTC", "56 Min. 29 Sek.", "Seite 1 von 1",
                           "Bericht-ID 318", "Erstellt am 9. Juli 2025, 07:00 UTC", "25\u00a0%"}) {
    EXPECT_NE(de.find(AsExtracted(want)), std::string::npos) << want << "\n" << de;
  }
  EXPECT_EQ(de.find("72.5"), std::string::npos);
  std::string fr = Text(Pdf(SpecExample(), In(Language::kFr)));
  for (const char* want : {"72,5\u202f%", "9 juillet 2025 à 06:02 UTC", "Page 1 sur 1"}) {
    EXPECT_NE(fr.find(AsExtracted(want)), std::string::npos) << want << "\n" << fr;
  }
  std::string hi = Text(Pdf(SpecExample(), In(Language::kHi)));
  for (const char* want : {"72.5%", "9 जुलाई 2025, 06:02 UTC", "पृष्ठ 1 / 1"}) {
    EXPECT_NE(hi.find(Nfc(want)), std::string::npos) << want << "\n" << hi;
  }
  // Arabic: Arabic-Indic digits; the ASCII figures are gone.
  std::string ar = Text(Pdf(SpecExample(), In(Language::kAr)));
  for (const char* want : {"٧٢٫٥", "٦٠", "٢٥", "يوليو", "الصفحة"}) {
    EXPECT_NE(ar.find(want), std::string::npos) << want << "\n" << ar;
  }
  EXPECT_EQ(ar.find("72.5"), std::string::npos);
  EXPECT_EQ(ar.find("25%"), std::string::npos);
}

TEST(I18nPdfTest, MetadataAndOutlineInTheLanguage) {
  std::string pdf = Pdf(ManySections(3, 2), In(Language::kAr));
  EXPECT_NE(PdfInfo(pdf).find("تقرير التقييم — Priya Raman"), std::string::npos) << PdfInfo(pdf);
  EXPECT_NE(PdfInfo(Pdf(SpecExample(), In(Language::kDe))).find("Bewertungsbericht – Priya Raman"),
            std::string::npos);
  TempPdf file(pdf);
  std::string json = RunCommand("qpdf --json --json-key=outlines " + file.path() + " 2>&1");
  EXPECT_NE(json.find("\"title\": \"الدرجات حسب القسم\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"title\": \"الدرجات حسب المهارة\""), std::string::npos) << json;
}

TEST(I18nPdfTest, SameLanguageSameBytes) {
  for (Language l : {Language::kAr, Language::kHi, Language::kFr}) {
    std::string a = Pdf(ManySections(6, 4), In(l));
    EXPECT_EQ(a, Pdf(ManySections(6, 4), In(l)));
    EXPECT_NE(a, Pdf(ManySections(6, 4), In(Language::kEn)));
  }
}

TEST(I18nPdfTest, QpdfCheckAndFontsInRightToLeftWithWatermark) {
  StoredReport s = ManySections(40, 10);
  s.report.name = "ليلى حداد";
  std::string pdf = Pdf(s, Watermarked(Language::kAr));
  TempPdf file(pdf);
  int code = -1;
  std::string out = RunCommand("qpdf --check " + file.path() + " 2>&1", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out.find("WARNING"), std::string::npos) << out;
  std::string fonts = RunCommand("pdffonts " + file.path() + " 2>&1");
  EXPECT_NE(fonts.find("NotoSansArabic"), std::string::npos) << fonts;
  EXPECT_EQ(fonts.find("DejaVu"), std::string::npos) << fonts;
  EXPECT_EQ(fonts.find("Type 3"), std::string::npos) << fonts;
  EXPECT_NE(Text(pdf).find("ليلى حداد"), std::string::npos);
}

// In ar the page is mirrored: what sits at the left margin in en sits at the
// right one, and the other way round (pdftotext -bbox, page 1).
TEST(RtlPdfTest, LayoutIsMirrored) {
  constexpr double kLeft = 48, kRight = 595.276 - 48;
  StoredReport s = SpecExample();
  s.report.sections = {{"Python", 80, {{"Concurrency", 90}}}};
  std::vector<Word> en = Words(Pdf(s, In(Language::kEn)));
  std::vector<Word> ar = Words(Pdf(s, In(Language::kAr)));
  ASSERT_FALSE(en.empty());
  ASSERT_FALSE(ar.empty());

  // The company (data, left to right) starts at the left margin in en and
  // ends at the right one in ar; so does the candidate's name.
  for (const char* data : {"Acme", "Priya"}) {
    ASSERT_NE(Find(en, data), nullptr) << data;
    EXPECT_NEAR(Find(en, data)->x_min, kLeft, 1.5) << data;
  }
  ASSERT_NE(Find(ar, "Talent"), nullptr);
  EXPECT_NEAR(Find(ar, "Talent")->x_max, kRight, 1.5);
  ASSERT_NE(Find(ar, "Raman"), nullptr);
  EXPECT_NEAR(Find(ar, "Raman")->x_max, kRight, 1.5);

  // The email (a value of the right-hand details column in ar) sits in the
  // right half, ending where the label column starts; in en in the left half.
  ASSERT_NE(Find(en, "priya@example.com"), nullptr);
  ASSERT_NE(Find(ar, "priya@example.com"), nullptr);
  EXPECT_LT(Find(en, "priya@example.com")->x_max, 595.276 / 2);
  EXPECT_GT(Find(ar, "priya@example.com")->x_min, 595.276 / 2);
  EXPECT_NEAR(Find(ar, "priya@example.com")->x_max, kRight - 92, 1.5);

  // The chart: the section's label right of the bars in ar (left in en), the
  // skill's name at the right margin (left in en) with its score at the left.
  std::vector<const Word*> en_python, ar_python;
  for (const Word& w : en) {
    if (w.text == "Python") en_python.push_back(&w);
  }
  for (const Word& w : ar) {
    if (w.text == "Python") ar_python.push_back(&w);
  }
  ASSERT_EQ(en_python.size(), 2u);  // the chart row and the table header
  ASSERT_EQ(ar_python.size(), 2u);
  EXPECT_NEAR(en_python[0]->x_max, kLeft + 150, 1.5);   // right-aligned label
  EXPECT_NEAR(ar_python[0]->x_min, kRight - 150, 1.5);  // mirrored: left-aligned
  EXPECT_NEAR(en_python[1]->x_min, kLeft + 8, 1.5);
  EXPECT_NEAR(ar_python[1]->x_max, kRight - 8, 1.5);
  ASSERT_NE(Find(en, "Concurrency"), nullptr);
  ASSERT_NE(Find(ar, "Concurrency"), nullptr);
  EXPECT_NEAR(Find(en, "Concurrency")->x_min, kLeft + 8, 1.5);
  EXPECT_NEAR(Find(ar, "Concurrency")->x_max, kRight - 8, 1.5);
  ASSERT_NE(Find(en, "90%"), nullptr);
  EXPECT_NEAR(Find(en, "90%")->x_max, kRight - 8, 1.5);

  // The labels, in Arabic, mirrored too. The report's kind ends the first
  // line at the right margin in en and starts it at the left one in ar; the
  // first detail label starts at the left margin in en and ends at the
  // right one in ar. (pdftotext -bbox gives an Arabic word letter by letter.)
  auto arabic_extent = [&ar](double y_from, double y_to, double x_from = 0) {
    std::pair<double, double> extent{1e9, 0};
    for (const Word& w : ar) {
      if (w.y_min < y_from || w.y_min > y_to || w.x_min < x_from) continue;
      if (i18n::FirstStrongDirection(w.text) != i18n::Direction::kRightToLeft) continue;
      extent.first = std::min(extent.first, w.x_min);
      extent.second = std::max(extent.second, w.x_max);
    }
    return extent;
  };
  ASSERT_NE(Find(en, "REPORT"), nullptr);
  EXPECT_NEAR(Find(en, "REPORT")->x_max, kRight, 1.5);
  auto kind = arabic_extent(0, Find(ar, "Talent")->y_min + 5);
  EXPECT_NEAR(kind.first, kLeft, 1.5);
  EXPECT_LT(kind.second, 595.276 / 2);
  ASSERT_NE(Find(en, "Email"), nullptr);
  EXPECT_NEAR(Find(en, "Email")->x_min, kLeft, 1.5);
  const Word* email = Find(ar, "priya@example.com");
  // (the right-hand column: the candidate's details)
  auto label = arabic_extent(email->y_min - 5, email->y_max, 595.276 / 2);
  EXPECT_NEAR(label.second, kRight, 1.5);
  EXPECT_GT(label.first, email->x_max);  // the label right of its value

  // The footer: "Page 1 of 1" at the right in en; in ar the page number at
  // the left margin and the report id in the right half.
  const Word* page_en = Find(en, "Page");
  ASSERT_NE(page_en, nullptr);
  EXPECT_GT(page_en->x_min, 595.276 / 2);
  double footer_leftmost = 1e9, report_id_x = 0;
  for (const Word& w : ar) {
    if (w.y_min > 790) footer_leftmost = std::min(footer_leftmost, w.x_min);
    if (w.y_min > 790 && w.text == "318") report_id_x = w.x_max;
  }
  EXPECT_NEAR(footer_leftmost, kLeft, 1.5);
  EXPECT_GT(report_id_x, 595.276 / 2);
}

// The watermark: on every page of a long report, as extractable text, in the
// document's language; drawn over the content, which still extracts whole.
TEST(WatermarkPdfTest, OnEveryPage) {
  StoredReport big = ManySections(40, 10);
  struct Case {
    Language language;
    std::string text;
  };
  for (const Case& c :
       {Case{Language::kEn,
             "hm@acme.example · Gk3aBcDeFgHiJkLmNoPqRs · 2 December 2026, 07:15 UTC"},
        Case{Language::kDe,
             "hm@acme.example · Gk3aBcDeFgHiJkLmNoPqRs · 2. Dezember 2026, 07:15 UTC"}}) {
    std::string pdf = Pdf(big, Watermarked(c.language));
    std::vector<std::string> pages = PageTexts(pdf);
    ASSERT_GE(pages.size(), 5u);
    for (size_t p = 0; p < pages.size(); ++p) {
      EXPECT_NE(pages[p].find(c.text), std::string::npos)
          << domain::LanguageTag(c.language) << " page " << p + 1 << "\n"
          << pages[p];
    }
    // The content is all there under it.
    std::string all = Text(pdf);
    for (const Section& sec : big.report.sections) {
      EXPECT_NE(all.find(sec.section + "\n"), std::string::npos) << sec.section;
      for (const SkillScore& k : sec.skill_wise_score) {
        EXPECT_NE(all.find(k.skill + "\n"), std::string::npos) << k.skill;
      }
    }
  }
  // In Arabic its words come out whole (pdftotext orders the runs of a
  // mixed line its own way), on every page; without a recipient it says
  // "رابط مشترك" (Shared link).
  Watermark anonymous = kWatermark;
  anonymous.recipient.clear();
  std::vector<std::string> ar = PageTexts(Pdf(big, Watermarked(Language::kAr, anonymous)));
  ASSERT_GE(ar.size(), 5u);
  for (size_t p = 0; p < ar.size(); ++p) {
    for (const char* want : {"Gk3aBcDeFgHiJkLmNoPqRs", "ديسمبر", "رابط مشترك", "٠٧:١٥"}) {
      EXPECT_NE(ar[p].find(want), std::string::npos) << "ar page " << p + 1 << ": " << want;
    }
  }
  // No watermark without the option.
  EXPECT_EQ(Text(Pdf(big, In(Language::kEn))).find("Gk3aBcDeFgHiJkLmNoPqRs"), std::string::npos);
}

TEST(WatermarkPdfTest, SameViewSameBytes) {
  StoredReport s = ManySections(6, 4);
  std::string a = Pdf(s, Watermarked(Language::kEn));
  EXPECT_EQ(a, Pdf(s, Watermarked(Language::kEn)));
  Watermark later = kWatermark;
  later.viewed_at = At("2026-12-02T07:16:00Z");
  EXPECT_NE(a, Pdf(s, Watermarked(Language::kEn, later)));
  EXPECT_NE(a, Pdf(s, In(Language::kEn)));
  std::string ar = Pdf(s, Watermarked(Language::kAr));
  EXPECT_EQ(ar, Pdf(s, Watermarked(Language::kAr)));
}

TEST(WatermarkPdfTest, RecipientIsLiteralText) {
  Watermark w = kWatermark;
  w.recipient = "<script>alert(1)</script> & \"Co\" (x) \\y";
  std::string text = Text(Pdf(SpecExample(), Watermarked(Language::kEn, w)));
  EXPECT_NE(text.find("<script>alert(1)</script> & \"Co\" (x) \\y · Gk3aBcDeFgHiJkLmNoPqRs"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("&amp;"), std::string::npos);
}

// A long recipient (SPEC §5 allows 200 characters) wraps and stays on the page.
TEST(WatermarkPdfTest, LongRecipientStaysOnThePage) {
  Watermark w = kWatermark;
  w.recipient = std::string(120, 'r') + " " + std::string(79, 's');
  std::string pdf = Pdf(SpecExample(), Watermarked(Language::kEn, w));
  std::string text = Text(pdf);
  EXPECT_NE(text.find(std::string(120, 'r')), std::string::npos);
  for (const Word& word : Words(pdf)) {
    EXPECT_GE(word.x_min, 0) << word.text;
    EXPECT_GE(word.y_min, 0) << word.text;
    EXPECT_LE(word.x_max, 595.3) << word.text;
    EXPECT_LE(word.y_max, 841.9) << word.text;
  }
}

// An anonymized report (no email, candidate id or registration fields)
// renders without empty rows, watermarked, in every language.
TEST(WatermarkPdfTest, AnonymizedReport) {
  const StoredReport s = domain::Anonymize(SpecExample(), "Candidate 7KQ2ZP");
  for (Language l : domain::kLanguages) {
    std::string text = Text(Pdf(s, Watermarked(l)));
    EXPECT_NE(text.find("Candidate 7KQ2ZP"), std::string::npos);
    EXPECT_NE(text.find("Gk3aBcDeFgHiJkLmNoPqRs"), std::string::npos);
    EXPECT_EQ(text.find("5012"), std::string::npos);
    EXPECT_EQ(text.find("priya"), std::string::npos);
    EXPECT_EQ(text.find(i18n::CatalogueOf(l).Format("detail.email")), std::string::npos);
  }
}

}  // namespace
}  // namespace reportshare::render::pdf
