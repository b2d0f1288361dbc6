#include "service/client_info.h"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <array>
#include <cctype>

namespace reportshare::service {
namespace {

bool Contains(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a)) ==
                                 std::tolower(static_cast<unsigned char>(b));
                        });
  return it != haystack.end();
}

struct Scanner {
  std::string_view marker;
  std::string_view name;
};

// Agents that fetch a link to preview or vet it, not to show it to a person.
// Their opens are audited but do not count as views.
constexpr std::array<Scanner, 24> kScanners{{
    {"Slackbot", "Slack link preview"},
    {"facebookexternalhit", "Facebook link preview"},
    {"Twitterbot", "X/Twitter link preview"},
    {"LinkedInBot", "LinkedIn link preview"},
    {"WhatsApp", "WhatsApp link preview"},
    {"TelegramBot", "Telegram link preview"},
    {"Discordbot", "Discord link preview"},
    {"SkypeUriPreview", "Skype link preview"},
    {"MicrosoftPreview", "Microsoft link preview"},
    {"Microsoft Office", "Microsoft Office link check"},
    {"MSOffice", "Microsoft Office link check"},
    {"SafeLinks", "Outlook link scanner"},
    {"Proofpoint", "Proofpoint link scanner"},
    {"Mimecast", "Mimecast link scanner"},
    {"Barracuda", "Barracuda link scanner"},
    {"Symantec", "Symantec link scanner"},
    {"TrendMicro", "Trend Micro link scanner"},
    {"Zscaler", "Zscaler link scanner"},
    {"Googlebot", "Google crawler"},
    {"bingbot", "Bing crawler"},
    {"Google-Read-Aloud", "Google preview"},
    {"bot/", "Other bot"},
    {"crawler", "Other crawler"},
    {"spider", "Other crawler"},
}};

std::string Family(std::string_view ua) {
  // Order matters: Edge and Chrome both say "Chrome", Chrome says "Safari".
  if (Contains(ua, "Edg/") || Contains(ua, "Edge/")) return "Edge";
  if (Contains(ua, "OPR/")) return "Opera";
  if (Contains(ua, "Firefox/")) return "Firefox";
  if (Contains(ua, "Chrome/") || Contains(ua, "CriOS/")) return "Chrome";
  if (Contains(ua, "Safari/")) return "Safari";
  if (Contains(ua, "curl/")) return "curl";
  if (Contains(ua, "Wget/")) return "Wget";
  if (Contains(ua, "python")) return "Python";
  return ua.empty() ? "Unknown" : "Other";
}

std::string Network(std::string_view remote) {
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(std::string(remote), ec);
  if (ec) return "";
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
    addr = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, addr.to_v6());
  }
  if (addr.is_v4()) {
    auto bytes = addr.to_v4().to_bytes();
    bytes[3] = 0;
    return boost::asio::ip::address_v4(bytes).to_string() + "/24";
  }
  auto bytes = addr.to_v6().to_bytes();
  std::fill(bytes.begin() + 6, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/48";
}

}  // namespace

ClientInfo DescribeClient(std::string_view user_agent, std::string_view remote_address) {
  ClientInfo info;
  info.network = Network(remote_address);
  for (const Scanner& s : kScanners) {
    if (Contains(user_agent, s.marker)) {
      info.family = std::string(s.name);
      info.scanner = true;
      return info;
    }
  }
  info.family = Family(user_agent);
  return info;
}

}  // namespace reportshare::service
