#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "core/mutex.h"

namespace reportshare::http {

// A token bucket per API key (SPEC §2.5): `rate` requests per second with
// bursts of `burst`. Keyed by the key's id after authentication, so neither
// header spelling nor the number of connections changes whose bucket pays.
// Thread-safe; buckets live as long as the process (one per API key).
class RateLimiter {
 public:
  // rate <= 0 disables limiting. REQUIRES: burst >= 1 when rate > 0.
  RateLimiter(double rate, double burst, const Clock& clock);

  // Takes one token from `key`'s bucket. Returns nullopt when allowed, or the
  // whole seconds to wait before a token is available (for Retry-After, >= 1).
  std::optional<int> Acquire(std::string_view key);

  bool enabled() const { return rate_ > 0; }

 private:
  struct Bucket {
    double tokens;
    Instant updated;
  };
  struct Shard {
    core::Mutex mu;
    std::unordered_map<std::string, Bucket> buckets RS_GUARDED_BY(mu);
  };

  const double rate_;
  const double burst_;
  const Clock& clock_;
  std::array<Shard, 16> shards_;
};

}  // namespace reportshare::http
