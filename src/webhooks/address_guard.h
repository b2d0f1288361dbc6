#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "webhooks/webhook_url.h"

namespace reportshare::webhooks {

// True if a webhook may be delivered to this IP address (text form, dotted
// IPv4 or IPv6 without brackets or zone). False for every address that is not
// globally reachable (the IANA special-purpose registries):
//   IPv4  0/8 (unspecified, "this network"), 10/8, 100.64/10 (CGNAT), 127/8,
//         169.254/16, 172.16/12, 192.0.0/24, 192.0.2/24, 192.88.99/24 (the
//         retired 6to4 relay), 192.168/16, 198.18/15, 198.51.100/24,
//         203.0.113/24, 224/4 (multicast), 240/4 (reserved, broadcast);
//   IPv6  anything outside 2000::/3 (global unicast), which covers ::, ::1,
//         fc00::/7, fe80::/10, ff00::/8, 64:ff9b:1::/48 and the deprecated
//         ranges; within it 2001::/23 (IETF protocol assignments, Teredo),
//         2001:db8::/32 and 3fff::/20 (documentation).
// The IETF documentation ranges (192.0.2/24, 198.51.100/24, 203.0.113/24,
// 2001:db8::/32, 3fff::/20) are refused: no one receives anything there.
// An IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96) or 6to4 (2002::/16)
// address is judged as the IPv4 address it carries. Text that is not an IP
// address is false. No I/O; thread-safe.
bool IsPublicAddress(std::string_view ip);

// Resolves `host` (a DNS name or an IP literal) with getaddrinfo: blocking,
// for TCP, both families. Returns its distinct addresses as text, in the
// resolver's order, never empty; kInvalidArgument("url host does not
// resolve") when resolution fails or gives nothing. Thread-safe.
Result<std::vector<std::string>> ResolveHost(const std::string& host);

// Checks where `url` would be delivered: resolves url.host (blocking; called
// at registration from a request worker, not an I/O thread) and checks every
// address it resolves to. An IP-literal host is checked without DNS. Ok if all
// are public, or whatever they are when `allow_private`. Fails with
// kInvalidArgument("url host does not resolve") when resolution fails or
// gives nothing, and kInvalidArgument("url resolves to a loopback, private,
// link-local or unspecified address") when any address is not public and
// !allow_private. Thread-safe.
Status CheckWebhookHost(const WebhookUrl& url, bool allow_private);

}  // namespace reportshare::webhooks
