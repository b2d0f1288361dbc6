// A render request carries the branding to the worker (worker/protocol.h):
// what the PDF needs of it arrives exactly; a malformed one is refused.
#include "render/worker/protocol.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/json.h"
#include "render/renderer.h"
#include "support/png_samples.h"
#include "support/sample_reports.h"

namespace reportshare::render::worker {
namespace {

namespace json = boost::json;

using test_support::At;
using test_support::LogoOf;
using test_support::MakeLogo;
using test_support::SpecExample;

const Instant kGenerated = At("2025-07-09T07:00:00Z");

// Every byte value, twice, in both orders: nothing in the logo's bytes is
// special to the encoding.
std::string AllBytes() {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (int i = 255; i >= 0; --i) bytes.push_back(static_cast<char>(i));
  return bytes;
}

std::shared_ptr<domain::Branding> FullBranding(domain::Logo logo) {
  auto b = std::make_shared<domain::Branding>();
  b->display_name = "Acme \"Hiring\" \\ प्रिया ليلى 🚀";
  b->primary_color = domain::ParseHexColor("#0B5394");
  b->logo = std::move(logo);
  b->footer_text = "Line one\nline two\t<b>&</b> \u2028 end";
  b->version = 42;
  return b;
}

RenderOptions Options(std::shared_ptr<const domain::Branding> branding) {
  RenderOptions options;
  options.language = Language::kDe;
  options.branding = std::move(branding);
  return options;
}

TEST(RenderRequestTest, TheBrandingRoundTripsExactly) {
  const auto branding = FullBranding(LogoOf(AllBytes(), 512, 1));
  const std::string payload = EncodeRequest(SpecExample(), kGenerated, Options(branding));
  auto request = DecodeRequest(payload);
  ASSERT_TRUE(request.has_value()) << request.error().message();
  ASSERT_NE(request->options.branding, nullptr);
  const domain::Branding& got = *request->options.branding;
  EXPECT_EQ(got.display_name, branding->display_name);
  EXPECT_EQ(got.primary_color, branding->primary_color);
  EXPECT_EQ(got.footer_text, branding->footer_text);
  EXPECT_EQ(got.version, 42);
  ASSERT_TRUE(got.logo.has_value());
  EXPECT_EQ(got.logo->png, AllBytes());
  EXPECT_EQ(got.logo->png.size(), 512u);
  EXPECT_EQ(got.logo->sha256, branding->logo->sha256);
  EXPECT_EQ(got.logo->width, 512);
  EXPECT_EQ(got.logo->height, 1);
  EXPECT_EQ(*got.logo, *branding->logo);
  // What the PDF does not use stays behind: links are minted in the server.
  EXPECT_FALSE(got.public_url.has_value());
  EXPECT_FALSE(got.updated_at.has_value());
  // The rest of the request as before.
  EXPECT_EQ(request->options.language, Language::kDe);
  EXPECT_EQ(request->generated_at, kGenerated);
  EXPECT_EQ(request->report.company_name, "Acme Talent");
  EXPECT_EQ(request->report.report.name, "Priya Raman");
  EXPECT_EQ(request->report.report.report_id.value, 318);
}

TEST(RenderRequestTest, EveryFieldLeftOutStaysUnset) {
  auto sparse = std::make_shared<domain::Branding>();
  sparse->version = 1;
  sparse->footer_text = "";  // set, and empty
  auto request = DecodeRequest(EncodeRequest(SpecExample(), kGenerated, Options(sparse)));
  ASSERT_TRUE(request.has_value()) << request.error().message();
  ASSERT_NE(request->options.branding, nullptr);
  EXPECT_FALSE(request->options.branding->display_name.has_value());
  EXPECT_FALSE(request->options.branding->primary_color.has_value());
  EXPECT_FALSE(request->options.branding->logo.has_value());
  EXPECT_EQ(request->options.branding->footer_text, std::optional<std::string>(""));
}

TEST(RenderRequestTest, NoBrandingIsNoBranding) {
  const std::string payload = EncodeRequest(SpecExample(), kGenerated, {});
  EXPECT_EQ(payload.find("branding"), std::string::npos);
  auto request = DecodeRequest(payload);
  ASSERT_TRUE(request.has_value()) << request.error().message();
  EXPECT_EQ(request->options.branding, nullptr);
}

// What the worker renders from the decoded request is what the server would
// have rendered itself. (A *PdfTest suite: the TSan preset leaves out tests
// that render PDFs, for the races inside Pango and fontconfig; issue 9.)
TEST(RenderRequestPdfTest, TheDecodedRequestRendersTheSamePdf) {
  const auto branding = FullBranding(MakeLogo(90, 30, 128));
  const RenderOptions options = Options(branding);
  auto request = DecodeRequest(EncodeRequest(SpecExample(), kGenerated, options));
  ASSERT_TRUE(request.has_value()) << request.error().message();
  auto direct = MakeBasicRenderer()->RenderPdf(SpecExample(), kGenerated, options);
  auto relayed =
      MakeBasicRenderer()->RenderPdf(request->report, request->generated_at, request->options);
  ASSERT_TRUE(direct.has_value());
  ASSERT_TRUE(relayed.has_value());
  EXPECT_EQ(*direct, *relayed);
  auto unbranded = MakeBasicRenderer()->RenderPdf(SpecExample(), kGenerated, {});
  ASSERT_TRUE(unbranded.has_value());
  EXPECT_NE(*relayed, *unbranded);
}

// A request whose "branding" is edited into something malformed.
std::string WithBranding(const std::function<void(json::object&)>& edit) {
  const auto branding = FullBranding(LogoOf(AllBytes(), 512, 1));
  json::value v = *core::ParseJson(EncodeRequest(SpecExample(), kGenerated, Options(branding)));
  edit(v.as_object()["branding"].as_object());
  return json::serialize(v);
}

TEST(RenderRequestTest, AMalformedBrandingIsRefused) {
  // The unedited request decodes: the edits below are what is refused.
  ASSERT_TRUE(DecodeRequest(WithBranding([](json::object&) {})).has_value());
  struct Case {
    const char* name;
    std::function<void(json::object&)> edit;
  };
  const std::vector<Case> cases = {
      {"no version", [](json::object& b) { b.erase("version"); }},
      {"version a string", [](json::object& b) { b["version"] = "42"; }},
      {"version a fraction", [](json::object& b) { b["version"] = 4.5; }},
      {"display_name a number", [](json::object& b) { b["display_name"] = 7; }},
      {"display_name null", [](json::object& b) { b["display_name"] = nullptr; }},
      {"footer_text an array", [](json::object& b) { b["footer_text"] = json::array{"a"}; }},
      {"primary_color a name", [](json::object& b) { b["primary_color"] = "blue"; }},
      {"primary_color short", [](json::object& b) { b["primary_color"] = "#12345"; }},
      {"primary_color not hex", [](json::object& b) { b["primary_color"] = "#12345g"; }},
      {"primary_color no hash", [](json::object& b) { b["primary_color"] = "0b5394"; }},
      {"primary_color a number", [](json::object& b) { b["primary_color"] = 0x0b5394; }},
      {"logo a string", [](json::object& b) { b["logo"] = "iVBORw0KGgo="; }},
      {"logo null", [](json::object& b) { b["logo"] = nullptr; }},
      {"logo png missing", [](json::object& b) { b["logo"].as_object().erase("png"); }},
      {"logo png a number", [](json::object& b) { b["logo"].as_object()["png"] = 5; }},
      {"logo png not base64",
       [](json::object& b) { b["logo"].as_object()["png"] = "not base64!"; }},
      {"logo png unpadded",
       [](json::object& b) {
         b["logo"].as_object()["png"] =
             "QUJD"
             "QQ";
       }},
      {"logo png url-safe alphabet",
       [](json::object& b) { b["logo"].as_object()["png"] = "-_-_"; }},
      {"logo sha256 missing", [](json::object& b) { b["logo"].as_object().erase("sha256"); }},
      {"logo width a string", [](json::object& b) { b["logo"].as_object()["width"] = "512"; }},
      {"logo width a fraction", [](json::object& b) { b["logo"].as_object()["width"] = 51.5; }},
      {"logo width 0", [](json::object& b) { b["logo"].as_object()["width"] = 0; }},
      {"logo width negative", [](json::object& b) { b["logo"].as_object()["width"] = -512; }},
      {"logo height over 2000", [](json::object& b) { b["logo"].as_object()["height"] = 2001; }},
      {"logo height past int32",
       [](json::object& b) { b["logo"].as_object()["height"] = int64_t{1} << 33; }},
      {"logo height missing", [](json::object& b) { b["logo"].as_object().erase("height"); }},
      {"branding an array", nullptr},
      {"branding a string", nullptr},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::string payload;
    if (c.edit) {
      payload = WithBranding(c.edit);
    } else {
      json::value v = *core::ParseJson(EncodeRequest(SpecExample(), kGenerated, {}));
      v.as_object()["branding"] = std::string_view(c.name) == "branding an array"
                                      ? json::value(json::array{})
                                      : json::value("Acme");
      payload = json::serialize(v);
    }
    auto request = DecodeRequest(payload);
    ASSERT_FALSE(request.has_value()) << payload.substr(0, 200);
    EXPECT_EQ(request.error().code(), Code::kInvalidArgument);
  }
}

}  // namespace
}  // namespace reportshare::render::worker
