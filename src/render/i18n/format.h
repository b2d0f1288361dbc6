#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "domain/language.h"

namespace reportshare::render::i18n {

// Numbers, percentages, dates and durations as each language writes them,
// from its catalogue's "format.*" entries (digits, decimal separator, the
// percent pattern, month names, the date and duration patterns). Plain C++:
// no setlocale, no iostream locale, nothing that depends on the process's
// environment. Every function is pure and thread-safe.

// `value` with at most `digits` decimals, trailing zeros dropped, as ASCII
// ("72.5", "80", "0.04"): what the plural rules read.
std::string AsciiNumber(double value, int digits);

// `ascii` (digits, '.', '-') in the language's digits and decimal separator:
// de "72,5", ar "٧٢٫٥".
std::string LocalizeNumber(Language language, std::string_view ascii);

// `value` with at most `digits` decimals, trailing zeros dropped, localized.
// No digit grouping (a report shows no number of four digits or more but its
// identifiers, which are shown as they are).
std::string FormatNumber(Language language, double value, int digits);

// en "72.5%", de "72,5 %", fr "72,5 %" (U+202F), ar "٧٢٫٥٪": `percentage`
// clamped to 0–100, at most `digits` decimals, trailing zeros dropped.
std::string FormatPercent(Language language, double percentage, int digits = 1);

// A difference in points, rounded to `digits` decimals: "+12.5", "−4" (U+2212
// MINUS SIGN), "±0" when it rounds to zero (so "+0.04" and "-0.04" both read
// as level at one digit). `ascii_magnitude` receives the unsigned value as
// AsciiNumber writes it, for the plural form of "points".
std::string FormatSignedPoints(Language language, double points, int digits,
                               std::string* ascii_magnitude = nullptr);

// The instant in UTC to the minute, in the language's order and month names:
// en "9 July 2025, 06:02 UTC", es "9 de julio de 2025, 06:02 UTC",
// fr "9 juillet 2025 à 06:02 UTC", de "9. Juli 2025, 06:02 UTC".
std::string FormatDateTime(Language language, Instant t);

// en "56 min 29 s", "1 h 2 min 0 s", "12 s"; de "56 Min. 29 Sek.".
// REQUIRES: d >= 0.
std::string FormatDuration(Language language, std::chrono::microseconds d);

// "Page 2 of 5", "Seite 2 von 5", "الصفحة ٢ من ٥".
std::string FormatPageOf(Language language, size_t page, size_t pages);

}  // namespace reportshare::render::i18n
