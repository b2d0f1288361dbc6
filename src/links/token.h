#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "domain/ids.h"
#include "links/key_ring.h"

namespace reportshare::links {

// What a link token carries (SPEC §2.2). No personal data.
struct LinkClaims {
  SigningKeyId key_id;  // set by Sign() to the key that signed
  LinkId link_id;
  ReportId report_id;
  Instant expires_at;  // microsecond precision, as in `expires_at`
  friend bool operator==(const LinkClaims&, const LinkClaims&) = default;
};

// Longest token Sign() produces; SPEC caps tokens at 100 characters.
inline constexpr size_t kMaxTokenLength = 100;

// Format version 1 (docs/tokens.md): base64url(37-byte payload) "." base64url(24-byte tag).
inline constexpr uint8_t kTokenVersion = 1;
inline constexpr size_t kTokenPayloadSize = 37;
inline constexpr size_t kTokenTagSize = 24;
// Every version-1 token is exactly this long: 50 + 1 + 32 characters.
inline constexpr size_t kTokenLength = 83;
static_assert(kTokenLength <= kMaxTokenLength);

// Signs `claims` with the ring's active key (claims.key_id is ignored and set
// to that key). The token uses only A-Z a-z 0-9 - _ . (docs/tokens.md).
std::string SignToken(const KeyRing& ring, LinkClaims claims);

// Decodes `token` and checks its HMAC tag in constant time against the key it
// names. Returns the claims, or kNotFound for anything malformed, an unknown
// version or key id, or a bad tag.
// Does not look at expiry: use IsExpired.
// No I/O; thread-safe.
Result<LinkClaims> VerifyToken(const KeyRing& ring, std::string_view token);

// Decodes `token`'s claims WITHOUT checking its signature: for display by
// `link inspect` only, never to grant access. kNotFound if malformed.
Result<LinkClaims> DecodeTokenUnverified(std::string_view token);

// True when `now` is at or after the expiry: a link is valid for [minted, expires_at).
inline bool IsExpired(const LinkClaims& claims, Instant now) { return now >= claims.expires_at; }

// Makes a new link id minted at `now`: its first 6 bytes are the
// milliseconds since 1970 (big-endian; 0 before it), the other 10 from the
// CSPRNG. So ids sort by creation and a database appends each new one at the
// end of its index instead of writing a random page of it (a page per share,
// and again at each SQLite checkpoint). 80 random bits keep the id
// unguessable; the token carries its expiry in the clear already, and is
// worthless without its tag. kInternal if the CSPRNG fails.
Result<LinkId> NewLinkId(Instant now);

}  // namespace reportshare::links
