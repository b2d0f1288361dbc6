#include "http/rate_limit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "support/fake_clock.h"

namespace reportshare::http {
namespace {

using namespace std::chrono_literals;

TEST(RateLimiterTest, DisabledAllowsEverything) {
  test_support::FakeClock clock;
  RateLimiter limiter(0, 1, clock);
  EXPECT_FALSE(limiter.enabled());
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(limiter.Acquire("k"), std::nullopt);
}

TEST(RateLimiterTest, BurstThenRetryAfterUntilRefilled) {
  test_support::FakeClock clock;
  RateLimiter limiter(2, 3, clock);  // 2/s, bursts of 3
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Acquire("k"), std::nullopt) << i;
  EXPECT_EQ(limiter.Acquire("k"), 1);  // half a second to the next token, rounded up
  clock.Advance(500ms);
  EXPECT_EQ(limiter.Acquire("k"), std::nullopt);
  EXPECT_EQ(limiter.Acquire("k"), 1);
}

TEST(RateLimiterTest, RetryAfterIsWholeSecondsAtLeastOne) {
  test_support::FakeClock clock;
  RateLimiter limiter(0.25, 1, clock);  // one token every 4 s
  EXPECT_EQ(limiter.Acquire("k"), std::nullopt);
  EXPECT_EQ(limiter.Acquire("k"), 4);
  clock.Advance(3500ms);
  EXPECT_EQ(limiter.Acquire("k"), 1);
}

TEST(RateLimiterTest, KeysHaveBucketsOfTheirOwn) {
  test_support::FakeClock clock;
  RateLimiter limiter(1, 1, clock);
  EXPECT_EQ(limiter.Acquire("a"), std::nullopt);
  EXPECT_NE(limiter.Acquire("a"), std::nullopt);
  EXPECT_EQ(limiter.Acquire("b"), std::nullopt);
}

TEST(RateLimiterTest, RefillNeverExceedsTheBurst) {
  test_support::FakeClock clock;
  RateLimiter limiter(10, 2, clock);
  EXPECT_EQ(limiter.Acquire("k"), std::nullopt);
  clock.Advance(1h);
  EXPECT_EQ(limiter.Acquire("k"), std::nullopt);
  EXPECT_EQ(limiter.Acquire("k"), std::nullopt);
  EXPECT_NE(limiter.Acquire("k"), std::nullopt);
}

// Concurrent callers on the same and on different keys: every token is
// handed out once, never more (run under TSan for the data races).
TEST(RateLimiterTest, ConcurrentCallersShareEachBucketExactly) {
  test_support::FakeClock clock;
  constexpr int kBurst = 500;
  RateLimiter limiter(1, kBurst, clock);  // the clock stands still: no refill
  constexpr int kThreads = 4;
  constexpr int kKeys = 8;
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kBurst; ++i) {
        for (int k = 0; k < kKeys; ++k) {
          if (!limiter.Acquire("key" + std::to_string(k))) ++allowed;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), kKeys * kBurst);
}

}  // namespace
}  // namespace reportshare::http
