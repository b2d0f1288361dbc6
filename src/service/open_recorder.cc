#include "service/open_recorder.h"

#include <algorithm>
#include <iterator>
#include <vector>

#include "core/log.h"

namespace reportshare::service {
namespace {

using SteadyClock = std::chrono::steady_clock;

}  // namespace

OpenRecorder::OpenRecorder(store::Store& store, std::chrono::milliseconds max_delay,
                           size_t max_batch, size_t max_pending, std::function<void()> on_events)
    : store_(store),
      max_delay_(max_delay),
      max_batch_(max_batch),
      max_pending_(max_pending),
      on_events_(std::move(on_events)) {
  thread_ = std::thread([this] { Loop(); });
}

OpenRecorder::~OpenRecorder() {
  {
    core::MutexLock lock(mu_);
    stop_ = true;
  }
  cv_.NotifyAll();
  thread_.join();
  core::MutexLock write_lock(write_mu_);
  WriteQueued();
}

void OpenRecorder::Record(LinkOpen open) {
  bool wake, warn;
  {
    core::MutexLock lock(mu_);
    queue_.push_back(std::move(open));
    warn = TrimLocked();
    wake = queue_.size() >= max_batch_ && backoff_.count() == 0;
  }
  if (warn) WarnBacklogFull();
  if (wake) cv_.NotifyAll();
}

bool OpenRecorder::TrimLocked() {
  if (queue_.size() <= max_pending_) return false;
  queue_.erase(queue_.begin(),
               queue_.begin() + static_cast<std::ptrdiff_t>(queue_.size() - max_pending_));
  if (dropping_) return false;  // once per backlog episode, not once per open
  dropping_ = true;
  return true;
}

void OpenRecorder::WarnBacklogFull() const {
  core::LogWarning("service", "open audit backlog full; dropping the oldest opens",
                   {{"max_pending", max_pending_}});
}

Status OpenRecorder::Flush() {
  core::MutexLock write_lock(write_mu_);
  return WriteQueued();
}

Status OpenRecorder::WriteQueued() {
  for (;;) {
    std::vector<LinkOpen> batch;
    {
      core::MutexLock lock(mu_);
      size_t n = std::min(queue_.size(), max_batch_);
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(n)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    if (batch.empty()) return Status::Ok();
    Status s = store_.RecordOpens(batch);
    bool warn = false;
    {
      core::MutexLock lock(mu_);
      if (s.ok()) {
        dropping_ = false;
        backoff_ = std::chrono::milliseconds(0);
      } else {
        // Back in front of what arrived meanwhile, for a retry after a pause
        // that doubles up to 30 s: a database that is down is not hammered.
        queue_.insert(queue_.begin(), std::make_move_iterator(batch.begin()),
                      std::make_move_iterator(batch.end()));
        warn = TrimLocked();
        backoff_ = std::min<std::chrono::milliseconds>(
            std::chrono::seconds(30),
            std::max<std::chrono::milliseconds>(std::chrono::milliseconds(100), backoff_ * 2));
      }
    }
    if (warn) WarnBacklogFull();
    if (!s.ok()) return s;
    if (on_events_ && std::any_of(batch.begin(), batch.end(),
                                  [](const LinkOpen& o) { return o.event.has_value(); })) {
      on_events_();
    }
  }
}

bool OpenRecorder::WaitForBatch() {
  // The waits take no predicate: loop until the deadline or the condition,
  // so a spurious wake-up neither shortens the pause nor writes early.
  if (backoff_.count() > 0) {
    const auto until = SteadyClock::now() + backoff_;
    while (!stop_ && SteadyClock::now() < until) cv_.WaitUntil(mu_, until);
  } else {
    const auto until = SteadyClock::now() + max_delay_;
    while (!stop_ && queue_.size() < max_batch_ && SteadyClock::now() < until) {
      cv_.WaitUntil(mu_, until);
    }
  }
  return !stop_;
}

void OpenRecorder::Loop() {
  for (;;) {
    {
      core::MutexLock lock(mu_);
      if (!WaitForBatch()) return;
      if (queue_.empty()) continue;
    }
    core::MutexLock write_lock(write_mu_);
    WriteQueued();
  }
}

}  // namespace reportshare::service
