#pragma once

#include "core/clock.h"

#include <optional>
#include <string>
#include <string_view>

namespace reportshare::core {

// The last instant RFC 3339 can write: 9999-12-31T23:59:59.999999Z. An
// instant computed past it (a date plus a lifetime) is clamped to it, so every
// instant reportshare shows stays writable.
inline constexpr Instant kLastRfc3339Instant =
    std::chrono::sys_days{std::chrono::year{9999} / 12 / 31} + std::chrono::hours{24} -
    std::chrono::microseconds{1};

// `t` + `d`, or kLastRfc3339Instant if that would lie past it.
// REQUIRES: t <= kLastRfc3339Instant and d >= 0.
inline constexpr Instant AddClamped(Instant t, std::chrono::microseconds d) {
  return t > kLastRfc3339Instant - d ? kLastRfc3339Instant : t + d;
}

// "2025-07-09T07:16:33.163639Z": UTC, `Z`, exactly six fractional digits.
std::string FormatRfc3339Micros(Instant t);

// "2025-07-09T07:16:33Z": UTC, `Z`, whole seconds (for stored report dates
// that were given without fractions the caller may prefer this).
std::string FormatRfc3339Seconds(Instant t);

// Parses an RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm),
// `T`/`t` and `Z`/`z` accepted. Fractions beyond microseconds are truncated.
// Returns nullopt for anything else, including impossible dates (Feb 30).
std::optional<Instant> ParseRfc3339(std::string_view text);

}  // namespace reportshare::core
