#include "http/forwarded.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace reportshare::http {
namespace {

std::vector<IpRange> Ranges(std::string_view text) {
  auto ranges = ParseIpRanges(text);
  EXPECT_TRUE(ranges) << ranges.error().message();
  return ranges ? *ranges : std::vector<IpRange>{};
}

bool In(std::string_view range, std::string_view address) {
  auto r = ParseIpRange(range, "--trusted-proxies");
  auto a = ParseIpAddress(address);
  EXPECT_TRUE(r) << range;
  EXPECT_TRUE(a) << address;
  return r && a && r->Contains(*a);
}

// --- addresses and CIDR ranges -------------------------------------------------

TEST(CidrTest, ParsesAddressesOfBothFamilies) {
  EXPECT_EQ(ParseIpAddress("192.0.2.1")->ToString(), "192.0.2.1");
  EXPECT_EQ(ParseIpAddress("2001:DB8:0:0::1")->ToString(), "2001:db8::1");
  EXPECT_TRUE(ParseIpAddress("2001:db8::1")->v6);
  // A dual-stack socket's IPv4 peer is held as IPv4.
  auto mapped = ParseIpAddress("::ffff:127.0.0.1");
  ASSERT_TRUE(mapped);
  EXPECT_FALSE(mapped->v6);
  EXPECT_EQ(mapped->ToString(), "127.0.0.1");
  for (std::string_view bad : {"", "localhost", "192.0.2", "192.0.2.256", "192.0.2.1 ", "[::1]",
                               "fe80::1%eth0", "192.0.2.1:80", "::1::2", "1.2.3.4/8"}) {
    EXPECT_FALSE(ParseIpAddress(bad)) << bad;
  }
}

TEST(CidrTest, BareAddressIsAHostRange) {
  auto v4 = ParseIpRange("192.0.2.7", "--trusted-proxies");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->prefix, 32);
  auto v6 = ParseIpRange("::1", "--trusted-proxies");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->prefix, 128);
  EXPECT_TRUE(In("192.0.2.7", "192.0.2.7"));
  EXPECT_FALSE(In("192.0.2.7", "192.0.2.8"));
  EXPECT_TRUE(In("::1", "::1"));
  EXPECT_FALSE(In("::1", "::2"));
}

TEST(CidrTest, MatchesAtThePrefixBoundaries) {
  EXPECT_TRUE(In("10.0.0.0/8", "10.255.255.255"));
  EXPECT_FALSE(In("10.0.0.0/8", "11.0.0.0"));
  EXPECT_FALSE(In("10.0.0.0/8", "9.255.255.255"));
  // A prefix that is not a whole number of bytes.
  EXPECT_TRUE(In("172.16.0.0/12", "172.31.255.255"));
  EXPECT_FALSE(In("172.16.0.0/12", "172.32.0.0"));
  EXPECT_FALSE(In("172.16.0.0/12", "172.15.255.255"));
  EXPECT_TRUE(In("192.0.2.128/25", "192.0.2.128"));
  EXPECT_FALSE(In("192.0.2.128/25", "192.0.2.127"));
  // /0 is everything of its family, and only of its family.
  EXPECT_TRUE(In("0.0.0.0/0", "203.0.113.7"));
  EXPECT_FALSE(In("0.0.0.0/0", "2001:db8::1"));
  EXPECT_TRUE(In("::/0", "2001:db8::1"));
  EXPECT_FALSE(In("::/0", "203.0.113.7"));
  EXPECT_TRUE(In("2001:db8::/32", "2001:db8:ffff::1"));
  EXPECT_FALSE(In("2001:db8::/32", "2001:db9::1"));
  EXPECT_TRUE(In("fc00::/7", "fdff::1"));
  EXPECT_FALSE(In("fc00::/7", "fe00::1"));
  EXPECT_TRUE(In("2001:db8::1/128", "2001:db8::1"));
  EXPECT_FALSE(In("2001:db8::1/128", "2001:db8::2"));
  // An IPv4 range holds the IPv4-mapped form of its addresses.
  EXPECT_TRUE(In("127.0.0.1/32", "::ffff:127.0.0.1"));
}

TEST(CidrTest, RefusesBadRangesNamingTheFlag) {
  for (std::string_view bad :
       {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8/8",
        "10.0.0.0/x", "10.0.0/8", "host.example", "/8", "10.0.0.0 /8", "10.0.0.0/0008"}) {
    auto r = ParseIpRange(bad, "--trusted-proxies");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code(), core::Code::kInvalidArgument);
    EXPECT_EQ(r.error().message().rfind("--trusted-proxies ", 0), 0u) << r.error().message();
  }
}

TEST(CidrTest, RefusesHostBitsPastThePrefixWithTheRangeMeant) {
  auto r = ParseIpRange("10.1.2.3/8", "--trusted-proxies");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("10.0.0.0/8"), std::string::npos) << r.error().message();
  auto v6 = ParseIpRange("2001:db8::1/32", "--trusted-proxies");
  ASSERT_FALSE(v6);
  EXPECT_NE(v6.error().message().find("2001:db8::/32"), std::string::npos);
}

TEST(CidrTest, ParsesAList) {
  EXPECT_TRUE(Ranges("").empty());
  EXPECT_TRUE(Ranges("  ").empty());
  auto list = Ranges("127.0.0.1, 10.0.0.0/8 ,::1,2001:db8::/48");
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(list[1].prefix, 8);
  EXPECT_TRUE(InAnyRange(list, *ParseIpAddress("10.9.9.9")));
  EXPECT_TRUE(InAnyRange(list, *ParseIpAddress("2001:db8:0:1::5")));
  EXPECT_FALSE(InAnyRange(list, *ParseIpAddress("192.0.2.1")));
  for (std::string_view bad : {"127.0.0.1,", ",127.0.0.1", "127.0.0.1,,::1", "127.0.0.1 ::1"}) {
    auto r = ParseIpRanges(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().message().rfind("--trusted-proxies ", 0), 0u);
  }
  auto named = ParseIpRanges("nope", "app.toml:3: trusted-proxies");
  ASSERT_FALSE(named);
  EXPECT_EQ(named.error().message().rfind("app.toml:3: trusted-proxies ", 0), 0u);
}

using Lines = std::vector<std::string_view>;

ForwardingHeaders Headers(Lines forwarded, Lines xff = {}, Lines xfp = {}) {
  ForwardingHeaders h;
  h.forwarded = std::move(forwarded);
  h.x_forwarded_for = std::move(xff);
  h.x_forwarded_proto = std::move(xfp);
  return h;
}

// --- resolving the client ------------------------------------------------------

class ForwardedTest : public ::testing::Test {
 protected:
  // The proxy in front (10.0.0.2) and a second tier (10.1.0.0/16, 2001:db8:1::/48).
  std::vector<IpRange> trusted = Ranges("10.0.0.2,10.1.0.0/16,2001:db8:1::/48");

  std::string Client(std::string_view peer, ForwardingHeaders headers) {
    return ResolveClient(peer, trusted, headers).address;
  }
  std::string ViaXff(std::vector<std::string_view> xff) {
    return Client("10.0.0.2", Headers({}, std::move(xff)));
  }
  std::string ViaForwarded(std::vector<std::string_view> lines) {
    return Client("10.0.0.2", Headers(std::move(lines)));
  }
};

TEST_F(ForwardedTest, UntrustedPeerIgnoresEveryHeader) {
  ForwardingHeaders forged{{"for=203.0.113.7"}, {"203.0.113.8"}, {"https"}};
  ClientAddress c = ResolveClient("192.0.2.9", trusted, forged);
  EXPECT_EQ(c.address, "192.0.2.9");
  EXPECT_EQ(c.proto, "");
  // Trusting nobody (the default) ignores them from any peer.
  EXPECT_EQ(ResolveClient("10.0.0.2", {}, forged).address, "10.0.0.2");
  // A peer that is not an address (a test stream, say) is kept as it is.
  EXPECT_EQ(ResolveClient("", trusted, forged).address, "");
}

TEST_F(ForwardedTest, TrustedPeerWithoutHeadersIsTheClient) {
  EXPECT_EQ(Client("10.0.0.2", {}), "10.0.0.2");
}

TEST_F(ForwardedTest, XForwardedForRightMostUntrustedIsTheClient) {
  EXPECT_EQ(ViaXff({"203.0.113.7"}), "203.0.113.7");
  EXPECT_EQ(ViaXff({"203.0.113.7, 10.1.2.3"}), "203.0.113.7");
  // Entries left of the first untrusted one are the client's own claims:
  // spoofed, never believed.
  EXPECT_EQ(ViaXff({"198.51.100.1, 203.0.113.7, 10.1.2.3"}), "203.0.113.7");
  EXPECT_EQ(ViaXff({"10.1.9.9, 203.0.113.7"}), "203.0.113.7");
}

TEST_F(ForwardedTest, AllTrustedGivesTheLeftMost) {
  EXPECT_EQ(ViaXff({"10.1.0.5, 10.1.0.6"}), "10.1.0.5");
  EXPECT_EQ(ViaForwarded({"for=10.1.0.5, for=10.1.0.6"}), "10.1.0.5");
}

TEST_F(ForwardedTest, XForwardedForAcrossLinesInOrder) {
  EXPECT_EQ(ViaXff({"198.51.100.1", "203.0.113.7", "10.1.2.3"}), "203.0.113.7");
  EXPECT_EQ(ViaXff({"203.0.113.7,", " , 10.1.2.3"}), "203.0.113.7");  // empty elements skipped
}

TEST_F(ForwardedTest, XForwardedForIPv6AndPorts) {
  EXPECT_EQ(ViaXff({"2001:db8::7"}), "2001:db8::7");
  EXPECT_EQ(ViaXff({"[2001:db8::7]:4711"}), "2001:db8::7");
  EXPECT_EQ(ViaXff({"203.0.113.7:8080"}), "203.0.113.7");
  EXPECT_EQ(ViaXff({"2001:db8::7, 2001:db8:1::9"}), "2001:db8::7");
  EXPECT_EQ(Client("2001:db8:1::1", Headers({}, {"203.0.113.7"})), "203.0.113.7");
  EXPECT_EQ(ViaXff({"::ffff:203.0.113.7"}), "203.0.113.7");
}

TEST_F(ForwardedTest, XForwardedProtoPairsWithTheClientsHop) {
  auto proto = [this](std::vector<std::string_view> xff, std::vector<std::string_view> xfp) {
    return ResolveClient("10.0.0.2", trusted, Headers({}, xff, xfp)).proto;
  };
  EXPECT_EQ(proto({"203.0.113.7"}, {"HTTPS"}), "https");
  EXPECT_EQ(proto({"203.0.113.7, 10.1.0.1"}, {"https"}), "https");
  EXPECT_EQ(proto({"203.0.113.7, 10.1.0.1"}, {"https, http"}), "https");
  EXPECT_EQ(proto({"203.0.113.7, 10.1.0.1"}, {"https, http, http"}), "");  // cannot pair
  EXPECT_EQ(proto({"203.0.113.7"}, {}), "");
  // A bad proto loses the proto only.
  ClientAddress c = ResolveClient("10.0.0.2", trusted, Headers({}, {"203.0.113.7"}, {"h t"}));
  EXPECT_EQ(c.address, "203.0.113.7");
  EXPECT_EQ(c.proto, "");
}

TEST_F(ForwardedTest, ForwardedElementsAndLines) {
  EXPECT_EQ(ViaForwarded({"for=203.0.113.7"}), "203.0.113.7");
  EXPECT_EQ(ViaForwarded({"For=203.0.113.7;Proto=https;by=10.0.0.2"}), "203.0.113.7");
  EXPECT_EQ(ViaForwarded({"for=198.51.100.1, for=203.0.113.7;proto=https, for=10.1.0.3"}),
            "203.0.113.7");
  EXPECT_EQ(ViaForwarded({"for=198.51.100.1", "for=203.0.113.7", "for=10.1.0.3"}), "203.0.113.7");
  EXPECT_EQ(ViaForwarded({"for=198.51.100.1,for=203.0.113.7 ,, for=10.1.0.3"}), "203.0.113.7");
  ClientAddress c =
      ResolveClient("10.0.0.2", trusted, Headers({"for=203.0.113.7;proto=HTTPS, for=10.1.0.3"}));
  EXPECT_EQ(c.proto, "https");
}

TEST_F(ForwardedTest, ForwardedQuotedValuesIPv6AndPorts) {
  EXPECT_EQ(ViaForwarded({"for=\"203.0.113.7\""}), "203.0.113.7");
  EXPECT_EQ(ViaForwarded({"for=\"192.0.2.60:8080\""}), "192.0.2.60");
  EXPECT_EQ(ViaForwarded({"for=\"[2001:db8::1]:4711\""}), "2001:db8::1");
  EXPECT_EQ(ViaForwarded({"for=\"[2001:db8::1]\""}), "2001:db8::1");
  EXPECT_EQ(ViaForwarded({"for=\"[2001:db8::1]:_port\""}), "2001:db8::1");
  EXPECT_EQ(ViaForwarded({"for=\"[2001:db8::1]\", for=\"[2001:db8:1::2]:80\""}), "2001:db8::1");
  // A quoted-pair is its character.
  EXPECT_EQ(ViaForwarded({"for=\"203.0.113\\.7\""}), "203.0.113.7");
  // Commas and semicolons inside quotes do not split.
  EXPECT_EQ(ViaForwarded({"for=203.0.113.7;ext=\"a,b;c\""}), "203.0.113.7");
}

TEST_F(ForwardedTest, ForwardedIsPreferredToXForwardedFor) {
  EXPECT_EQ(Client("10.0.0.2", Headers({"for=203.0.113.7"}, {"198.51.100.9"})), "203.0.113.7");
  // A malformed Forwarded does not fall back to X-Forwarded-For: the peer.
  EXPECT_EQ(Client("10.0.0.2", Headers({"for="}, {"198.51.100.9"})), "10.0.0.2");
}

TEST_F(ForwardedTest, ObfuscatedIdentifiersStopTheWalk) {
  EXPECT_EQ(ViaForwarded({"for=_hidden"}), "10.0.0.2");
  EXPECT_EQ(ViaForwarded({"for=unknown"}), "10.0.0.2");
  EXPECT_EQ(ViaForwarded({"for=\"_gazonk\""}), "10.0.0.2");
  EXPECT_EQ(ViaForwarded({"for=\"unknown:4711\""}), "10.0.0.2");
  // Whatever is left of the hidden hop is not believed.
  EXPECT_EQ(ViaForwarded({"for=203.0.113.7, for=_hidden, for=10.1.0.3"}), "10.1.0.3");
  EXPECT_EQ(ViaForwarded({"for=198.51.100.1, for=_hidden, for=203.0.113.7"}), "203.0.113.7");
  // An element without for= is a hop that did not say who sent it.
  EXPECT_EQ(ViaForwarded({"for=203.0.113.7, proto=https"}), "10.0.0.2");
  EXPECT_EQ(ViaXff({"203.0.113.7, unknown"}), "10.0.0.2");
}

TEST_F(ForwardedTest, MalformedHeadersFallBackToThePeer) {
  for (std::string_view bad : {
           "for=",
           "for",
           "=203.0.113.7",
           "for=203.0.113.7;",  // an empty pair
           "for=203.0.113.7 for=198.51.100.1",
           "for=\"203.0.113.7",   // unterminated quote
           "for=203.0.113.7:80",  // a port must be quoted
           "for=\"[2001:db8::1\"",
           "for=\"2001:db8::1\"",  // IPv6 must be bracketed
           "for=\"[203.0.113.7]\"",
           "for=\"[2001:db8::1]:99999\"",
           "for=\"[2001:db8::1]x\"",
           "for=\"203.0.113.7:\"",
           "for=\"_\"",
           "for=host.example",
           "for=203.0.113.7;for=198.51.100.1",  // a parameter twice
           "for=203.0.113.7;proto=\"ht tp\"",
           "for=203.0.113.7;proto=https;proto=http",
           "for=\"203.0.113.7\x01\"",
       }) {
    EXPECT_EQ(ViaForwarded({"for=198.51.100.1", bad}), "10.0.0.2") << bad;
  }
  for (std::string_view bad : {"203.0.113.7 198.51.100.1", "203.0.113.7;", "host.example",
                               "[203.0.113.7]", "203.0.113.7:x", "\"203.0.113.7\"", "_hidden:"}) {
    EXPECT_EQ(ViaXff({"198.51.100.1", bad}), "10.0.0.2") << bad;
  }
}

TEST_F(ForwardedTest, HeadersOverTheBoundsFallBackToThePeer) {
  std::string many;
  for (size_t i = 0; i < kMaxForwardedElements; ++i) many += "198.51.100.1,";
  many += "203.0.113.7";  // one past the bound
  EXPECT_EQ(ViaXff({many}), "10.0.0.2");
  std::string at_bound;
  for (size_t i = 0; i + 1 < kMaxForwardedElements; ++i) at_bound += "198.51.100.1,";
  at_bound += "203.0.113.7";
  EXPECT_EQ(ViaXff({at_bound}), "203.0.113.7");

  std::string elements;
  for (size_t i = 0; i <= kMaxForwardedElements; ++i) elements += "for=198.51.100.1,";
  EXPECT_EQ(ViaForwarded({elements}), "10.0.0.2");

  std::string long_value = "for=203.0.113.7;ext=\"" + std::string(kMaxForwardedBytes, 'a') + "\"";
  EXPECT_EQ(ViaForwarded({long_value}), "10.0.0.2");
  // The bound counts every line.
  std::vector<std::string_view> lines(kMaxForwardedBytes / 10, "for=10.1.0.1");
  EXPECT_EQ(ViaForwarded(lines), "10.0.0.2");
}

}  // namespace
}  // namespace reportshare::http
