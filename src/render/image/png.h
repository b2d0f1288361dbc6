#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace reportshare::render {

// A PNG decoded to 8-bit RGBA, not premultiplied, rows top to bottom.
struct DecodedPng {
  int32_t width = 0;
  int32_t height = 0;
  std::string rgba;  // width * height * 4 bytes
};

// Decodes `png` in full with libpng (every row, every critical chunk's CRC),
// refusing one wider or taller than `max_side` pixels before any pixel
// memory is allocated, so a small file that claims a huge image (a
// decompression bomb) costs nothing. kInvalidArgument with a client-safe
// message ("logo_png is not a PNG", "… is truncated or corrupt", "… is
// 4000×10 pixels; at most 2000×2000") on any fault.
Result<DecodedPng> DecodePng(std::string_view png, int32_t max_side,
                             std::string_view field = "logo_png");

}  // namespace reportshare::render
