#include "service/open_recorder.h"

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
    if (queue_.size() >= max_pending_) {
      queue_.erase(queue_.begin());
      if (!dropping_) {  // once per backlog episode, not once per open
        std::fprintf(stderr, "reportshare: open audit backlog full; dropping the oldest opens\n");
        dropping_ = true;
      }
    }
    queue_.push_back(std::move(open));
    wake = queue_.size() >= max_batch_;
  }
  if (wake) cv_.notify_all();
}

Status OpenRecorder::Flush() {
  std::lock_guard write_lock(write_mu_);
  return WriteQueued();
}

Status OpenRecorder::WriteQueued() {
  std::vector<LinkOpen> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(queue_);
  }
  if (batch.empty()) return Status::Ok();
  Status s = store_.RecordOpens(batch);
  if (s.ok()) {
    std::lock_guard lock(mu_);
    dropping_ = false;
  } else {
    // Put the batch back in front of what arrived meanwhile, for a retry.
    std::lock_guard lock(mu_);
    batch.insert(batch.end(), std::make_move_iterator(queue_.begin()),
                 std::make_move_iterator(queue_.end()));
    queue_.swap(batch);
    if (queue_.size() > max_pending_) {
      queue_.erase(queue_.begin(),
                   queue_.begin() + static_cast<std::ptrdiff_t>(queue_.size() - max_pending_));
    }
  }
  return s;
}

void OpenRecorder::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, max_delay_, [this] { return stop_ || queue_.size() >= max_batch_; });
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
