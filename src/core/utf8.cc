#include "core/utf8.h"

namespace reportshare::core {

char32_t NextCodePoint(std::string_view s, size_t& i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i++);
  if (c < 0x80) return c;
  int extra = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 0;
  if (extra == 0 || i + extra > s.size()) return kInvalidCodePoint;
  char32_t cp = c & (0x3f >> extra);
  for (int k = 0; k < extra; ++k) {
    unsigned char next = byte(i++);
    if ((next & 0xc0) != 0x80) return kInvalidCodePoint;
    cp = (cp << 6) | (next & 0x3f);
  }
  static constexpr char32_t kSmallest[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kSmallest[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
    return kInvalidCodePoint;
  }
  return cp;
}

std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t start = i;
    if (NextCodePoint(text, i) == kInvalidCodePoint) {
      out.append("\xEF\xBF\xBD");
      i = start + 1;  // resynchronize on the next byte
    } else {
      out.append(text.substr(start, i - start));
    }
  }
  return out;
}

}  // namespace reportshare::core
