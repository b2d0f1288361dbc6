// Fuzz target `token`: link tokens (links/token.h, docs/tokens.md) and the
// key file (links/key_ring.h). Every input is used three ways:
//  1. as a token: VerifyToken never crashes; a token accepted under the ring
//     re-signs (with the key it names made active) to exactly itself, decodes
//     unverified to the same claims, and is refused by a ring with the same
//     key ids and other secrets; a token whose unverified claims re-sign to
//     something else is refused (one accepted spelling per claims).
//  2. as claims (its first 33 bytes): signed, they verify to themselves; the
//     token with any one character changed is refused.
//  3. as a key file: what KeyRing::Parse accepts serializes to a file that
//     parses to the same keys.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "links/key_ring.h"
#include "links/token.h"

namespace reportshare::fuzz {
namespace {

using links::KeyRing;
using links::LinkClaims;
using links::SigningKey;

// The fixed test keys the seed tokens are signed with (fuzz/make_seeds.py):
// key 1 is bytes 0…31, key 7 is bytes 100…131.
Bytes Secret(uint8_t first) {
  Bytes b(KeyRing::kSecretSize);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(first + i);
  return b;
}

const KeyRing& Ring() {
  static const KeyRing ring = *KeyRing::Create(
      {SigningKey{SigningKeyId{1}, Secret(0)}, SigningKey{SigningKeyId{7}, Secret(100)}},
      SigningKeyId{1});
  return ring;
}

// The same key ids with other secrets: nothing the ring signs verifies here.
const KeyRing& WrongRing() {
  static const KeyRing ring = *KeyRing::Create(
      {SigningKey{SigningKeyId{1}, Secret(1)}, SigningKey{SigningKeyId{7}, Secret(99)}},
      SigningKeyId{1});
  return ring;
}

// The ring with `id` signing (it is in the ring).
const KeyRing& RingSigningWith(SigningKeyId id) {
  static const KeyRing ring1 = *Ring().WithActiveKey(SigningKeyId{1});
  static const KeyRing ring7 = *Ring().WithActiveKey(SigningKeyId{7});
  return id.value == 7 ? ring7 : ring1;
}

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

bool TokenCharacters(std::string_view token) {
  for (char c : token) {
    if (kAlphabet.find(c) == std::string_view::npos && c != '.') return false;
  }
  return true;
}

void AsToken(std::string_view token) {
  auto verified = links::VerifyToken(Ring(), token);
  auto decoded = links::DecodeTokenUnverified(token);
  if (verified) {
    FUZZ_CHECK(token.size() == links::kTokenLength);
    FUZZ_CHECK(TokenCharacters(token));
    FUZZ_CHECK(Ring().Find(verified->key_id) != nullptr);
    FUZZ_CHECK(links::SignToken(RingSigningWith(verified->key_id), *verified) == token,
               "an accepted token does not re-sign to itself");
    FUZZ_CHECK(decoded && *decoded == *verified);
    FUZZ_CHECK(!links::VerifyToken(WrongRing(), token), "accepted under the wrong secret");
    FUZZ_CHECK(verified->report_id.value >= 1);
  }
  if (decoded && Ring().Find(decoded->key_id) != nullptr) {
    const bool canonical = links::SignToken(RingSigningWith(decoded->key_id), *decoded) == token;
    FUZZ_CHECK(canonical == verified.has_value(),
               "accepted iff the claims re-sign to exactly this token");
  }
  if (!decoded) FUZZ_CHECK(!verified);
}

void AsClaims(std::string_view bytes) {
  if (bytes.size() < 33) return;
  ByteReader in(bytes);
  LinkClaims claims;
  for (uint8_t& b : claims.link_id.bytes) b = in.Next();
  uint64_t report = 0, expires = 0;
  for (int i = 0; i < 8; ++i) report = report << 8 | in.Next();
  for (int i = 0; i < 8; ++i) expires = expires << 8 | in.Next();
  claims.report_id = ReportId{static_cast<int64_t>(report >> 1) | 1};  // 1 … 2^63-1
  claims.expires_at = Instant{std::chrono::microseconds{static_cast<int64_t>(expires)}};
  const uint8_t pick = in.Next();
  const SigningKeyId key{(pick & 1) ? 7u : 1u};

  const std::string token = links::SignToken(RingSigningWith(key), claims);
  FUZZ_CHECK(token.size() == links::kTokenLength && TokenCharacters(token));
  auto verified = links::VerifyToken(Ring(), token);
  FUZZ_CHECK(verified.has_value(), "a freshly signed token is refused");
  claims.key_id = key;
  FUZZ_CHECK(*verified == claims, "the claims do not survive signing");
  FUZZ_CHECK(!links::VerifyToken(WrongRing(), token), "accepted under the wrong secret");

  // Any one character changed: refused.
  std::string altered = token;
  const size_t at = static_cast<size_t>(pick >> 1) % altered.size();
  const size_t was = kAlphabet.find(altered[at]);
  const char now = was == std::string_view::npos
                       ? kAlphabet[in.Next() % kAlphabet.size()]
                       : (in.Bit() ? '.' : kAlphabet[(was + 1 + in.Next() % 63) % 64]);
  altered[at] = now;
  FUZZ_CHECK(!links::VerifyToken(Ring(), altered), "a token with one character changed verifies");
}

void AsKeyFile(std::string_view text) {
  auto ring = KeyRing::Parse(text);
  if (!ring) return;
  const std::string file = ring->Serialize();
  auto again = KeyRing::Parse(file);
  FUZZ_CHECK(again.has_value(), "a serialized key ring does not parse");
  FUZZ_CHECK(again->active().id == ring->active().id);
  FUZZ_CHECK(again->keys().size() == ring->keys().size());
  for (const SigningKey& k : ring->keys()) {
    const SigningKey* found = again->Find(k.id);
    FUZZ_CHECK(found != nullptr && found->secret == k.secret);
  }
  FUZZ_CHECK(again->Serialize() == file);
}

}  // namespace
}  // namespace reportshare::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace reportshare::fuzz;
  const std::string_view input = AsText(data, size);
  AsToken(input);
  AsClaims(input);
  AsKeyFile(input);
  return 0;
}
