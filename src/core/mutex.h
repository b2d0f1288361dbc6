#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "core/thread_annotations.h"

namespace reportshare::core {

// std::mutex with the annotations clang's thread-safety analysis reads. Every
// class with state shared between threads guards it with a Mutex and marks the
// members RS_GUARDED_BY.
class RS_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() RS_ACQUIRE() { mu_.lock(); }
  void unlock() RS_RELEASE() { mu_.unlock(); }
  bool try_lock() RS_TRY_ACQUIRE(true) { return mu_.try_lock(); }

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds a Mutex for its scope (std::lock_guard, annotated).
class RS_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) RS_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() RS_RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

// A condition variable waited on with a Mutex held. Waits take no predicate:
// the caller loops over its condition in the annotated scope, so the analysis
// sees every read of guarded state under the lock:
//   MutexLock lock(mu_);
//   while (!stop_) cv_.Wait(mu_);
class CondVar {
 public:
  // Atomically releases `mu`, waits for a notification (or a spurious
  // wake-up), and takes `mu` again.
  void Wait(Mutex& mu) RS_REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }

  // As Wait, but gives up after `timeout`: returns false if it timed out,
  // true if woken by a notification or spuriously (so the caller loops over
  // its condition and the deadline).
  template <class Rep, class Period>
  bool WaitFor(Mutex& mu, std::chrono::duration<Rep, Period> timeout) RS_REQUIRES(mu) {
    return WaitUntil(mu, std::chrono::steady_clock::now() + timeout);
  }

  // As Wait, but gives up at `deadline`: returns false if it timed out, true
  // if woken by a notification or spuriously (so the caller loops over its
  // condition and the deadline).
  template <class ClockT, class Duration>
  bool WaitUntil(Mutex& mu, std::chrono::time_point<ClockT, Duration> deadline) RS_REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
    std::cv_status status = cv_.wait_until(lock, deadline);
    lock.release();
    return status == std::cv_status::no_timeout;
  }

  void NotifyOne() { cv_.notify_one(); }
  void NotifyAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace reportshare::core
