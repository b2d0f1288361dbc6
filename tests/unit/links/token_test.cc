#include "links/token.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/rfc3339.h"

namespace reportshare::links {
namespace {

using std::chrono::microseconds;

constexpr std::string_view kTokenAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";

Bytes Secret(uint8_t first) {
  Bytes s(KeyRing::kSecretSize);
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<uint8_t>(first + i);
  return s;
}

KeyRing Ring(std::vector<SigningKey> keys, uint32_t active) {
  auto ring = KeyRing::Create(std::move(keys), SigningKeyId{active});
  EXPECT_TRUE(ring) << ring.error().message();
  return std::move(*ring);
}

// Key 1 with secret 00 01 .. 1f.
KeyRing FixedRing() { return Ring({SigningKey{SigningKeyId{1}, Secret(0)}}, 1); }

Instant At(std::string_view rfc3339) {
  auto t = core::ParseRfc3339(rfc3339);
  EXPECT_TRUE(t.has_value()) << rfc3339;
  return t.value_or(Instant{});
}

LinkClaims FixedClaims() {
  LinkClaims c;
  for (size_t i = 0; i < LinkId::kSize; ++i) c.link_id.bytes[i] = static_cast<uint8_t>(0x10 + i);
  c.report_id = ReportId{318};
  c.expires_at = At("2025-07-09T07:16:33.163639Z");
  return c;
}

// Builds a token from a raw payload with a correct tag, as someone holding
// `secret` could: lets tests reach the checks that run after the tag.
std::string SignRaw(const Bytes& secret, const Bytes& payload) {
  std::array<uint8_t, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), payload.data(), payload.size(),
       md.data(), &len);
  return core::Base64UrlEncode(payload) + "." +
         core::Base64UrlEncode(std::span<const uint8_t>(md.data(), kTokenTagSize));
}

Bytes Payload(uint8_t version, uint32_t key_id, int64_t report_id, int64_t expires_us) {
  Bytes p;
  p.push_back(version);
  for (int s = 24; s >= 0; s -= 8) p.push_back(static_cast<uint8_t>(key_id >> s));
  for (size_t i = 0; i < LinkId::kSize; ++i) p.push_back(static_cast<uint8_t>(0x10 + i));
  for (int s = 56; s >= 0; s -= 8) {
    p.push_back(static_cast<uint8_t>(static_cast<uint64_t>(report_id) >> s));
  }
  for (int s = 56; s >= 0; s -= 8) {
    p.push_back(static_cast<uint8_t>(static_cast<uint64_t>(expires_us) >> s));
  }
  return p;
}

void ExpectRejected(const KeyRing& ring, std::string_view token) {
  auto r = VerifyToken(ring, token);
  ASSERT_FALSE(r) << "accepted: " << token;
  EXPECT_EQ(r.error().code(), Code::kNotFound) << token;
  EXPECT_EQ(r.error().message(), "link not found") << token;
}

TEST(TokenTest, KnownAnswer) {
  // Computed independently (Python hmac/hashlib/base64) from docs/tokens.md.
  const std::string expected =
      "AQAAAAEQERITFBUWFxgZGhscHR4fAAAAAAAAAT4ABjl520o1dw.8hwML05pwcUQRWUgO3SdrAolbcvWiQ7f";
  EXPECT_EQ(SignToken(FixedRing(), FixedClaims()), expected);
  auto claims = VerifyToken(FixedRing(), expected);
  ASSERT_TRUE(claims) << claims.error().message();
  EXPECT_EQ(claims->expires_at.time_since_epoch().count(), 1752045393163639);
}

TEST(TokenTest, RoundTrip) {
  KeyRing ring = FixedRing();
  LinkClaims in = FixedClaims();
  std::string token = SignToken(ring, in);
  auto out = VerifyToken(ring, token);
  ASSERT_TRUE(out) << out.error().message();
  in.key_id = SigningKeyId{1};
  EXPECT_EQ(*out, in);
}

TEST(TokenTest, RoundTripExtremeValues) {
  KeyRing ring = FixedRing();
  for (int64_t report : {int64_t{1}, std::numeric_limits<int64_t>::max()}) {
    for (int64_t us : {std::numeric_limits<int64_t>::min(), int64_t{-1}, int64_t{0},
                       std::numeric_limits<int64_t>::max()}) {
      LinkClaims in = FixedClaims();
      in.report_id = ReportId{report};
      in.expires_at = Instant{microseconds{us}};
      auto out = VerifyToken(ring, SignToken(ring, in));
      ASSERT_TRUE(out) << report << " " << us;
      EXPECT_EQ(out->report_id, in.report_id);
      EXPECT_EQ(out->expires_at, in.expires_at);
    }
  }
}

TEST(TokenTest, SignIgnoresGivenKeyIdAndUsesActiveKey) {
  KeyRing ring =
      Ring({SigningKey{SigningKeyId{4}, Secret(0)}, SigningKey{SigningKeyId{9}, Secret(50)}}, 9);
  LinkClaims in = FixedClaims();
  in.key_id = SigningKeyId{4};
  auto out = VerifyToken(ring, SignToken(ring, in));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->key_id, SigningKeyId{9});
}

TEST(TokenTest, OnlyAllowedCharactersAndBoundedLength) {
  KeyRing ring = FixedRing();
  for (int i = 0; i < 50; ++i) {
    LinkClaims c = FixedClaims();
    auto id = NewLinkId(Instant{microseconds{1764633600123456}} + std::chrono::hours{i});
    ASSERT_TRUE(id);
    c.link_id = *id;
    c.report_id = ReportId{int64_t{1} << (i % 63)};
    std::string token = SignToken(ring, c);
    EXPECT_EQ(token.size(), kTokenLength);
    EXPECT_LE(token.size(), kMaxTokenLength);
    EXPECT_EQ(token.find_first_not_of(kTokenAlphabet), std::string::npos) << token;
    EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 1);
  }
}

TEST(TokenTest, PayloadIsExactly37BytesOfIdsAndExpiry) {
  // Nothing but version, key id, link id, report id and expiry: no room for
  // personal data by construction.
  std::string token = SignToken(FixedRing(), FixedClaims());
  size_t dot = token.find('.');
  ASSERT_NE(dot, std::string::npos);
  auto payload = core::Base64UrlDecode(std::string_view(token).substr(0, dot));
  auto tag = core::Base64UrlDecode(std::string_view(token).substr(dot + 1));
  ASSERT_TRUE(payload && tag);
  EXPECT_EQ(payload->size(), 37u);
  EXPECT_EQ(tag->size(), 24u);  // 192-bit tag
  EXPECT_EQ(*payload, Payload(1, 1, 318, 1752045393163639));
}

TEST(TokenTest, EverySingleCharacterChangeIsRejected) {
  KeyRing ring = FixedRing();
  const std::string token = SignToken(ring, FixedClaims());
  ASSERT_TRUE(VerifyToken(ring, token));
  size_t tried = 0;
  for (size_t i = 0; i < token.size(); ++i) {
    for (char c : kTokenAlphabet) {
      if (c == token[i]) continue;
      std::string t = token;
      t[i] = c;
      ExpectRejected(ring, t);
      ++tried;
    }
  }
  EXPECT_EQ(tried, token.size() * (kTokenAlphabet.size() - 1));
}

TEST(TokenTest, CharactersOutsideTheAlphabetAreRejected) {
  KeyRing ring = FixedRing();
  const std::string token = SignToken(ring, FixedClaims());
  for (char c : std::string_view("+/= %\0\n\xff", 8)) {
    for (size_t i : {size_t{0}, size_t{49}, size_t{50}, size_t{82}}) {
      std::string t = token;
      t[i] = c;
      ExpectRejected(ring, t);
    }
  }
}

TEST(TokenTest, TruncationAndExtensionAreRejected) {
  KeyRing ring = FixedRing();
  const std::string token = SignToken(ring, FixedClaims());
  for (size_t n = 0; n < token.size(); ++n) ExpectRejected(ring, token.substr(0, n));
  for (size_t n = 1; n < token.size(); ++n) ExpectRejected(ring, token.substr(n));
  for (char c : kTokenAlphabet) {
    ExpectRejected(ring, token + c);
    ExpectRejected(ring, std::string(1, c) + token);
  }
  ExpectRejected(ring, token + "=");
  ExpectRejected(ring, token + "==");
  ExpectRejected(ring, token + token);
  ExpectRejected(ring, std::string(kMaxTokenLength + 1, 'A'));
  ExpectRejected(ring, std::string(1 << 20, 'A'));
}

TEST(TokenTest, MisplacedOrExtraSeparatorIsRejected) {
  KeyRing ring = FixedRing();
  const std::string token = SignToken(ring, FixedClaims());
  std::string no_dot = token;
  no_dot.erase(50, 1);
  ExpectRejected(ring, no_dot);
  ExpectRejected(ring, no_dot + "A");  // right length, no separator
  std::string moved = token;
  std::swap(moved[49], moved[50]);
  ExpectRejected(ring, moved);
  ExpectRejected(ring, token.substr(0, 51) + "." + token.substr(52));
}

TEST(TokenTest, NonCanonicalBase64IsRejected) {
  KeyRing ring = FixedRing();
  const std::string token = SignToken(ring, FixedClaims());
  // The 50th character carries 2 payload bits and 4 zero bits; setting a low
  // bit decodes to the same 37 bytes under a lax decoder.
  std::string_view alpha = kTokenAlphabet.substr(0, 64);
  size_t v = alpha.find(token[49]);
  ASSERT_EQ(v & 0x0F, 0u);
  std::string t = token;
  t[49] = alpha[v | 1];
  ExpectRejected(ring, t);
  // Same for the tag's last character (24 bytes -> 32 chars: no spare bits,
  // so instead check that padding is not accepted).
  ExpectRejected(ring, token.substr(0, 82) + "=");
}

TEST(TokenTest, UnknownKeyIdIsRejected) {
  KeyRing signer = Ring({SigningKey{SigningKeyId{1}, Secret(0)}}, 1);
  KeyRing verifier = Ring({SigningKey{SigningKeyId{2}, Secret(0)}}, 2);
  ExpectRejected(verifier, SignToken(signer, FixedClaims()));
}

TEST(TokenTest, KeyNotInRingIsRejectedEvenWithSameId) {
  KeyRing signer = Ring({SigningKey{SigningKeyId{1}, Secret(100)}}, 1);
  ExpectRejected(FixedRing(), SignToken(signer, FixedClaims()));
}

TEST(TokenTest, RotatedRingVerifiesOldTokensAndSignsWithNewKey) {
  KeyRing old_ring = FixedRing();
  const std::string old_token = SignToken(old_ring, FixedClaims());
  auto rotated = old_ring.WithNewActiveKey();
  ASSERT_TRUE(rotated);
  EXPECT_EQ(rotated->active().id, SigningKeyId{2});

  auto old_claims = VerifyToken(*rotated, old_token);
  ASSERT_TRUE(old_claims);
  EXPECT_EQ(old_claims->key_id, SigningKeyId{1});

  const std::string new_token = SignToken(*rotated, FixedClaims());
  EXPECT_NE(new_token, old_token);
  auto new_claims = VerifyToken(*rotated, new_token);
  ASSERT_TRUE(new_claims);
  EXPECT_EQ(new_claims->key_id, SigningKeyId{2});
  // A node still on the old ring does not know key 2.
  ExpectRejected(old_ring, new_token);

  // Dropping key 1 from the ring retires its links.
  KeyRing retired = Ring({rotated->keys()[1]}, 2);
  ExpectRejected(retired, old_token);
  EXPECT_TRUE(VerifyToken(retired, new_token));
}

TEST(TokenTest, CorrectlyTaggedButInvalidPayloadIsRejected) {
  KeyRing ring = FixedRing();
  const Bytes secret = Secret(0);
  ASSERT_TRUE(VerifyToken(ring, SignRaw(secret, Payload(1, 1, 318, 0))));
  ExpectRejected(ring, SignRaw(secret, Payload(0, 1, 318, 0)));   // version 0
  ExpectRejected(ring, SignRaw(secret, Payload(2, 1, 318, 0)));   // version 2
  ExpectRejected(ring, SignRaw(secret, Payload(1, 7, 318, 0)));   // key 7 not in ring
  ExpectRejected(ring, SignRaw(secret, Payload(1, 1, 0, 0)));     // report id 0
  ExpectRejected(ring, SignRaw(secret, Payload(1, 1, -318, 0)));  // negative report id
  ExpectRejected(ring, SignRaw(secret, Payload(1, 1, std::numeric_limits<int64_t>::min(), 0)));
}

TEST(TokenTest, TagIsOverTheWholePayload) {
  // Flipping any single bit of the payload (keeping the tag) is rejected.
  KeyRing ring = FixedRing();
  const std::string token = SignToken(ring, FixedClaims());
  auto payload = core::Base64UrlDecode(std::string_view(token).substr(0, 50));
  ASSERT_TRUE(payload);
  const std::string tag = token.substr(51);
  for (size_t byte = 0; byte < payload->size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes p = *payload;
      p[byte] = static_cast<uint8_t>(p[byte] ^ (1u << bit));
      ExpectRejected(ring, core::Base64UrlEncode(p) + "." + tag);
    }
  }
}

TEST(TokenTest, ExpiryBoundary) {
  LinkClaims c = FixedClaims();
  EXPECT_FALSE(IsExpired(c, c.expires_at - microseconds{1}));
  EXPECT_TRUE(IsExpired(c, c.expires_at));
  EXPECT_TRUE(IsExpired(c, c.expires_at + microseconds{1}));
  EXPECT_FALSE(IsExpired(c, c.expires_at - std::chrono::hours{1}));
}

TEST(TokenTest, VerifyDoesNotCheckExpiry) {
  KeyRing ring = FixedRing();
  LinkClaims c = FixedClaims();
  c.expires_at = Instant{microseconds{0}};  // long past
  EXPECT_TRUE(VerifyToken(ring, SignToken(ring, c)));
}

TEST(TokenTest, NewLinkIdIsRandomAfterItsMillisecond) {
  const Instant now = Instant{microseconds{1764633600123456}};  // 2025-12-02T00:00:00.123456Z
  auto a = NewLinkId(now);
  auto b = NewLinkId(now);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  // The first 6 bytes: 1764633600123 ms, big-endian.
  const uint8_t stamp[] = {0x01, 0x9a, 0xdc, 0x5b, 0xe0, 0x7b};
  for (const LinkId& id : {*a, *b}) {
    EXPECT_TRUE(std::equal(std::begin(stamp), std::end(stamp), id.bytes.begin()));
    // The other 10 are random: not all zero (a chance of 2^-80).
    EXPECT_FALSE(
        std::all_of(id.bytes.begin() + 6, id.bytes.end(), [](uint8_t x) { return x == 0; }));
  }
  EXPECT_FALSE(std::equal(a->bytes.begin() + 6, a->bytes.end(), b->bytes.begin() + 6));
}

TEST(TokenTest, NewLinkIdsSortByTheirMillisecond) {
  const Instant t = Instant{microseconds{1764633600123456}};
  std::vector<LinkId> ids;
  for (int ms : {0, 1, 2, 255, 256, 65536}) {
    auto id = NewLinkId(t + std::chrono::milliseconds{ms});
    ASSERT_TRUE(id);
    ids.push_back(*id);
  }
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end(),
                             [](const LinkId& x, const LinkId& y) { return x.bytes < y.bytes; }));
  // Before 1970 the stamp is 0, not a wrapped-around value.
  auto early = NewLinkId(Instant{microseconds{-5000}});
  ASSERT_TRUE(early);
  EXPECT_TRUE(std::all_of(early->bytes.begin(), early->bytes.begin() + 6,
                          [](uint8_t x) { return x == 0; }));
}

}  // namespace
}  // namespace reportshare::links
