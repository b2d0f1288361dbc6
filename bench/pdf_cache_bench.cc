// What a PDF cache hit costs: ReportService::RenderPdf on a report version
// already rendered (lookup, LRU touch, copy of the bytes into the response).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "service/pdf_cache.h"

namespace reportshare::service {
namespace {

void BM_PdfCacheHit(benchmark::State& state) {
  const size_t pdf_bytes = static_cast<size_t>(state.range(0));
  PdfCache cache(64u << 20);
  for (int64_t id = 1; id <= 500; ++id) {
    cache.Put(ReportId{id}, 1, std::make_shared<const std::string>(pdf_bytes, 'x'));
  }
  int64_t id = 1;
  for (auto _ : state) {
    auto hit = cache.Get(ReportId{id}, 1);
    std::string response_body = *hit;  // the copy the HTTP response makes
    benchmark::DoNotOptimize(response_body.data());
    id = id % 500 + 1;
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(pdf_bytes));
}
// 34 KB: the demo report; 73 KB: 40 sections x 10 skills.
BENCHMARK(BM_PdfCacheHit)->Arg(34 * 1024)->Arg(73 * 1024);

}  // namespace
}  // namespace reportshare::service

BENCHMARK_MAIN();
