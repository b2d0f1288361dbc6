#include "webhooks/signature.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "webhooks/deliverer.h"

namespace reportshare::webhooks {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// The header computed here from the Standard Webhooks specification alone,
// with OpenSSL's one-shot HMAC and its Base64 encoder, not the project's.
std::string Reference(std::span<const uint8_t> secret, std::string_view msg_id, int64_t timestamp,
                      std::string_view body) {
  const std::string content =
      std::string(msg_id) + "." + std::to_string(timestamp) + "." + std::string(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  const unsigned char* ok =
      HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &mac_len);
  EXPECT_NE(ok, nullptr);
  EXPECT_EQ(mac_len, 32u);
  unsigned char b64[64] = {};
  const int n = EVP_EncodeBlock(b64, mac, static_cast<int>(mac_len));
  return "v1," + std::string(reinterpret_cast<const char*>(b64), static_cast<size_t>(n));
}

// The example of the Standard Webhooks specification (and of its reference
// libraries' tests), checked against the `standardwebhooks` npm package and
// Python's hmac: secret "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".
TEST(SignatureTest, StandardWebhooksExample) {
  auto key = core::Base64Decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  ASSERT_TRUE(key);
  EXPECT_EQ(
      SignatureHeader(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})"),
      "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(SignatureTest, MatchesAnIndependentComputation) {
  std::array<uint8_t, 32> secret{};
  for (size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<uint8_t>(0xa5 ^ (i * 29));
  const std::string event = R"({"type":"link.viewed","timestamp":"2025-07-09T05:46:40.123456Z",)"
                            R"("data":{"report_id":318,"recipient":"Hiring panel \u00e9 🚀"}})";
  struct Case {
    std::string_view msg_id;
    int64_t timestamp;
    std::string body;
  };
  const std::vector<Case> cases = {
      {"msg_0123456789abcdef0123456789abcdef", 1752040000, event},
      {"msg_0123456789abcdef0123456789abcdef", 0, event},
      {"msg_ffffffffffffffffffffffffffffffff", 4102444800, ""},
      {"msg_x", 1752040000, "line one\nline two\r\n\ttab"},
      {"msg_x", 1752040000, std::string("nul\0inside", 10)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.timestamp);
    const std::string header = SignatureHeader(secret, c.msg_id, c.timestamp, c.body);
    EXPECT_EQ(header, Reference(secret, c.msg_id, c.timestamp, c.body));
    ASSERT_EQ(header.size(), 3u + 44u) << header;
    EXPECT_TRUE(header.starts_with("v1,"));
    EXPECT_EQ(header.back(), '=');
    auto mac = core::Base64Decode(std::string_view(header).substr(3));
    ASSERT_TRUE(mac) << header;  // standard Base64, not Base64url
    EXPECT_EQ(mac->size(), 32u);
  }
  // A random secret of the registration's size.
  std::array<uint8_t, 32> random{};
  ASSERT_TRUE(core::RandomBytes(random));
  EXPECT_EQ(SignatureHeader(random, "msg_a", 1, event), Reference(random, "msg_a", 1, event));
}

TEST(SignatureTest, EveryInputChangesTheSignature) {
  std::array<uint8_t, 32> secret{}, other_secret{};
  secret.fill(1);
  other_secret.fill(1);
  other_secret[31] = 2;
  const std::string body = R"({"type":"webhook.test"})";
  std::set<std::string> headers = {
      SignatureHeader(secret, "msg_a", 1752040000, body),
      SignatureHeader(other_secret, "msg_a", 1752040000, body),
      SignatureHeader(secret, "msg_b", 1752040000, body),
      SignatureHeader(secret, "msg_a", 1752040001, body),
      SignatureHeader(secret, "msg_a", 1752040000, body + " "),
      // The separators are part of the signed content: moving a dot changes it.
      SignatureHeader(secret, "msg_a.1", 752040000, body),
  };
  EXPECT_EQ(headers.size(), 6u);
  // And the same inputs sign the same (a retry carries the same header value
  // only if its timestamp is the same).
  EXPECT_EQ(SignatureHeader(secret, "msg_a", 1752040000, body),
            SignatureHeader(secret, "msg_a", 1752040000, body));
}

// --- the retry schedule (SPEC §7) ---

TEST(RetryDelayTest, TheSpecScheduleAtTheDefaultBase) {
  const std::vector<microseconds> expected = {
      seconds(5), seconds(30), minutes(2), minutes(10), minutes(30),
      hours(1),   hours(3),    hours(6),   hours(12),
  };
  ASSERT_EQ(kMaxAttempts, 10);
  for (int64_t attempt = 1; attempt <= 9; ++attempt) {
    EXPECT_EQ(RetryDelay(attempt, seconds(5)),
              std::optional<microseconds>(expected[static_cast<size_t>(attempt - 1)]))
        << attempt;
  }
  EXPECT_EQ(RetryDelay(10, seconds(5)), std::nullopt);  // the 10th failure is the last
  EXPECT_EQ(RetryDelay(11, seconds(5)), std::nullopt);
  EXPECT_EQ(RetryDelay(0, seconds(5)), std::nullopt);
  EXPECT_EQ(RetryDelay(-1, seconds(5)), std::nullopt);
}

TEST(RetryDelayTest, ScalesLinearlyWithTheBase) {
  // --webhook-retry-base 0.2: 5 s becomes 0.2 s, every delay 1/25 of its own.
  const std::vector<microseconds> expected = {
      milliseconds(200), milliseconds(1200), milliseconds(4800), seconds(24),   seconds(72),
      seconds(144),      seconds(432),       seconds(864),       seconds(1728),
  };
  for (int64_t attempt = 1; attempt <= 9; ++attempt) {
    EXPECT_EQ(RetryDelay(attempt, milliseconds(200)),
              std::optional<microseconds>(expected[static_cast<size_t>(attempt - 1)]))
        << attempt;
  }
  EXPECT_EQ(RetryDelay(10, milliseconds(200)), std::nullopt);
  EXPECT_EQ(RetryDelay(0, milliseconds(200)), std::nullopt);

  // A base of 1 µs and one of an hour: exact, no overflow.
  EXPECT_EQ(RetryDelay(1, microseconds(1)), std::optional<microseconds>(microseconds(1)));
  EXPECT_EQ(RetryDelay(9, microseconds(1)), std::optional<microseconds>(microseconds(8640)));
  EXPECT_EQ(RetryDelay(9, hours(1)), std::optional<microseconds>(hours(12 * 720)));
}

}  // namespace
}  // namespace reportshare::webhooks
