// Fuzz target `webhook_body`: the body of POST /assessments/webhooks
// (domain::ParseWebhookRegistration, SPEC §7) and the URL rules it is then
// checked with (webhooks::ParseWebhookUrl; the address guard's
// IsPublicAddress on an IP-literal host, without DNS). The input is the raw
// body; an input that is not a JSON object is tried as a URL. Never a crash;
// and an accepted registration has a non-empty set of known event types
// that round-trips through their names and a description of at most 500
// characters; an accepted URL has a lower-case host, a port from 1 to
// 65535 and a target starting with '/', and rebuilt from its parts
// (scheme, Host header, target) it parses to the same URL.
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/json.h"
#include "domain/webhook.h"
#include "fuzz/fuzz_util.h"
#include "webhooks/address_guard.h"
#include "webhooks/webhook_url.h"

namespace reportshare::fuzz {
namespace {

size_t Characters(std::string_view utf8) {
  size_t n = 0;
  for (char c : utf8) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80 ? 1 : 0;
  return n;
}

void CheckUrl(std::string_view text) {
  auto url = webhooks::ParseWebhookUrl(text);
  if (!url) {
    FUZZ_CHECK(url.error().message().starts_with("url "), url.error().message());
    return;
  }
  FUZZ_CHECK(text.size() <= webhooks::kMaxWebhookUrlLength);
  FUZZ_CHECK(!url->host.empty());
  for (char c : url->host) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'), "a host not lower case");
  FUZZ_CHECK(url->port >= 1);
  FUZZ_CHECK(!url->target.empty() && url->target.front() == '/');
  FUZZ_CHECK(url->target.find('#') == std::string::npos, "a fragment kept");
  (void)webhooks::IsPublicAddress(url->host);

  const std::string rebuilt =
      std::string(url->https ? "https://" : "http://") + url->HostHeader() + url->target;
  auto again = webhooks::ParseWebhookUrl(rebuilt);
  FUZZ_CHECK(again.has_value(),
             "the rebuilt URL is refused (" + again.error().message() + "): " + rebuilt);
  FUZZ_CHECK(*again == *url, "the URL changes when rebuilt: " + rebuilt);
}

void CheckRegistration(const domain::WebhookRegistration& r) {
  FUZZ_CHECK(r.events != 0 && (r.events & ~domain::kAllEvents) == 0);
  domain::EventMask again = 0;
  for (std::string_view name : domain::EventTypeNames(r.events)) {
    auto type = domain::ParseEventType(name);
    FUZZ_CHECK(type.has_value());
    again |= domain::EventBit(*type);
  }
  FUZZ_CHECK(again == r.events);
  FUZZ_CHECK(Characters(r.description) <= domain::kMaxWebhookDescriptionChars);

  domain::Webhook hook;
  hook.webhook_id = "wh_000000000000000000000000";
  hook.url = r.url;
  hook.events = r.events;
  hook.description = r.description;
  boost::json::object out;
  domain::AppendWebhookJson(hook, out);
  FUZZ_CHECK(core::ParseJson(core::WriteJson(out)).has_value());
  CheckUrl(r.url);
}

}  // namespace
}  // namespace reportshare::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace reportshare;
  const std::string_view input = fuzz::AsText(data, size);
  auto value = core::ParseJson(input);
  if (!value || !value->is_object()) {
    fuzz::CheckUrl(input);
    (void)webhooks::IsPublicAddress(input);
    return 0;
  }
  auto registration = domain::ParseWebhookRegistration(value->get_object());
  if (registration) fuzz::CheckRegistration(*registration);
  return 0;
}
