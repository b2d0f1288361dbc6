#include "render/i18n/bidi.h"

#include <cstdint>

namespace reportshare::render::i18n {
namespace {

Direction Classify(uint32_t c) {
  if ((c >= 0x0590 && c <= 0x08FF) || (c >= 0xFB1D && c <= 0xFDFF) ||
      (c >= 0xFE70 && c <= 0xFEFF) || (c >= 0x10800 && c <= 0x10FFF) ||
      (c >= 0x1E800 && c <= 0x1EFFF)) {
    return Direction::kRightToLeft;
  }
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
      (c >= 0x00C0 && c <= 0x02AF && c != 0x00D7 && c != 0x00F7) || (c >= 0x0370 && c <= 0x058F) ||
      (c >= 0x0900 && c <= 0x1FFF) || (c >= 0x2C00 && c <= 0x2DFF) ||
      (c >= 0x3040 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7AF) ||
      (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3FFFF)) {
    return Direction::kLeftToRight;
  }
  return Direction::kNeutral;
}

}  // namespace

Direction FirstStrongDirection(std::string_view utf8) {
  for (size_t k = 0; k < utf8.size();) {
    unsigned char lead = static_cast<unsigned char>(utf8[k]);
    uint32_t c = lead;
    size_t len = 1;
    if (lead >= 0xF0) {
      c = lead & 0x07u;
      len = 4;
    } else if (lead >= 0xE0) {
      c = lead & 0x0Fu;
      len = 3;
    } else if (lead >= 0xC0) {
      c = lead & 0x1Fu;
      len = 2;
    } else if (lead >= 0x80) {
      return Direction::kNeutral;  // a stray continuation byte
    }
    if (k + len > utf8.size()) return Direction::kNeutral;
    for (size_t j = 1; j < len; ++j) {
      c = (c << 6) | (static_cast<unsigned char>(utf8[k + j]) & 0x3Fu);
    }
    Direction d = Classify(c);
    if (d != Direction::kNeutral) return d;
    k += len;
  }
  return Direction::kNeutral;
}

}  // namespace reportshare::render::i18n
