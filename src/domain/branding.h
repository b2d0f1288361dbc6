#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/fwd.hpp>

#include "core/clock.h"
#include "core/status.h"

namespace reportshare::domain {

// An sRGB colour.
struct Color {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Color&) const = default;
  std::string Hex() const;  // "#1d4e9e", lower case
};

// "#RRGGBB" (either case), or nullopt.
std::optional<Color> ParseHexColor(std::string_view text);

// The WCAG 2 contrast ratio of two colours, 1 … 21.
double ContrastRatio(Color a, Color b);

inline constexpr Color kWhite{255, 255, 255};
// What a primary colour needs against white (WCAG AA for normal text): the
// colour is used for text on white and under white text.
inline constexpr double kMinPrimaryContrast = 4.5;

inline constexpr size_t kMaxDisplayNameChars = 100;
inline constexpr size_t kMaxFooterChars = 200;
inline constexpr size_t kMaxLogoBytes = 256 * 1024;
inline constexpr int32_t kMaxLogoPixels = 2000;  // per side

// A company's logo as stored: the PNG as it was uploaded, once it decoded in
// full (render/png.h), with its size in pixels.
struct Logo {
  std::string png;
  std::string sha256;  // of `png`, 64 hex digits
  int32_t width = 0;
  int32_t height = 0;
  bool operator==(const Logo&) const = default;
};

// A company's branding (SPEC §8). A field not set shows the default: the
// company's name, the default blue, no logo, no footer text, and links on
// the server's --public-url.
struct Branding {
  std::optional<std::string> display_name;
  std::optional<Color> primary_color;
  std::optional<Logo> logo;
  std::optional<std::string> footer_text;
  std::optional<std::string> public_url;  // normalized (NormalizePublicUrl)
  // Grows with every change (the caches of rendered documents key on it);
  // 0 for a company that never set any.
  int64_t version = 0;
  std::optional<Instant> updated_at;
  bool operator==(const Branding&) const = default;
};

// One field of a change: nullopt leaves it as it is; a nullopt inside
// resets it to the default; a value sets it.
template <class T>
using FieldChange = std::optional<std::optional<T>>;

// What one PUT /assessments/branding changes, every value valid.
struct BrandingChange {
  FieldChange<std::string> display_name;
  FieldChange<Color> primary_color;
  FieldChange<Logo> logo;
  FieldChange<std::string> footer_text;
  FieldChange<std::string> public_url;
};

// `branding` with `change` applied (version and updated_at untouched).
Branding Apply(Branding branding, const BrandingChange& change);

// A PUT body, parsed and checked field by field. `change.logo` is left
// unset: the logo arrives as `logo_png`, its bytes decoded from Base64 and
// no larger than kMaxLogoBytes, still to be decoded as a PNG (render/png.h)
// before it becomes a Logo.
struct BrandingBody {
  BrandingChange change;
  FieldChange<std::string> logo_png;
};

// Parses the body of PUT /assessments/branding (SPEC §8). Unknown fields are
// refused, so a misspelt field is not silently kept as it was. On a wrong
// type or value, kInvalidArgument naming the field and its rule (for
// primary_color, with the ratio it has).
Result<BrandingBody> ParseBrandingBody(const boost::json::object& body);

// The branding as GET and PUT answer it: every field (null when unset), the
// logo as logo_sha256, logo_width and logo_height (never its bytes), version
// and updated_at.
void AppendBrandingJson(const Branding& branding, boost::json::object& out);

// Validates a public base URL (http or https, a host, no user name, query,
// fragment, space or character a URL may not hold) and returns it without a
// trailing slash. Errors start with `name` ("--public-url", "public_url").
Result<std::string> NormalizePublicUrl(std::string_view text, std::string_view name);

}  // namespace reportshare::domain

namespace reportshare {
using domain::Branding;
}  // namespace reportshare
