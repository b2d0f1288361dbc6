#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "render/renderer.h"

namespace reportshare::render::worker {

struct WorkerPoolOptions {
  // The program a worker runs and its arguments after argv[0]. Default: this
  // very binary (even if its file was replaced since), as `render-worker`.
  std::string executable = "/proc/self/exe";
  std::vector<std::string> arguments = {"render-worker"};
  // Number of worker processes, each rendering one PDF at a time. > 0.
  int workers = 1;
  // Longest a render may take, from the request's hand-over to the whole
  // reply; past it the worker is killed and the render fails. (A new
  // worker's start-up and font warm-up has its own, generous limit.)
  std::chrono::milliseconds timeout{10'000};
};

// A renderer that draws PDFs in `options.workers` child processes (fonts,
// Pango and Cairo live only there, so there is no global lock and a crash
// stays in the child) and HTML pages in this process (they need no fonts).
// A render fails with kUnavailable, and its worker is killed and replaced,
// when the worker dies, exceeds the time limit, breaks the protocol or
// reports that it lost its fonts; the next render gets a fresh worker.
// Callers beyond the number of workers wait for one to be free.
// Thread-safe. Spawns every worker before it returns; kInternal if it cannot.
// Destroying it kills the workers; no render may be in progress then.
Result<std::unique_ptr<ReportRenderer>> MakeWorkerPoolRenderer(WorkerPoolOptions options);

}  // namespace reportshare::render::worker
