// Renders the demo PDF (and every tenth time the 40 x 10 one) 1,000 times in
// a row on one thread and prints the resident set size after the warm-up,
// after 100 and after 1,000 renders. Flat memory: the last two agree to
// within allocator noise.
//
//   build/r3rel/bench/render_memory [renders]
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "bench/demo_report.h"
#include "core/rfc3339.h"
#include "render/renderer.h"

namespace reportshare::bench {
namespace {

// Resident set size in KiB, from /proc/self/statm (its second field, in pages).
long ResidentKiB() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

int Run(int renders) {
  const Instant generated = *core::ParseRfc3339("2025-07-10T08:00:00Z");
  const StoredReport demo = DemoReport();
  const StoredReport big = ManySectionsReport(40, 10);
  auto renderer = render::MakeBasicRenderer();
  render::WarmUpRenderThread();
  std::printf("after warm-up:      RSS %6ld KiB\n", ResidentKiB());
  long after_100 = 0;
  for (int i = 1; i <= renders; ++i) {
    // The generation time varies so no two documents are the same bytes.
    Instant at = generated + std::chrono::seconds(i);
    Result<std::string> pdf = renderer->RenderPdf(i % 10 == 0 ? big : demo, at, {});
    if (!pdf.has_value()) {
      std::fprintf(stderr, "render %d failed\n", i);
      return 1;
    }
    std::string html = renderer->RenderHtml(demo, at, render::PageOptions("/r/token?format=pdf"));
    if (i == 100) {
      after_100 = ResidentKiB();
      std::printf("after %5d renders: RSS %6ld KiB\n", i, after_100);
    }
  }
  long after_all = ResidentKiB();
  std::printf("after %5d renders: RSS %6ld KiB (%+ld KiB since render 100)\n", renders, after_all,
              after_all - after_100);
  return 0;
}

}  // namespace
}  // namespace reportshare::bench

int main(int argc, char** argv) {
  int renders = argc > 1 ? std::atoi(argv[1]) : 1000;
  if (renders < 100) renders = 100;
  return reportshare::bench::Run(renders);
}
