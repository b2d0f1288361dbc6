#include "store/sqlite/checkpointer.h"

#include "core/log.h"
#include "store/sqlite/sqlite_connection.h"

namespace reportshare::store::sqlite {

Result<std::shared_ptr<Checkpointer>> Checkpointer::Start(const std::string& path, int pages) {
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nullptr);
  // A connection that has not read the file does not know it is in WAL mode
  // (its checkpoints would do nothing): the pragma reads it (and is a no-op
  // on a file in WAL mode already).
  if (rc == SQLITE_OK) rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    DriverError(db, "checkpointer");
    sqlite3_close_v2(db);
    return Status::Unavailable("cannot open database '" + path + "'");
  }
  // A checkpoint that meets a writer's lock waits for it, briefly.
  sqlite3_busy_timeout(db, 1000);
  return std::shared_ptr<Checkpointer>(new Checkpointer(db, pages));
}

Checkpointer::Checkpointer(sqlite3* db, int pages) : db_(db), pages_(pages) {
  thread_ = std::thread([this] { Loop(); });
}

Checkpointer::~Checkpointer() {
  {
    core::MutexLock lock(mu_);
    stop_ = true;
  }
  cv_.NotifyAll();
  thread_.join();
  sqlite3_close_v2(db_);
}

void Checkpointer::Attach(sqlite3* db) { sqlite3_wal_hook(db, &Checkpointer::OnCommit, this); }

int Checkpointer::OnCommit(void* self, sqlite3*, const char*, int wal_pages) {
  auto* checkpointer = static_cast<Checkpointer*>(self);
  if (wal_pages >= checkpointer->pages_) checkpointer->Request();
  return SQLITE_OK;
}

void Checkpointer::Request() {
  {
    core::MutexLock lock(mu_);
    if (pending_) return;
    pending_ = true;
  }
  cv_.NotifyOne();
}

int64_t Checkpointer::checkpoints() const {
  core::MutexLock lock(mu_);
  return checkpoints_;
}

void Checkpointer::Loop() {
  for (;;) {
    {
      core::MutexLock lock(mu_);
      while (!pending_ && !stop_) cv_.Wait(mu_);
      if (stop_) return;
    }
    int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    // Busy: a writer held the lock; the next commit over the threshold asks again.
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) DriverError(db_, "checkpoint");
    core::MutexLock lock(mu_);
    // Commits during the checkpoint asked for one that this one covered in part:
    // the next commit over the threshold asks again.
    pending_ = false;
    ++checkpoints_;
  }
}

}  // namespace reportshare::store::sqlite
