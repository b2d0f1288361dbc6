#include "http/forwarded.h"

#include <boost/asio/ip/address.hpp>
#include <charconv>

namespace reportshare::http {
namespace {

namespace ip = boost::asio::ip;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// RFC 9110 tchar.
bool IsTokenChar(char c) {
  if (IsDigit(c) || IsAlpha(c)) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

// A URI scheme (RFC 3986 §3.1), lower-cased; nullopt if it is not one.
std::optional<std::string> ParseScheme(std::string_view s) {
  if (s.empty() || !IsAlpha(s.front()) || s.size() > 32) return std::nullopt;
  std::string out;
  for (char c : s) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '+' && c != '-' && c != '.') return std::nullopt;
    out += Lower(c);
  }
  return out;
}

// One hop of a forwarding header: an address, or an identifier that hides it.
struct Hop {
  std::optional<IpAddress> address;  // nullopt: obfuscated or unknown
  std::string proto;                 // from the same Forwarded element, if any
};

bool IsPort(std::string_view s) {
  if (s.empty()) return false;
  if (s.front() == '_') {  // RFC 7239 obfport
    if (s.size() < 2) return false;
    for (char c : s.substr(1)) {
      if (!IsAlpha(c) && !IsDigit(c) && c != '.' && c != '_' && c != '-') return false;
    }
    return true;
  }
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
  return ec == std::errc{} && ptr == s.data() + s.size() && s.size() <= 5 && port <= 65535;
}

bool IsObfuscatedName(std::string_view s) {
  if (EqualsNoCase(s, "unknown")) return true;
  if (s.size() < 2 || s.front() != '_') return false;
  for (char c : s.substr(1)) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

// A node (RFC 7239 §6): IPv4[:port], "[IPv6]"[:port], unknown or _obfuscated
// [:port]. With `bare_v6` (X-Forwarded-For), an IPv6 address without brackets
// and port is accepted too. False if malformed.
bool ParseNode(std::string_view s, bool bare_v6, Hop& hop) {
  if (s.empty()) return false;
  if (s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !IsPort(rest.substr(1)))) return false;
    auto address = ParseIpAddress(s.substr(1, close - 1));
    // Brackets hold IPv6 only (an IPv4-mapped one is held as IPv4, fine).
    if (!address || s.substr(1, close - 1).find(':') == std::string_view::npos) return false;
    hop.address = address;
    return true;
  }
  if (bare_v6 && s.find(':') != s.rfind(':')) {  // two colons or more: IPv6
    hop.address = ParseIpAddress(s);
    return hop.address.has_value();
  }
  std::string_view name = s;
  if (size_t colon = s.find(':'); colon != std::string_view::npos) {
    if (!IsPort(s.substr(colon + 1))) return false;
    name = s.substr(0, colon);
  }
  if (IsObfuscatedName(name)) {
    hop.address.reset();
    return true;
  }
  if (name.find(':') != std::string_view::npos) return false;
  hop.address = ParseIpAddress(name);
  return hop.address && !hop.address->v6;
}

// A parameter value: a token or a quoted-string (with quoted-pairs), from
// `s` at `i`; advances `i`. False if malformed.
bool ParseValue(std::string_view s, size_t& i, std::string& out) {
  out.clear();
  if (i < s.size() && s[i] == '"') {
    for (++i; i < s.size(); ++i) {
      char c = s[i];
      if (c == '"') {
        ++i;
        return true;
      }
      if (c == '\\') {
        if (++i == s.size()) return false;
        c = s[i];
      }
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t') return false;
      if (c == 0x7f) return false;
      out += c;
    }
    return false;  // unterminated
  }
  size_t start = i;
  while (i < s.size() && IsTokenChar(s[i])) ++i;
  out = std::string(s.substr(start, i - start));
  return !out.empty();
}

// The hops of every Forwarded line, left to right. False if malformed.
bool ParseForwarded(const std::vector<std::string_view>& lines, std::vector<Hop>& hops) {
  for (std::string_view line : lines) {
    size_t i = 0;
    // One element per iteration; empty list elements are allowed (RFC 9110 §5.6.1).
    while (true) {
      while (i < line.size() && (IsSpace(line[i]) || line[i] == ',')) ++i;
      if (i == line.size()) break;
      Hop hop;
      bool has_for = false, has_proto = false;
      while (true) {  // pairs separated by ';'
        while (i < line.size() && IsSpace(line[i])) ++i;
        size_t name_start = i;
        while (i < line.size() && IsTokenChar(line[i])) ++i;
        std::string_view name = line.substr(name_start, i - name_start);
        if (name.empty() || i == line.size() || line[i] != '=') return false;
        ++i;
        std::string value;
        if (!ParseValue(line, i, value)) return false;
        if (EqualsNoCase(name, "for")) {
          if (has_for || !ParseNode(value, false, hop)) return false;
          has_for = true;
        } else if (EqualsNoCase(name, "proto")) {
          auto scheme = ParseScheme(value);
          if (has_proto || !scheme) return false;
          has_proto = true;
          hop.proto = std::move(*scheme);
        }  // by=, host= and extensions: not used
        while (i < line.size() && IsSpace(line[i])) ++i;
        if (i == line.size() || line[i] == ',') break;
        if (line[i] != ';') return false;
        ++i;
      }
      if (!has_for) hop.address.reset();  // a hop that did not say who sent it
      hops.push_back(std::move(hop));
      if (hops.size() > kMaxForwardedElements) return false;
    }
  }
  return true;
}

// The comma-separated values of every line, trimmed, empty ones skipped.
// False if there are too many.
bool SplitList(const std::vector<std::string_view>& lines, std::vector<std::string_view>& out) {
  for (std::string_view line : lines) {
    while (true) {
      size_t comma = line.find(',');
      std::string_view item = Trim(line.substr(0, comma));
      if (!item.empty()) out.push_back(item);
      if (out.size() > kMaxForwardedElements) return false;
      if (comma == std::string_view::npos) break;
      line.remove_prefix(comma + 1);
    }
  }
  return true;
}

// The hops of X-Forwarded-For, each with its X-Forwarded-Proto when that can
// be paired: one value for all, or one per hop. False if malformed.
bool ParseXForwarded(const ForwardingHeaders& headers, std::vector<Hop>& hops) {
  std::vector<std::string_view> items, protos;
  if (!SplitList(headers.x_forwarded_for, items)) return false;
  for (std::string_view item : items) {
    Hop hop;
    if (!ParseNode(item, true, hop)) return false;
    hops.push_back(std::move(hop));
  }
  // A bad X-Forwarded-Proto only loses the proto, not the address.
  if (!SplitList(headers.x_forwarded_proto, protos)) return true;
  for (size_t i = 0; i < hops.size(); ++i) {
    std::string_view proto;
    if (protos.size() == 1) proto = protos.front();
    if (protos.size() == hops.size()) proto = protos[i];
    if (auto scheme = ParseScheme(proto)) hops[i].proto = std::move(*scheme);
  }
  return true;
}

size_t TotalSize(const std::vector<std::string_view>& lines) {
  size_t n = 0;
  for (std::string_view line : lines) n += line.size();
  return n;
}

}  // namespace

std::string IpAddress::ToString() const {
  if (!v6) return ip::address_v4({bytes[0], bytes[1], bytes[2], bytes[3]}).to_string();
  return ip::address_v6(bytes).to_string();
}

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  if (text.empty() || text.size() > 45 || text.find('%') != std::string_view::npos) {
    return std::nullopt;
  }
  boost::system::error_code ec;
  ip::address address = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  IpAddress out;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = ip::make_address_v4(ip::v4_mapped, address.to_v6());
  }
  if (address.is_v4()) {
    auto b = address.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), out.bytes.begin());
  } else {
    out.v6 = true;
    out.bytes = address.to_v6().to_bytes();
  }
  return out;
}

bool IpRange::Contains(const IpAddress& address) const {
  if (address.v6 != base.v6) return false;
  int bits = prefix;
  for (size_t i = 0; bits > 0; ++i, bits -= 8) {
    const auto mask = static_cast<uint8_t>(bits >= 8 ? 0xff : 0xff << (8 - bits));
    if ((address.bytes[i] & mask) != base.bytes[i]) return false;
  }
  return true;
}

Result<IpRange> ParseIpRange(std::string_view text, std::string_view name) {
  auto invalid = [name](std::string_view problem) {
    return Status::InvalidArgument(std::string(name) + " " + std::string(problem));
  };
  const size_t slash = text.find('/');
  auto address = ParseIpAddress(text.substr(0, slash));
  if (!address) {
    return invalid("must be a list of IP addresses or CIDR ranges, e.g. 10.0.0.0/8,::1");
  }
  const int max = address->v6 ? 128 : 32;
  IpRange range{*address, max};
  if (slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    int prefix = -1;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || digits.size() > 3 || ec != std::errc{} ||
        ptr != digits.data() + digits.size() || prefix < 0 || prefix > max) {
      return invalid(address->v6 ? "has a prefix length that is not 0 to 128"
                                 : "has a prefix length that is not 0 to 32");
    }
    range.prefix = prefix;
  }
  // Host bits past the prefix: 10.0.0.1/8 is refused rather than widened.
  IpRange widened = range;
  for (int bit = range.prefix; bit < max; ++bit) {
    widened.base.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  }
  if (widened.base != range.base) {
    return invalid("has a range with bits set past its prefix length (did you mean " +
                   widened.base.ToString() + "/" + std::to_string(range.prefix) + "?)");
  }
  return range;
}

Result<std::vector<IpRange>> ParseIpRanges(std::string_view text, std::string_view name) {
  std::vector<IpRange> ranges;
  if (Trim(text).empty()) return ranges;
  while (true) {
    const size_t comma = text.find(',');
    std::string_view item = Trim(text.substr(0, comma));
    if (item.empty()) {
      return Status::InvalidArgument(std::string(name) + " has an empty element in its list");
    }
    auto range = ParseIpRange(item, name);
    if (!range) return range.error();
    ranges.push_back(*range);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return ranges;
}

bool InAnyRange(const std::vector<IpRange>& ranges, const IpAddress& address) {
  for (const IpRange& range : ranges) {
    if (range.Contains(address)) return true;
  }
  return false;
}

ClientAddress ResolveClient(std::string_view peer, const std::vector<IpRange>& trusted,
                            const ForwardingHeaders& headers) {
  ClientAddress client{std::string(peer), ""};
  if (trusted.empty()) return client;
  auto peer_address = ParseIpAddress(peer);
  if (!peer_address || !InAnyRange(trusted, *peer_address)) return client;

  std::vector<Hop> hops;
  bool ok;
  if (!headers.forwarded.empty()) {
    ok = TotalSize(headers.forwarded) <= kMaxForwardedBytes &&
         ParseForwarded(headers.forwarded, hops);
  } else {
    ok = TotalSize(headers.x_forwarded_for) + TotalSize(headers.x_forwarded_proto) <=
             kMaxForwardedBytes &&
         ParseXForwarded(headers, hops);
  }
  if (!ok) return client;

  for (size_t i = hops.size(); i-- > 0;) {
    const Hop& hop = hops[i];
    if (!hop.address) break;  // hidden: the last hop walked stays the client
    client = {hop.address->ToString(), hop.proto};
    if (!InAnyRange(trusted, *hop.address)) break;
  }
  return client;
}

}  // namespace reportshare::http
