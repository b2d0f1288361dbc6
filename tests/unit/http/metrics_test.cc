#include "http/metrics.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace reportshare::http {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(HttpMetricsTest, CountsByRouteAndStatus) {
  HttpMetrics metrics;
  service::ServiceCounters counters;
  metrics.Record("share", 200, 0.002);
  metrics.Record("share", 200, 0.2);
  metrics.Record("share", 404, 0.0001);
  std::string text = metrics.Render(counters);
  EXPECT_TRUE(Has(text, "reportshare_http_requests_total{route=\"share\",status=\"200\"} 2"))
      << text;
  EXPECT_TRUE(Has(text, "reportshare_http_requests_total{route=\"share\",status=\"404\"} 1"))
      << text;
}

TEST(HttpMetricsTest, LatencyHistogramIsCumulative) {
  HttpMetrics metrics;
  service::ServiceCounters counters;
  metrics.Record("open", 200, 0.0001);  // first bucket
  metrics.Record("open", 200, 0.003);   // le=0.005
  metrics.Record("open", 200, 10);      // past the last bound: +Inf only
  std::string text = metrics.Render(counters);
  const std::string b = "reportshare_http_request_duration_seconds_bucket{route=\"open\",le=";
  EXPECT_TRUE(Has(text, b + "\"0.001\"} 1")) << text;
  EXPECT_TRUE(Has(text, b + "\"0.0025\"} 1")) << text;
  EXPECT_TRUE(Has(text, b + "\"0.005\"} 2")) << text;
  EXPECT_TRUE(Has(text, b + "\"2.5\"} 2")) << text;
  EXPECT_TRUE(Has(text, b + "\"+Inf\"} 3")) << text;
  EXPECT_TRUE(Has(text, "reportshare_http_request_duration_seconds_count{route=\"open\"} 3"));
}

TEST(HttpMetricsTest, RendersTheServiceCounters) {
  HttpMetrics metrics;
  service::ServiceCounters counters;
  counters.links_minted = 3;
  counters.pdf_cache_hits = 7;
  std::string text = metrics.Render(counters);
  EXPECT_TRUE(Has(text, "reportshare_links_minted_total 3")) << text;
  EXPECT_TRUE(Has(text, "reportshare_pdf_cache_hits_total 7")) << text;
  EXPECT_TRUE(Has(text, "reportshare_links_opened_total 0")) << text;
}

// Records from several threads while another renders: every record counted
// (run under TSan for the data races).
TEST(HttpMetricsTest, ConcurrentRecordsAreAllCounted) {
  HttpMetrics metrics;
  service::ServiceCounters counters;
  constexpr int kThreads = 4;
  constexpr int kRecords = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics, t] {
      for (int i = 0; i < kRecords; ++i) metrics.Record(t % 2 ? "a" : "b", 200, 0.001);
    });
  }
  std::thread reader([&] {
    for (int i = 0; i < 50; ++i) EXPECT_FALSE(metrics.Render(counters).empty());
  });
  for (auto& t : threads) t.join();
  reader.join();
  std::string text = metrics.Render(counters);
  std::string n = std::to_string(kThreads / 2 * kRecords);
  EXPECT_TRUE(Has(text, "reportshare_http_requests_total{route=\"a\",status=\"200\"} " + n));
  EXPECT_TRUE(Has(text, "reportshare_http_requests_total{route=\"b\",status=\"200\"} " + n));
}

}  // namespace
}  // namespace reportshare::http
