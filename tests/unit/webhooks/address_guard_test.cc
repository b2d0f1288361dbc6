#include "webhooks/address_guard.h"

#include <gtest/gtest.h>

#include <string>

namespace reportshare::webhooks {
namespace {

// Each range refused, with the addresses just inside its edges and just
// outside them.
struct Edge {
  const char* last_below;   // public
  const char* first;        // refused
  const char* last;         // refused
  const char* first_above;  // public
};

TEST(AddressGuardTest, RefusesEachIpv4RangeUpToItsEdges) {
  const Edge edges[] = {
      // 0.0.0.0/8 has no address below it.
      {nullptr, "0.0.0.0", "0.255.255.255", "1.0.0.0"},
      {"9.255.255.255", "10.0.0.0", "10.255.255.255", "11.0.0.0"},
      {"100.63.255.255", "100.64.0.0", "100.127.255.255", "100.128.0.0"},
      {"126.255.255.255", "127.0.0.0", "127.255.255.255", "128.0.0.0"},
      {"169.253.255.255", "169.254.0.0", "169.254.255.255", "169.255.0.0"},
      {"172.15.255.255", "172.16.0.0", "172.31.255.255", "172.32.0.0"},
      {"191.255.255.255", "192.0.0.0", "192.0.0.255", "192.0.1.0"},
      {"192.0.1.255", "192.0.2.0", "192.0.2.255", "192.0.3.0"},
      {"192.88.98.255", "192.88.99.0", "192.88.99.255", "192.88.100.0"},
      {"192.167.255.255", "192.168.0.0", "192.168.255.255", "192.169.0.0"},
      {"198.17.255.255", "198.18.0.0", "198.19.255.255", "198.20.0.0"},
      {"198.51.99.255", "198.51.100.0", "198.51.100.255", "198.51.101.0"},
      {"203.0.112.255", "203.0.113.0", "203.0.113.255", "203.0.114.0"},
      // 224/4 multicast and 240/4 reserved meet: one range to the top.
      {"223.255.255.255", "224.0.0.0", "255.255.255.255", nullptr},
  };
  for (const Edge& e : edges) {
    if (e.last_below) {
      EXPECT_TRUE(IsPublicAddress(e.last_below)) << e.last_below;
    }
    EXPECT_FALSE(IsPublicAddress(e.first)) << e.first;
    EXPECT_FALSE(IsPublicAddress(e.last)) << e.last;
    if (e.first_above) {
      EXPECT_TRUE(IsPublicAddress(e.first_above)) << e.first_above;
    }
  }
  EXPECT_FALSE(IsPublicAddress("239.255.255.255"));
  EXPECT_FALSE(IsPublicAddress("240.0.0.0"));
  EXPECT_FALSE(IsPublicAddress("169.254.169.254"));  // the cloud metadata service
  EXPECT_TRUE(IsPublicAddress("8.8.8.8"));
  EXPECT_TRUE(IsPublicAddress("93.184.216.34"));
}

TEST(AddressGuardTest, RefusesIpv6OutsideGlobalUnicast) {
  for (const char* ip :
       {"::", "::1", "::2", "fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fec0::1", "ff00::", "ff02::1",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "100::1", "64:ff9b:1::1", "::7f00:1",
        "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "4000::", "fbff::1"}) {
    EXPECT_FALSE(IsPublicAddress(ip)) << ip;
  }
  for (const char* ip : {"2000::", "2606:4700:4700::1111", "2a00:1450:4001:82b::200e",
                         "3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}) {
    EXPECT_TRUE(IsPublicAddress(ip)) << ip;
  }
}

TEST(AddressGuardTest, RefusesIpv6SpecialRangesInsideGlobalUnicast) {
  // 2001::/23, IETF protocol assignments (Teredo 2001::/32 among them).
  EXPECT_FALSE(IsPublicAddress("2001::"));
  EXPECT_FALSE(IsPublicAddress("2001:0:4136:e378:8000:63bf:3fff:fdd2"));
  EXPECT_FALSE(IsPublicAddress("2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_TRUE(IsPublicAddress("2001:200::"));
  EXPECT_TRUE(IsPublicAddress("2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  // Documentation.
  EXPECT_TRUE(IsPublicAddress("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_FALSE(IsPublicAddress("2001:db8::"));
  EXPECT_FALSE(IsPublicAddress("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_TRUE(IsPublicAddress("2001:db9::"));
  EXPECT_TRUE(IsPublicAddress("3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_FALSE(IsPublicAddress("3fff::"));
  EXPECT_FALSE(IsPublicAddress("3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_TRUE(IsPublicAddress("3fff:1000::"));
}

TEST(AddressGuardTest, JudgesAnEmbeddedIpv4AsItself) {
  // IPv4-mapped.
  EXPECT_FALSE(IsPublicAddress("::ffff:127.0.0.1"));
  EXPECT_FALSE(IsPublicAddress("::ffff:7f00:1"));
  EXPECT_FALSE(IsPublicAddress("::ffff:10.1.2.3"));
  EXPECT_FALSE(IsPublicAddress("::ffff:169.254.169.254"));
  EXPECT_FALSE(IsPublicAddress("::ffff:0.0.0.0"));
  EXPECT_TRUE(IsPublicAddress("::ffff:8.8.8.8"));
  EXPECT_TRUE(IsPublicAddress("::FFFF:8.8.8.8"));
  // NAT64, 64:ff9b::/96.
  EXPECT_FALSE(IsPublicAddress("64:ff9b::127.0.0.1"));
  EXPECT_FALSE(IsPublicAddress("64:ff9b::c0a8:101"));  // 192.168.1.1
  EXPECT_TRUE(IsPublicAddress("64:ff9b::8.8.8.8"));
  EXPECT_FALSE(IsPublicAddress("64:ff9b:0:0:0:1:808:808"));  // not /96: outside 2000::/3
  // 6to4, 2002::/16: the IPv4 address is in bits 16-47.
  EXPECT_FALSE(IsPublicAddress("2002:7f00:1::"));
  EXPECT_FALSE(IsPublicAddress("2002:a00:1::1"));
  EXPECT_TRUE(IsPublicAddress("2002:808:808::1"));
}

TEST(AddressGuardTest, GarbageIsNotPublic) {
  for (const char* text :
       {"", "localhost", "example.com", "8.8.8", "8.8.8.8.8", "256.1.1.1", "08.8.8.8", " 8.8.8.8",
        "8.8.8.8 ", "[2606:4700::1111]", "2606:4700::1111%eth0", "2606:::1", "0x08.8.8.8",
        "8.8.8.8/32", "::ffff:8.8.8.8.8", "g::1"}) {
    EXPECT_FALSE(IsPublicAddress(text)) << '"' << text << '"';
  }
  EXPECT_FALSE(IsPublicAddress(std::string_view("8.8.8.8\0", 8)));
  EXPECT_FALSE(IsPublicAddress(std::string(100, '1')));
}

WebhookUrl Url(std::string host) {
  WebhookUrl url;
  url.host = std::move(host);
  url.port = 443;
  url.target = "/";
  return url;
}

const std::string kNotPublic =
    "url resolves to a loopback, private, link-local or unspecified address";

TEST(AddressGuardTest, CheckRefusesLoopbackUnlessAllowed) {
  for (const char* host : {"localhost", "127.0.0.1", "::1", "::ffff:127.0.0.1", "10.0.0.1"}) {
    Status refused = CheckWebhookHost(Url(host), /*allow_private=*/false);
    EXPECT_EQ(refused.code(), Code::kInvalidArgument) << host;
    EXPECT_EQ(refused.message(), kNotPublic) << host;
    EXPECT_TRUE(CheckWebhookHost(Url(host), /*allow_private=*/true).ok()) << host;
  }
  // As parsed from a URL, brackets and all.
  auto url = ParseWebhookUrl("https://[::1]:8443/hook");
  ASSERT_TRUE(url);
  EXPECT_EQ(CheckWebhookHost(*url, false).message(), kNotPublic);
  EXPECT_TRUE(CheckWebhookHost(*url, true).ok());
}

TEST(AddressGuardTest, CheckTakesAPublicLiteralWithoutDns) {
  EXPECT_TRUE(CheckWebhookHost(Url("8.8.8.8"), false).ok());
  EXPECT_TRUE(CheckWebhookHost(Url("2606:4700:4700::1111"), false).ok());
}

TEST(AddressGuardTest, CheckRefusesANameThatDoesNotResolve) {
  for (bool allow_private : {false, true}) {
    Status s = CheckWebhookHost(Url("no-such-host.invalid"), allow_private);
    EXPECT_EQ(s.code(), Code::kInvalidArgument);
    EXPECT_EQ(s.message(), "url host does not resolve");
  }
  EXPECT_EQ(CheckWebhookHost(Url(""), true).message(), "url host does not resolve");
}

TEST(AddressGuardTest, ResolveHostGivesTheAddressesAsText) {
  auto localhost = ResolveHost("localhost");
  ASSERT_TRUE(localhost) << localhost.error().message();
  ASSERT_FALSE(localhost->empty());
  for (const std::string& a : *localhost) {
    EXPECT_TRUE(a == "127.0.0.1" || a == "::1") << a;
  }
  auto literal = ResolveHost("192.0.2.1");
  ASSERT_TRUE(literal);
  EXPECT_EQ(*literal, std::vector<std::string>{"192.0.2.1"});
  EXPECT_FALSE(ResolveHost("no-such-host.invalid"));
}

}  // namespace
}  // namespace reportshare::webhooks
