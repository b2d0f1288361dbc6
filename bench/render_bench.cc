// Steady-state cost of one render on one thread. The thread is warmed up
// first (font map, font caches), as the server's render workers are.
//
//   build/r3rel/bench/render_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "bench/demo_report.h"
#include "core/rfc3339.h"
#include "render/pdf/pdf_tagging.h"
#include "render/renderer.h"
#include "support/png_samples.h"

namespace reportshare::bench {
namespace {

const Instant kGenerated = *core::ParseRfc3339("2025-07-10T08:00:00Z");

void RenderPdf(benchmark::State& state, const StoredReport& report,
               const render::RenderOptions& options = {}) {
  render::WarmUpRenderThread();
  auto renderer = render::MakeBasicRenderer();
  size_t bytes = 0;
  for (auto _ : state) {
    Result<std::string> pdf = renderer->RenderPdf(report, kGenerated, options);
    if (!pdf.has_value()) {
      state.SkipWithError("RenderPdf failed");
      return;
    }
    bytes = pdf->size();
    benchmark::DoNotOptimize(pdf);
  }
  state.counters["pdf_bytes"] = static_cast<double>(bytes);
}

void BM_RenderPdfDemo(benchmark::State& state) { RenderPdf(state, DemoReport()); }
BENCHMARK(BM_RenderPdfDemo)->Unit(benchmark::kMillisecond);

void BM_RenderPdf40x10(benchmark::State& state) { RenderPdf(state, ManySectionsReport(40, 10)); }
BENCHMARK(BM_RenderPdf40x10)->Unit(benchmark::kMillisecond);

// The demo report in a company's branding (SPEC §8): colour, footer text and
// a 480×120 logo, decoded and embedded on every render.
render::RenderOptions Branded() {
  auto b = std::make_shared<domain::Branding>();
  b->display_name = "Northwind Talent";
  b->primary_color = domain::ParseHexColor("#00695c");
  b->logo = test_support::MakeLogo(480, 120);
  b->footer_text = "Northwind Talent Ltd · Registered in England No. 01234567";
  b->version = 1;
  render::RenderOptions options;
  options.branding = std::move(b);
  return options;
}

void BM_RenderPdfDemoBranded(benchmark::State& state) { RenderPdf(state, DemoReport(), Branded()); }
BENCHMARK(BM_RenderPdfDemoBranded)->Unit(benchmark::kMillisecond);

// The tagging pass alone (qpdf: read, rewrite the page contents, write),
// run again on a finished PDF: what tagging adds to each render above.
void FinishTagged(benchmark::State& state, const StoredReport& report) {
  render::WarmUpRenderThread();
  Result<std::string> pdf = render::MakeBasicRenderer()->RenderPdf(report, kGenerated, {});
  if (!pdf.has_value()) {
    state.SkipWithError("RenderPdf failed");
    return;
  }
  for (auto _ : state) {
    Result<std::string> tagged = render::pdf::FinishTaggedPdf(*pdf, {"en", {"The chart."}});
    if (!tagged.has_value()) {
      state.SkipWithError("FinishTaggedPdf failed");
      return;
    }
    benchmark::DoNotOptimize(tagged);
  }
}
void BM_FinishTaggedPdfDemo(benchmark::State& state) { FinishTagged(state, DemoReport()); }
BENCHMARK(BM_FinishTaggedPdfDemo)->Unit(benchmark::kMillisecond);
void BM_FinishTaggedPdf40x10(benchmark::State& state) {
  FinishTagged(state, ManySectionsReport(40, 10));
}
BENCHMARK(BM_FinishTaggedPdf40x10)->Unit(benchmark::kMillisecond);

void BM_RenderHtmlDemo(benchmark::State& state) {
  auto renderer = render::MakeBasicRenderer();
  StoredReport report = DemoReport();
  size_t bytes = 0;
  for (auto _ : state) {
    std::string html =
        renderer->RenderHtml(report, kGenerated, render::PageOptions("/r/token?format=pdf"));
    bytes = html.size();
    benchmark::DoNotOptimize(html);
  }
  state.counters["html_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_RenderHtmlDemo)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace reportshare::bench

BENCHMARK_MAIN();
