// Distinct (uncached) PDFs per second through the render worker pool, with
// W workers and W callers, W = 1 … the number of cores: the rate must scale
// with W (issue 9: ≥ 0.8·W × one worker's rate). Each render is a different
// report, so nothing is served from a cache.
//
//   build/release/bench/render_pool_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "bench/demo_report.h"
#include "core/rfc3339.h"
#include "render/worker/pool.h"

namespace reportshare::bench {
namespace {

const Instant kGenerated = *core::ParseRfc3339("2025-07-10T08:00:00Z");

// One pool per worker count, started (and warmed up) before timing.
render::ReportRenderer& PoolOf(int workers) {
  static std::mutex mu;
  static std::map<int, std::unique_ptr<render::ReportRenderer>> pools;
  std::lock_guard lock(mu);
  auto& pool = pools[workers];
  if (!pool) {
    render::worker::WorkerPoolOptions options;
    options.executable = RS_REPORTSHARE_BINARY;
    options.workers = workers;
    auto made = render::worker::MakeWorkerPoolRenderer(options);
    if (!made) std::abort();
    pool = std::move(*made);
    for (int i = 0; i < 2 * workers; ++i) (void)pool->RenderPdf(DemoReport(), kGenerated, {});
  }
  return *pool;
}

std::atomic<int64_t> next_id{1000};

void BM_DistinctPdfs(benchmark::State& state) {
  const int workers = state.threads();  // one caller per worker
  render::ReportRenderer& pool = PoolOf(workers);
  StoredReport report = DemoReport();
  for (auto _ : state) {
    report.report.report_id = ReportId{next_id++};
    Result<std::string> pdf = pool.RenderPdf(report, kGenerated, {});
    if (!pdf) {
      state.SkipWithError("render failed");
      return;
    }
    benchmark::DoNotOptimize(pdf);
  }
  state.SetItemsProcessed(state.iterations());
}

void Args(benchmark::internal::Benchmark* b) {
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int w = 1; w <= cores; ++w) b->Threads(w);
}
BENCHMARK(BM_DistinctPdfs)->Apply(Args)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(2);

}  // namespace
}  // namespace reportshare::bench

BENCHMARK_MAIN();
