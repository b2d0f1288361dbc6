#include "app/cli/progress.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>

#include "support/fake_clock.h"

namespace reportshare::app::cli {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using test_support::FakeClock;

class ProgressTest : public ::testing::Test {
 protected:
  ImportProgress Make(ProgressOptions options) {
    return ImportProgress([this](std::string_view s) { out_ += s; }, clock_, options);
  }
  std::string Take() { return std::exchange(out_, {}); }

  FakeClock clock_{Instant{} + seconds{1'000'000}};
  std::string out_;
};

TEST(FormatDurationTest, MinutesAndHours) {
  EXPECT_EQ(FormatDuration(seconds{0}), "0:00");
  EXPECT_EQ(FormatDuration(seconds{7}), "0:07");
  EXPECT_EQ(FormatDuration(seconds{754}), "12:34");
  EXPECT_EQ(FormatDuration(seconds{3723}), "1:02:03");
  EXPECT_EQ(FormatDuration(seconds{-5}), "0:00");
}

TEST_F(ProgressTest, PlainLinesComeOncePerInterval) {
  ProgressOptions options;
  options.interval = seconds{5};
  ImportProgress p = Make(options);
  p.Update({100, 0, 1000});
  EXPECT_EQ(Take(), "");  // not before the first interval
  clock_.Advance(seconds{4});
  p.Update({9000, 2, 9000});
  EXPECT_EQ(Take(), "");
  clock_.Advance(seconds{1});
  p.Update({12000, 3, 9000});
  EXPECT_EQ(Take(), "imported 12000, failed 3, 2401/s\n");
  clock_.Advance(seconds{4});
  p.Update({13000, 3, 9000});
  EXPECT_EQ(Take(), "");
  clock_.Advance(seconds{1});
  p.Update({20000, 3, 9000});
  EXPECT_EQ(Take(), "imported 20000, failed 3, 2000/s\n");
  p.Error(17, "not valid JSON");
  EXPECT_EQ(Take(), "line 17: not valid JSON\n");
  p.Finish({20000, 4, 9000});
  EXPECT_EQ(Take(), "");  // the caller prints the summary
}

TEST_F(ProgressTest, PlainLinesWithAKnownSizeSayThePercentAndTheTimeLeft) {
  ProgressOptions options;
  options.interval = seconds{0};
  options.total_bytes = 1000;
  ImportProgress p = Make(options);
  clock_.Advance(seconds{10});
  p.Update({400, 0, 250});
  EXPECT_EQ(Take(), "imported 400, failed 0, 40/s, 25%, 0:30 left\n");
  clock_.Advance(seconds{20});
  p.Update({1600, 0, 1000});
  EXPECT_EQ(Take(), "imported 1600, failed 0, 53/s, 100%\n");
}

TEST_F(ProgressTest, ATerminalLineIsRedrawnInPlaceAndErrorsGoAboveIt) {
  ProgressOptions options;
  options.terminal = true;
  options.total_bytes = 1000;
  ImportProgress p = Make(options);
  clock_.Advance(seconds{1});
  p.Update({10, 0, 500});
  EXPECT_EQ(Take(),
            "\r\033[K[############............] imported 10, failed 0, 10/s, 50%, 0:01 left");
  // Not redrawn more often than kRedrawEvery.
  clock_.Advance(milliseconds{50});
  p.Update({11, 0, 510});
  EXPECT_EQ(Take(), "");
  p.Error(3, "bad");
  EXPECT_EQ(Take(), "\r\033[Kline 3: bad\n");
  p.Update({11, 1, 510});  // the line comes back at once
  EXPECT_NE(Take().find("failed 1"), std::string::npos);
  clock_.Advance(milliseconds{100});
  p.Update({20, 1, 1000});
  EXPECT_EQ(Take(), "\r\033[K[########################] imported 20, failed 1, 18/s, 100%");
  p.Finish({20, 1, 1000});
  EXPECT_EQ(Take(), "\r\033[K[########################] imported 20, failed 1, 18/s, 100%\n");
}

TEST_F(ProgressTest, ATerminalLineNeverWraps) {
  ProgressOptions options;
  options.terminal = true;
  options.columns = 20;
  ImportProgress p = Make(options);
  p.Update({123456789, 0, 0});
  EXPECT_EQ(Take(), "\r\033[Kimported 123456789,");  // 19 columns
}

}  // namespace
}  // namespace reportshare::app::cli
