#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace reportshare::webhooks {

// Longest URL a webhook may have, in characters.
inline constexpr size_t kMaxWebhookUrlLength = 2048;

// A webhook's endpoint, split into what a connection and a request need.
struct WebhookUrl {
  bool https = true;
  std::string host;    // lower-case; an IPv6 literal without brackets
  uint16_t port = 0;   // as written, else 443 / 80
  std::string target;  // path and query as written, "/" when empty

  // The Host header: `host`, bracketed if it is an IPv6 literal, with ":port"
  // unless the port is the scheme's default.
  std::string HostHeader() const;

  friend bool operator==(const WebhookUrl&, const WebhookUrl&) = default;
};

// Parses an absolute http or https URL: scheme http or https
// (case-insensitive), a non-empty host (a DNS name, dotted IPv4 or a bracketed
// IPv6 literal), an optional port 1-65535, no userinfo (user:pass@), no
// fragment, at most kMaxWebhookUrlLength characters, only printable ASCII.
// A name whose last label is a number ("127.1", "0x7f.1") is refused: resolvers
// read it as an IPv4 address in a form no one writes on purpose.
// Fails with kInvalidArgument whose message starts with "url " and says what is
// wrong ("url must start with http:// or https://", "url must not contain
// credentials", "url must not have a fragment", "url is too long (at most 2048
// characters)", "url is not a valid absolute URL", ...); the message never
// quotes the url. No I/O; thread-safe.
Result<WebhookUrl> ParseWebhookUrl(std::string_view text);

}  // namespace reportshare::webhooks
