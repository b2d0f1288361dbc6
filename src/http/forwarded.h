#pragma once

// The client behind trusted reverse proxies (SPEC §10, "Behind a reverse
// proxy"): the ranges of --trusted-proxies, and the walk through RFC 7239
// `Forwarded` or, when it is absent, `X-Forwarded-For` / `X-Forwarded-Proto`.
// Plain values only (no Beast or Asio type), so it is testable on its own.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace reportshare::http {

// An IPv4 or IPv6 address. An IPv4-mapped IPv6 address (::ffff:a.b.c.d, what
// a dual-stack socket reports for an IPv4 peer) is held as the IPv4 address.
struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4: the first 4

  // The canonical text (a.b.c.d, or RFC 5952 IPv6 without brackets).
  std::string ToString() const;
  bool operator==(const IpAddress&) const = default;
};

// Parses a bare IPv4 or IPv6 literal: no brackets, port or zone (%eth0).
std::optional<IpAddress> ParseIpAddress(std::string_view text);

// A CIDR range: the address with every bit past `prefix` zero.
struct IpRange {
  IpAddress base;
  int prefix = 0;  // 0..32 for IPv4, 0..128 for IPv6

  // True for an address of the same family whose first `prefix` bits match.
  bool Contains(const IpAddress& address) const;
  bool operator==(const IpRange&) const = default;
};

// Parses "ADDRESS/PREFIX" or a bare address (/32, /128). A range with bits
// set past its prefix (10.0.0.1/8) is refused: it is most likely a typo.
// kInvalidArgument starting with `name` otherwise.
Result<IpRange> ParseIpRange(std::string_view text, std::string_view name);

// Parses "CIDR[,CIDR…]" (spaces around the commas allowed); "" is no range at
// all. kInvalidArgument starting with `name` for an empty or bad element.
Result<std::vector<IpRange>> ParseIpRanges(std::string_view text,
                                           std::string_view name = "--trusted-proxies");

bool InAnyRange(const std::vector<IpRange>& ranges, const IpAddress& address);

// Bounds on the work of one resolution: forwarding headers longer than this in
// all, or with more elements, are treated as malformed (the peer is used).
inline constexpr size_t kMaxForwardedBytes = 8 * 1024;
inline constexpr size_t kMaxForwardedElements = 64;

// The forwarding headers of one request, every line of each in order.
struct ForwardingHeaders {
  std::vector<std::string_view> forwarded;
  std::vector<std::string_view> x_forwarded_for;
  std::vector<std::string_view> x_forwarded_proto;
};

struct ClientAddress {
  std::string address;  // the client's IP address as text
  std::string proto;    // the scheme the client used, lower case; "" when not known
};

// The client of a request whose connection comes from `peer` (an IP address as
// text). When `peer` is in none of `trusted` the headers are ignored and the
// peer is the client. Otherwise the hops of `Forwarded` (its for= parameters,
// across elements and lines), or when no `Forwarded` line is present those of
// `X-Forwarded-For`, are walked from the right: a hop that is itself trusted is
// skipped, the first untrusted one is the client; when every hop is trusted,
// the left-most. An obfuscated or unknown hop (for=_hidden, for=unknown, an
// element without for=) stops the walk: the client is the last hop walked (or
// the peer). Any malformed header, or one over the bounds above, gives the
// peer. Never fails.
ClientAddress ResolveClient(std::string_view peer, const std::vector<IpRange>& trusted,
                            const ForwardingHeaders& headers);

}  // namespace reportshare::http
