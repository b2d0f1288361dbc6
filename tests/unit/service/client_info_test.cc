#include "service/client_info.h"

#include <gtest/gtest.h>

namespace reportshare::service {
namespace {

TEST(ClientInfoTest, BrowserFamilies) {
  struct Case {
    const char* ua;
    const char* family;
  } cases[] = {
      {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/120.0.0.0 Safari/537.36",
       "Chrome"},
      {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
       "Edge"},
      {"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox"},
      {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
       "Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
       "Safari"},
      {"curl/7.88.1", "curl"},
      {"", "Unknown"},
      {"SomethingElse/1.0", "Other"},
  };
  for (const Case& c : cases) {
    ClientInfo info = DescribeClient(c.ua, "127.0.0.1");
    EXPECT_EQ(info.family, c.family) << c.ua;
    EXPECT_FALSE(info.scanner) << c.ua;
  }
}

TEST(ClientInfoTest, ScannersAndPreviewersAreNotPeople) {
  for (const char* ua :
       {"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "facebookexternalhit/1.1",
        "Twitterbot/1.0", "LinkedInBot/1.0", "WhatsApp/2.23.20.0",
        "Microsoft Office/16.0 (Microsoft Outlook 16.0)", "Mozilla/5.0 (compatible; Googlebot/2.1)",
        "Proofpoint URL Defense", "SomeCrawler/2.0 crawler"}) {
    EXPECT_TRUE(DescribeClient(ua, "10.0.0.1").scanner) << ua;
  }
  // A phone model containing "bot" is not a bot.
  EXPECT_FALSE(
      DescribeClient("Mozilla/5.0 (Linux; Android 9; CUBOT_X19) Chrome/120.0 Mobile", "10.0.0.1")
          .scanner);
}

TEST(ClientInfoTest, NetworksAreTruncated) {
  EXPECT_EQ(DescribeClient("", "203.0.113.77").network, "203.0.113.0/24");
  EXPECT_EQ(DescribeClient("", "2001:db8:abcd:1234::99").network, "2001:db8:abcd::/48");
  EXPECT_EQ(DescribeClient("", "::ffff:198.51.100.9").network, "198.51.100.0/24");
  EXPECT_EQ(DescribeClient("", "not an ip").network, "");
  EXPECT_EQ(DescribeClient("", "").network, "");
}

}  // namespace
}  // namespace reportshare::service
