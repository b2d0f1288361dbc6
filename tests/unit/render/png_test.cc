// render::DecodePng (SPEC §8: a logo is a PNG that decodes, at most
// 2000×2000 px): every kind of PNG decodes to its RGBA pixels; anything
// else, however broken or hostile, is refused with kInvalidArgument and
// never crashes or allocates what the file merely claims.
#include "render/image/png.h"

#include <cairo.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "support/png_samples.h"

namespace reportshare::render {
namespace {

using test_support::AppendBigEndian32;
using test_support::ChunkAt;
using test_support::FindChunk;
using test_support::FixPngCrcs;
using test_support::kPngSignature;
using test_support::MakePng;
using test_support::PatternRgba;
using test_support::PngChunk;
using test_support::PngChunks;
using test_support::PngFromRgba;
using test_support::RawPng;
using test_support::WithIhdrSize;
using test_support::WritePng;

constexpr int32_t kMax = 2000;

// Pixel (x, y) of decoded RGBA as {r, g, b, a}.
std::vector<int> PixelAt(const DecodedPng& png, int x, int y) {
  size_t at =
      (static_cast<size_t>(y) * static_cast<size_t>(png.width) + static_cast<size_t>(x)) * 4;
  std::vector<int> out;
  for (size_t i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(png.rgba[at + i]));
  return out;
}

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

// 16-bit samples, big-endian as PNG stores them.
std::string Samples16(std::initializer_list<unsigned> values) {
  std::string out;
  for (unsigned v : values) {
    out.push_back(static_cast<char>(v >> 8));
    out.push_back(static_cast<char>(v & 0xff));
  }
  return out;
}

void ExpectRefused(const Result<DecodedPng>& result, std::string_view message_part) {
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), Code::kInvalidArgument);
  EXPECT_NE(result.error().message().find(message_part), std::string::npos)
      << result.error().message();
  EXPECT_TRUE(result.error().message().starts_with("logo_png ")) << result.error().message();
}

// ------------------------------------------------------------ valid PNGs

TEST(DecodePngTest, RgbaDecodesToItsExactPixels) {
  for (int alpha : {255, 128}) {
    const std::string rgba = PatternRgba(7, 5, alpha);
    auto png = DecodePng(PngFromRgba(7, 5, rgba), kMax);
    ASSERT_TRUE(png.has_value()) << png.error().message();
    EXPECT_EQ(png->width, 7);
    EXPECT_EQ(png->height, 5);
    EXPECT_EQ(png->rgba, rgba);  // not premultiplied, rows top to bottom
  }
}

// One PNG of each colour type and bit depth (and interlaced), written by
// libpng's full API, and the RGBA it stands for.
struct Kind {
  std::string name;
  RawPng raw;
  std::string want;  // RGBA, row by row
};

std::vector<Kind> Kinds() {
  std::vector<Kind> kinds;
  auto add = [&kinds](std::string name, int w, int h, int type, int depth,
                      std::vector<std::string> rows, std::string want) {
    RawPng raw;
    raw.width = w;
    raw.height = h;
    raw.color_type = type;
    raw.bit_depth = depth;
    raw.rows = std::move(rows);
    kinds.push_back({std::move(name), std::move(raw), std::move(want)});
  };
  add("rgb 8", 2, 2, PNG_COLOR_TYPE_RGB, 8,
      {Bytes({1, 2, 3, 250, 251, 252}), Bytes({9, 0, 0, 0, 0, 9})},
      Bytes({1, 2, 3, 255, 250, 251, 252, 255, 9, 0, 0, 255, 0, 0, 9, 255}));
  add("grey 8", 4, 1, PNG_COLOR_TYPE_GRAY, 8, {Bytes({0, 0x40, 0x80, 0xff})},
      Bytes({0, 0, 0, 255, 64, 64, 64, 255, 128, 128, 128, 255, 255, 255, 255, 255}));
  add("grey 1", 8, 1, PNG_COLOR_TYPE_GRAY, 1, {Bytes({0xa5})},  // 10100101
      Bytes({255, 255, 255, 255, 0,   0,   0,   255, 255, 255, 255, 255, 0,   0,   0,   255,
             0,   0,   0,   255, 255, 255, 255, 255, 0,   0,   0,   255, 255, 255, 255, 255}));
  add("grey 2", 4, 1, PNG_COLOR_TYPE_GRAY, 2, {Bytes({0x1b})},  // 0 1 2 3
      Bytes({0, 0, 0, 255, 85, 85, 85, 255, 170, 170, 170, 255, 255, 255, 255, 255}));
  add("grey + alpha 8", 2, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 8, {Bytes({0x40, 0x80, 0xff, 0x10})},
      Bytes({64, 64, 64, 128, 255, 255, 255, 16}));
  {
    Kind palette{"palette 8 + tRNS", {}, {}};
    palette.raw.width = 4;
    palette.raw.height = 1;
    palette.raw.color_type = PNG_COLOR_TYPE_PALETTE;
    palette.raw.rows = {Bytes({0, 1, 2, 3})};
    palette.raw.palette = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {10, 20, 30}};
    palette.raw.trns = {255, 128, 0};  // the fourth entry is opaque
    palette.want = Bytes({255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 0, 10, 20, 30, 255});
    kinds.push_back(palette);
    Kind two = palette;
    two.name = "palette 2";
    two.raw.bit_depth = 2;
    two.raw.rows = {Bytes({0xe4})};  // 3 2 1 0
    two.raw.trns.clear();
    two.want = Bytes({10, 20, 30, 255, 0, 0, 255, 255, 0, 255, 0, 255, 255, 0, 0, 255});
    kinds.push_back(two);
  }
  // 16-bit, tagged sRGB: each sample scaled to 8 bits (v · 255 / 65535).
  Kind wide{"rgba 16 sRGB", {}, {}};
  {
    wide.raw.width = 3;
    wide.raw.height = 1;
    wide.raw.color_type = PNG_COLOR_TYPE_RGBA;
    wide.raw.bit_depth = 16;
    wide.raw.srgb = true;
    wide.raw.rows = {
        Samples16({0xffff, 0, 0, 0xffff, 0, 0xffff, 0, 0x8080, 0x1234, 0x8080, 0xfedc, 0x4040})};
    wide.want = Bytes({255, 0, 0, 255, 0, 255, 0, 128, 0x12, 0x80, 0xfe, 0x40});
    kinds.push_back(wide);
  }
  {
    // Interlaced (Adam7): 13×11 so that every one of the seven passes has
    // pixels; libpng puts them back together.
    const std::string rgba = PatternRgba(13, 11, 255);
    Kind adam7{"rgb 8 interlaced", {}, rgba};
    adam7.raw.width = 13;
    adam7.raw.height = 11;
    adam7.raw.interlaced = true;
    for (int y = 0; y < 11; ++y) {
      std::string row;
      for (int x = 0; x < 13; ++x) row += rgba.substr(static_cast<size_t>(y * 13 + x) * 4, 3);
      adam7.raw.rows.push_back(row);
    }
    kinds.push_back(adam7);
    Kind adam7_palette{"palette 8 interlaced", {}, {}};
    adam7_palette.raw.width = 9;
    adam7_palette.raw.height = 9;
    adam7_palette.raw.color_type = PNG_COLOR_TYPE_PALETTE;
    adam7_palette.raw.interlaced = true;
    adam7_palette.raw.palette = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}};
    adam7_palette.raw.trns = {0, 255, 77};
    for (int y = 0; y < 9; ++y) {
      std::string row;
      for (int x = 0; x < 9; ++x) {
        int index = (x + 2 * y) % 3;
        row.push_back(static_cast<char>(index));
        const png_color c = adam7_palette.raw.palette[static_cast<size_t>(index)];
        adam7_palette.want +=
            Bytes({c.red, c.green, c.blue, adam7_palette.raw.trns[static_cast<size_t>(index)]});
      }
      adam7_palette.raw.rows.push_back(row);
    }
    kinds.push_back(adam7_palette);
    Kind adam7_wide = wide;
    adam7_wide.name = "rgba 16 sRGB interlaced";
    adam7_wide.raw.interlaced = true;
    kinds.push_back(adam7_wide);
  }
  return kinds;
}

TEST(DecodePngTest, EveryColourTypeBitDepthAndInterlaceDecodesToRgba) {
  for (const Kind& kind : Kinds()) {
    SCOPED_TRACE(kind.name);
    const std::string file = WritePng(kind.raw);
    // What was asked for is what was written.
    ChunkAt ihdr = FindChunk(file, "IHDR");
    ASSERT_EQ(ihdr.type, "IHDR");
    EXPECT_EQ(static_cast<uint8_t>(file[ihdr.data() + 8]), kind.raw.bit_depth);
    EXPECT_EQ(static_cast<uint8_t>(file[ihdr.data() + 9]), kind.raw.color_type);
    EXPECT_EQ(static_cast<uint8_t>(file[ihdr.data() + 12]), kind.raw.interlaced ? 1 : 0);
    auto png = DecodePng(file, kMax);
    ASSERT_TRUE(png.has_value()) << png.error().message();
    EXPECT_EQ(png->width, kind.raw.width);
    EXPECT_EQ(png->height, kind.raw.height);
    ASSERT_EQ(png->rgba.size(), kind.want.size());
    for (size_t i = 0; i < kind.want.size(); ++i) {
      // 16-bit samples round to 8 bits either way; 8-bit ones are exact.
      const int slack = kind.raw.bit_depth == 16 ? 1 : 0;
      EXPECT_NEAR(static_cast<uint8_t>(png->rgba[i]), static_cast<uint8_t>(kind.want[i]), slack)
          << "byte " << i << " (pixel " << i / 4 << ", channel " << i % 4 << ")";
    }
  }
}

// A 16-bit PNG that says nothing of its colour space: libpng's simplified
// API takes its samples as linear light (its documented default), so a mid
// grey comes out lighter than its 8 high bits. Black and white stay.
// (Browsers take such a file as sRGB: the page may show it a little darker.)
// Browsers take an untagged 16-bit PNG as sRGB, as they do an 8-bit one, so
// the PDF's logo matches the page's (libpng alone would take it as linear
// and lighten it: 0x8080 would come out 188).
TEST(DecodePngTest, Untagged16BitIsTakenAsSrgbAsBrowsersDo) {
  RawPng raw;
  raw.width = 3;
  raw.height = 1;
  raw.color_type = PNG_COLOR_TYPE_GRAY;
  raw.bit_depth = 16;
  raw.rows = {Samples16({0, 0x8080, 0xffff})};
  auto png = DecodePng(WritePng(raw), kMax);
  ASSERT_TRUE(png.has_value()) << png.error().message();
  EXPECT_EQ(PixelAt(*png, 0, 0), (std::vector<int>{0, 0, 0, 255}));
  EXPECT_EQ(PixelAt(*png, 2, 0), (std::vector<int>{255, 255, 255, 255}));
  EXPECT_EQ(PixelAt(*png, 1, 0), (std::vector<int>{128, 128, 128, 255}));
}

cairo_status_t AppendTo(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

// Cairo keeps premultiplied pixels and writes PNGs un-premultiplied; what
// it writes decodes to the colours drawn.
TEST(DecodePngTest, ACairoWrittenPngDecodes) {
  for (cairo_format_t format : {CAIRO_FORMAT_ARGB32, CAIRO_FORMAT_RGB24}) {
    cairo_surface_t* surface = cairo_image_surface_create(format, 3, 2);
    cairo_t* cr = cairo_create(surface);
    cairo_set_operator(cr, CAIRO_OPERATOR_SOURCE);
    cairo_set_source_rgba(cr, 0, 0, 0, 0);
    cairo_paint(cr);
    cairo_rectangle(cr, 0, 0, 1, 2);
    cairo_set_source_rgba(cr, 1, 0, 0, 1);
    cairo_fill(cr);
    cairo_rectangle(cr, 1, 0, 1, 2);
    cairo_set_source_rgba(cr, 0, 0.5, 1, 0.5);
    cairo_fill(cr);
    cairo_destroy(cr);
    std::string file;
    ASSERT_EQ(cairo_surface_write_to_png_stream(surface, AppendTo, &file), CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(surface);
    auto png = DecodePng(file, kMax);
    ASSERT_TRUE(png.has_value()) << png.error().message();
    EXPECT_EQ(png->width, 3);
    EXPECT_EQ(png->height, 2);
    EXPECT_EQ(PixelAt(*png, 0, 1), (std::vector<int>{255, 0, 0, 255}));
    std::vector<int> half = PixelAt(*png, 1, 0);
    if (format == CAIRO_FORMAT_ARGB32) {
      EXPECT_NEAR(half[0], 0, 1);
      EXPECT_NEAR(half[1], 128, 2);
      EXPECT_NEAR(half[2], 255, 1);
      EXPECT_NEAR(half[3], 128, 1);
      EXPECT_EQ(PixelAt(*png, 2, 0)[3], 0);
    } else {
      EXPECT_EQ(half[3], 255);  // RGB24: no alpha, written as RGB
      EXPECT_EQ(PixelAt(*png, 2, 0), (std::vector<int>{0, 0, 0, 255}));
    }
  }
}

// ------------------------------------------------------------ sizes

TEST(DecodePngTest, ExactlyTheLargestSideIsAccepted) {
  RawPng raw;
  raw.width = kMax;
  raw.height = kMax;
  raw.color_type = PNG_COLOR_TYPE_GRAY;
  for (int y = 0; y < kMax; ++y) raw.rows.push_back(std::string(kMax, static_cast<char>(y % 251)));
  auto png = DecodePng(WritePng(raw), kMax);
  ASSERT_TRUE(png.has_value()) << png.error().message();
  EXPECT_EQ(png->width, kMax);
  EXPECT_EQ(png->height, kMax);
  EXPECT_EQ(png->rgba.size(), size_t{kMax} * kMax * 4);
  EXPECT_EQ(PixelAt(*png, 1999, 1999), (std::vector<int>{1999 % 251, 1999 % 251, 1999 % 251, 255}));
}

TEST(DecodePngTest, OnePixelTooWideOrTooTallIsRefusedNamingTheSize) {
  auto wide = DecodePng(MakePng(2001, 1), kMax);
  ExpectRefused(wide, "is 2001×1 pixels; at most 2000×2000");
  auto tall = DecodePng(MakePng(1, 2001), kMax);
  ExpectRefused(tall, "is 1×2001 pixels; at most 2000×2000");
  // The limit is the caller's, and so is the field the message names.
  EXPECT_TRUE(DecodePng(MakePng(100, 50), 100).has_value());
  auto over = DecodePng(MakePng(100, 101), 100, "image");
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error().message(), "image is 100×101 pixels; at most 100×100");
  // And the smallest image there is.
  auto one = DecodePng(MakePng(1, 1), kMax);
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->rgba, PatternRgba(1, 1));
}

// ------------------------------------------------------------ not a PNG

TEST(DecodePngTest, WhatIsNotAPngIsRefused) {
  const std::string png = MakePng(4, 4);
  std::string text_mode = png;  // sent through a text-mode transfer: CRLF → LF
  text_mode.erase(4, 1);
  for (const std::string& input :
       {std::string(), std::string("hello, world"),
        Bytes({0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F', 0}),
        std::string("GIF89a\x01\x00\x01\x00", 10),
        std::string("<svg xmlns='http://www.w3.org/2000/svg'/>"), png.substr(0, 7),
        std::string(kPngSignature.substr(0, 7)) + "\r" + png.substr(8), text_mode,
        std::string(1024, '\0')}) {
    SCOPED_TRACE(input.substr(0, 12));
    auto result = DecodePng(input, kMax);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code(), Code::kInvalidArgument);
    EXPECT_EQ(result.error().message(), "logo_png is not a PNG");
  }
  // Only the signature, or a signature and junk: a PNG whose header is bad.
  ExpectRefused(DecodePng(kPngSignature, kMax), "header is corrupt");
  ExpectRefused(DecodePng(std::string(kPngSignature) + "junk junk junk junk", kMax),
                "header is corrupt");
}

// ------------------------------------------------------------ truncated, corrupt

// Cut after every byte: the image decodes exactly when its image data is
// whole, up to the CRC of its last IDAT. libpng's simplified API reads no
// further, so a file cut before or inside IEND still decodes.
TEST(DecodePngTest, TruncatedAnywhereBeforeTheEndOfTheImageDataIsRefused) {
  // Noise, so the image data is kilobytes long (the inflater's input
  // buffer fills several times).
  std::mt19937 rng(7);
  std::string noise = PatternRgba(40, 30, 128);
  for (size_t i = 0; i < noise.size(); i += 4) noise[i] = static_cast<char>(rng() & 0xff);
  const std::string png = PngFromRgba(40, 30, noise);
  ASSERT_GT(png.size(), 1500u);
  size_t idat_end = 0;
  size_t idat_start = 0;
  for (const ChunkAt& c : PngChunks(png)) {
    if (c.type == "IDAT") {
      if (idat_start == 0) idat_start = c.data();
      idat_end = c.crc() + 4;
    }
  }
  ASSERT_GT(idat_start, 0u);
  ASSERT_EQ(png.size(), idat_end + 12);  // then IEND, and nothing else
  int refused = 0;
  for (size_t n = 0; n < png.size(); ++n) {
    auto result = DecodePng(std::string_view(png).substr(0, n), kMax);
    if (n >= idat_end) {
      EXPECT_TRUE(result.has_value()) << "cut at " << n;
      continue;
    }
    ASSERT_FALSE(result.has_value()) << "cut at " << n << " of " << png.size();
    EXPECT_EQ(result.error().code(), Code::kInvalidArgument);
    ++refused;
    // Mid-IDAT, the header read fine and the pixels did not.
    if (n > idat_start + 2 && n < idat_end) {
      EXPECT_NE(result.error().message().find("truncated or corrupt"), std::string::npos)
          << "cut at " << n << ": " << result.error().message();
    }
  }
  EXPECT_EQ(refused, static_cast<int>(idat_end));
  // Data after IEND is ignored.
  EXPECT_TRUE(DecodePng(png + "trailing bytes", kMax).has_value());
}

TEST(DecodePngTest, CorruptCriticalChunksAreRefusedAncillaryOnesAreNot) {
  const std::string png = MakePng(24, 16, 128);
  const ChunkAt ihdr = FindChunk(png, "IHDR");
  const ChunkAt idat = FindChunk(png, "IDAT");
  const ChunkAt srgb = FindChunk(png, "sRGB");  // libpng's writer adds one
  ASSERT_EQ(idat.type, "IDAT");
  ASSERT_EQ(srgb.type, "sRGB");
  auto flipped = [&png](size_t at) {
    std::string out = png;
    out[at] = static_cast<char>(out[at] ^ 0x10);
    return out;
  };
  ExpectRefused(DecodePng(flipped(idat.crc()), kMax), "truncated or corrupt");
  ExpectRefused(DecodePng(flipped(idat.crc() + 3), kMax), "truncated or corrupt");
  ExpectRefused(DecodePng(flipped(idat.data() + idat.length / 2), kMax), "truncated or corrupt");
  ExpectRefused(DecodePng(flipped(ihdr.crc()), kMax), "header is corrupt");
  ExpectRefused(DecodePng(flipped(ihdr.data() + 1), kMax), "header is corrupt");
  // The data changed and the CRC recomputed: zlib's own check (Adler-32)
  // still catches it.
  std::string inflated = flipped(idat.crc() - 1);
  FixPngCrcs(inflated);
  ExpectRefused(DecodePng(inflated, kMax), "truncated or corrupt");
  // An ancillary chunk's bad CRC is a warning: the image is shown.
  auto ancillary = DecodePng(flipped(srgb.crc()), kMax);
  ASSERT_TRUE(ancillary.has_value()) << ancillary.error().message();
  EXPECT_EQ(ancillary->rgba, PatternRgba(24, 16, 128));
}

// ------------------------------------------------------------ hostile files

// A few hundred bytes that claim 100000×100000 pixels (40 GB of RGBA): the
// claim is refused from the header, before any pixel memory.
TEST(DecodePngTest, ADecompressionBombIsRefusedFromItsHeader) {
  const std::string small = MakePng(4, 4);
  const std::string bomb = WithIhdrSize(small, 100000, 100000);
  ASSERT_EQ(bomb.size(), small.size());
  const auto start = std::chrono::steady_clock::now();
  auto result = DecodePng(bomb, kMax);
  const auto took = std::chrono::steady_clock::now() - start;
  ExpectRefused(result, "is 100000×100000 pixels; at most 2000×2000");
  EXPECT_LT(took, std::chrono::milliseconds(500));
  // Beyond what PNG allows, or nothing at all: a corrupt header.
  ExpectRefused(DecodePng(WithIhdrSize(small, 0x7fffffff, 1), kMax), "");
  ExpectRefused(DecodePng(WithIhdrSize(small, 0x80000000u, 1), kMax), "header is corrupt");
  ExpectRefused(DecodePng(WithIhdrSize(small, 0, 4), kMax), "header is corrupt");
  ExpectRefused(DecodePng(WithIhdrSize(small, 4, 0), kMax), "header is corrupt");
  // A size it allows, with data for far less: the pixels do not decode.
  ExpectRefused(DecodePng(WithIhdrSize(small, 2000, 2000), kMax), "truncated or corrupt");
  ExpectRefused(DecodePng(WithIhdrSize(small, 4, 5), kMax), "truncated or corrupt");
}

// This process's peak resident memory in KiB (VmHWM), reset first if
// `reset` (writing 5 to clear_refs); -1 if Linux does not tell or let us.
long PeakRssKib(bool reset) {
  if (reset) {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
    clear.flush();
    if (!clear) return -1;
  }
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) return std::stol(line.substr(6));
  }
  return -1;
}

// A 10×10 image whose IDAT holds a zlib stream of 32 MiB of zeros (32 KiB
// compressed): libpng inflates what follows the image through a small
// buffer and warns ("Too much image data"), which is not refused. The image
// decodes (transparent black), without memory in proportion to the stream.
TEST(DecodePngTest, ImageDataFarBeyondTheImageDecodesInBoundedMemory) {
  const std::string raw(size_t{32} << 20, '\0');  // filter byte 0, pixels 0, and far more
  uLongf size = compressBound(raw.size());
  std::string deflated(size, '\0');
  ASSERT_EQ(compress2(reinterpret_cast<Bytef*>(deflated.data()), &size,
                      reinterpret_cast<const Bytef*>(raw.data()), raw.size(), 9),
            Z_OK);
  deflated.resize(size);
  ASSERT_LT(deflated.size(), size_t{64} << 10);
  std::string ihdr;
  AppendBigEndian32(ihdr, 10);
  AppendBigEndian32(ihdr, 10);
  ihdr += Bytes({8, PNG_COLOR_TYPE_RGBA, 0, 0, 0});
  const std::string png = std::string(kPngSignature) + PngChunk("IHDR", ihdr) +
                          PngChunk("IDAT", deflated) + PngChunk("IEND", "");

  const long before = PeakRssKib(true);
  const auto start = std::chrono::steady_clock::now();
  auto result = DecodePng(png, kMax);
  const auto took = std::chrono::steady_clock::now() - start;
  const long peak = PeakRssKib(false);
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_EQ(result->width, 10);
  EXPECT_EQ(result->height, 10);
  EXPECT_EQ(result->rgba, std::string(400, '\0'));
  EXPECT_LT(took, std::chrono::seconds(20));
  if (before > 0 && peak > 0) {
    EXPECT_LT(peak - before, 8 * 1024) << "peak RSS grew by " << peak - before << " KiB";
  } else {
    std::printf("(peak RSS not measurable here: memory bound not checked)\n");
  }
  // The same stream cut short of the image's 410 bytes: refused.
  std::string little(200, '\0');
  size = compressBound(little.size());
  std::string short_stream(size, '\0');
  ASSERT_EQ(compress2(reinterpret_cast<Bytef*>(short_stream.data()), &size,
                      reinterpret_cast<const Bytef*>(little.data()), little.size(), 9),
            Z_OK);
  short_stream.resize(size);
  ExpectRefused(DecodePng(std::string(kPngSignature) + PngChunk("IHDR", ihdr) +
                              PngChunk("IDAT", short_stream) + PngChunk("IEND", ""),
                          kMax),
                "truncated or corrupt");
}

// Thousands of random mutations of valid PNGs (fixed seed): flipped bytes
// (mostly caught by the CRCs), the same with the CRCs fixed (so the
// mutation reaches the parser and the inflater), cuts, inserted and deleted
// runs, and random IHDR fields. Every result is a sane image or
// kInvalidArgument; nothing crashes (run it under ASan: the asan preset).
TEST(DecodePngTest, RandomlyMutatedPngsNeverCrash) {
  std::mt19937 rng(20250709);
  auto below = [&rng](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  RawPng palette;
  palette.width = 9;
  palette.height = 9;
  palette.color_type = PNG_COLOR_TYPE_PALETTE;
  palette.interlaced = true;
  palette.palette = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}};
  palette.trns = {0, 255, 77};
  for (int y = 0; y < 9; ++y) palette.rows.push_back(std::string(9, static_cast<char>(y % 3)));
  const std::vector<std::string> seeds = {MakePng(12, 9, 128), WritePng(palette)};
  int decoded = 0, refused = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string m = seeds[static_cast<size_t>(i) % seeds.size()];
    switch (below(5)) {
      case 0:  // flipped bytes
      case 1:  // the same, CRCs fixed
        for (size_t k = 0, n = 1 + below(4); k < n; ++k) {
          m[below(m.size())] = static_cast<char>(below(256));
        }
        if (i % 2 == 0) FixPngCrcs(m);
        break;
      case 2:  // cut
        m.resize(below(m.size()));
        break;
      case 3: {  // a run inserted or deleted after the signature
        size_t at = 8 + below(m.size() - 8);
        if (i % 2 == 0) {
          std::string run(1 + below(16), '\0');
          for (char& c : run) c = static_cast<char>(below(256));
          m.insert(at, run);
        } else {
          m.erase(at, 1 + below(16));
        }
        FixPngCrcs(m);
        break;
      }
      default: {  // random IHDR fields, CRC fixed
        const size_t at = FindChunk(m, "IHDR").data();
        std::string fields;
        AppendBigEndian32(fields, i % 3 == 0 ? static_cast<uint32_t>(rng())
                                             : static_cast<uint32_t>(1 + below(300)));
        AppendBigEndian32(fields, i % 3 == 1 ? static_cast<uint32_t>(rng())
                                             : static_cast<uint32_t>(1 + below(300)));
        fields += Bytes({static_cast<int>(1u << below(5)), static_cast<int>(below(7)), 0, 0,
                         static_cast<int>(below(2))});
        for (size_t k = 0; k < fields.size(); ++k) {
          if (below(3) == 0) m[at + k] = fields[k];
        }
        FixPngCrcs(m);
        break;
      }
    }
    auto result = DecodePng(m, kMax);
    if (result.has_value()) {
      ++decoded;
      ASSERT_GE(result->width, 1) << "mutation " << i;
      ASSERT_GE(result->height, 1) << "mutation " << i;
      ASSERT_LE(result->width, kMax) << "mutation " << i;
      ASSERT_LE(result->height, kMax) << "mutation " << i;
      ASSERT_EQ(result->rgba.size(),
                static_cast<size_t>(result->width) * static_cast<size_t>(result->height) * 4)
          << "mutation " << i;
    } else {
      ++refused;
      ASSERT_EQ(result.error().code(), Code::kInvalidArgument) << "mutation " << i;
      ASSERT_TRUE(result.error().message().starts_with("logo_png ")) << result.error().message();
    }
  }
  // Both outcomes occur: the mutations reach past the first check.
  EXPECT_GT(decoded, 50);
  EXPECT_GT(refused, 500);
}

}  // namespace
}  // namespace reportshare::render
