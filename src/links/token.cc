#include "links/token.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <optional>

namespace reportshare::links {
namespace {

// Payload layout (docs/tokens.md), all integers big-endian:
//   [0]      version (kTokenVersion)
//   [1, 5)   signing key id, uint32
//   [5, 21)  link id, 16 bytes
//   [21, 29) report id, int64
//   [29, 37) expires_at, int64 microseconds since the Unix epoch
constexpr size_t kVersionOffset = 0;
constexpr size_t kKeyIdOffset = 1;
constexpr size_t kLinkIdOffset = 5;
constexpr size_t kReportIdOffset = kLinkIdOffset + LinkId::kSize;
constexpr size_t kExpiresOffset = kReportIdOffset + 8;
static_assert(kExpiresOffset + 8 == kTokenPayloadSize);

// Base64url without padding: 37 bytes -> 50 characters, 24 bytes -> 32.
constexpr size_t kPayloadChars = (kTokenPayloadSize * 4 + 2) / 3;
constexpr size_t kTagChars = (kTokenTagSize * 4 + 2) / 3;
static_assert(kPayloadChars + 1 + kTagChars == kTokenLength);

using Payload = std::array<uint8_t, kTokenPayloadSize>;
using Tag = std::array<uint8_t, kTokenTagSize>;

void PutU64(uint8_t* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(v & 0xFF);
    v >>= 8;
  }
}

uint64_t GetU64(const uint8_t* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | in[i];
  return v;
}

void PutU32(uint8_t* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(v & 0xFF);
    v >>= 8;
  }
}

uint32_t GetU32(const uint8_t* in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | in[i];
  return v;
}

// HMAC-SHA256 of `payload` under `key`, truncated to kTokenTagSize bytes
// (192 bits, above the 128 the SPEC asks for).
Tag ComputeTag(const SigningKey& key, std::span<const uint8_t> payload) {
  auto full = core::HmacSha256(key.secret, payload);
  Tag tag{};
  std::copy_n(full.begin(), kTokenTagSize, tag.begin());
  return tag;
}

Status NotFound() { return Status::NotFound("link not found"); }

}  // namespace

std::string SignToken(const KeyRing& ring, LinkClaims claims) {
  const SigningKey& key = ring.active();
  claims.key_id = key.id;

  Payload payload{};
  payload[kVersionOffset] = kTokenVersion;
  PutU32(&payload[kKeyIdOffset], key.id.value);
  std::copy(claims.link_id.bytes.begin(), claims.link_id.bytes.end(),
            payload.begin() + kLinkIdOffset);
  PutU64(&payload[kReportIdOffset], static_cast<uint64_t>(claims.report_id.value));
  PutU64(&payload[kExpiresOffset],
         static_cast<uint64_t>(claims.expires_at.time_since_epoch().count()));

  Tag tag = ComputeTag(key, payload);
  return core::Base64UrlEncode(payload) + "." + core::Base64UrlEncode(tag);
}

namespace {

struct Decoded {
  Payload payload{};
  Tag tag{};
  LinkClaims claims;
};

// Shape checks and field extraction, shared by verification and inspection.
std::optional<Decoded> Decode(std::string_view token) {
  // Cheap shape checks first, before any decoding: the exact length also caps
  // the work an attacker-supplied string can cause.
  if (token.size() > kMaxTokenLength || token.size() != kTokenLength) return std::nullopt;
  if (token[kPayloadChars] != '.') return std::nullopt;
  // The strict decoder rejects '.', padding, other characters and
  // non-canonical trailing bits, so each token has one accepted spelling.
  auto payload = core::Base64UrlDecode(token.substr(0, kPayloadChars));
  auto tag = core::Base64UrlDecode(token.substr(kPayloadChars + 1));
  if (!payload || payload->size() != kTokenPayloadSize) return std::nullopt;
  if (!tag || tag->size() != kTokenTagSize) return std::nullopt;
  const uint8_t* p = payload->data();
  if (p[kVersionOffset] != kTokenVersion) return std::nullopt;

  Decoded d;
  std::copy(payload->begin(), payload->end(), d.payload.begin());
  std::copy(tag->begin(), tag->end(), d.tag.begin());
  d.claims.key_id = SigningKeyId{GetU32(p + kKeyIdOffset)};
  std::copy_n(p + kLinkIdOffset, LinkId::kSize, d.claims.link_id.bytes.begin());
  d.claims.report_id = ReportId{static_cast<int64_t>(GetU64(p + kReportIdOffset))};
  d.claims.expires_at =
      Instant{std::chrono::microseconds{static_cast<int64_t>(GetU64(p + kExpiresOffset))}};
  // Sign() is never asked to sign such an id, but the check keeps the claims'
  // invariant in one place regardless of who held a key.
  if (d.claims.report_id.value < 1) return std::nullopt;
  return d;
}

}  // namespace

Result<LinkClaims> DecodeTokenUnverified(std::string_view token) {
  auto decoded = Decode(token);
  if (!decoded) return NotFound();
  return decoded->claims;
}

Result<LinkClaims> VerifyToken(const KeyRing& ring, std::string_view token) {
  auto decoded = Decode(token);
  if (!decoded) return NotFound();
  const SigningKey* key = ring.Find(decoded->claims.key_id);
  if (key == nullptr) return NotFound();
  Tag expected = ComputeTag(*key, decoded->payload);
  // Constant time: a comparison that stops at the first differing byte would
  // let an attacker who can time responses learn a valid tag byte by byte.
  if (!core::ConstantTimeEqual(expected, decoded->tag)) return NotFound();
  return decoded->claims;
}

Result<LinkId> NewLinkId(Instant now) {
  LinkId id;
  constexpr size_t kTimeBytes = 6;
  if (!core::RandomBytes(std::span(id.bytes).subspan(kTimeBytes))) {
    return Status::Internal("random generator failed");
  }
  const int64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const uint64_t stamp = ms > 0 ? static_cast<uint64_t>(ms) : 0;
  for (size_t i = 0; i < kTimeBytes; ++i) {
    id.bytes[i] = static_cast<uint8_t>(stamp >> (8 * (kTimeBytes - 1 - i)));
  }
  return id;
}

}  // namespace reportshare::links
