// Fuzz target `png`: render::DecodePng (render/image/png.h), libpng's full
// decode behind the branding logo, the input being the file. Never a crash,
// and no memory beyond the image's (a small file claiming a huge image is
// refused before any pixel memory: -rss_limit_mb and -malloc_limit_mb
// catch the rest); a decoded image is 1 … 2000 pixels a side with exactly
// width × height × 4 bytes of RGBA, and a cap one pixel below its larger
// side refuses it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "domain/branding.h"
#include "fuzz/fuzz_util.h"
#include "render/image/png.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace reportshare;
  const std::string_view png = fuzz::AsText(data, size);
  auto decoded = render::DecodePng(png, domain::kMaxLogoPixels);
  if (!decoded) {
    FUZZ_CHECK(decoded.error().code() == Code::kInvalidArgument, decoded.error().message());
    FUZZ_CHECK(decoded.error().message().starts_with("logo_png "), decoded.error().message());
    return 0;
  }
  FUZZ_CHECK(decoded->width >= 1 && decoded->width <= domain::kMaxLogoPixels);
  FUZZ_CHECK(decoded->height >= 1 && decoded->height <= domain::kMaxLogoPixels);
  FUZZ_CHECK(decoded->rgba.size() ==
             static_cast<size_t>(decoded->width) * static_cast<size_t>(decoded->height) * 4);
  const int32_t side = std::max(decoded->width, decoded->height);
  if (side > 1) {
    auto capped = render::DecodePng(png, side - 1);
    FUZZ_CHECK(!capped.has_value(), "an image over the cap decodes");
  }
  return 0;
}
