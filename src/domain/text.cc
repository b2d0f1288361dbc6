#include "domain/text.h"

#include <string>

#include "core/utf8.h"

namespace reportshare::domain {
namespace {

using core::kInvalidCodePoint;
using core::NextCodePoint;

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
    if (cp == kInvalidCodePoint) return Status::InvalidArgument(rule + "; it is not valid UTF-8");
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
    if (cp == kInvalidCodePoint)
      return Status::InvalidArgument(std::string(field) + " is not valid UTF-8");
    if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || (cp >= 0x7f && cp <= 0x9f)) {
      return Status::InvalidArgument(std::string(field) +
                                     " must not hold a control character (other than tab or "
                                     "line break)");
    }
  }
  return Status::Ok();
}

}  // namespace reportshare::domain
