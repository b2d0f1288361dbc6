#include "webhooks/address_guard.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>

namespace reportshare::webhooks {
namespace {

struct Range {
  uint32_t base;
  int prefix;
};

constexpr uint32_t V4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

// IPv4 ranges that are not globally reachable (IANA IPv4 Special-Purpose
// Address Registry), plus multicast and the reserved 240/4.
constexpr std::array<Range, 15> kNotPublicV4 = {{
    {V4(0, 0, 0, 0), 8},        // unspecified, "this network"
    {V4(10, 0, 0, 0), 8},       // private
    {V4(100, 64, 0, 0), 10},    // shared address space (CGNAT)
    {V4(127, 0, 0, 0), 8},      // loopback
    {V4(169, 254, 0, 0), 16},   // link-local (cloud metadata lives here)
    {V4(172, 16, 0, 0), 12},    // private
    {V4(192, 0, 0, 0), 24},     // IETF protocol assignments
    {V4(192, 0, 2, 0), 24},     // documentation (TEST-NET-1)
    {V4(192, 88, 99, 0), 24},   // the retired 6to4 relay anycast
    {V4(192, 168, 0, 0), 16},   // private
    {V4(198, 18, 0, 0), 15},    // benchmarking
    {V4(198, 51, 100, 0), 24},  // documentation (TEST-NET-2)
    {V4(203, 0, 113, 0), 24},   // documentation (TEST-NET-3)
    {V4(224, 0, 0, 0), 4},      // multicast
    {V4(240, 0, 0, 0), 4},      // reserved, and the broadcast 255.255.255.255
}};

bool IsPublicV4(uint32_t a) {
  for (const Range& r : kNotPublicV4) {
    uint32_t mask = ~uint32_t{0} << (32 - r.prefix);  // prefix is 4-24
    if ((a & mask) == r.base) return false;
  }
  return true;
}

uint32_t V4At(const std::array<uint8_t, 16>& b, size_t i) {
  return V4(b[i], b[i + 1], b[i + 2], b[i + 3]);
}

bool IsPublicV6(const std::array<uint8_t, 16>& b) {
  auto zero = [&](size_t from, size_t to) {
    return std::all_of(b.begin() + from, b.begin() + to, [](uint8_t x) { return x == 0; });
  };
  // Addresses that carry an IPv4 address reach it: judge that one.
  if (zero(0, 10) && b[10] == 0xff && b[11] == 0xff) return IsPublicV4(V4At(b, 12));  // mapped
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && zero(4, 12)) {
    return IsPublicV4(V4At(b, 12));  // NAT64 well-known prefix
  }
  if (b[0] == 0x20 && b[1] == 0x02) return IsPublicV4(V4At(b, 2));  // 6to4
  // Only global unicast is routed on the internet; this leaves out ::, ::1,
  // ULA, link- and site-local, multicast, discard and the deprecated ranges.
  if ((b[0] & 0xe0) != 0x20) return false;
  if (b[0] == 0x20 && b[1] == 0x01 && (b[2] & 0xfe) == 0x00) return false;         // 2001::/23
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return false;  // 2001:db8::/32
  if (b[0] == 0x3f && b[1] == 0xff && (b[2] & 0xf0) == 0x00) return false;         // 3fff::/20
  return true;
}

// Fills `out` (network order) and returns AF_INET or AF_INET6, or 0 when
// `ip` is not an address in standard text form.
int ParseAddress(std::string_view ip, std::array<uint8_t, 16>& out) {
  if (ip.empty() || ip.size() >= INET6_ADDRSTRLEN || ip.find('\0') != std::string_view::npos) {
    return 0;
  }
  std::string text(ip);  // inet_pton wants a terminated string
  if (inet_pton(AF_INET, text.c_str(), out.data()) == 1) return AF_INET;
  if (inet_pton(AF_INET6, text.c_str(), out.data()) == 1) return AF_INET6;
  return 0;
}

Status NotPublic() {
  return Status::InvalidArgument(
      "url resolves to a loopback, private, link-local or unspecified address");
}

}  // namespace

bool IsPublicAddress(std::string_view ip) {
  std::array<uint8_t, 16> bytes{};
  switch (ParseAddress(ip, bytes)) {
    case AF_INET:
      return IsPublicV4(V4At(bytes, 0));
    case AF_INET6:
      return IsPublicV6(bytes);
    default:
      return false;
  }
}

Result<std::vector<std::string>> ResolveHost(const std::string& host) {
  Status unresolved = Status::InvalidArgument("url host does not resolve");
  if (host.empty() || host.find('\0') != std::string::npos) return unresolved;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return unresolved;
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(found, &freeaddrinfo);
  std::vector<std::string> out;
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* addr = nullptr;
    if (ai->ai_family == AF_INET) {
      addr = &reinterpret_cast<const sockaddr_in*>(ai->ai_addr)->sin_addr;
    } else if (ai->ai_family == AF_INET6) {
      addr = &reinterpret_cast<const sockaddr_in6*>(ai->ai_addr)->sin6_addr;
    } else {
      continue;
    }
    if (inet_ntop(ai->ai_family, addr, text, sizeof text) == nullptr) continue;
    if (std::find(out.begin(), out.end(), text) == out.end()) out.emplace_back(text);
  }
  if (out.empty()) return unresolved;
  return out;
}

Status CheckWebhookHost(const WebhookUrl& url, bool allow_private) {
  std::array<uint8_t, 16> bytes{};
  if (ParseAddress(url.host, bytes) != 0) {
    return allow_private || IsPublicAddress(url.host) ? Status::Ok() : NotPublic();
  }
  auto addresses = ResolveHost(url.host);
  if (!addresses) return addresses.error();
  if (allow_private) return Status::Ok();
  for (const std::string& a : *addresses) {
    if (!IsPublicAddress(a)) return NotPublic();
  }
  return Status::Ok();
}

}  // namespace reportshare::webhooks
