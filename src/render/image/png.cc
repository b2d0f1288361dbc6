#include "render/image/png.h"

#include <png.h>

#include <cstring>
#include <memory>

namespace reportshare::render {
namespace {

// png_image_free on every path out (safe on an image libpng freed itself).
struct ImageOwner {
  png_image* image;
  ~ImageOwner() { png_image_free(image); }
};

Status Invalid(std::string_view field, std::string_view problem) {
  std::string message(field);
  message += ' ';
  message += problem;
  return Status::InvalidArgument(std::move(message));
}

}  // namespace

Result<DecodedPng> DecodePng(std::string_view png, int32_t max_side, std::string_view field) {
  static constexpr unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (png.size() < sizeof kSignature || std::memcmp(png.data(), kSignature, 8) != 0) {
    return Invalid(field, "is not a PNG");
  }
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  ImageOwner owner{&image};
  // The simplified API reads from memory and reports errors in
  // image.message (its longjmp never crosses this frame).
  if (!png_image_begin_read_from_memory(&image, png.data(), png.size())) {
    return Invalid(field, "is not a PNG that decodes (its header is corrupt)");
  }
  if (image.width == 0 || image.height == 0 || image.width > static_cast<uint32_t>(max_side) ||
      image.height > static_cast<uint32_t>(max_side)) {
    return Invalid(field, "is " + std::to_string(image.width) + "×" + std::to_string(image.height) +
                              " pixels; at most " + std::to_string(max_side) + "×" +
                              std::to_string(max_side));
  }
  image.format = PNG_FORMAT_RGBA;
  // An untagged 16-bit PNG is sRGB, as browsers take it (libpng would take
  // it as linear and lighten it), so the PDF's logo looks like the page's.
  image.flags |= PNG_IMAGE_FLAG_16BIT_sRGB;
  DecodedPng out;
  out.width = static_cast<int32_t>(image.width);
  out.height = static_cast<int32_t>(image.height);
  out.rgba.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.rgba.data(), 0, nullptr)) {
    return Invalid(field, "is truncated or corrupt (it does not decode in full)");
  }
  // A warning (an ancillary chunk's bad CRC, data past the image) is not
  // refused: browsers and Cairo show such files.
  return out;
}

}  // namespace reportshare::render
