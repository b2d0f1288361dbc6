#pragma once

#include <chrono>

namespace reportshare::core {

// Every instant in reportshare: UTC, microsecond precision (the precision of
// `expires_at` and of the expiry a token carries).
using Instant = std::chrono::sys_time<std::chrono::microseconds>;

// Source of the current time, injected so tests control it.
class Clock {
 public:
  virtual ~Clock() = default;
  // Returns the current instant. Thread-safe.
  virtual Instant Now() const = 0;
};

// The real wall clock.
class SystemClock final : public Clock {
 public:
  Instant Now() const override {
    return std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now());
  }
};

}  // namespace reportshare::core

// The vocabulary every layer speaks, by its plain name.
namespace reportshare {
using core::Clock;
using core::Instant;
using core::SystemClock;
}  // namespace reportshare
