#include "render/i18n/format.h"

#include <gtest/gtest.h>

#include "support/sample_reports.h"

namespace reportshare::render::i18n {
namespace {

using test_support::At;

TEST(FormatPercentTest, EnglishDropsTrailingZeroAndKeepsOneDecimal) {
  EXPECT_EQ(FormatPercent(Language::kEn, 80.0), "80%");
  EXPECT_EQ(FormatPercent(Language::kEn, 72.5), "72.5%");
  EXPECT_EQ(FormatPercent(Language::kEn, 0), "0%");
  EXPECT_EQ(FormatPercent(Language::kEn, 100), "100%");
  EXPECT_EQ(FormatPercent(Language::kEn, 33.333), "33.3%");
  EXPECT_EQ(FormatPercent(Language::kEn, 59.96), "60%");
  EXPECT_EQ(FormatPercent(Language::kEn, 59.96, 2), "59.96%");
  EXPECT_EQ(FormatPercent(Language::kEn, 59.9, 2), "59.9%");
  EXPECT_EQ(FormatPercent(Language::kEn, 140), "100%");
  EXPECT_EQ(FormatPercent(Language::kEn, -3), "0%");
}

TEST(FormatPercentTest, EveryLanguage) {
  EXPECT_EQ(FormatPercent(Language::kEs, 72.5), "72,5\u00a0%");
  EXPECT_EQ(FormatPercent(Language::kFr, 72.5), "72,5\u202f%");
  EXPECT_EQ(FormatPercent(Language::kDe, 72.5), "72,5\u00a0%");
  EXPECT_EQ(FormatPercent(Language::kPt, 72.5), "72,5%");
  EXPECT_EQ(FormatPercent(Language::kHi, 72.5), "72.5%");
  EXPECT_EQ(FormatPercent(Language::kAr, 72.5), "٧٢٫٥٪");
  EXPECT_EQ(FormatPercent(Language::kAr, 100), "١٠٠٪");
  EXPECT_EQ(FormatPercent(Language::kDe, 80), "80\u00a0%");
  EXPECT_EQ(FormatPercent(Language::kAr, 59.96, 2), "٥٩٫٩٦٪");
}

TEST(FormatNumberTest, DigitsAndSeparators) {
  EXPECT_EQ(AsciiNumber(12.50, 1), "12.5");
  EXPECT_EQ(AsciiNumber(-0.01, 1), "0");
  EXPECT_EQ(LocalizeNumber(Language::kAr, "1234567890.5"), "١٢٣٤٥٦٧٨٩٠٫٥");
  EXPECT_EQ(LocalizeNumber(Language::kDe, "0.25"), "0,25");
  EXPECT_EQ(FormatNumber(Language::kFr, 3.14159, 2), "3,14");
}

TEST(FormatSignedPointsTest, SignsAndRounding) {
  std::string magnitude;
  EXPECT_EQ(FormatSignedPoints(Language::kEn, 12.5, 1, &magnitude), "+12.5");
  EXPECT_EQ(magnitude, "12.5");
  EXPECT_EQ(FormatSignedPoints(Language::kEn, -4, 1, &magnitude), "\u22124");
  EXPECT_EQ(magnitude, "4");
  EXPECT_EQ(FormatSignedPoints(Language::kEn, 0, 1), "±0");
  EXPECT_EQ(FormatSignedPoints(Language::kEn, 0.04, 1), "±0");
  EXPECT_EQ(FormatSignedPoints(Language::kEn, -0.04, 1), "±0");
  EXPECT_EQ(FormatSignedPoints(Language::kEn, -0.04, 2), "\u22120.04");
  EXPECT_EQ(FormatSignedPoints(Language::kDe, -0.04, 2), "\u22120,04");
  EXPECT_EQ(FormatSignedPoints(Language::kAr, 12.5, 1), "+١٢٫٥");
  EXPECT_EQ(FormatSignedPoints(Language::kAr, 0, 1), "±٠");
}

TEST(FormatDateTimeTest, EveryLanguage) {
  Instant t = At("2025-07-09T06:02:59Z");
  EXPECT_EQ(FormatDateTime(Language::kEn, t), "9 July 2025, 06:02 UTC");
  EXPECT_EQ(FormatDateTime(Language::kEs, t), "9 de julio de 2025, 06:02 UTC");
  EXPECT_EQ(FormatDateTime(Language::kFr, t), "9 juillet 2025 à 06:02 UTC");
  EXPECT_EQ(FormatDateTime(Language::kDe, t), "9. Juli 2025, 06:02 UTC");
  EXPECT_EQ(FormatDateTime(Language::kPt, t), "9 de julho de 2025 às 06:02 UTC");
  EXPECT_EQ(FormatDateTime(Language::kHi, t), "9 जुलाई 2025, 06:02 UTC");
  EXPECT_EQ(FormatDateTime(Language::kAr, t), "٩ يوليو ٢٠٢٥، ٠٦:٠٢ UTC");
  // Every month, the day and year edges, and minutes before midnight.
  EXPECT_EQ(FormatDateTime(Language::kEn, At("2026-12-31T23:59:59.999999Z")),
            "31 December 2026, 23:59 UTC");
  EXPECT_EQ(FormatDateTime(Language::kDe, At("2024-03-01T00:00:00Z")), "1. März 2024, 00:00 UTC");
  EXPECT_EQ(FormatDateTime(Language::kFr, At("2024-02-29T12:30:00Z")),
            "29 février 2024 à 12:30 UTC");
  EXPECT_EQ(FormatDateTime(Language::kEn, At("1970-01-01T00:00:00Z")), "1 January 1970, 00:00 UTC");
  EXPECT_EQ(FormatDateTime(Language::kEn, At("1969-12-31T23:59:00Z")),
            "31 December 1969, 23:59 UTC");
}

TEST(FormatDurationTest, EveryLanguage) {
  using namespace std::chrono;
  EXPECT_EQ(FormatDuration(Language::kEn, minutes(56) + seconds(29)), "56 min 29 s");
  EXPECT_EQ(FormatDuration(Language::kEn, hours(1) + minutes(2)), "1 h 2 min 0 s");
  EXPECT_EQ(FormatDuration(Language::kEn, seconds(12)), "12 s");
  EXPECT_EQ(FormatDuration(Language::kEn, microseconds(0)), "0 s");
  EXPECT_EQ(FormatDuration(Language::kEn, hours(30)), "30 h 0 min 0 s");
  EXPECT_EQ(FormatDuration(Language::kDe, minutes(56) + seconds(29)), "56 Min. 29 Sek.");
  EXPECT_EQ(FormatDuration(Language::kFr, hours(1) + minutes(2)), "1 h 2 min 0 s");
  EXPECT_EQ(FormatDuration(Language::kHi, minutes(56) + seconds(29)), "56 मि॰ 29 से॰");
  EXPECT_EQ(FormatDuration(Language::kAr, minutes(56) + seconds(29)), "٥٦ د ٢٩ ث");
}

TEST(FormatPageOfTest, EveryLanguage) {
  EXPECT_EQ(FormatPageOf(Language::kEn, 2, 5), "Page 2 of 5");
  EXPECT_EQ(FormatPageOf(Language::kDe, 2, 5), "Seite 2 von 5");
  EXPECT_EQ(FormatPageOf(Language::kAr, 2, 15), "الصفحة ٢ من ١٥");
}

}  // namespace
}  // namespace reportshare::render::i18n
