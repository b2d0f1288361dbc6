#include "app/key_file_watcher.h"

#include "app/key_file.h"
#include "core/file_stamp.h"
#include "core/log.h"

namespace reportshare::app {

KeyFileWatcher::KeyFileWatcher(std::string path, service::KeyRingHolder& keys,
                               std::chrono::milliseconds poll_interval)
    : path_(std::move(path)),
      keys_(keys),
      poll_interval_(poll_interval),
      last_stamp_(core::FileStamp(path_)),
      thread_([this] { Loop(); }) {}

KeyFileWatcher::~KeyFileWatcher() {
  {
    core::MutexLock lock(mu_);
    stop_ = true;
  }
  stop_cv_.NotifyAll();
  thread_.join();
}

void KeyFileWatcher::Loop() {
  while (WaitForNextPoll()) Poll();
}

bool KeyFileWatcher::WaitForNextPoll() {
  const auto deadline = std::chrono::steady_clock::now() + poll_interval_;
  core::MutexLock lock(mu_);
  while (!stop_ && std::chrono::steady_clock::now() < deadline) {
    stop_cv_.WaitUntil(mu_, deadline);
  }
  return !stop_;
}

void KeyFileWatcher::Poll() {
  std::string stamp = core::FileStamp(path_);
  if (stamp.empty() || stamp == last_stamp_) return;
  last_stamp_ = std::move(stamp);
  auto ring = LoadOrCreateKeyFile(path_, /*database_has_links=*/true);
  if (!ring) {
    core::LogWarning("app", "keeping the current signing keys",
                     {{"file", path_}, {"error", ring.error().message()}});
    return;
  }
  core::LogInfo(
      "app", "reloaded signing keys",
      {{"file", path_}, {"active_key_id", ring->active().id.value}, {"keys", ring->keys().size()}});
  keys_.Set(std::move(*ring));
}

}  // namespace reportshare::app
