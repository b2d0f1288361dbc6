#pragma once

// WAL checkpoints off the request path. SQLite's own auto-checkpoint runs
// inside the COMMIT that crosses the threshold: that one request copies the
// WAL back into the database and syncs both files (milliseconds). Instead,
// every pooled connection reports its WAL size through a WAL hook, and once
// it passes `pages` this thread runs a PASSIVE checkpoint on a connection of
// its own, which waits for no reader or writer.

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "core/mutex.h"
#include "core/status.h"

namespace reportshare::store::sqlite {

// Thread-safe. Shared by the connections of one store (each holds a
// shared_ptr); the last one to go stops the thread.
class Checkpointer {
 public:
  // Opens its own connection to `path` (kUnavailable, logged, if it cannot)
  // and starts the thread. REQUIRES: pages >= 1.
  static Result<std::shared_ptr<Checkpointer>> Start(const std::string& path, int pages);
  // Stops the thread (a checkpoint under way finishes first).
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Routes `db`'s WAL hook here (replacing SQLite's auto-checkpoint).
  // REQUIRES: this outlives `db`.
  void Attach(sqlite3* db);

  // Checkpoints run so far (successful or not), for tests.
  int64_t checkpoints() const RS_EXCLUDES(mu_);

 private:
  Checkpointer(sqlite3* db, int pages);
  static int OnCommit(void* self, sqlite3* db, const char* schema, int wal_pages);
  void Request() RS_EXCLUDES(mu_);
  void Loop() RS_EXCLUDES(mu_);

  sqlite3* const db_;  // used only by the thread (and closed after it)
  const int pages_;

  mutable core::Mutex mu_;
  core::CondVar cv_;
  bool pending_ RS_GUARDED_BY(mu_) = false;
  bool stop_ RS_GUARDED_BY(mu_) = false;
  int64_t checkpoints_ RS_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace reportshare::store::sqlite
