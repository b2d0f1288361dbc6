// Fuzz target `html`: the report page (render/html/html_page.h through
// ReportRenderer::RenderHtml) of a valid report whose every string comes
// from the input (fuzz_report.h). No input string may open a tag or an
// attribute: the page is read into its skeleton (tag names and attribute
// names in order, text and attribute values left out), which must equal the
// skeleton of the same report with every string replaced by a neutral one
// ("x", or an Arabic letter for a string that starts right to left, since a
// right-to-left page isolates the others in <bdi>; empty stays empty). And
// the page is well formed: tags balanced, attribute values double-quoted,
// no raw '<' or '>' in text or '<', '>' in a value, every '&' an entity,
// and each report string shows, escaped, where it belongs.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_report.h"
#include "fuzz/fuzz_util.h"
#include "render/i18n/bidi.h"
#include "render/renderer.h"

namespace reportshare::fuzz {
namespace {

struct Skeleton {
  std::vector<std::string> items;  // "<tag attr attr", "</tag>"
  std::string error;               // empty: well formed
};

bool IsVoid(std::string_view tag) {
  return tag == "meta" || tag == "br" || tag == "img" || tag == "hr" || tag == "input" ||
         tag == "link";
}

bool NameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }

// The length of the character reference at `s` (which starts with '&'), or 0.
size_t EntityLength(std::string_view s) {
  size_t i = 1;
  if (i < s.size() && s[i] == '#') {
    ++i;
    const size_t digits = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == digits) return 0;
  } else {
    const size_t letters = i;
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    if (i == letters) return 0;
  }
  return i < s.size() && s[i] == ';' ? i + 1 : 0;
}

Skeleton Read(std::string_view html) {
  Skeleton out;
  std::vector<std::string> open;
  auto fail = [&](std::string what, size_t at) {
    const size_t from = at < 40 ? 0 : at - 40;
    out.error =
        what + " at byte " + std::to_string(at) + ": …" + std::string(html.substr(from, 80)) + "…";
    return out;
  };
  size_t i = 0;
  while (i < html.size()) {
    const char c = html[i];
    if (c == '&') {
      const size_t n = EntityLength(html.substr(i));
      if (n == 0) return fail("a bare '&'", i);
      i += n;
      continue;
    }
    if (c == '>') return fail("a raw '>' in text", i);
    if (c != '<') {
      ++i;
      continue;
    }
    std::string_view rest = html.substr(i);
    if (rest.starts_with("<!DOCTYPE html>")) {
      out.items.push_back("<!DOCTYPE html>");
      i += 15;
      continue;
    }
    if (rest.starts_with("</")) {
      size_t j = 2;
      while (j < rest.size() && NameChar(rest[j])) ++j;
      const std::string name(rest.substr(2, j - 2));
      if (name.empty() || j >= rest.size() || rest[j] != '>') return fail("a broken end tag", i);
      if (open.empty() || open.back() != name) return fail("</" + name + "> closes nothing", i);
      open.pop_back();
      out.items.push_back("</" + name + ">");
      i += j + 1;
      continue;
    }
    if (rest.size() < 2 || !std::isalpha(static_cast<unsigned char>(rest[1]))) {
      return fail("a raw '<' in text", i);
    }
    size_t j = 1;
    while (j < rest.size() && NameChar(rest[j])) ++j;
    const std::string name(rest.substr(1, j - 1));
    std::string item = "<" + name;
    bool self_closing = false;
    while (true) {
      while (j < rest.size() && rest[j] == ' ') ++j;
      if (j >= rest.size()) return fail("an unterminated tag", i);
      if (rest[j] == '>') {
        ++j;
        break;
      }
      if (rest.substr(j).starts_with("/>")) {
        self_closing = true;
        j += 2;
        break;
      }
      const size_t name_start = j;
      while (j < rest.size() && NameChar(rest[j])) ++j;
      if (j == name_start) return fail("a stray character in a tag", i + j);
      item += " " + std::string(rest.substr(name_start, j - name_start));
      if (j < rest.size() && rest[j] == '=') {
        if (j + 1 >= rest.size() || rest[j + 1] != '"') return fail("an unquoted value", i + j);
        const size_t close = rest.find('"', j + 2);
        if (close == std::string_view::npos) return fail("an unterminated value", i + j);
        const std::string_view value = rest.substr(j + 2, close - j - 2);
        for (size_t k = 0; k < value.size(); ++k) {
          if (value[k] == '<' || value[k] == '>') return fail("a raw '<' or '>' in a value", i + j);
          if (value[k] == '&') {
            const size_t n = EntityLength(value.substr(k));
            if (n == 0) return fail("a bare '&' in a value", i + j + 2 + k);
            k += n - 1;
          }
        }
        j = close + 1;
        // A value is followed by a space or the end of the tag: a '"' inside
        // it would have ended it early and left the rest of it here.
        if (j < rest.size() && rest[j] != ' ' && rest[j] != '>' && rest[j] != '/') {
          return fail("a value that goes on after its quote", i + j);
        }
      }
    }
    out.items.push_back(item);
    i += j;
    if (name == "style") {
      // Raw text (the page's own CSS: no report string goes there).
      const size_t end = html.find("</style>", i);
      if (end == std::string_view::npos) return fail("an unclosed <style>", i);
      i = end;
    }
    if (!self_closing && !IsVoid(name)) open.push_back(name);
  }
  if (!open.empty()) return fail("<" + open.back() + "> is never closed", html.size());
  return out;
}

std::string Neutral(const std::string& s) {
  if (s.empty()) return s;
  return render::i18n::FirstStrongDirection(s) == render::i18n::Direction::kRightToLeft ? "\u0634"
                                                                                        : "x";
}

}  // namespace
}  // namespace reportshare::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace reportshare;
  using namespace reportshare::fuzz;
  static const std::unique_ptr<render::ReportRenderer> renderer = render::MakeBasicRenderer();
  const std::string_view input = AsText(data, size);

  const FuzzDocument doc = MakeFuzzDocument(input, [](const std::string& s) { return s; });
  FUZZ_CHECK(AcceptedAsJson(doc.report.report), "the harness made an invalid report");
  const FuzzDocument neutral = MakeFuzzDocument(input, Neutral);

  const std::string page = renderer->RenderHtml(doc.report, kGeneratedAt, doc.options);
  const std::string plain = renderer->RenderHtml(neutral.report, kGeneratedAt, neutral.options);
  const Skeleton got = Read(page);
  const Skeleton want = Read(plain);
  FUZZ_CHECK(want.error.empty(), "the neutral page is not well formed: " + want.error);
  FUZZ_CHECK(got.error.empty(), "the page is not well formed: " + got.error);
  if (got.items != want.items) {
    size_t k = 0;
    while (k < got.items.size() && k < want.items.size() && got.items[k] == want.items[k]) ++k;
    FUZZ_CHECK(got.items == want.items, "an input string changed the page's tags, from tag " +
                                            std::to_string(k) + ": " +
                                            (k < got.items.size() ? got.items[k] : "(end)") +
                                            " where the neutral page has " +
                                            (k < want.items.size() ? want.items[k] : "(end)"));
  }

  // Intact: each of the report's strings is on the page, escaped.
  const Report& r = doc.report.report;
  FUZZ_CHECK(page.find(render::EscapeHtml(r.name)) != std::string::npos, "the name is missing");
  for (const Section& s : r.sections) {
    FUZZ_CHECK(page.find(render::EscapeHtml(s.section)) != std::string::npos, "a section missing");
    for (const SkillScore& k : s.skill_wise_score) {
      FUZZ_CHECK(page.find(render::EscapeHtml(k.skill)) != std::string::npos, "a skill missing");
    }
  }
  for (const RegistrationField& f : r.registration_fields) {
    FUZZ_CHECK(page.find(render::EscapeHtml(f.label)) != std::string::npos, "a label missing");
    FUZZ_CHECK(page.find(render::EscapeHtml(f.value)) != std::string::npos, "a value missing");
  }
  return 0;
}
