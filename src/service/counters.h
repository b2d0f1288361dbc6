#pragma once

#include <atomic>
#include <cstdint>

namespace reportshare::service {

// What the service has done since start, for /metrics. Relaxed atomics:
// each counter is exact, the set is not a snapshot.
struct ServiceCounters {
  std::atomic<uint64_t> links_minted{0};
  std::atomic<uint64_t> links_opened{0};   // opens that served the report (page, PDF or JSON)
  std::atomic<uint64_t> pdfs_rendered{0};  // PDFs actually rendered (cache misses)
  std::atomic<uint64_t> pdf_cache_hits{0};
};

}  // namespace reportshare::service
