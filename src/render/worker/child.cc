#include "render/worker/child.h"

#include <malloc.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "core/log.h"
#include "render/renderer.h"
#include "render/worker/protocol.h"

namespace reportshare::render::worker {

int RunRenderWorker(int fd) {
  int type = 0;
  socklen_t size = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) != 0) {
    std::fprintf(stderr,
                 "render-worker is started by `reportshare serve`, with its socket on fd %d\n", fd);
    return 2;
  }
  // Die with the server, whatever kills it; and if it is already gone (we
  // were reparented before the call), stop now.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() == 1) return 1;
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGTERM, SIG_IGN);
  std::signal(SIGPIPE, SIG_IGN);

  // Subsetting a large font (CJK) allocates tens of MiB for a moment. A fixed
  // mmap threshold makes such blocks mappings of their own, returned to the
  // system when freed, instead of heap that stays resident (glibc raises the
  // threshold by itself after the first big free otherwise).
  ::mallopt(M_MMAP_THRESHOLD, 1 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 4 << 20);
  WarmUpRenderThread();
  std::unique_ptr<ReportRenderer> renderer = MakeBasicRenderer();
  if (!WriteFrame(fd, "").ok()) return 1;  // ready
  while (true) {
    auto frame = ReadFrame(fd, kMaxRequestBytes);
    if (!frame) return frame.error().code() == Code::kNotFound ? 0 : 1;
    auto request = DecodeRequest(*frame);
    Result<std::string> pdf =
        request ? renderer->RenderPdf(request->report, request->generated_at, request->options)
                : Result<std::string>(request.error());
    if (!WriteFrame(fd, EncodeReply(pdf)).ok()) return 1;
    if (!pdf && pdf.error().code() == Code::kUnavailable) {
      core::LogWarning("render", "render worker lost its fonts; exiting to be replaced");
      return 1;
    }
  }
}

}  // namespace reportshare::render::worker
