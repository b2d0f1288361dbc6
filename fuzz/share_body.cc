// Fuzz target `share_body`: the bodies of POST …/{id}/share|download and of
// the bulk POST /assessments/reports/share|download (http/share_body.h, SPEC
// §2.1, §5, §6), the input being the raw body. Never a crash; and
//  - an accepted expiration_hours lies in 0.25 … 24 h and its echo, written
//    and read again, gives the same lifetime;
//  - accepted link options obey their rules and survive the links list's
//    JSON (AppendLinkOptionsJson) read back as a share body;
//  - an accepted bulk body has 1 … 1000 distinct ids ≥ 1, the same lifetime
//    and options the single share reads from it, and rebuilt from what was
//    parsed it parses to the same request.
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "core/json.h"
#include "domain/link_options.h"
#include "fuzz/fuzz_util.h"
#include "http/share_body.h"
#include "service/report_service.h"

namespace reportshare::fuzz {
namespace {

namespace json = boost::json;

void CheckLifetime(const http::Lifetime& lifetime) {
  FUZZ_CHECK(lifetime.duration >= service::kMinLinkLifetime);
  FUZZ_CHECK(lifetime.duration <= service::kMaxLinkLifetime);
  FUZZ_CHECK(lifetime.echo.is_number(), core::WriteJson(lifetime.echo));
  // The echo is what the response states: written and read again, the same.
  auto text = core::ParseJson("{\"expiration_hours\":" + core::WriteJson(lifetime.echo) + "}");
  FUZZ_CHECK(text.has_value() && text->is_object());
  auto again = http::ParseExpirationHours(std::optional<json::object>(text->get_object()));
  FUZZ_CHECK(again.has_value(), "the echoed expiration_hours is refused");
  FUZZ_CHECK(again->duration == lifetime.duration);
}

void CheckOptions(const LinkOptions& options) {
  if (options.max_views) {
    FUZZ_CHECK(*options.max_views >= 1 && *options.max_views <= domain::kMaxViewsLimit);
  }
  if (options.recipient) FUZZ_CHECK(domain::CheckRecipient(*options.recipient).ok());
  // The links list shows the options; as a share body they are the same.
  json::object listed;
  domain::AppendLinkOptionsJson(options, listed);
  auto reread = core::ParseJson(core::WriteJson(listed));
  FUZZ_CHECK(reread.has_value() && reread->is_object());
  auto again = domain::ParseLinkOptions(reread->get_object());
  FUZZ_CHECK(again.has_value(), "the listed options are refused: " + again.error().message());
  FUZZ_CHECK(*again == options, "the options change through their JSON");
}

void Single(std::string_view body) {
  auto object = http::ParseOptionalObject(body);
  if (!object) return;
  FUZZ_CHECK(object->has_value() == !body.empty());
  auto lifetime = http::ParseExpirationHours(*object);
  if (lifetime) CheckLifetime(*lifetime);
  auto options = http::ParseOptions(*object);
  if (options) CheckOptions(*options);
}

void Bulk(std::string_view body) {
  auto bulk = http::ParseBulkBody(body);
  if (!bulk) return;
  FUZZ_CHECK(!bulk->ids.empty() && bulk->ids.size() <= service::kMaxBulkReports);
  std::set<int64_t> distinct;
  json::array ids;
  for (ReportId id : bulk->ids) {
    FUZZ_CHECK(id.value >= 1);
    FUZZ_CHECK(distinct.insert(id.value).second, "a repeated id is accepted");
    ids.push_back(id.value);
  }
  CheckLifetime(bulk->lifetime);
  CheckOptions(bulk->options);

  // The single share reads the same lifetime and options from this body.
  auto object = http::ParseOptionalObject(body);
  FUZZ_CHECK(object.has_value() && object->has_value());
  auto lifetime = http::ParseExpirationHours(*object);
  FUZZ_CHECK(lifetime.has_value() && lifetime->duration == bulk->lifetime.duration);
  auto options = http::ParseOptions(*object);
  FUZZ_CHECK(options.has_value() && *options == bulk->options);

  // Rebuilt from what was parsed, the same request.
  json::object rebuilt;
  rebuilt["report_ids"] = std::move(ids);
  rebuilt["expiration_hours"] = bulk->lifetime.echo;
  domain::AppendLinkOptionsJson(bulk->options, rebuilt);
  auto again = http::ParseBulkBody(core::WriteJson(rebuilt));
  FUZZ_CHECK(again.has_value(), "the rebuilt bulk body is refused: " + again.error().message());
  FUZZ_CHECK(again->ids == bulk->ids);
  FUZZ_CHECK(again->lifetime.duration == bulk->lifetime.duration);
  FUZZ_CHECK(again->options == bulk->options);
}

}  // namespace
}  // namespace reportshare::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body = reportshare::fuzz::AsText(data, size);
  reportshare::fuzz::Single(body);
  reportshare::fuzz::Bulk(body);
  return 0;
}
