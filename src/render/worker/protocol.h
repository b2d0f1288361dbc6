#pragma once

// The messages between the server and a render worker (internal to worker/):
// an empty frame from the worker once it has warmed up, then one request
// frame and one reply frame at a time, each a 4-byte little-endian length and
// that many bytes. A request is a JSON object (the stored report and the
// generation time); a reply is one status byte (core::Code) and either the
// PDF or the error message.
// A request carries the PDF's render options (language, watermark, branding); the
// page-only options stay behind (pages are rendered in the server).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "domain/report.h"
#include "render/view.h"

namespace reportshare::render::worker {

// Caps on one frame's payload, so neither side allocates what a broken peer
// claims: a report is at most a few MiB as JSON; a PDF of the largest allowed
// report is far below the reply cap.
inline constexpr size_t kMaxRequestBytes = size_t{64} << 20;
inline constexpr size_t kMaxReplyBytes = size_t{256} << 20;

// Longest a new worker may take to start and warm up its fonts before it is
// given up on (far above the ~0.1 s it takes; sanitizer builds are slower).
inline constexpr std::chrono::seconds kStartupLimit{30};

struct RenderRequest {
  StoredReport report;
  Instant generated_at;
  RenderOptions options;  // the PDF's: language, watermark and branding
};

std::string EncodeRequest(const StoredReport& report, Instant generated_at,
                          const RenderOptions& options);
Result<RenderRequest> DecodeRequest(std::string_view payload);

std::string EncodeReply(const Result<std::string>& pdf);
// The worker's answer; nullopt if the payload is not a reply (the worker is
// broken and must be replaced).
std::optional<Result<std::string>> DecodeReply(std::string_view payload);

// Frame I/O on a connected stream socket, blocking or non-blocking. With a
// deadline other than FrameDeadline::max() a call that is still waiting when
// it passes returns kUnavailable. ReadFrame returns kNotFound on a clean end
// of stream before a frame, kInternal on a cut frame or one over `max_bytes`.
using FrameClock = std::chrono::steady_clock;
using FrameDeadline = FrameClock::time_point;
Status WriteFrame(int fd, std::string_view payload, FrameDeadline deadline = FrameDeadline::max());
Result<std::string> ReadFrame(int fd, size_t max_bytes,
                              FrameDeadline deadline = FrameDeadline::max());

}  // namespace reportshare::render::worker
