#include "webhooks/webhook_url.h"

#include <boost/url/parse.hpp>

#include <cctype>

namespace reportshare::webhooks {
namespace {

constexpr uint16_t kHttpsPort = 443;
constexpr uint16_t kHttpPort = 80;

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

bool IsDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

// True for a label a resolver (inet_aton) reads as a number: decimal, octal
// or "0x" hex. A name ending in one is an IPv4 address in disguise ("127.1",
// "0x7f.0.0.1"); WHATWG's URL standard refuses it for the same reason.
bool IsNumericLabel(std::string_view label) {
  if (IsDigits(label)) return true;
  if (label.size() < 2 || label[0] != '0' || (label[1] != 'x' && label[1] != 'X')) return false;
  for (char c : label.substr(2)) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// A DNS name as written in a URL: labels of 1-63 letters, digits, '-' or '_'
// separated by dots (one trailing dot allowed), at most 253 characters
// without it, and the last label not a number. Percent-escapes are refused:
// a host that needs them is no DNS name.
bool IsHostName(std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.empty() || host.size() > 253) return false;
  std::string_view last;
  size_t start = 0;
  while (start <= host.size()) {
    size_t dot = host.find('.', start);
    if (dot == std::string_view::npos) dot = host.size();
    std::string_view label = host.substr(start, dot - start);
    if (label.empty() || label.size() > 63) return false;
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
    }
    last = label;
    start = dot + 1;
  }
  return !IsNumericLabel(last);
}

}  // namespace

std::string WebhookUrl::HostHeader() const {
  // Appended piece by piece: GCC 12 at -O3 warns (-Wrestrict, falsely) on
  // "[" + host + "]".
  const bool bracket = host.find(':') != std::string::npos;
  std::string out;
  if (bracket) out.push_back('[');
  out.append(host);
  if (bracket) out.push_back(']');
  if (port != (https ? kHttpsPort : kHttpPort)) out.append(":").append(std::to_string(port));
  return out;
}

Result<WebhookUrl> ParseWebhookUrl(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("url must not be empty");
  if (text.size() > kMaxWebhookUrlLength) {
    return Status::InvalidArgument("url is too long (at most " +
                                   std::to_string(kMaxWebhookUrlLength) + " characters)");
  }
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) {
      return Status::InvalidArgument("url must contain only printable ASCII characters");
    }
  }
  WebhookUrl out;
  if (StartsWithNoCase(text, "https://")) {
    out.https = true;
  } else if (StartsWithNoCase(text, "http://")) {
    out.https = false;
  } else {
    return Status::InvalidArgument("url must start with http:// or https://");
  }
  auto parsed = boost::urls::parse_uri(text);  // absolute-URI has no fragment to refuse
  if (!parsed) return Status::InvalidArgument("url is not a valid absolute URL");
  const boost::urls::url_view& u = *parsed;
  // After an authority the path is empty or starts with '/' (RFC 3986
  // path-abempty). Boost.URL 1.81 lets a rootless path follow instead, so
  // "http://h:x/" would read as host h and path "x/".
  if (!u.encoded_path().empty() && u.encoded_path().front() != '/') {
    return Status::InvalidArgument("url is not a valid absolute URL");
  }
  if (u.has_userinfo()) return Status::InvalidArgument("url must not contain credentials");
  if (u.has_fragment()) return Status::InvalidArgument("url must not have a fragment");

  switch (u.host_type()) {
    case boost::urls::host_type::ipv4:
      out.host = u.host_ipv4_address().to_string();
      break;
    case boost::urls::host_type::ipv6:
      out.host = u.host_ipv6_address().to_string();
      break;
    case boost::urls::host_type::name: {
      std::string_view host = u.encoded_host();
      if (host.empty()) return Status::InvalidArgument("url must have a host");
      if (!IsHostName(host)) return Status::InvalidArgument("url host is not a valid host name");
      out.host.reserve(host.size());
      for (char c : host)
        out.host += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      break;
    }
    case boost::urls::host_type::none:
      return Status::InvalidArgument("url must have a host");
    default:  // ipvfuture ("[v1.x]"): nothing can connect to it
      return Status::InvalidArgument("url host is not a valid host name");
  }

  out.port = out.https ? kHttpsPort : kHttpPort;
  std::string_view port = u.port();  // digits only, by the grammar
  if (u.has_port() && !port.empty()) {
    while (port.size() > 1 && port.front() == '0') port.remove_prefix(1);
    uint32_t value = 0;
    for (char c : port.substr(0, 6)) value = value * 10 + static_cast<uint32_t>(c - '0');
    if (port.size() > 5 || value < 1 || value > 65535) {
      return Status::InvalidArgument("url port must be from 1 to 65535");
    }
    out.port = static_cast<uint16_t>(value);
  }

  std::string_view target = u.encoded_target();
  out.target.clear();
  if (target.empty() || target.front() != '/') out.target.push_back('/');
  out.target.append(target);
  return out;
}

}  // namespace reportshare::webhooks
