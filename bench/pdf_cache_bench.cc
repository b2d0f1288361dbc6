// What a PDF costs through ReportService::RenderPdf, the path of a download
// and of a link's ?format=pdf, with the PDF cache in front of the renderer:
//   BM_ServicePdfCacheMiss  a report version not rendered yet: the lookup
//                           misses, the PDF is rendered (on a warmed-up
//                           thread) and stored in the cache;
//   BM_ServicePdfCacheHit   a version rendered before: the lookup, the LRU
//                           touch and the copy of the bytes into the document
//                           the response sends.
//
//   build/release/bench/pdf_cache_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "bench/demo_report.h"
#include "links/key_ring.h"
#include "render/renderer.h"
#include "service/key_ring_holder.h"
#include "service/pdf_cache.h"
#include "service/report_service.h"
#include "store/sqlite/sqlite_store.h"
#include "support/fake_clock.h"

namespace reportshare::bench {
namespace {

constexpr size_t kCacheBudget = 64u << 20;

// A ReportService with a PDF cache, as `serve` wires it. RenderPdf touches
// no database; the store is there because the service needs one.
class PdfPath {
 public:
  PdfPath() : cache_(kCacheBudget), clock_(test_support::At("2025-07-10T08:00:00Z")) {
    char dir[] = "/tmp/rs-pdf-cache-bench-XXXXXX";
    if (mkdtemp(dir) == nullptr) return;
    dir_ = dir;
    auto store = store::SqliteStore::Open(dir_ + "/bench.db", 1);
    auto ring = links::KeyRing::Generate();
    if (!store || !ring) return;
    store_ = std::move(*store);
    keys_ = std::make_unique<service::KeyRingHolder>(std::move(*ring));
    renderer_ = render::MakeBasicRenderer();
    service_ = std::make_unique<service::ReportService>(*store_, *renderer_, *keys_, clock_,
                                                        "https://reports.example.com", &cache_);
  }
  ~PdfPath() {
    service_.reset();
    store_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  // Null if the set-up failed.
  const service::ReportService* service() const { return service_.get(); }

 private:
  service::PdfCache cache_;
  test_support::FakeClock clock_;
  std::string dir_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<service::KeyRingHolder> keys_;
  std::unique_ptr<render::ReportRenderer> renderer_;
  std::unique_ptr<service::ReportService> service_;
};

StoredReport Demo() { return DemoReport(); }
StoredReport FortyByTen() { return ManySectionsReport(40, 10); }

enum class Cache { kMiss, kHit };

// Times ReportService::RenderPdf of the report `make` builds: each iteration
// a new version of it (kMiss), or the version rendered before the loop (kHit).
void TimeRenderPdf(benchmark::State& state, StoredReport (*make)(), Cache cache) {
  render::WarmUpRenderThread();
  PdfPath path;
  const service::ReportService* service = path.service();
  if (!service) return state.SkipWithError("set-up failed");
  StoredReport report = make();
  if (cache == Cache::kHit && !service->RenderPdf(report)) {
    return state.SkipWithError("RenderPdf failed");
  }
  size_t bytes = 0;
  for (auto _ : state) {
    if (cache == Cache::kMiss) ++report.version;  // never in the cache
    auto pdf = service->RenderPdf(report);
    if (!pdf) return state.SkipWithError("RenderPdf failed");
    bytes = pdf->bytes.size();
    benchmark::DoNotOptimize(pdf->bytes.data());
  }
  const auto& counters = service->counters();
  if (cache == Cache::kMiss ? counters.pdf_cache_hits.load() != 0
                            : counters.pdfs_rendered.load() != 1) {
    return state.SkipWithError("the cache did not behave as this benchmark assumes");
  }
  state.counters["pdf_bytes"] = static_cast<double>(bytes);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes));
}

void BM_ServicePdfCacheMiss(benchmark::State& state, StoredReport (*make)()) {
  TimeRenderPdf(state, make, Cache::kMiss);
}
BENCHMARK_CAPTURE(BM_ServicePdfCacheMiss, demo, &Demo)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ServicePdfCacheMiss, 40x10, &FortyByTen)->Unit(benchmark::kMillisecond);

void BM_ServicePdfCacheHit(benchmark::State& state, StoredReport (*make)()) {
  TimeRenderPdf(state, make, Cache::kHit);
}
BENCHMARK_CAPTURE(BM_ServicePdfCacheHit, demo, &Demo)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ServicePdfCacheHit, 40x10, &FortyByTen)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace reportshare::bench

BENCHMARK_MAIN();
