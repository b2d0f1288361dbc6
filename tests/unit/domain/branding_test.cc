#include "domain/branding.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "core/bytes.h"
#include "core/json.h"

namespace reportshare::domain {
namespace {

namespace json = boost::json;

Result<BrandingBody> Parse(std::string_view body) {
  auto value = core::ParseJson(body);
  EXPECT_TRUE(value && value->is_object()) << body;
  return ParseBrandingBody(value->as_object());
}

// The error message of parsing `body`, or "" if it parsed.
std::string ErrorOf(std::string_view body) {
  auto parsed = Parse(body);
  if (parsed) return "";
  EXPECT_EQ(parsed.error().code(), Code::kInvalidArgument);
  return parsed.error().message();
}

std::string Base64Of(const std::string& bytes) { return core::Base64Encode(core::AsBytes(bytes)); }

TEST(ColorTest, ParsesBothCasesAndWritesLowerCase) {
  auto c = ParseHexColor("#1D4e9E");
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, (Color{0x1d, 0x4e, 0x9e}));
  EXPECT_EQ(c->Hex(), "#1d4e9e");
  for (std::string_view bad : {"", "#", "1d4e9e", "#1d4e9", "#1d4e9e0", "#1g4e9e", "#fff",
                               " #1d4e9e", "rgb(0,0,0)", "#-1d4e9"}) {
    EXPECT_FALSE(ParseHexColor(bad)) << bad;
  }
}

TEST(ColorTest, ContrastRatioFollowsWcag) {
  EXPECT_NEAR(ContrastRatio({0, 0, 0}, kWhite), 21.0, 1e-9);
  EXPECT_NEAR(ContrastRatio(kWhite, kWhite), 1.0, 1e-9);
  EXPECT_DOUBLE_EQ(ContrastRatio({0, 0, 0}, kWhite), ContrastRatio(kWhite, {0, 0, 0}));
  // The well-known pair around the AA threshold: #767676 passes, #777777 not.
  EXPECT_GT(ContrastRatio(*ParseHexColor("#767676"), kWhite), 4.5);
  EXPECT_LT(ContrastRatio(*ParseHexColor("#777777"), kWhite), 4.5);
  EXPECT_NEAR(ContrastRatio(*ParseHexColor("#1d4e9e"), kWhite), 7.97, 0.01);
}

TEST(ParseBrandingBodyTest, AbsentKeepsNullResetsValueSets) {
  auto empty = Parse("{}");
  ASSERT_TRUE(empty) << empty.error().message();
  EXPECT_FALSE(empty->change.display_name);
  EXPECT_FALSE(empty->change.primary_color);
  EXPECT_FALSE(empty->change.footer_text);
  EXPECT_FALSE(empty->change.public_url);
  EXPECT_FALSE(empty->change.logo);
  EXPECT_FALSE(empty->logo_png);

  auto nulls = Parse(R"({"display_name": null, "primary_color": null, "logo_png": null,
                         "footer_text": null, "public_url": null})");
  ASSERT_TRUE(nulls) << nulls.error().message();
  ASSERT_TRUE(nulls->change.display_name);
  EXPECT_FALSE(*nulls->change.display_name);
  ASSERT_TRUE(nulls->change.primary_color);
  EXPECT_FALSE(*nulls->change.primary_color);
  ASSERT_TRUE(nulls->change.footer_text);
  EXPECT_FALSE(*nulls->change.footer_text);
  ASSERT_TRUE(nulls->change.public_url);
  EXPECT_FALSE(*nulls->change.public_url);
  ASSERT_TRUE(nulls->logo_png);
  EXPECT_FALSE(*nulls->logo_png);

  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + std::string("\0\xff", 2);
  auto set = Parse(R"({"display_name": "Acme Talent ✓", "primary_color": "#0B5394",
                       "logo_png": ")" +
                   Base64Of(png) + R"(", "footer_text": "Acme · Confidential",
                       "public_url": "https://reports.acme.example/"})");
  ASSERT_TRUE(set) << set.error().message();
  EXPECT_EQ(**set->change.display_name, "Acme Talent ✓");
  EXPECT_EQ(**set->change.primary_color, (Color{0x0b, 0x53, 0x94}));
  EXPECT_EQ(**set->logo_png, png);
  EXPECT_EQ(**set->change.footer_text, "Acme · Confidential");
  EXPECT_EQ(**set->change.public_url, "https://reports.acme.example");
  EXPECT_FALSE(set->change.logo);  // the service makes the Logo once the PNG decodes
}

TEST(ParseBrandingBodyTest, EmptyFooterTextIsAReset) {
  auto parsed = Parse(R"({"footer_text": ""})");
  ASSERT_TRUE(parsed);
  ASSERT_TRUE(parsed->change.footer_text);
  EXPECT_FALSE(*parsed->change.footer_text);
}

TEST(ParseBrandingBodyTest, DisplayNameRules) {
  EXPECT_EQ(ErrorOf(R"({"display_name": ""})"),
            "display_name must be a string of 1 to 100 characters without control characters; "
            "it has 0");
  EXPECT_EQ(ErrorOf(R"({"display_name": "   "})"), "display_name must not be blank");
  EXPECT_EQ(ErrorOf(R"({"display_name": 7})"), "display_name must be a string or null");
  EXPECT_NE(ErrorOf(R"({"display_name": "a\nb"})").find("control character"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"display_name": "a\u202eb"})").find("control character"),
            std::string::npos);
  // 100 characters (not bytes) is the limit: 100 × "é" is 200 bytes.
  std::string hundred;
  for (int i = 0; i < 100; ++i) hundred += "é";
  EXPECT_EQ(ErrorOf(R"({"display_name": ")" + hundred + "\"}"), "");
  EXPECT_NE(ErrorOf(R"({"display_name": ")" + hundred + "x\"}").find("it has 101"),
            std::string::npos);
}

TEST(ParseBrandingBodyTest, PrimaryColorNeedsAaContrastAndStatesTheRatio) {
  EXPECT_EQ(ErrorOf(R"({"primary_color": "#ffcc00"})"),
            "primary_color #ffcc00 has a contrast ratio of 1.51:1 against white; it needs at "
            "least 4.5:1 (WCAG AA)");
  // Just under the threshold is refused, and never shown as "4.50:1".
  std::string grey = ErrorOf(R"({"primary_color": "#777777"})");
  EXPECT_NE(grey.find("4.47:1"), std::string::npos) << grey;
  EXPECT_EQ(ErrorOf(R"({"primary_color": "#767676"})"), "");
  EXPECT_EQ(ErrorOf(R"({"primary_color": "#000000"})"), "");
  for (std::string_view bad : {R"({"primary_color": "blue"})", R"({"primary_color": "#12345"})",
                               R"({"primary_color": 123456})", R"({"primary_color": true})"}) {
    EXPECT_NE(ErrorOf(bad).find("primary_color must be a colour \"#RRGGBB\" or null"),
              std::string::npos)
        << bad;
  }
}

TEST(ParseBrandingBodyTest, LogoMustBeBase64OfAtMost256KiB) {
  EXPECT_EQ(ErrorOf(R"({"logo_png": "not base64!"})"),
            "logo_png must be a PNG in standard Base64 (RFC 4648 §4)");
  EXPECT_EQ(ErrorOf(R"({"logo_png": 1})"), "logo_png must be a Base64 PNG or null");
  const std::string at_limit(kMaxLogoBytes, 'x');
  EXPECT_EQ(ErrorOf(R"({"logo_png": ")" + Base64Of(at_limit) + "\"}"), "");
  const std::string over(kMaxLogoBytes + 1, 'x');
  EXPECT_EQ(ErrorOf(R"({"logo_png": ")" + Base64Of(over) + "\"}"),
            "logo_png must be at most 256 KiB (262144 bytes) of PNG");
}

TEST(ParseBrandingBodyTest, FooterAndPublicUrlRules) {
  EXPECT_EQ(ErrorOf(R"({"footer_text": ")" + std::string(200, 'f') + "\"}"), "");
  EXPECT_EQ(ErrorOf(R"({"footer_text": ")" + std::string(201, 'f') + "\"}"),
            "footer_text must be a string of at most 200 characters without control characters; "
            "it has 201");
  EXPECT_NE(ErrorOf(R"({"footer_text": "a\tb"})").find("control character"), std::string::npos);
  EXPECT_EQ(ErrorOf(R"({"public_url": "ftp://x.example"})"),
            "public_url must start with http:// or https://");
  EXPECT_EQ(ErrorOf(R"({"public_url": "https://x.example/?a=1"})"),
            "public_url must not contain a query, fragment or spaces");
  EXPECT_EQ(ErrorOf(R"({"public_url": "https://"})"), "public_url needs a host");
  EXPECT_EQ(ErrorOf(R"({"public_url": "https://trusted.example@evil.example"})"),
            "public_url must not hold a user name");
  EXPECT_EQ(ErrorOf(R"({"public_url": "https://x.example/\"><b>"})"),
            "public_url must hold only the characters of a URL (RFC 3986)");
  EXPECT_EQ(ErrorOf(R"({"public_url": "https://bücher.example"})"),
            "public_url must hold only the characters of a URL (RFC 3986)");
  // A user name is only refused in the host part; "@" in a path is a path.
  EXPECT_EQ(ErrorOf(R"({"public_url": "https://x.example/@team"})"), "");
}

TEST(ParseBrandingBodyTest, UnknownFieldsAreRefused) {
  EXPECT_EQ(ErrorOf(R"({"primary_colour": "#000000"})"),
            "unknown field primary_colour; branding takes display_name, primary_color, logo_png, "
            "footer_text and public_url");
}

TEST(BrandingTest, ApplyChangesOnlyWhatIsGiven) {
  Branding b;
  b.display_name = "Old";
  b.footer_text = "Keep me";
  b.version = 3;
  BrandingChange change;
  change.display_name = std::optional<std::string>("New");
  change.primary_color = std::optional<Color>(Color{1, 2, 3});
  change.public_url = std::optional<std::string>();  // reset (was unset anyway)
  Branding after = Apply(b, change);
  EXPECT_EQ(after.display_name, "New");
  EXPECT_EQ(after.primary_color, (Color{1, 2, 3}));
  EXPECT_EQ(after.footer_text, "Keep me");
  EXPECT_FALSE(after.public_url);
  EXPECT_EQ(after.version, 3);
  BrandingChange reset;
  reset.display_name = std::optional<std::string>();
  EXPECT_FALSE(Apply(after, reset).display_name);
}

TEST(BrandingTest, JsonShowsTheLogoByHashAndSizeNeverItsBytes) {
  Branding b;
  b.display_name = "Acme";
  b.primary_color = Color{0x0b, 0x53, 0x94};
  b.logo = Logo{"PNGBYTES-SECRET", std::string(64, 'a'), 120, 40};
  b.version = 2;
  b.updated_at = Instant(std::chrono::seconds(1'700'000'000));
  json::object out;
  AppendBrandingJson(b, out);
  EXPECT_EQ(out.at("display_name"), "Acme");
  EXPECT_EQ(out.at("primary_color"), "#0b5394");
  EXPECT_EQ(out.at("logo_sha256").as_string(), std::string(64, 'a'));
  EXPECT_EQ(out.at("logo_width"), 120);
  EXPECT_EQ(out.at("logo_height"), 40);
  EXPECT_TRUE(out.at("footer_text").is_null());
  EXPECT_TRUE(out.at("public_url").is_null());
  EXPECT_EQ(out.at("version"), 2);
  EXPECT_EQ(out.at("updated_at"), "2023-11-14T22:13:20Z");
  EXPECT_EQ(core::WriteJson(out).find("PNGBYTES"), std::string::npos);

  json::object none;
  AppendBrandingJson(Branding{}, none);
  for (std::string_view key : {"display_name", "primary_color", "logo_sha256", "logo_width",
                               "logo_height", "footer_text", "public_url", "updated_at"}) {
    EXPECT_TRUE(none.at(key).is_null()) << key;
  }
  EXPECT_EQ(none.at("version"), 0);
}

}  // namespace
}  // namespace reportshare::domain
