#include "app/cli/progress.h"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace reportshare::app::cli {
namespace {

using std::chrono::microseconds;

constexpr std::string_view kClearLine = "\r\033[K";
constexpr size_t kBarWidth = 24;

// The percent of the input read: 0 to 100.
int64_t Percent(const ProgressCounts& counts, int64_t total) {
  if (total <= 0) return 100;
  return std::clamp<int64_t>(counts.bytes_read * 100 / total, 0, 100);
}

}  // namespace

std::string FormatDuration(std::chrono::seconds d) {
  const int64_t s = std::max<int64_t>(d.count(), 0);
  char out[32];
  if (s >= 3600) {
    std::snprintf(out, sizeof out, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  } else {
    std::snprintf(out, sizeof out, "%lld:%02lld", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  }
  return out;
}

ImportProgress::ImportProgress(std::function<void(std::string_view)> write, const Clock& clock,
                               ProgressOptions options)
    : write_(std::move(write)),
      clock_(clock),
      options_(std::move(options)),
      start_(clock.Now()),
      last_draw_(start_) {}

std::string ImportProgress::Describe(const ProgressCounts& counts, microseconds elapsed) const {
  const double seconds = std::max<double>(static_cast<double>(elapsed.count()) / 1e6, 1e-3);
  const double rate = static_cast<double>(counts.imported + counts.failed) / seconds;
  std::string out = "imported " + std::to_string(counts.imported) + ", failed " +
                    std::to_string(counts.failed) + ", " +
                    std::to_string(static_cast<int64_t>(rate + 0.5)) + "/s";
  if (options_.total_bytes) {
    const int64_t total = *options_.total_bytes;
    out += ", " + std::to_string(Percent(counts, total)) + "%";
    if (counts.bytes_read > 0 && counts.bytes_read < total) {
      // The bytes still to read at the pace of those read so far.
      const double left = seconds * static_cast<double>(total - counts.bytes_read) /
                          static_cast<double>(counts.bytes_read);
      out +=
          ", " + FormatDuration(std::chrono::seconds{static_cast<int64_t>(left + 0.5)}) + " left";
    }
  }
  return out;
}

void ImportProgress::Update(const ProgressCounts& counts) {
  const Instant now = clock_.Now();
  if (options_.terminal) {
    if (!drawn_ || now - last_draw_ >= kRedrawEvery) Draw(counts, now);
    return;
  }
  if (now - last_draw_ >= options_.interval) Draw(counts, now);
}

void ImportProgress::Error(int64_t line, std::string_view message) {
  std::string out = options_.terminal && drawn_ ? std::string(kClearLine) : std::string();
  out += "line " + std::to_string(line) + ": ";
  out += message;
  out += "\n";
  write_(out);
  drawn_ = false;  // the next update draws the line again, below the error
}

void ImportProgress::Finish(const ProgressCounts& counts) {
  if (!options_.terminal) return;
  Draw(counts, clock_.Now());
  write_("\n");
  drawn_ = false;
}

void ImportProgress::Draw(const ProgressCounts& counts, Instant now) {
  last_draw_ = now;
  std::string text = Describe(counts, now - start_);
  if (!options_.terminal) {
    write_(text + "\n");
    return;
  }
  if (options_.total_bytes) {
    const auto filled =
        static_cast<size_t>(Percent(counts, *options_.total_bytes) * kBarWidth / 100);
    // Appended piece by piece: GCC 12's -Wrestrict misreads `"[" + std::string(…)`.
    std::string bar;
    bar.reserve(kBarWidth + 3 + text.size());
    bar.append(1, '[')
        .append(filled, '#')
        .append(kBarWidth - filled, '.')
        .append("] ")
        .append(text);
    text = std::move(bar);
  }
  // One column short of the width: a line that fills it leaves the cursor
  // past the edge, where some terminals wrap.
  const size_t room = static_cast<size_t>(std::max(options_.columns - 1, 1));
  if (text.size() > room) text.resize(room);
  write_(std::string(kClearLine) + text);
  drawn_ = true;
}

}  // namespace reportshare::app::cli
