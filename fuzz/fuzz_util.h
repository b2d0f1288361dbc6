#pragma once

// What every fuzz target shares: the property check that fails loudly (an
// abort, which libFuzzer reports as a crash and saves the input, and which
// fails a replay test), and a reader that cuts the fuzz input into the few
// fields a target needs. Plain C++, no libFuzzer header: the targets also
// build with gcc as replay binaries (fuzz/replay_main.cc).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace reportshare::fuzz {

// Prints what broke and aborts: a property of a target does not hold.
[[noreturn]] inline void Fail(const char* file, int line, const char* what,
                              std::string_view detail) {
  std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n", file, line, what);
  if (!detail.empty()) {
    std::fprintf(stderr, "  %.*s\n", static_cast<int>(detail.size()), detail.data());
  }
  std::fflush(stderr);
  std::abort();
}

// FUZZ_CHECK(cond) or FUZZ_CHECK(cond, std::string detail).
#define FUZZ_CHECK(cond, ...)                                              \
  do {                                                                     \
    if (!(cond)) {                                                         \
      ::reportshare::fuzz::Fail(__FILE__, __LINE__, #cond,                 \
                                ::reportshare::fuzz::Detail(__VA_ARGS__)); \
    }                                                                      \
  } while (false)

inline std::string_view Detail() { return {}; }
inline std::string_view Detail(std::string_view detail) { return detail; }

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The input as fields separated by the byte 0xFF, which never occurs in
// UTF-8: a seed stays a readable text file with \xff between its fields, and
// a field may hold any other byte (NUL and newlines included).
// `text` cut at every `sep` (n separators: n + 1 parts, empty ones kept).
inline std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t end = text.find(sep, start);
    out.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

inline std::vector<std::string_view> SplitFields(std::string_view input) {
  return Split(input, '\xff');
}

// `bytes` as valid UTF-8: every byte that does not start a well-formed
// sequence (overlong forms, surrogates and code points past U+10FFFF are
// not well formed) becomes U+FFFD. At most `max_bytes` bytes, cut at a
// character boundary.
inline std::string ValidUtf8(std::string_view bytes, size_t max_bytes) {
  std::string out;
  size_t i = 0;
  while (i < bytes.size()) {
    const auto b = [&](size_t k) { return static_cast<uint8_t>(bytes[i + k]); };
    const uint8_t c = b(0);
    size_t n = 0;
    if (c < 0x80) {
      n = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
    }
    bool ok = n > 0 && i + n <= bytes.size();
    for (size_t k = 1; ok && k < n; ++k) ok = (b(k) & 0xC0) == 0x80;
    if (ok && n == 3) {
      ok = !(c == 0xE0 && b(1) < 0xA0) && !(c == 0xED && b(1) > 0x9F);  // overlong, surrogate
    }
    if (ok && n == 4) {
      ok = !(c == 0xF0 && b(1) < 0x90) && !(c == 0xF4 && b(1) > 0x8F);  // overlong, > U+10FFFF
    }
    std::string_view piece = ok ? bytes.substr(i, n) : std::string_view("\xEF\xBF\xBD");
    if (out.size() + piece.size() > max_bytes) break;
    out.append(piece);
    i += ok ? n : 1;
  }
  return out;
}

// Reads small numbers off the front of a byte string, then 0 once it is used up.
class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}
  uint8_t Next() {
    if (at_ >= bytes_.size()) return 0;
    return static_cast<uint8_t>(bytes_[at_++]);
  }
  bool Bit() { return (Next() & 1) != 0; }
  // 0 … n-1.
  unsigned Below(unsigned n) { return n == 0 ? 0 : Next() % n; }

 private:
  std::string_view bytes_;
  size_t at_ = 0;
};

}  // namespace reportshare::fuzz
