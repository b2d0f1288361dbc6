#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "core/clock.h"

namespace reportshare::test_support {

// A clock that only moves when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Instant start = Instant{}) : us_(start.time_since_epoch().count()) {}

  Instant Now() const override { return Instant{std::chrono::microseconds{us_.load()}}; }

  void Set(Instant t) { us_.store(t.time_since_epoch().count()); }
  void Advance(std::chrono::microseconds d) { us_.fetch_add(d.count()); }

 private:
  std::atomic<int64_t> us_;
};

}  // namespace reportshare::test_support
