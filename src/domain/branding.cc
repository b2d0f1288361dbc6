#include "domain/branding.h"

#include <boost/json.hpp>
#include <cmath>
#include <cstdio>

#include "core/bytes.h"
#include "core/rfc3339.h"
#include "domain/text.h"

namespace reportshare::domain {
namespace {

namespace json = boost::json;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The relative luminance of an sRGB colour (WCAG 2).
double Luminance(Color c) {
  auto channel = [](uint8_t v) {
    double s = v / 255.0;
    return s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
}

// A ratio as a person reads it, cut (not rounded) to two decimals so a
// refused colour never shows "4.50:1".
std::string RatioText(double ratio) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f:1", std::floor(ratio * 100) / 100);
  return buf;
}

Status Invalid(std::string_view name, std::string_view problem) {
  std::string message(name);
  message += ' ';
  message += problem;
  return Status::InvalidArgument(std::move(message));
}

// The field `name` of a PUT body: absent (nullopt), null (a reset) or a
// string; anything else is kInvalidArgument "<name> must be <what>".
Result<FieldChange<std::string_view>> StringField(const json::object& body, std::string_view name,
                                                  std::string_view what) {
  const json::value* v = body.if_contains(name);
  if (!v) return FieldChange<std::string_view>();
  if (v->is_null()) return FieldChange<std::string_view>(std::optional<std::string_view>());
  if (!v->is_string()) return Invalid(name, "must be " + std::string(what) + " or null");
  const json::string& s = v->get_string();
  return FieldChange<std::string_view>(std::string_view(s.data(), s.size()));
}

constexpr std::string_view kFields[] = {"display_name", "primary_color", "logo_png", "footer_text",
                                        "public_url"};

}  // namespace

std::string Color::Hex() const {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", r, g, b);
  return buf;
}

std::optional<Color> ParseHexColor(std::string_view text) {
  if (text.size() != 7 || text[0] != '#') return std::nullopt;
  uint8_t v[3];
  for (int i = 0; i < 3; ++i) {
    int hi = HexDigit(text[1 + 2 * i]), lo = HexDigit(text[2 + 2 * i]);
    if (hi < 0 || lo < 0) return std::nullopt;
    v[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return Color{v[0], v[1], v[2]};
}

double ContrastRatio(Color a, Color b) {
  double la = Luminance(a), lb = Luminance(b);
  if (la < lb) std::swap(la, lb);
  return (la + 0.05) / (lb + 0.05);
}

Branding Apply(Branding branding, const BrandingChange& change) {
  if (change.display_name) branding.display_name = *change.display_name;
  if (change.primary_color) branding.primary_color = *change.primary_color;
  if (change.logo) branding.logo = *change.logo;
  if (change.footer_text) branding.footer_text = *change.footer_text;
  if (change.public_url) branding.public_url = *change.public_url;
  return branding;
}

Result<BrandingBody> ParseBrandingBody(const json::object& body) {
  for (const auto& field : body) {
    bool known = false;
    for (std::string_view f : kFields) known = known || field.key() == f;
    if (!known) {
      return Status::InvalidArgument(
          "unknown field " + std::string(field.key().substr(0, 64)) +
          "; branding takes display_name, primary_color, logo_png, footer_text and public_url");
    }
  }
  BrandingBody out;
  BrandingChange& c = out.change;

  auto name = StringField(body, "display_name", "a string");
  if (!name) return name.error();
  if (*name) {
    if (**name) {
      RS_RETURN_IF_ERROR(CheckPlainText(***name, "display_name", 1, kMaxDisplayNameChars));
      if ((***name).find_first_not_of(' ') == std::string_view::npos) {
        return Invalid("display_name", "must not be blank");
      }
      c.display_name = std::optional<std::string>(std::string(***name));
    } else {
      c.display_name = std::optional<std::string>();
    }
  }

  auto color = StringField(body, "primary_color", "a colour \"#RRGGBB\"");
  if (!color) return color.error();
  if (*color) {
    if (**color) {
      auto parsed = ParseHexColor(***color);
      if (!parsed) return Invalid("primary_color", "must be a colour \"#RRGGBB\" or null");
      double ratio = ContrastRatio(*parsed, kWhite);
      if (ratio < kMinPrimaryContrast) {
        return Invalid("primary_color", parsed->Hex() + " has a contrast ratio of " +
                                            RatioText(ratio) +
                                            " against white; it needs at least 4.5:1 (WCAG AA)");
      }
      c.primary_color = std::optional<Color>(*parsed);
    } else {
      c.primary_color = std::optional<Color>();
    }
  }

  auto logo = StringField(body, "logo_png", "a Base64 PNG");
  if (!logo) return logo.error();
  if (*logo) {
    if (**logo) {
      // Base64 grows 3 bytes into 4: refuse what cannot fit before decoding.
      if ((***logo).size() > (kMaxLogoBytes + 2) / 3 * 4) {
        return Invalid("logo_png", "must be at most 256 KiB (262144 bytes) of PNG");
      }
      auto bytes = core::Base64Decode(***logo);
      if (!bytes) return Invalid("logo_png", "must be a PNG in standard Base64 (RFC 4648 §4)");
      if (bytes->size() > kMaxLogoBytes) {
        return Invalid("logo_png", "must be at most 256 KiB (262144 bytes) of PNG");
      }
      out.logo_png = std::optional<std::string>(std::string(bytes->begin(), bytes->end()));
    } else {
      out.logo_png = std::optional<std::string>();
    }
  }

  auto footer = StringField(body, "footer_text", "a string");
  if (!footer) return footer.error();
  if (*footer) {
    if (**footer && !(***footer).empty()) {
      RS_RETURN_IF_ERROR(CheckPlainText(***footer, "footer_text", 0, kMaxFooterChars));
      c.footer_text = std::optional<std::string>(std::string(***footer));
    } else {
      c.footer_text = std::optional<std::string>();  // "" shows no footer text, as null does
    }
  }

  auto url = StringField(body, "public_url", "an http(s) URL");
  if (!url) return url.error();
  if (*url) {
    if (**url) {
      auto normalized = NormalizePublicUrl(***url, "public_url");
      if (!normalized) return normalized.error();
      c.public_url = std::optional<std::string>(std::move(*normalized));
    } else {
      c.public_url = std::optional<std::string>();
    }
  }
  return out;
}

void AppendBrandingJson(const Branding& b, json::object& out) {
  auto text = [](const std::optional<std::string>& s) -> json::value {
    return s ? json::value(*s) : json::value(nullptr);
  };
  out["display_name"] = text(b.display_name);
  out["primary_color"] = b.primary_color ? json::value(b.primary_color->Hex()) : nullptr;
  if (b.logo) {
    out["logo_sha256"] = b.logo->sha256;
    out["logo_width"] = b.logo->width;
    out["logo_height"] = b.logo->height;
  } else {
    out["logo_sha256"] = nullptr;
    out["logo_width"] = nullptr;
    out["logo_height"] = nullptr;
  }
  out["footer_text"] = text(b.footer_text);
  out["public_url"] = text(b.public_url);
  out["version"] = b.version;
  out["updated_at"] =
      b.updated_at ? json::value(core::FormatRfc3339Seconds(*b.updated_at)) : json::value(nullptr);
}

Result<std::string> NormalizePublicUrl(std::string_view text, std::string_view name) {
  if (text.rfind("http://", 0) != 0 && text.rfind("https://", 0) != 0) {
    return Invalid(name, "must start with http:// or https://");
  }
  if (text.find_first_of("?# \t\r\n") != std::string_view::npos) {
    return Invalid(name, "must not contain a query, fragment or spaces");
  }
  for (char c : text) {
    // RFC 3986 leaves these out of a URL (and they would break out of an
    // attribute or a Markdown link wherever a link is pasted).
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e || std::string_view("\"<>\\^`{|}").find(c) != std::string_view::npos) {
      return Invalid(name, "must hold only the characters of a URL (RFC 3986)");
    }
  }
  std::string url(text);
  while (!url.empty() && url.back() == '/') url.pop_back();
  const size_t host = text.find("://") + 3;  // the scheme check above guarantees "://"
  if (host >= text.size() || text[host] == '/') return Invalid(name, "needs a host");
  const size_t host_end = text.find('/', host);
  if (text.substr(host, host_end - host).find('@') != std::string_view::npos) {
    return Invalid(name, "must not hold a user name");
  }
  return url;
}

}  // namespace reportshare::domain
