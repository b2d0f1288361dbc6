#pragma once

#include <string_view>

namespace reportshare::render::i18n {

enum class Direction { kNeutral, kLeftToRight, kRightToLeft };

// The direction of the first strongly directional character of `utf8` (the
// rule of Unicode's bidi algorithm, P2, that `dir="auto"` also follows), or
// kNeutral when it has none ("+91 98450 00000", "5012"). A plain-C++
// approximation of the Bidi_Class property by script blocks: Hebrew, Arabic,
// Syriac, Thaana, N'Ko and their presentation forms are right to left;
// letters of the other scripts left to right; digits, punctuation, symbols
// and emoji neutral. Malformed UTF-8 counts as neutral.
Direction FirstStrongDirection(std::string_view utf8);

}  // namespace reportshare::render::i18n
