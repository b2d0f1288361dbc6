#include "service/pdf_cache.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace reportshare::service {
namespace {

std::shared_ptr<const std::string> Pdf(size_t size, char fill = 'x') {
  return std::make_shared<const std::string>(size, fill);
}

TEST(PdfCacheTest, HitOnlyForTheSameVersion) {
  PdfCache cache(1000);
  cache.Put(ReportId{1}, 3, Pdf(100, 'a'));
  auto hit = cache.Get(ReportId{1}, 3);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, std::string(100, 'a'));
  EXPECT_EQ(cache.Get(ReportId{1}, 4), nullptr);  // replaced report: never stale
  EXPECT_EQ(cache.Get(ReportId{2}, 3), nullptr);
}

TEST(PdfCacheTest, NewVersionReplacesOldAndOlderNeverWins) {
  PdfCache cache(1000);
  cache.Put(ReportId{1}, 1, Pdf(100));
  cache.Put(ReportId{1}, 2, Pdf(200));
  EXPECT_EQ(cache.entries(), 1u);
  EXPECT_EQ(cache.bytes(), 200u);
  cache.Put(ReportId{1}, 1, Pdf(50));  // a slow render of the old version
  EXPECT_EQ(cache.Get(ReportId{1}, 1), nullptr);
  EXPECT_NE(cache.Get(ReportId{1}, 2), nullptr);
}

TEST(PdfCacheTest, EvictsLeastRecentlyUsedWithinBudget) {
  PdfCache cache(300);
  cache.Put(ReportId{1}, 1, Pdf(100));
  cache.Put(ReportId{2}, 1, Pdf(100));
  cache.Put(ReportId{3}, 1, Pdf(100));
  ASSERT_NE(cache.Get(ReportId{1}, 1), nullptr);  // 1 is now the newest
  cache.Put(ReportId{4}, 1, Pdf(100));            // evicts 2, the least recent
  EXPECT_EQ(cache.Get(ReportId{2}, 1), nullptr);
  EXPECT_NE(cache.Get(ReportId{1}, 1), nullptr);
  EXPECT_NE(cache.Get(ReportId{3}, 1), nullptr);
  EXPECT_NE(cache.Get(ReportId{4}, 1), nullptr);
  EXPECT_LE(cache.bytes(), 300u);
}

TEST(PdfCacheTest, TooLargeOrDisabledIsNotKept) {
  PdfCache small(50);
  small.Put(ReportId{1}, 1, Pdf(51));
  EXPECT_EQ(small.entries(), 0u);
  PdfCache off(0);
  off.Put(ReportId{1}, 1, Pdf(1));
  EXPECT_EQ(off.Get(ReportId{1}, 1), nullptr);
}

TEST(PdfCacheTest, ConcurrentUseStaysWithinBudget) {
  PdfCache cache(10 * 100);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 2000; ++i) {
        ReportId id{(i * 7 + t) % 25 + 1};
        if (!cache.Get(id, 1)) cache.Put(id, 1, Pdf(100));
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(cache.bytes(), 1000u);
  EXPECT_EQ(cache.bytes(), cache.entries() * 100);
}

}  // namespace
}  // namespace reportshare::service
