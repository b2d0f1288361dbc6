#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <thread>

#include "core/mutex.h"
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
// oldest are dropped with one warning per episode (channel "service").
// The webhook events of the opens (LinkOpen::event) are written in the same
// transaction as their batch; `on_events` (may be empty; must not block) is
// called after a batch that held one was written.
// Thread-safe.
class OpenRecorder {
 public:
  static constexpr size_t kDefaultMaxBatch = 500;
  static constexpr size_t kDefaultMaxPending = 100000;
  OpenRecorder(store::Store& store, std::chrono::milliseconds max_delay,
               size_t max_batch = kDefaultMaxBatch, size_t max_pending = kDefaultMaxPending,
               std::function<void()> on_events = {});
  // Writes what is pending (one attempt) and stops the thread.
  ~OpenRecorder();

  // Queues one open. Never blocks on the database.
  void Record(LinkOpen open) RS_EXCLUDES(mu_);

  // Writes every open queued so far before returning. kUnavailable if the
  // store failed (the opens stay queued for the next attempt).
  Status Flush() RS_EXCLUDES(write_mu_, mu_);

 private:
  void Loop() RS_EXCLUDES(write_mu_, mu_);
  // Waits until a batch is due: after the pause that follows a failed write,
  // or when max_delay has passed or max_batch opens wait. False when stopping.
  bool WaitForBatch() RS_REQUIRES(mu_);
  // Writes the queue in batches of at most max_batch.
  Status WriteQueued() RS_REQUIRES(write_mu_) RS_EXCLUDES(mu_);
  // Drops the oldest opens beyond max_pending. True if that starts a backlog
  // episode: the caller then warns, once the lock is released.
  bool TrimLocked() RS_REQUIRES(mu_);
  void WarnBacklogFull() const;

  store::Store& store_;
  const std::chrono::milliseconds max_delay_;
  const size_t max_batch_;
  const size_t max_pending_;
  const std::function<void()> on_events_;

  core::Mutex write_mu_;  // one batch in flight at a time, in order; taken before mu_

  core::Mutex mu_;
  core::CondVar cv_;
  std::deque<LinkOpen> queue_ RS_GUARDED_BY(mu_);
  // The pause after a failed write, 0 while writes succeed.
  std::chrono::milliseconds backoff_ RS_GUARDED_BY(mu_) = std::chrono::milliseconds(0);
  bool stop_ RS_GUARDED_BY(mu_) = false;
  bool dropping_ RS_GUARDED_BY(mu_) = false;  // in a backlog episode: warned already
  std::thread thread_;
};

}  // namespace reportshare::service
