#pragma once

#include <string>
#include <string_view>

namespace reportshare::service {

// A coarse description of who opened a link. The audit keeps no raw user
// agent and no full IP address: a hiring manager's exact address is personal
// data the sender has no need for. The family and the network (/24 for IPv4,
// /48 for IPv6: roughly one site or one customer of an ISP) are enough to see
// that a link was forwarded or opened from an unexpected place.
struct ClientInfo {
  std::string family;    // "Chrome", "Firefox", "Safari", "Edge", "curl", … or "Other"
  std::string network;   // "203.0.113.0/24", "2001:db8:1::/48", or "" if unknown
  bool scanner = false;  // a link previewer or mail security scanner, not a person
};

// Classifies a request by its User-Agent header and peer address (as text).
ClientInfo DescribeClient(std::string_view user_agent, std::string_view remote_address);

}  // namespace reportshare::service
