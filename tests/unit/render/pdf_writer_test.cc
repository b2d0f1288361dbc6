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

#include "render/renderer.h"
#include "support/sample_reports.h"

namespace reportshare::render::pdf {
namespace {

using test_support::At;
using test_support::ManySections;
using test_support::SpecExample;

const Instant kGenerated = At("2025-07-09T07:00:00Z");

std::string Pdf(const StoredReport& s, Instant generated_at = kGenerated) {
  Result<std::string> pdf = MakeBasicRenderer()->RenderPdf(s, generated_at, {});
  EXPECT_TRUE(pdf.has_value());
  return pdf.has_value() ? *pdf : std::string();
}

// A PDF written to a temporary file, removed when done.
class TempPdf {
 public:
  explicit TempPdf(const std::string& bytes) {
    char name[] = "/tmp/render_test_XXXXXX";
    int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    path_ = name;
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    close(fd);
  }
  ~TempPdf() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs `command`; returns its stdout and sets `exit_code`.
std::string RunCommand(const std::string& command, int* exit_code = nullptr) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  int status = pclose(pipe);
  if (exit_code != nullptr) *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string Nfc(const std::string& text) {
  gchar* n = g_utf8_normalize(text.data(), static_cast<gssize>(text.size()), G_NORMALIZE_NFC);
  std::string out = n != nullptr ? n : "";
  g_free(n);
  return out;
}

// The text pdftotext extracts, NFC-normalised.
std::string ExtractText(const std::string& pdf) {
  TempPdf file(pdf);
  return Nfc(RunCommand("pdftotext -enc UTF-8 " + file.path() + " - 2>/dev/null"));
}

int PageCount(const std::string& pdf) {
  TempPdf file(pdf);
  std::string info = RunCommand("pdfinfo " + file.path() + " 2>/dev/null");
  std::smatch m;
  if (!std::regex_search(info, m, std::regex(R"(Pages:\s+(\d+))"))) return -1;
  return std::stoi(m[1]);
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

}  // namespace
}  // namespace reportshare::render::pdf
