#include "links/key_ring.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.h"

namespace reportshare::links {
namespace {

Bytes Secret(uint8_t first, size_t size = KeyRing::kSecretSize) {
  Bytes s(size);
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<uint8_t>(first + i);
  return s;
}

SigningKey Key(uint32_t id, uint8_t first) { return SigningKey{SigningKeyId{id}, Secret(first)}; }

void ExpectInvalid(const Result<KeyRing>& r) {
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Code::kInvalidArgument);
}

TEST(KeyRingTest, CreateAcceptsAValidRing) {
  auto ring = KeyRing::Create({Key(1, 0), Key(2, 50)}, SigningKeyId{2});
  ASSERT_TRUE(ring) << ring.error().message();
  EXPECT_EQ(ring->active().id, SigningKeyId{2});
  EXPECT_EQ(ring->active().secret, Secret(50));
  ASSERT_EQ(ring->keys().size(), 2u);
  ASSERT_NE(ring->Find(SigningKeyId{1}), nullptr);
  EXPECT_EQ(ring->Find(SigningKeyId{1})->secret, Secret(0));
  EXPECT_EQ(ring->Find(SigningKeyId{3}), nullptr);
  EXPECT_EQ(ring->Find(SigningKeyId{0}), nullptr);
}

TEST(KeyRingTest, CreateRejectsEmptyRing) { ExpectInvalid(KeyRing::Create({}, SigningKeyId{1})); }

TEST(KeyRingTest, CreateRejectsDuplicateIds) {
  ExpectInvalid(KeyRing::Create({Key(1, 0), Key(1, 50)}, SigningKeyId{1}));
}

TEST(KeyRingTest, CreateRejectsWrongSecretSize) {
  for (size_t size : {size_t{0}, size_t{16}, size_t{31}, size_t{33}, size_t{64}}) {
    ExpectInvalid(KeyRing::Create({SigningKey{SigningKeyId{1}, Secret(0, size)}}, SigningKeyId{1}));
  }
}

TEST(KeyRingTest, CreateRejectsActiveNotInRing) {
  ExpectInvalid(KeyRing::Create({Key(1, 0), Key(2, 50)}, SigningKeyId{3}));
}

TEST(KeyRingTest, GenerateMakesOneRandomKey) {
  auto a = KeyRing::Generate();
  auto b = KeyRing::Generate();
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->keys().size(), 1u);
  EXPECT_EQ(a->active().id, SigningKeyId{1});
  EXPECT_EQ(a->active().secret.size(), KeyRing::kSecretSize);
  EXPECT_NE(a->active().secret, b->active().secret);
  EXPECT_NE(a->active().secret, Bytes(KeyRing::kSecretSize, 0));
}

TEST(KeyRingTest, WithNewActiveKeyAddsMaxPlusOne) {
  auto ring = KeyRing::Create({Key(7, 0), Key(3, 50)}, SigningKeyId{3});
  ASSERT_TRUE(ring);
  auto rotated = ring->WithNewActiveKey();
  ASSERT_TRUE(rotated) << rotated.error().message();
  EXPECT_EQ(rotated->active().id, SigningKeyId{8});
  EXPECT_EQ(rotated->active().secret.size(), KeyRing::kSecretSize);
  ASSERT_EQ(rotated->keys().size(), 3u);
  // Old keys are kept unchanged, so they still verify.
  ASSERT_NE(rotated->Find(SigningKeyId{7}), nullptr);
  EXPECT_EQ(rotated->Find(SigningKeyId{7})->secret, Secret(0));
  ASSERT_NE(rotated->Find(SigningKeyId{3}), nullptr);
  EXPECT_EQ(rotated->Find(SigningKeyId{3})->secret, Secret(50));
  EXPECT_NE(rotated->active().secret, Secret(0));
  EXPECT_NE(rotated->active().secret, Secret(50));
  // The original ring is immutable.
  EXPECT_EQ(ring->keys().size(), 2u);
  EXPECT_EQ(ring->active().id, SigningKeyId{3});
}

TEST(KeyRingTest, WithNewActiveKeyFailsWhenIdsAreExhausted) {
  auto ring = KeyRing::Create({Key(UINT32_MAX, 0)}, SigningKeyId{UINT32_MAX});
  ASSERT_TRUE(ring);
  auto rotated = ring->WithNewActiveKey();
  ASSERT_FALSE(rotated);
  EXPECT_EQ(rotated.error().code(), Code::kFailedPrecondition);
}

TEST(KeyRingTest, SerializeFormat) {
  auto ring = KeyRing::Create({Key(1, 0), Key(2, 0x20)}, SigningKeyId{2});
  ASSERT_TRUE(ring);
  EXPECT_EQ(ring->Serialize(),
            "1 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n"
            "2 ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8 active\n");
}

TEST(KeyRingTest, SerializeParseRoundTrip) {
  auto generated = KeyRing::Generate();
  ASSERT_TRUE(generated);
  auto ring = generated->WithNewActiveKey();
  ASSERT_TRUE(ring);
  ring = ring->WithNewActiveKey();
  ASSERT_TRUE(ring);
  auto parsed = KeyRing::Parse(ring->Serialize());
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->active().id, ring->active().id);
  ASSERT_EQ(parsed->keys().size(), ring->keys().size());
  for (size_t i = 0; i < ring->keys().size(); ++i) {
    EXPECT_EQ(parsed->keys()[i].id, ring->keys()[i].id);
    EXPECT_EQ(parsed->keys()[i].secret, ring->keys()[i].secret);
  }
  EXPECT_EQ(parsed->Serialize(), ring->Serialize());
}

TEST(KeyRingTest, ParseAcceptsActiveKeyAnywhere) {
  auto parsed = KeyRing::Parse(
      "5 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8 active\n"
      "0 ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8\n");
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->active().id, SigningKeyId{5});
  EXPECT_EQ(parsed->active().secret, Secret(0));
  ASSERT_NE(parsed->Find(SigningKeyId{0}), nullptr);
  EXPECT_EQ(parsed->Find(SigningKeyId{0})->secret, Secret(0x20));
}

// The secret of key 1 in every garbage case below: no error message may quote it.
constexpr std::string_view kS = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
constexpr std::string_view kT = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8";

TEST(KeyRingTest, ParseRejectsGarbageWithoutQuotingSecrets) {
  const std::string s(kS);
  const std::string t(kT);
  const std::vector<std::string> cases = {
      "",
      "\n",
      "1 " + s + " active",                                       // no final newline
      "1 " + s + " active\n\n",                                   // blank line
      "\n1 " + s + " active\n",                                   // leading blank line
      "1 " + s + " active\r\n",                                   // CRLF
      "1  " + s + " active\n",                                    // two spaces
      " 1 " + s + " active\n",                                    // leading space
      "1 " + s + " active \n",                                    // trailing space
      "1\t" + s + " active\n",                                    // tab
      "1 " + s + "\tactive\n",                                    // tab
      "1 " + s + "\n",                                            // no active key
      "1 " + s + " Active\n",                                     // wrong marker
      "1 " + s + " activ\n",                                      // wrong marker
      "1 " + s + " active extra\n",                               // four fields
      "1 " + s + " active\n2 " + t + " active\n",                 // two active keys
      "1 " + s + " active\n1 " + t + "\n",                        // duplicate id
      "01 " + s + " active\n",                                    // leading zero
      "+1 " + s + " active\n",                                    // sign
      "-1 " + s + " active\n",                                    // negative
      "4294967296 " + s + " active\n",                            // past uint32
      "99999999999 " + s + " active\n",                           // past uint32
      "x " + s + " active\n",                                     // not a number
      " " + s + " active\n",                                      // empty id
      "1 " + s + "= active\n",                                    // padding
      "1 " + s + "A active\n",                                    // 44 chars
      "1 " + s.substr(0, 42) + " active\n",                       // 42 chars: 31 bytes
      "1 " + s.substr(0, 42) + "9 active\n",                      // non-zero trailing bits
      "1 " + s.substr(0, 20) + "+" + s.substr(21) + " active\n",  // standard alphabet
      "1 " + s.substr(0, 20) + "/" + s.substr(21) + " active\n",
      "1 active\n",  // no secret
      "1\n",
      "active\n",
      "1 " + s + " active\n" + "garbage\n",
  };
  for (const std::string& text : cases) {
    auto r = KeyRing::Parse(text);
    ASSERT_FALSE(r) << "accepted: " << text;
    EXPECT_EQ(r.error().code(), Code::kInvalidArgument) << text;
    const std::string msg = r.error().message();
    EXPECT_FALSE(msg.empty());
    // No 8-character run of either secret appears in the message.
    for (std::string_view secret : {kS, kT}) {
      for (size_t i = 0; i + 8 <= secret.size(); ++i) {
        EXPECT_EQ(msg.find(secret.substr(i, 8)), std::string::npos) << msg;
      }
    }
  }
}

TEST(KeyRingTest, ParseErrorNamesTheLine) {
  auto r = KeyRing::Parse("1 " + std::string(kS) + " active\n2 nope\n");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("line 2"), std::string::npos) << r.error().message();
}

}  // namespace
}  // namespace reportshare::links

namespace reportshare::links {
namespace {

TEST(KeyRingTest, StagedRolloutAddsThenActivates) {
  auto ring = KeyRing::Generate();
  ASSERT_TRUE(ring);
  auto staged = ring->WithNewKey();
  ASSERT_TRUE(staged);
  EXPECT_EQ(staged->keys().size(), 2u);
  EXPECT_EQ(staged->active().id, ring->active().id);  // still signs with the old key
  ASSERT_NE(staged->Find(SigningKeyId{2}), nullptr);
  auto active = staged->WithActiveKey(SigningKeyId{2});
  ASSERT_TRUE(active);
  EXPECT_EQ(active->active().id, SigningKeyId{2});
  EXPECT_EQ(active->keys().size(), 2u);
  EXPECT_EQ(staged->WithActiveKey(SigningKeyId{9}).error().code(), Code::kNotFound);
}

}  // namespace
}  // namespace reportshare::links
