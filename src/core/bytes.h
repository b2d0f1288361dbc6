#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace reportshare::core {

using Bytes = std::vector<uint8_t>;

// URL-safe Base64 (RFC 4648 §5) without padding.
std::string Base64UrlEncode(std::span<const uint8_t> data);
// Strict decoder: rejects padding, characters outside A-Z a-z 0-9 - _, a length
// of 1 mod 4 and non-zero unused trailing bits, so every byte string has
// exactly one accepted encoding.
std::optional<Bytes> Base64UrlDecode(std::string_view text);

// Standard Base64 (RFC 4648 §4) with padding.
std::string Base64Encode(std::span<const uint8_t> data);
// Its strict decoder: padding required, nothing but the alphabet; nullopt otherwise.
std::optional<Bytes> Base64Decode(std::string_view text);

// Lower-case hex.
std::string HexEncode(std::span<const uint8_t> data);

// SHA-256 of `data` (OpenSSL).
std::array<uint8_t, 32> Sha256(std::string_view data);

// HMAC-SHA256 of `data` under `key` (OpenSSL). Aborts if OpenSSL fails,
// which only a broken installation can cause.
std::array<uint8_t, 32> HmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> data);

// Fills `out` from OpenSSL's CSPRNG. Returns false only if the generator
// failed, which callers treat as fatal for the operation.
bool RandomBytes(std::span<uint8_t> out);

// Compares in time independent of where the inputs differ (CRYPTO_memcmp);
// different lengths compare unequal.
bool ConstantTimeEqual(std::span<const uint8_t> a, std::span<const uint8_t> b);

inline std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace reportshare::core

// The vocabulary every layer speaks, by its plain name.
namespace reportshare {
using core::Bytes;
}  // namespace reportshare
