#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "core/mutex.h"
#include "service/counters.h"

namespace reportshare::http {

// Request counts by (route, status) and a latency histogram by route, in
// Prometheus text format. Routes are patterns, never raw paths, so the label
// set is small and holds no token. Thread-safe.
class HttpMetrics {
 public:
  // Upper bounds of the latency buckets, in seconds.
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    2.5};

  void Record(std::string_view route, int status, double seconds);

  // The exposition text: reportshare_http_requests_total{route,status},
  // reportshare_http_request_duration_seconds{route} (histogram) and the
  // service counters.
  std::string Render(const service::ServiceCounters& counters) const;

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};  // non-cumulative
    uint64_t count = 0;
    double sum = 0;
  };

  mutable core::Mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_ RS_GUARDED_BY(mu_);
  std::map<std::string, Histogram> latency_ RS_GUARDED_BY(mu_);
};

}  // namespace reportshare::http
