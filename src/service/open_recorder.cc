#include "service/open_recorder.h"

#include <algorithm>
#include <cstdio>

namespace reportshare::service {

OpenRecorder::OpenRecorder(store::Store& store, std::chrono::milliseconds max_delay,
                           size_t max_batch, size_t max_pending)
    : store_(store), max_delay_(max_delay), max_batch_(max_batch), max_pending_(max_pending) {
  thread_ = std::thread([this] { Loop(); });
}

OpenRecorder::~OpenRecorder() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  std::lock_guard write_lock(write_mu_);
  WriteQueued();
}

void OpenRecorder::Record(LinkOpen open) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(open));
    TrimLocked();
    wake = queue_.size() >= max_batch_ && backoff_.count() == 0;
  }
  if (wake) cv_.notify_all();
}

void OpenRecorder::TrimLocked() {
  if (queue_.size() <= max_pending_) return;
  queue_.erase(queue_.begin(),
               queue_.begin() + static_cast<std::ptrdiff_t>(queue_.size() - max_pending_));
  if (!dropping_) {  // once per backlog episode, not once per open
    std::fprintf(stderr, "reportshare: open audit backlog full; dropping the oldest opens\n");
    dropping_ = true;
  }
}

Status OpenRecorder::Flush() {
  std::lock_guard write_lock(write_mu_);
  return WriteQueued();
}

Status OpenRecorder::WriteQueued() {
  for (;;) {
    std::vector<LinkOpen> batch;
    {
      std::lock_guard lock(mu_);
      size_t n = std::min(queue_.size(), max_batch_);
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(n)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    if (batch.empty()) return Status::Ok();
    Status s = store_.RecordOpens(batch);
    std::lock_guard lock(mu_);
    if (!s.ok()) {
      // Back in front of what arrived meanwhile, for a retry after a pause
      // that doubles up to 30 s: a database that is down is not hammered.
      queue_.insert(queue_.begin(), std::make_move_iterator(batch.begin()),
                    std::make_move_iterator(batch.end()));
      TrimLocked();
      backoff_ = std::min<std::chrono::milliseconds>(
          std::chrono::seconds(30),
          std::max<std::chrono::milliseconds>(std::chrono::milliseconds(100), backoff_ * 2));
      return s;
    }
    dropping_ = false;
    backoff_ = std::chrono::milliseconds(0);
  }
}

void OpenRecorder::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (backoff_.count() > 0) {
      cv_.wait_for(lock, backoff_, [this] { return stop_; });
    } else {
      cv_.wait_for(lock, max_delay_, [this] { return stop_ || queue_.size() >= max_batch_; });
    }
    if (stop_) break;
    if (queue_.empty()) continue;
    lock.unlock();
    {
      std::lock_guard write_lock(write_mu_);
      WriteQueued();
    }
    lock.lock();
  }
}

}  // namespace reportshare::service
