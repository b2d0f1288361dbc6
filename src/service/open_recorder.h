#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "core/status.h"
#include "domain/link_record.h"
#include "store/store.h"

namespace reportshare::service {

// Collects link opens and writes them to the store in batches from one
// background thread, so a burst of opens never queues requests behind a
// database write each. An open reaches the store at most `max_delay` after
// it happened (sooner when `max_batch` opens are waiting); Flush() writes
// at once (the links list calls it, so a node reads its own views).
// If the store is down, batches are kept and retried after a pause that
// doubles from 100 ms to 30 s, up to `max_pending` opens; beyond that the
// oldest are dropped with one log line. Thread-safe.
class OpenRecorder {
 public:
  OpenRecorder(store::Store& store, std::chrono::milliseconds max_delay, size_t max_batch = 500,
               size_t max_pending = 100000);
  // Writes what is pending (one attempt) and stops the thread.
  ~OpenRecorder();

  // Queues one open. Never blocks on the database.
  void Record(LinkOpen open);

  // Writes every open queued so far before returning. kUnavailable if the
  // store failed (the opens stay queued for the next attempt).
  Status Flush();

 private:
  void Loop();
  // Writes the queue in batches of at most max_batch. REQUIRES: write_mu_ held.
  Status WriteQueued();
  // Drops the oldest opens beyond max_pending. REQUIRES: mu_ held.
  void TrimLocked();

  store::Store& store_;
  const std::chrono::milliseconds max_delay_;
  const size_t max_batch_;
  const size_t max_pending_;

  std::mutex write_mu_;  // one batch in flight at a time, in order

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<LinkOpen> queue_;            // GUARDED_BY(mu_)
  std::chrono::milliseconds backoff_{0};  // GUARDED_BY(mu_): pause after a failed write
  bool stop_ = false;                     // GUARDED_BY(mu_)
  bool dropping_ = false;                 // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace reportshare::service
