#pragma once

// PNGs made in the tests (logos, and inputs for render::DecodePng): written
// with libpng, plus the chunk-level tools to take one apart, patch it and
// fix its CRCs. Header-only; needs libpng (render_tests and service_tests
// have it through rs_render). Shared by tests/unit/render and
// tests/unit/http/api_test.cc: keep MakePng, PngFromRgba and WithIhdrSize.

#include <png.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "domain/branding.h"

namespace reportshare::test_support {

// CRC-32 as PNG (and zlib) compute it: reflected, polynomial 0xEDB88320.
inline uint32_t Crc32(std::string_view bytes) {
  uint32_t crc = 0xffffffffu;
  for (char c : bytes) {
    crc ^= static_cast<uint8_t>(c);
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

inline void AppendBigEndian32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

inline uint32_t ReadBigEndian32(std::string_view bytes, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<uint8_t>(bytes[at + i]);
  return v;
}

inline constexpr std::string_view kPngSignature{"\x89PNG\r\n\x1a\n", 8};

// One chunk: its length, type and data, and its CRC (over type and data).
inline std::string PngChunk(std::string_view type, std::string_view data) {
  std::string out;
  AppendBigEndian32(out, static_cast<uint32_t>(data.size()));
  std::string body(type);
  body.append(data);
  out += body;
  AppendBigEndian32(out, Crc32(body));
  return out;
}

// Where a chunk lies in a PNG: `offset` is that of its length field.
struct ChunkAt {
  size_t offset = 0;
  uint32_t length = 0;
  std::string type;
  size_t data() const { return offset + 8; }
  size_t crc() const { return offset + 8 + length; }
};

// The chunks of `png` after its signature, up to the first that does not fit.
inline std::vector<ChunkAt> PngChunks(std::string_view png) {
  std::vector<ChunkAt> chunks;
  size_t at = kPngSignature.size();
  while (at + 12 <= png.size()) {
    ChunkAt c;
    c.offset = at;
    c.length = ReadBigEndian32(png, at);
    if (c.length > png.size() - at - 12) break;
    c.type = std::string(png.substr(at + 4, 4));
    chunks.push_back(c);
    at = c.crc() + 4;
  }
  return chunks;
}

// The first chunk of `type` (the test fails on a missing one: offset 0).
inline ChunkAt FindChunk(std::string_view png, std::string_view type) {
  for (const ChunkAt& c : PngChunks(png)) {
    if (c.type == type) return c;
  }
  return {};
}

// Recomputes the CRC of every whole chunk of `png` (after a patch).
inline void FixPngCrcs(std::string& png) {
  for (const ChunkAt& c : PngChunks(png)) {
    uint32_t crc = Crc32(std::string_view(png).substr(c.offset + 4, 4 + c.length));
    std::string bytes;
    AppendBigEndian32(bytes, crc);
    png.replace(c.crc(), 4, bytes);
  }
}

// `png` with the width and height of its IHDR set to these, its CRC right:
// the file then claims a size its data does not have.
inline std::string WithIhdrSize(std::string png, uint32_t width, uint32_t height) {
  ChunkAt ihdr = FindChunk(png, "IHDR");
  std::string size;
  AppendBigEndian32(size, width);
  AppendBigEndian32(size, height);
  png.replace(ihdr.data(), 8, size);
  FixPngCrcs(png);
  return png;
}

// RGBA bytes of a w×h test pattern: every pixel differs from its neighbours
// in every channel, so a swapped channel, a flipped or shifted row shows.
// `alpha` 255 gives an opaque image; otherwise alpha runs along x through
// 0, `alpha` and 255.
inline std::string PatternRgba(int width, int height, int alpha = 255) {
  std::string rgba;
  rgba.reserve(static_cast<size_t>(width) * static_cast<size_t>(height) * 4);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      rgba.push_back(static_cast<char>((x * 37 + y * 3 + 20) & 0xff));
      rgba.push_back(static_cast<char>((y * 53 + x + 90) & 0xff));
      rgba.push_back(static_cast<char>((x * 11 + y * 29 + 160) & 0xff));
      rgba.push_back(static_cast<char>(alpha == 255 ? 255
                                       : x % 3 == 0 ? 0
                                       : x % 3 == 1 ? alpha
                                                    : 255));
    }
  }
  return rgba;
}

// A PNG of `rgba` (8-bit RGBA, width × height) written by libpng's
// simplified API (it adds an sRGB chunk); empty if libpng refuses.
inline std::string PngFromRgba(int width, int height, std::string_view rgba) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = PNG_FORMAT_RGBA;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&image, nullptr, &size, 0, rgba.data(), 0, nullptr)) return {};
  std::string out(size, '\0');
  if (!png_image_write_to_memory(&image, out.data(), &size, 0, rgba.data(), 0, nullptr)) return {};
  out.resize(size);
  return out;
}

// A PNG of the test pattern (PatternRgba).
inline std::string MakePng(int width, int height, int alpha = 255) {
  return PngFromRgba(width, height, PatternRgba(width, height, alpha));
}

// What libpng's full write API is given for WritePng.
struct RawPng {
  int width = 0;
  int height = 0;
  int color_type = PNG_COLOR_TYPE_RGB;
  int bit_depth = 8;
  bool interlaced = false;         // Adam7
  std::vector<std::string> rows;   // packed samples as stored (16-bit big-endian)
  std::vector<png_color> palette;  // PLTE
  std::vector<uint8_t> trns;       // tRNS of a palette image
  bool srgb = false;               // write an sRGB chunk
};

// Any PNG libpng can write: every colour type and bit depth, interlaced or
// not. Aborts (libpng's default) on a RawPng libpng refuses.
inline std::string WritePng(const RawPng& raw) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(
      png, &out,
      [](png_structp p, png_bytep data, size_t n) {
        static_cast<std::string*>(png_get_io_ptr(p))->append(reinterpret_cast<char*>(data), n);
      },
      nullptr);
  png_set_IHDR(png, info, static_cast<png_uint_32>(raw.width), static_cast<png_uint_32>(raw.height),
               raw.bit_depth, raw.color_type,
               raw.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (!raw.palette.empty()) {
    png_set_PLTE(png, info, raw.palette.data(), static_cast<int>(raw.palette.size()));
  }
  if (!raw.trns.empty()) {
    png_set_tRNS(png, info, raw.trns.data(), static_cast<int>(raw.trns.size()), nullptr);
  }
  if (raw.srgb) png_set_sRGB(png, info, PNG_sRGB_INTENT_PERCEPTUAL);
  png_write_info(png, info);
  if (raw.interlaced) png_set_interlace_handling(png);
  std::vector<png_bytep> rows;
  for (const std::string& row : raw.rows) {
    rows.push_back(reinterpret_cast<png_bytep>(const_cast<char*>(row.data())));
  }
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

// A stored logo of `png` (its size as given, as the store keeps it once it
// decoded).
inline domain::Logo LogoOf(std::string png, int32_t width, int32_t height) {
  domain::Logo logo;
  logo.sha256 = core::HexEncode(core::Sha256(png));
  logo.png = std::move(png);
  logo.width = width;
  logo.height = height;
  return logo;
}

// A logo of the test pattern.
inline domain::Logo MakeLogo(int32_t width, int32_t height, int alpha = 255) {
  return LogoOf(MakePng(width, height, alpha), width, height);
}

// A company's branding with every part set: display name, colour, a 120×30
// logo and a Latin footer text. Tests that check the footer text as
// rendered may rely on "Acme Hiring GmbH, Registered in Berlin".
inline std::shared_ptr<domain::Branding> SampleBranding() {
  auto b = std::make_shared<domain::Branding>();
  b->display_name = "Acme Hiring";
  b->primary_color = domain::ParseHexColor("#0b5394");
  b->logo = MakeLogo(120, 30);
  b->footer_text = "Acme Hiring GmbH, Registered in Berlin";
  b->version = 1;
  return b;
}

}  // namespace reportshare::test_support
