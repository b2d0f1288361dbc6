#include "domain/text.h"

#include <string>

namespace reportshare::domain {
namespace {

constexpr char32_t kInvalid = 0xffffffff;

// Decodes one UTF-8 code point at `i` and advances `i`; kInvalid for a
// malformed sequence (a stray continuation byte, a cut sequence, an overlong
// form, a surrogate, beyond U+10FFFF), as RFC 3629 defines UTF-8.
char32_t NextCodePoint(std::string_view s, size_t& i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i++);
  if (c < 0x80) return c;
  int extra = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 0;
  if (extra == 0 || i + extra > s.size()) return kInvalid;
  char32_t cp = c & (0x3f >> extra);
  for (int k = 0; k < extra; ++k) {
    unsigned char next = byte(i++);
    if ((next & 0xc0) != 0x80) return kInvalid;
    cp = (cp << 6) | (next & 0x3f);
  }
  static constexpr char32_t kSmallest[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kSmallest[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return kInvalid;
  return cp;
}

bool IsForbiddenInText(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

Status CheckPlainText(std::string_view text, std::string_view field, size_t min_chars,
                      size_t max_chars) {
  const std::string rule =
      std::string(field) + " must be a string of " +
      (min_chars == 0 ? "at most " + std::to_string(max_chars)
                      : std::to_string(min_chars) + " to " + std::to_string(max_chars)) +
      " characters without control characters";
  size_t chars = 0;
  for (size_t i = 0; i < text.size();) {
    char32_t cp = NextCodePoint(text, i);
    if (cp == kInvalid) return Status::InvalidArgument(rule + "; it is not valid UTF-8");
    if (IsForbiddenInText(cp)) {
      return Status::InvalidArgument(rule + "; it holds a control character");
    }
    ++chars;
  }
  if (chars < min_chars || chars > max_chars) {
    return Status::InvalidArgument(rule + "; it has " + std::to_string(chars));
  }
  return Status::Ok();
}

Status CheckNoControlCharacters(std::string_view text, std::string_view field) {
  for (size_t i = 0; i < text.size();) {
    char32_t cp = NextCodePoint(text, i);
    if (cp == kInvalid) return Status::InvalidArgument(std::string(field) + " is not valid UTF-8");
    if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || (cp >= 0x7f && cp <= 0x9f)) {
      return Status::InvalidArgument(std::string(field) +
                                     " must not hold a control character (other than tab or "
                                     "line break)");
    }
  }
  return Status::Ok();
}

}  // namespace reportshare::domain
