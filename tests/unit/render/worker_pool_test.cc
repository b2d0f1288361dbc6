#include "render/worker/pool.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "core/json.h"
#include "support/eventually.h"
#include "support/sample_reports.h"
#include "support/temp_dir.h"

namespace reportshare::render::worker {
namespace {

using test_support::At;
using test_support::ManySections;
using test_support::SpecExample;
using test_support::TempDir;

const Instant kGenerated = At("2025-07-09T07:00:00Z");

// The real worker: the reportshare binary's `render-worker` subcommand.
WorkerPoolOptions RealWorkers(int n, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  WorkerPoolOptions o;
  o.executable = RS_REPORTSHARE_BINARY;
  o.workers = n;
  o.timeout = timeout;
  return o;
}

// tests/support/fake_render_worker.py in `mode`.
WorkerPoolOptions FakeWorkers(int n, const char* mode) {
  WorkerPoolOptions o;
  o.executable = "/usr/bin/python3";
  o.arguments = {RS_FAKE_RENDER_WORKER, mode};
  o.workers = n;
  o.timeout = std::chrono::seconds(20);
  return o;
}

std::unique_ptr<ReportRenderer> Pool(WorkerPoolOptions options) {
  auto pool = MakeWorkerPoolRenderer(std::move(options));
  EXPECT_TRUE(pool.has_value()) << (pool ? "" : pool.error().message());
  return pool ? std::move(*pool) : nullptr;
}

// Pids of this process's children running the render worker.
std::set<pid_t> WorkerPids() {
  std::set<pid_t> pids;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // pid (comm) state ppid ...: comm may hold spaces, so parse after ')'.
    size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state;
    pid_t ppid;
    rest >> state >> ppid;
    if (ppid != getpid() || state == 'Z') continue;
    std::ifstream cmdline(entry.path() / "cmdline");
    std::string args((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    if (args.find("render-worker") != std::string::npos) pids.insert(std::stoi(name));
  }
  return pids;
}

bool Exists(pid_t pid) { return kill(pid, 0) == 0; }

std::string InProcessPdf(const StoredReport& report) {
  auto pdf = MakeBasicRenderer()->RenderPdf(report, kGenerated, {});
  EXPECT_TRUE(pdf.has_value());
  return pdf ? *pdf : "";
}

// ---------------------------------------------------------------- real workers

TEST(RenderWorkerPdfTest, RendersTheSameBytesAsInProcess) {
  auto pool = Pool(RealWorkers(2));
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->Parallelism(), 2);
  // Two children: a spawned child shows its own command line only once it
  // has executed the binary, which may be a moment after the pool returns.
  EXPECT_TRUE(test_support::Eventually([] { return WorkerPids().size() == 2u; }))
      << WorkerPids().size();
  for (const StoredReport& report : {SpecExample(), ManySections(12, 6)}) {
    auto pdf = pool->RenderPdf(report, kGenerated, {});
    ASSERT_TRUE(pdf.has_value()) << pdf.error().message();
    EXPECT_EQ(*pdf, InProcessPdf(report));
  }
  // The HTML page is drawn in this process, as the basic renderer draws it.
  EXPECT_EQ(pool->RenderHtml(SpecExample(), kGenerated, PageOptions("x.pdf")),
            MakeBasicRenderer()->RenderHtml(SpecExample(), kGenerated, PageOptions("x.pdf")));
}

TEST(RenderWorkerPdfTest, ConcurrentRendersEachGetTheirOwnDocument) {
  auto pool = Pool(RealWorkers(2));
  ASSERT_NE(pool, nullptr);
  std::vector<StoredReport> reports;
  std::vector<std::string> expected;
  for (int i = 1; i <= 4; ++i) {
    reports.push_back(ManySections(i, 2));
    expected.push_back(InProcessPdf(reports.back()));
  }
  std::vector<std::string> got(12);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t) {
    threads.emplace_back([&, t] {
      auto pdf = pool->RenderPdf(reports[t % reports.size()], kGenerated, {});
      got[t] = pdf ? *pdf : "error: " + pdf.error().message();
    });
  }
  for (auto& th : threads) th.join();
  for (size_t t = 0; t < got.size(); ++t) EXPECT_EQ(got[t], expected[t % reports.size()]) << t;
}

TEST(RenderWorkerPdfTest, AWorkerKilledMidRenderFailsThatRenderAndIsReplaced) {
  auto pool = Pool(RealWorkers(1));
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(pool->RenderPdf(SpecExample(), kGenerated, {}).has_value());
  std::set<pid_t> before = WorkerPids();
  ASSERT_EQ(before.size(), 1u);
  pid_t victim = *before.begin();
  // Stopped, it takes the request and cannot answer; then it dies.
  ASSERT_EQ(kill(victim, SIGSTOP), 0);
  std::thread killer([victim] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    kill(victim, SIGKILL);
  });
  auto failed = pool->RenderPdf(SpecExample(), kGenerated, {});
  killer.join();
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code(), Code::kUnavailable);
  EXPECT_FALSE(Exists(victim)) << "the dead worker was not reaped";
  auto again = pool->RenderPdf(SpecExample(), kGenerated, {});
  ASSERT_TRUE(again.has_value()) << again.error().message();
  EXPECT_EQ(*again, InProcessPdf(SpecExample()));
  std::set<pid_t> after = WorkerPids();
  EXPECT_EQ(after.size(), 1u);
  EXPECT_EQ(after.count(victim), 0u);
}

TEST(RenderWorkerPdfTest, ARenderPastTheTimeLimitIsKilledAndReplaced) {
  auto pool = Pool(RealWorkers(1, std::chrono::milliseconds(400)));
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(pool->RenderPdf(SpecExample(), kGenerated, {}).has_value());  // warm
  pid_t stuck = *WorkerPids().begin();
  ASSERT_EQ(kill(stuck, SIGSTOP), 0);
  auto start = std::chrono::steady_clock::now();
  auto failed = pool->RenderPdf(SpecExample(), kGenerated, {});
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code(), Code::kUnavailable);
  EXPECT_GE(took, std::chrono::milliseconds(400));
  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_FALSE(Exists(stuck));
  auto again = pool->RenderPdf(SpecExample(), kGenerated, {});
  EXPECT_TRUE(again.has_value()) << again.error().message();
}

// Fontconfig reads FONTCONFIG_FILE when a process starts, so a worker spawned
// while it names a configuration without fonts cannot load any: the failure
// seen under descriptor exhaustion, made on purpose.
TEST(RenderWorkerPdfTest, ARenderWithoutFontsFailsAndTheWorkerRecovers) {
  TempDir dir;
  const std::string conf = dir.path() + "/fonts.conf";
  std::ofstream(conf) << "<?xml version=\"1.0\"?>\n<fontconfig><cachedir>" << dir.path()
                      << "/cache</cachedir></fontconfig>\n";
  ASSERT_EQ(setenv("FONTCONFIG_FILE", conf.c_str(), 1), 0);
  auto pool = Pool(RealWorkers(1));
  ASSERT_NE(pool, nullptr);
  auto failed = pool->RenderPdf(SpecExample(), kGenerated, {});
  ASSERT_EQ(unsetenv("FONTCONFIG_FILE"), 0);
  ASSERT_FALSE(failed.has_value()) << "a PDF without fonts was returned";
  EXPECT_EQ(failed.error().code(), Code::kUnavailable);
  EXPECT_NE(failed.error().message().find("fonts"), std::string::npos) << failed.error().message();
  // The replacement spawned at once still had the broken configuration; the
  // one after it has fonts again. Never a document of boxes in between.
  Result<std::string> pdf = Status::Internal("not tried");
  for (int attempt = 0; attempt < 3 && !pdf; ++attempt) {
    pdf = pool->RenderPdf(SpecExample(), kGenerated, {});
    if (!pdf) {
      EXPECT_EQ(pdf.error().code(), Code::kUnavailable);
    }
  }
  ASSERT_TRUE(pdf.has_value()) << pdf.error().message();
  EXPECT_EQ(*pdf, InProcessPdf(SpecExample()));
}

// ---------------------------------------------------------------- the pool alone

TEST(RenderWorkerPoolTest, ManyThreadsShareFewWorkers) {
  auto pool = Pool(FakeWorkers(2, "echo"));
  ASSERT_NE(pool, nullptr);
  std::vector<std::thread> threads;
  std::vector<int> wrong(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        StoredReport r = SpecExample();
        r.report.report_id = ReportId{1000 * t + i + 1};
        auto echoed = pool->RenderPdf(r, kGenerated, {});
        if (!echoed) {
          ++wrong[t];
          continue;
        }
        auto json = core::ParseJson(*echoed);
        if (!json || json->at("report_id").as_int64() != r.report.report_id.value) ++wrong[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
}

TEST(RenderWorkerPoolTest, AWorkerThatExitsFailsTheRenderAndTheNextOneIsFresh) {
  auto pool = Pool(FakeWorkers(1, "exit"));
  ASSERT_NE(pool, nullptr);
  for (int i = 0; i < 3; ++i) {
    auto r = pool->RenderPdf(SpecExample(), kGenerated, {});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code(), Code::kUnavailable);
    EXPECT_EQ(r.error().message(), "PDF rendering failed; try again");
  }
}

TEST(RenderWorkerPoolTest, AMalformedReplyFailsTheRender) {
  auto pool = Pool(FakeWorkers(1, "garbage"));
  ASSERT_NE(pool, nullptr);
  auto r = pool->RenderPdf(SpecExample(), kGenerated, {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Code::kUnavailable);
}

TEST(RenderWorkerPoolTest, AProgramThatCannotStartIsAStartupError) {
  WorkerPoolOptions o;
  o.executable = "/nonexistent/reportshare";
  auto pool = MakeWorkerPoolRenderer(o);
  ASSERT_FALSE(pool.has_value());
  EXPECT_EQ(pool.error().code(), Code::kInternal);
  EXPECT_NE(pool.error().message().find("/nonexistent/reportshare"), std::string::npos);
}

}  // namespace
}  // namespace reportshare::render::worker
