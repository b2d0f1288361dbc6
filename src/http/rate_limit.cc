#include "http/rate_limit.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace reportshare::http {

RateLimiter::RateLimiter(double rate, double burst, const Clock& clock)
    : rate_(rate), burst_(std::max(1.0, burst)), clock_(clock) {}

std::optional<int> RateLimiter::Acquire(std::string_view key) {
  if (rate_ <= 0) return std::nullopt;
  Shard& shard = shards_[std::hash<std::string_view>{}(key) % shards_.size()];
  Instant now = clock_.Now();
  core::MutexLock lock(shard.mu);
  auto [it, inserted] = shard.buckets.try_emplace(std::string(key), Bucket{burst_, now});
  Bucket& b = it->second;
  if (!inserted && now > b.updated) {
    double elapsed = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
    b.updated = now;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return std::nullopt;
  }
  double wait = (1 - b.tokens) / rate_;
  return std::max(1, static_cast<int>(std::ceil(wait)));
}

}  // namespace reportshare::http
