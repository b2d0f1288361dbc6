// Fuzz target `branding_body`: the body of PUT /assessments/branding
// (domain::ParseBrandingBody, SPEC §8), the input being the raw body, and
// the logo it carries through render::DecodePng as BrandingService does.
// Never a crash; and what is accepted keeps every rule: a display name of
// 1 … 100 plain characters, not blank; a primary colour with at least 4.5:1
// against white; a footer of at most 200 plain characters; a public URL that
// is already normalized (normalizing it again changes nothing); a logo of at
// most 256 KiB. The change, written back as a body, parses to the same
// change, and applied to a branding it answers as JSON.
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/json.h"
#include "domain/branding.h"
#include "domain/text.h"
#include "fuzz/fuzz_util.h"
#include "render/image/png.h"

namespace reportshare::fuzz {
namespace {

namespace json = boost::json;
using domain::BrandingBody;
using domain::BrandingChange;

// A field of a change as a body's value: absent, null or the value.
template <class T, class F>
void Put(json::object& body, std::string_view name, const domain::FieldChange<T>& change,
         F&& write) {
  if (!change) return;
  body[name] = *change ? write(**change) : json::value(nullptr);
}

void CheckBody(const BrandingBody& body) {
  const BrandingChange& c = body.change;
  FUZZ_CHECK(!c.logo.has_value(), "the body sets a Logo itself");
  if (c.display_name && *c.display_name) {
    const std::string& name = **c.display_name;
    FUZZ_CHECK(domain::CheckPlainText(name, "display_name", 1, domain::kMaxDisplayNameChars).ok());
    FUZZ_CHECK(name.find_first_not_of(' ') != std::string::npos, "a blank display_name");
  }
  if (c.primary_color && *c.primary_color) {
    const domain::Color color = **c.primary_color;
    FUZZ_CHECK(domain::ContrastRatio(color, domain::kWhite) >= domain::kMinPrimaryContrast);
    FUZZ_CHECK(domain::ParseHexColor(color.Hex()) == color);
  }
  if (c.footer_text && *c.footer_text) {
    const std::string& footer = **c.footer_text;
    FUZZ_CHECK(!footer.empty());
    FUZZ_CHECK(domain::CheckPlainText(footer, "footer_text", 0, domain::kMaxFooterChars).ok());
  }
  if (c.public_url && *c.public_url) {
    const std::string& url = **c.public_url;
    auto again = domain::NormalizePublicUrl(url, "public_url");
    FUZZ_CHECK(again.has_value() && *again == url, "a public_url not normalized: " + url);
  }
  if (body.logo_png && *body.logo_png) {
    const std::string& png = **body.logo_png;
    FUZZ_CHECK(png.size() <= domain::kMaxLogoBytes);
    auto decoded = render::DecodePng(png, domain::kMaxLogoPixels);
    if (decoded) {
      FUZZ_CHECK(decoded->rgba.size() ==
                 static_cast<size_t>(decoded->width) * static_cast<size_t>(decoded->height) * 4);
    }
  }

  // Written back as a body: the same change.
  json::object rebuilt;
  auto text = [](const std::string& s) { return json::value(s); };
  Put(rebuilt, "display_name", c.display_name, text);
  Put(rebuilt, "primary_color", c.primary_color,
      [](const domain::Color& color) { return json::value(color.Hex()); });
  Put(rebuilt, "footer_text", c.footer_text, text);
  Put(rebuilt, "public_url", c.public_url, text);
  Put(rebuilt, "logo_png", body.logo_png,
      [](const std::string& png) { return json::value(core::Base64Encode(core::AsBytes(png))); });
  auto again = domain::ParseBrandingBody(rebuilt);
  FUZZ_CHECK(again.has_value(), "the rebuilt body is refused: " + again.error().message());
  const BrandingChange& d = again->change;
  FUZZ_CHECK(d.display_name == c.display_name && d.primary_color == c.primary_color &&
                 d.footer_text == c.footer_text && d.public_url == c.public_url &&
                 again->logo_png == body.logo_png,
             "the change differs once written back: " + core::WriteJson(rebuilt));

  // Applied over a branding that sets everything, then answered as JSON.
  domain::Branding full;
  full.display_name = "Acme Talent";
  full.primary_color = domain::Color{0x0b, 0x53, 0x94};
  full.footer_text = "Acme Ltd";
  full.public_url = "https://talent.example.com";
  domain::Branding applied = domain::Apply(full, c);
  if (c.display_name) FUZZ_CHECK(applied.display_name == *c.display_name);
  if (!c.display_name) FUZZ_CHECK(applied.display_name == full.display_name);
  json::object out;
  domain::AppendBrandingJson(applied, out);
  FUZZ_CHECK(core::ParseJson(core::WriteJson(out)).has_value());
}

}  // namespace
}  // namespace reportshare::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace reportshare;
  auto value = core::ParseJson(fuzz::AsText(data, size));
  if (!value || !value->is_object()) return 0;
  auto body = domain::ParseBrandingBody(value->get_object());
  if (!body) {
    FUZZ_CHECK(body.error().code() == Code::kInvalidArgument);
    return 0;
  }
  fuzz::CheckBody(*body);
  return 0;
}
