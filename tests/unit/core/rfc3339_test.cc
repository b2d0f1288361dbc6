#include "core/rfc3339.h"

#include <gtest/gtest.h>

#include <chrono>

namespace reportshare::core {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

Instant Utc(year_month_day ymd, hours h, minutes m, seconds s, microseconds us = 0us) {
  return sys_days{ymd} + h + m + s + us;
}

TEST(Rfc3339Test, FormatsSixFractionDigits) {
  EXPECT_EQ(FormatRfc3339Micros(Utc(2025y / July / 9, 7h, 16min, 33s, 163639us)),
            "2025-07-09T07:16:33.163639Z");
  EXPECT_EQ(FormatRfc3339Micros(Utc(2025y / July / 9, 7h, 16min, 33s)),
            "2025-07-09T07:16:33.000000Z");
  EXPECT_EQ(FormatRfc3339Micros(Utc(2025y / January / 1, 0h, 0min, 0s, 1us)),
            "2025-01-01T00:00:00.000001Z");
  EXPECT_EQ(FormatRfc3339Micros(Instant{}), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatRfc3339Micros(Utc(2024y / December / 31, 23h, 59min, 59s, 999999us)),
            "2024-12-31T23:59:59.999999Z");
}

TEST(Rfc3339Test, FormatsBeforeEpoch) {
  EXPECT_EQ(FormatRfc3339Micros(Instant{} - 1us), "1969-12-31T23:59:59.999999Z");
}

TEST(Rfc3339Test, FormatsWholeSeconds) {
  EXPECT_EQ(FormatRfc3339Seconds(Utc(2025y / July / 9, 6h, 2min, 11s, 999999us)),
            "2025-07-09T06:02:11Z");
}

TEST(Rfc3339Test, ParsesUtc) {
  EXPECT_EQ(ParseRfc3339("2025-07-09T06:02:11Z"), Utc(2025y / July / 9, 6h, 2min, 11s));
  EXPECT_EQ(ParseRfc3339("2025-07-09t06:02:11z"), Utc(2025y / July / 9, 6h, 2min, 11s));
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), Instant{});
}

TEST(Rfc3339Test, ParsesOffsets) {
  EXPECT_EQ(ParseRfc3339("2025-07-09T11:32:11+05:30"), Utc(2025y / July / 9, 6h, 2min, 11s));
  EXPECT_EQ(ParseRfc3339("2025-07-09T05:02:11-01:00"), Utc(2025y / July / 9, 6h, 2min, 11s));
  EXPECT_EQ(ParseRfc3339("2025-07-09T06:02:11+00:00"), Utc(2025y / July / 9, 6h, 2min, 11s));
  EXPECT_EQ(ParseRfc3339("2025-07-09T06:02:11-00:00"), Utc(2025y / July / 9, 6h, 2min, 11s));
  // Crosses a day boundary.
  EXPECT_EQ(ParseRfc3339("2025-07-10T01:00:00+02:00"), Utc(2025y / July / 9, 23h, 0min, 0s));
}

TEST(Rfc3339Test, ParsesFractions) {
  Instant base = Utc(2025y / July / 9, 7h, 16min, 33s);
  EXPECT_EQ(ParseRfc3339("2025-07-09T07:16:33.1Z"), base + 100000us);
  EXPECT_EQ(ParseRfc3339("2025-07-09T07:16:33.163639Z"), base + 163639us);
  EXPECT_EQ(ParseRfc3339("2025-07-09T07:16:33.000001Z"), base + 1us);
  // Beyond microseconds: truncated, not rounded.
  EXPECT_EQ(ParseRfc3339("2025-07-09T07:16:33.1636399999Z"), base + 163639us);
  EXPECT_EQ(ParseRfc3339("2025-07-09T07:16:33.5+01:00"), base - 1h + 500000us);
}

TEST(Rfc3339Test, RoundTrips) {
  for (Instant t : {Instant{}, Utc(2025y / July / 9, 7h, 16min, 33s, 163639us),
                    Utc(2000y / February / 29, 23h, 59min, 59s, 999999us),
                    Utc(9999y / December / 31, 23h, 59min, 59s, 999999us)}) {
    EXPECT_EQ(ParseRfc3339(FormatRfc3339Micros(t)), t);
  }
}

TEST(Rfc3339Test, LeapYears) {
  EXPECT_TRUE(ParseRfc3339("2024-02-29T00:00:00Z"));
  EXPECT_TRUE(ParseRfc3339("2000-02-29T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2025-02-29T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("1900-02-29T00:00:00Z"));
}

TEST(Rfc3339Test, RejectsImpossibleDatesAndTimes) {
  for (std::string_view s : {
           "2025-02-30T00:00:00Z",  // Feb 30
           "2025-04-31T00:00:00Z",  // Apr 31
           "2025-00-10T00:00:00Z",  // month 0
           "2025-13-10T00:00:00Z",  // month 13
           "2025-07-00T00:00:00Z",  // day 0
           "2025-07-32T00:00:00Z",  // day 32
           "2025-07-09T24:00:00Z",  // 24:00
           "2025-07-09T23:60:00Z",  // minute 60
           "2025-07-09T23:59:60Z",  // leap second: not representable, rejected
           "2025-07-09T06:02:11+24:00",
           "2025-07-09T06:02:11+05:60",
       }) {
    EXPECT_EQ(ParseRfc3339(s), std::nullopt) << s;
  }
}

TEST(Rfc3339Test, RejectsMalformed) {
  for (std::string_view s : {
           "",
           "2025-07-09",                  // date only
           "2025-07-09T06:02:11",         // missing zone
           "2025-07-09T06:02:11.5",       // missing zone after fraction
           "2025-07-09 06:02:11Z",        // space separator
           "2025-07-09T06:02Z",           // no seconds
           "2025-7-09T06:02:11Z",         // one-digit month
           "25-07-09T06:02:11Z",          // two-digit year
           "2025/07/09T06:02:11Z",        // wrong separators
           "2025-07-09T06:02:11.Z",       // empty fraction
           "2025-07-09T06:02:11,5Z",      // comma fraction
           "2025-07-09T06:02:11+0530",    // offset without colon
           "2025-07-09T06:02:11+05",      // short offset
           "2025-07-09T06:02:11+05:3",    // short offset
           "2025-07-09T06:02:11UTC",      // zone name
           "2025-07-09T06:02:11Z ",       // trailing space
           "2025-07-09T06:02:11Zjunk",    // trailing junk
           "2025-07-09T06:02:11+05:30Z",  // two zones
           " 2025-07-09T06:02:11Z",       // leading space
           "+2025-07-09T06:02:11Z",       // sign
           "2025-07-09T06:02:1aZ",        // letter in seconds
           "２０２５-07-09T06:02:11Z",    // full-width digits
       }) {
    EXPECT_EQ(ParseRfc3339(s), std::nullopt) << s;
  }
}

// An offset could carry year 0000 or 9999 out of the years RFC 3339 writes,
// and a report stored with such a date could not be read again (found by
// fuzz/report_json).
TEST(Rfc3339Test, RefusesInstantsOutsideTheYearsItCanWrite) {
  EXPECT_FALSE(ParseRfc3339("0000-01-01T00:00:00+00:01"));
  EXPECT_FALSE(ParseRfc3339("9999-12-31T23:59:59-00:01"));
  auto first = ParseRfc3339("0000-01-01T00:01:00+00:01");
  ASSERT_TRUE(first);
  EXPECT_EQ(FormatRfc3339Micros(*first), "0000-01-01T00:00:00.000000Z");
  auto last = ParseRfc3339("9999-12-31T23:59:59.999999Z");
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, kLastRfc3339Instant);
}

}  // namespace
}  // namespace reportshare::core
