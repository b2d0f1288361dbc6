// Fuzz target `request_target`: what a request's line and headers are read
// with before any handler runs, none of it Beast: the target split into path
// and query (http/message.h), the path's ids (domain/ids.h), the query
// strings of the link and links-list routes and Accept-Language
// negotiation (http/query.h), Accept (PrefersJson), the body cap by route
// (Api::BodyLimit), and the client behind trusted proxies: IP addresses,
// CIDR ranges and the Forwarded / X-Forwarded-For walk (http/forwarded.h).
// Input: fields separated by 0xFF (fuzz_util.h): target, Accept-Language,
// Accept, peer, trusted ranges, Forwarded, X-Forwarded-For,
// X-Forwarded-Proto (a header's lines separated by '\n'). Never a crash; and
//  - path + "?" + query gives the target back;
//  - an accepted query has only allowed, distinct names;
//  - a path id that parses is written back exactly as given;
//  - an IP address or range that parses prints as text that parses to itself;
//  - the client resolved is the peer (untrusted peer: the headers ignored)
//    or an address that parses, its proto empty or lower case.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "domain/ids.h"
#include "domain/language.h"
#include "domain/link_options.h"
#include "fuzz/fuzz_util.h"
#include "http/api.h"
#include "http/forwarded.h"
#include "http/message.h"
#include "http/query.h"

namespace reportshare::fuzz {
namespace {

// The lines of a header's values; none for an empty field.
std::vector<std::string_view> Lines(std::string_view text) {
  if (text.empty()) return {};
  return Split(text, '\n');
}

void CheckQuery(std::string_view query, std::initializer_list<std::string_view> allowed) {
  auto params = http::ParseQuery(query, allowed);
  if (!params) return;
  FUZZ_CHECK(params->size() <= allowed.size());
  for (size_t i = 0; i < params->size(); ++i) {
    const std::string& key = (*params)[i].first;
    FUZZ_CHECK(std::find(allowed.begin(), allowed.end(), key) != allowed.end());
    for (size_t j = 0; j < i; ++j) FUZZ_CHECK((*params)[j].first != key, "a name given twice");
  }
  for (const auto& [key, value] : *params) {
    if (key == "lang") (void)domain::ParseLanguageTag(value);
    if (key == "recipient") (void)domain::CheckRecipient(value);
  }
}

void CheckTarget(std::string_view target) {
  http::Request req;
  req.method = "GET";
  req.target = std::string(target);
  const std::string_view path = req.path();
  const std::string_view query = req.query();
  const bool has_query = target.find('?') != std::string_view::npos;
  FUZZ_CHECK(std::string(path) + (has_query ? "?" : "") + std::string(query) == target);
  FUZZ_CHECK(path.find('?') == std::string_view::npos);

  CheckQuery(query, {"format", "lang"});
  CheckQuery(query, {"recipient", "state"});
  CheckQuery(query, {});

  // Every segment as the ids a route takes.
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    const std::string_view seg = path.substr(start, slash - start);
    if (auto id = domain::ParseReportId(seg)) {
      FUZZ_CHECK(id->value >= 1 && std::to_string(id->value) == seg, "a report id not canonical");
    }
    if (auto link = LinkId::Parse(seg)) {
      FUZZ_CHECK(link->ToString() == seg, "a link id not canonical");
    }
    start = slash + 1;
  }

  for (const char* method : {"GET", "PUT", "POST"}) {
    const size_t limit = http::Api::BodyLimit(method, target);
    FUZZ_CHECK(limit == http::kDefaultBodyLimit || limit == http::kBrandingBodyLimit);
  }
  (void)http::Api::NeverBlocks(req);
}

void CheckAddress(std::string_view text) {
  auto address = http::ParseIpAddress(text);
  if (!address) return;
  const std::string printed = address->ToString();
  auto again = http::ParseIpAddress(printed);
  FUZZ_CHECK(again.has_value() && *again == *address, "an address does not print as itself");
  FUZZ_CHECK(again->ToString() == printed);
}

void CheckRange(const http::IpRange& range) {
  FUZZ_CHECK(range.prefix >= 0 && range.prefix <= (range.base.v6 ? 128 : 32));
  FUZZ_CHECK(range.Contains(range.base));
  auto again = http::ParseIpRange(range.base.ToString() + "/" + std::to_string(range.prefix), "r");
  FUZZ_CHECK(again.has_value() && *again == range, "a range does not print as itself");
}

bool Lowercase(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

}  // namespace
}  // namespace reportshare::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace reportshare;
  using namespace reportshare::fuzz;
  const std::vector<std::string_view> f = SplitFields(AsText(data, size));
  auto field = [&f](size_t i) { return i < f.size() ? f[i] : std::string_view(); };

  CheckTarget(field(0));

  if (auto language = http::NegotiateLanguage(field(1))) {
    FUZZ_CHECK(std::find(domain::kLanguages.begin(), domain::kLanguages.end(), *language) !=
               domain::kLanguages.end());
  }
  (void)http::PrefersJson(field(2));

  const std::string_view peer = field(3);
  CheckAddress(peer);
  for (std::string_view line : Lines(field(4))) CheckAddress(line);
  std::vector<http::IpRange> trusted;
  if (auto ranges = http::ParseIpRanges(field(4))) {
    for (const http::IpRange& r : *ranges) CheckRange(r);
    trusted = std::move(*ranges);
  } else if (auto one = http::ParseIpRange(field(4), "r")) {
    CheckRange(*one);
  }

  http::ForwardingHeaders headers;
  headers.forwarded = Lines(field(5));
  headers.x_forwarded_for = Lines(field(6));
  headers.x_forwarded_proto = Lines(field(7));
  const http::ClientAddress client = http::ResolveClient(peer, trusted, headers);
  auto peer_address = http::ParseIpAddress(peer);
  if (!peer_address || !http::InAnyRange(trusted, *peer_address)) {
    FUZZ_CHECK(client.address == peer && client.proto.empty(), "an untrusted peer's headers used");
  } else if (client.address != peer) {
    FUZZ_CHECK(http::ParseIpAddress(client.address).has_value(), client.address);
  }
  FUZZ_CHECK(Lowercase(client.proto), client.proto);
  return 0;
}
