#pragma once

// A PDF's text and page count as poppler's command-line tools read them
// (pdftotext, pdfinfo), for the render tests. Header-only; needs glib (for
// NFC) and the poppler-utils on PATH.

#include <glib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace reportshare::test_support {

// Bytes written to a temporary file, removed when done.
class TempPdf {
 public:
  explicit TempPdf(const std::string& bytes) {
    char name[] = "/tmp/render_test_XXXXXX";
    int fd = mkstemp(name);
    if (fd < 0) std::abort();
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
  TempPdf(const TempPdf&) = delete;
  TempPdf& operator=(const TempPdf&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs `command`; returns its stdout and sets `exit_code`.
inline std::string RunCommand(const std::string& command, int* exit_code = nullptr) {
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

inline std::string Nfc(const std::string& text) {
  gchar* n = g_utf8_normalize(text.data(), static_cast<gssize>(text.size()), G_NORMALIZE_NFC);
  std::string out = n != nullptr ? n : "";
  g_free(n);
  return out;
}

// The text pdftotext extracts, NFC-normalised.
inline std::string ExtractText(const std::string& pdf) {
  TempPdf file(pdf);
  return Nfc(RunCommand("pdftotext -enc UTF-8 " + file.path() + " - 2>/dev/null"));
}

inline int PageCount(const std::string& pdf) {
  TempPdf file(pdf);
  std::string info = RunCommand("pdfinfo " + file.path() + " 2>/dev/null");
  std::smatch m;
  if (!std::regex_search(info, m, std::regex(R"(Pages:\s+(\d+))"))) return -1;
  return std::stoi(m[1]);
}

// pdftotext marks right-to-left runs with U+202A–U+202E (embeddings); they
// are not part of the text.
inline std::string WithoutBidiMarks(std::string text) {
  for (const char* mark : {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e"}) {
    for (size_t at = text.find(mark); at != std::string::npos; at = text.find(mark)) {
      text.erase(at, std::string_view(mark).size());
    }
  }
  return text;
}

// Each page's text, NFC-normalised, marks removed.
inline std::vector<std::string> PageTexts(const std::string& pdf) {
  TempPdf file(pdf);
  std::vector<std::string> pages;
  int count = PageCount(pdf);
  for (int p = 1; p <= count; ++p) {
    pages.push_back(WithoutBidiMarks(
        Nfc(RunCommand("pdftotext -enc UTF-8 -f " + std::to_string(p) + " -l " + std::to_string(p) +
                       " " + file.path() + " - 2>/dev/null"))));
  }
  return pages;
}

}  // namespace reportshare::test_support
