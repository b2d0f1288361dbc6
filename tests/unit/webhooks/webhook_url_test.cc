#include "webhooks/webhook_url.h"

#include <gtest/gtest.h>

#include <string>

namespace reportshare::webhooks {
namespace {

WebhookUrl Parsed(std::string_view text) {
  auto url = ParseWebhookUrl(text);
  EXPECT_TRUE(url) << text << ": " << (url ? "" : url.error().message());
  return url ? *url : WebhookUrl{};
}

// The refusal's message, "" if the url was accepted.
std::string Refusal(std::string_view text) {
  auto url = ParseWebhookUrl(text);
  if (url) return "";
  EXPECT_EQ(url.error().code(), Code::kInvalidArgument) << text;
  return url.error().message();
}

TEST(WebhookUrlTest, SplitsAnHttpsUrl) {
  WebhookUrl url = Parsed("https://Hooks.Example.COM/in/Coming?Key=A%20b&x");
  EXPECT_TRUE(url.https);
  EXPECT_EQ(url.host, "hooks.example.com");
  EXPECT_EQ(url.port, 443);
  EXPECT_EQ(url.target, "/in/Coming?Key=A%20b&x");  // as written
  EXPECT_EQ(url.HostHeader(), "hooks.example.com");
}

TEST(WebhookUrlTest, SchemeIsCaseInsensitiveAndPicksTheDefaultPort) {
  WebhookUrl http = Parsed("HTTP://example.com/x");
  EXPECT_FALSE(http.https);
  EXPECT_EQ(http.port, 80);
  EXPECT_EQ(http.HostHeader(), "example.com");
  EXPECT_TRUE(Parsed("HtTpS://example.com").https);
}

TEST(WebhookUrlTest, KeepsAnExplicitPort) {
  WebhookUrl url = Parsed("http://example.com:8080/hook");
  EXPECT_EQ(url.port, 8080);
  EXPECT_EQ(url.HostHeader(), "example.com:8080");
  EXPECT_EQ(Parsed("https://example.com:1/").port, 1);
  EXPECT_EQ(Parsed("https://example.com:65535/").port, 65535);
  EXPECT_EQ(Parsed("https://example.com:00443/").port, 443);
  // The other scheme's default is not this one's: it is written out.
  EXPECT_EQ(Parsed("https://example.com:80/").HostHeader(), "example.com:80");
  EXPECT_EQ(Parsed("http://example.com:443/").HostHeader(), "example.com:443");
  // Written but the default: left out of Host.
  EXPECT_EQ(Parsed("https://example.com:443/").HostHeader(), "example.com");
  // An empty port (RFC 3986 allows it) is the default.
  EXPECT_EQ(Parsed("http://example.com:/").port, 80);
}

TEST(WebhookUrlTest, DefaultsTheTargetToSlash) {
  EXPECT_EQ(Parsed("https://example.com").target, "/");
  EXPECT_EQ(Parsed("https://example.com/").target, "/");
  EXPECT_EQ(Parsed("https://example.com?a=1").target, "/?a=1");
  EXPECT_EQ(Parsed("https://example.com/p?").target, "/p?");
}

TEST(WebhookUrlTest, TakesIpLiterals) {
  WebhookUrl v6 = Parsed("https://[2001:DB8:0:0::1]:8443/h");
  EXPECT_EQ(v6.host, "2001:db8::1");  // canonical, without brackets
  EXPECT_EQ(v6.port, 8443);
  EXPECT_EQ(v6.HostHeader(), "[2001:db8::1]:8443");
  EXPECT_EQ(Parsed("http://[::1]/").HostHeader(), "[::1]");
  WebhookUrl v4 = Parsed("http://192.0.2.7:81");
  EXPECT_EQ(v4.host, "192.0.2.7");
  EXPECT_EQ(v4.HostHeader(), "192.0.2.7:81");
}

TEST(WebhookUrlTest, TakesNamesWithHyphensUnderscoresAndATrailingDot) {
  EXPECT_EQ(Parsed("https://my-hooks_1.example.com./x").host, "my-hooks_1.example.com.");
  EXPECT_EQ(Parsed("https://localhost/").host, "localhost");
  EXPECT_EQ(Parsed("https://1password.com/").host, "1password.com");
  EXPECT_EQ(Parsed("https://x.0xg1/").host, "x.0xg1");
}

TEST(WebhookUrlTest, TakesAUrlOfExactlyTheLimit) {
  std::string url = "https://example.com/";
  url += std::string(kMaxWebhookUrlLength - url.size(), 'a');
  EXPECT_EQ(Parsed(url).target.size(), kMaxWebhookUrlLength - 19);
  EXPECT_EQ(Refusal(url + "a"), "url is too long (at most 2048 characters)");
}

TEST(WebhookUrlTest, RefusesOtherSchemesAndRelativeUrls) {
  for (const char* text :
       {"ftp://example.com/", "example.com/hook", "//example.com/", "/hook", "https:/example.com",
        "https:example.com", "wss://example.com/", "httpx://example.com"}) {
    EXPECT_EQ(Refusal(text), "url must start with http:// or https://") << text;
  }
  EXPECT_EQ(Refusal(""), "url must not be empty");
}

TEST(WebhookUrlTest, RefusesCredentials) {
  for (const char* text : {"https://user:pass@example.com/", "https://user@example.com/",
                           "https://:pass@example.com/", "http://@example.com/"}) {
    EXPECT_EQ(Refusal(text), "url must not contain credentials") << text;
  }
}

TEST(WebhookUrlTest, RefusesAFragment) {
  EXPECT_EQ(Refusal("https://example.com/hook#frag"), "url must not have a fragment");
  EXPECT_EQ(Refusal("https://example.com/hook#"), "url must not have a fragment");
}

TEST(WebhookUrlTest, RefusesNonPrintableAndNonAscii) {
  EXPECT_EQ(Refusal("https://example.com/\x01"),
            "url must contain only printable ASCII characters");
  EXPECT_EQ(Refusal("https://example.com/\n"), "url must contain only printable ASCII characters");
  EXPECT_EQ(Refusal("https://example.com/\x7f"),
            "url must contain only printable ASCII characters");
  EXPECT_EQ(Refusal("https://b\xc3\xbc"
                    "cher.example/"),
            "url must contain only printable ASCII characters");
  EXPECT_EQ(Refusal(std::string_view("https://example.com/\0", 21)),
            "url must contain only printable ASCII characters");
}

TEST(WebhookUrlTest, RefusesMalformedUrls) {
  // A path that does not start with '/' right after the authority is no URL
  // (Boost.URL 1.81 would take some of these).
  for (const char* text :
       {"http://1.2.3.4./", "http://1.2.3.4.5/", "https://example.com:80x/",
        "https://example.com:80:81/", "https://[::1]:80x/", "https://example.com/a b",
        "https://exa mple.com/", "https://[::1/", "https://example.com:port/",
        "https://example.com:-1/", "https://example.com/%zz", "https://[::1]x/", "http://a@b@c/",
        "https://example.com/\"", "https://example.com/<x>"}) {
    EXPECT_EQ(Refusal(text), "url is not a valid absolute URL") << text;
  }
}

TEST(WebhookUrlTest, RefusesAnEmptyHost) {
  EXPECT_EQ(Refusal("https:///hook"), "url must have a host");
  EXPECT_EQ(Refusal("http://:80/"), "url must have a host");
}

TEST(WebhookUrlTest, RefusesPortsOutOfRange) {
  EXPECT_EQ(Refusal("https://example.com:0/"), "url port must be from 1 to 65535");
  EXPECT_EQ(Refusal("https://example.com:65536/"), "url port must be from 1 to 65535");
  EXPECT_EQ(Refusal("https://example.com:99999999999999999999/"),
            "url port must be from 1 to 65535");
}

TEST(WebhookUrlTest, RefusesHostsThatAreNoDnsName) {
  for (const char* text : {"https://exa%6Dple.com/", "https://a..b/", "https://.example.com/",
                           "https://[v1.x]/", "https://ex!ample.com/", "https://example.com../",
                           // Numbers a resolver would read as IPv4 addresses.
                           "http://127.1/", "http://2130706433/", "http://0x7f.0.0.1/",
                           "http://0x7f000001/", "http://127.0.0.01/", "http://256.1.1.1/",
                           "http://a.b.017/", "http://a.0x/", "http://a.0XfF/", "http://1.2.3/"}) {
    EXPECT_EQ(Refusal(text), "url host is not a valid host name") << text;
  }
  std::string long_label = "https://" + std::string(64, 'a') + ".com/";
  EXPECT_EQ(Refusal(long_label), "url host is not a valid host name");
  EXPECT_EQ(Parsed("https://" + std::string(63, 'a') + ".com/").host.size(), 67u);
  std::string long_name = "https://";
  for (int i = 0; i < 4; ++i) long_name += std::string(63, 'a') + ".";
  EXPECT_EQ(Refusal(long_name + "com/"), "url host is not a valid host name");  // 256 > 253
}

TEST(WebhookUrlTest, NeverQuotesTheUrl) {
  for (const char* text :
       {"https://user:s3cret@example.com/", "https://example.com/?t=s3cret#s3cret", "ftp://s3cret/",
        "https://s3cret.example.com:0/", "https://s3cret..x/", "https://example.com/s3cret x"}) {
    std::string message = Refusal(text);
    ASSERT_FALSE(message.empty()) << text;
    EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
    EXPECT_EQ(message.rfind("url ", 0), 0u) << message;
  }
}

}  // namespace
}  // namespace reportshare::webhooks
