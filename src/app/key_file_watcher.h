#pragma once

#include <chrono>
#include <string>
#include <thread>

#include "core/mutex.h"
#include "core/thread_annotations.h"
#include "service/key_ring_holder.h"

namespace reportshare::app {

// README: "A running server reloads the signing key file within a second".
inline constexpr std::chrono::milliseconds kKeyFilePollInterval{1000};

// Reloads the signing key file into a KeyRingHolder when the file changes
// (rotation by `keys rotate-signing`, or a new file rolled out to every node).
// It polls: a cheap stat every `poll_interval`, and no signal handling to get
// wrong. A file that no longer loads keeps the keys in force and logs a
// warning (channel "app") naming the file, never a secret; it is tried again
// when it changes again.
class KeyFileWatcher {
 public:
  // Starts the watching thread. `keys` must outlive the watcher.
  KeyFileWatcher(std::string path, service::KeyRingHolder& keys,
                 std::chrono::milliseconds poll_interval = kKeyFilePollInterval);
  // Stops the thread without waiting for the next poll, and joins it.
  ~KeyFileWatcher();

  KeyFileWatcher(const KeyFileWatcher&) = delete;
  KeyFileWatcher& operator=(const KeyFileWatcher&) = delete;

 private:
  void Loop() RS_EXCLUDES(mu_);
  // Waits one poll interval; false once Stop was asked for.
  bool WaitForNextPoll() RS_EXCLUDES(mu_);
  // Reloads the file if its stamp changed since the last look.
  void Poll();

  // Constant after construction.
  const std::string path_;
  service::KeyRingHolder& keys_;
  const std::chrono::milliseconds poll_interval_;

  // Only the watching thread touches it once that runs.
  std::string last_stamp_;

  core::Mutex mu_;
  core::CondVar stop_cv_;
  bool stop_ RS_GUARDED_BY(mu_) = false;

  std::thread thread_;  // last: starts once everything above is set
};

}  // namespace reportshare::app
