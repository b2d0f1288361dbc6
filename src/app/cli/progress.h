#pragma once

// The progress display of `import`: on a terminal one line redrawn in place
// (a bar with the percent of the input read when its size is known, the
// count, the rate and the time left); otherwise a plain line now and then,
// for logs. Debian has no maintained C++ progress-bar library, and this is
// all `import` needs.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace reportshare::app::cli {

struct ProgressCounts {
  int64_t imported = 0;
  int64_t failed = 0;
  int64_t bytes_read = 0;
};

struct ProgressOptions {
  // Redraw one line in place (stderr is a terminal), else print plain lines.
  bool terminal = false;
  // Plain lines: one each time this much has passed since the last (or the
  // start). Zero: one at every update. Default: 5 s.
  std::chrono::microseconds interval = std::chrono::seconds{5};
  // The input's size, when it is a regular file: the percent and the time left.
  std::optional<int64_t> total_bytes;
  // The terminal's width: the redrawn line never wraps (a wrapped line
  // cannot be redrawn).
  int columns = 80;
};

// Not thread-safe: one import's display.
class ImportProgress {
 public:
  // The terminal line is redrawn at most this often.
  static constexpr std::chrono::milliseconds kRedrawEvery{100};

  // `write` takes every byte of output (stderr in the binary); `clock` times
  // the rate from now on. Both must outlive the display.
  ImportProgress(std::function<void(std::string_view)> write, const Clock& clock,
                 ProgressOptions options);

  // The import got this far: draws if it is time to.
  void Update(const ProgressCounts& counts);

  // A bad record: "line N: reason", above the redrawn line.
  void Error(int64_t line, std::string_view message);

  // The import ended: the terminal line drawn one last time, and left.
  void Finish(const ProgressCounts& counts);

  // The text of one update at `elapsed` (no line control), such as
  // "imported 12000, failed 3, 2400/s" or, with a known size,
  // "imported 12000, failed 3, 2400/s, 45%, 0:12 left".
  std::string Describe(const ProgressCounts& counts, std::chrono::microseconds elapsed) const;

 private:
  void Draw(const ProgressCounts& counts, Instant now);

  const std::function<void(std::string_view)> write_;
  const Clock& clock_;
  const ProgressOptions options_;
  const Instant start_;
  Instant last_draw_;
  bool drawn_ = false;  // the terminal line is on screen
};

// "0:07", "12:34", "1:02:03".
std::string FormatDuration(std::chrono::seconds d);

}  // namespace reportshare::app::cli
