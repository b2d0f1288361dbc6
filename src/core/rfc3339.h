#pragma once

#include "core/clock.h"

#include <optional>
#include <string>
#include <string_view>

namespace reportshare::core {

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
