#pragma once

namespace reportshare::render::worker {

// The file descriptor a render worker finds its socket on (pool.cc puts it
// there when it spawns the worker).
inline constexpr int kWorkerSocketFd = 3;

// The main loop of a render worker process (`reportshare render-worker`):
// warms up the fonts, then answers render requests on `fd` one at a time
// until the server closes the socket (returns 0) or dies (the kernel kills
// the worker). A render that lost its fonts is answered kUnavailable and the
// worker exits (returns 1) so that its replacement starts with fresh font
// state. Ignores SIGINT and SIGTERM: it follows the server, which may still be
// draining requests that need it.
int RunRenderWorker(int fd = kWorkerSocketFd);

}  // namespace reportshare::render::worker
