#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace reportshare::core {

// What NextCodePoint gives for a malformed sequence.
inline constexpr char32_t kInvalidCodePoint = 0xffffffff;

// Decodes the UTF-8 code point at `i` of `s` (REQUIRES: i < s.size()) and
// advances `i` past it; kInvalidCodePoint (advancing past what was looked
// at) for a malformed sequence: a stray continuation byte, a cut sequence,
// an overlong form, a surrogate, or beyond U+10FFFF, as RFC 3629 defines UTF-8.
char32_t NextCodePoint(std::string_view s, size_t& i);

// `text` with each malformed sequence replaced by U+FFFD, one per byte that
// starts one.
std::string ValidUtf8(std::string_view text);

}  // namespace reportshare::core
