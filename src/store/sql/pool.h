#pragma once

// The connection pool of every SQL backend: a fixed set of connections, each
// used by one thread at a time. A call checks one out (waiting while all are
// in use), so at most size() calls run at once, and returns it when its Lease
// ends. The backend's connection type sees both moments through two hooks,
// run outside the pool's lock so a slow one never blocks other checkouts:
//
//   void OnAcquire()   after checkout, before use: PostgreSQL reconnects a
//                      connection that died while it sat in the pool.
//   void OnRelease()   before it is free again: rolls back a transaction a
//                      caller left open, so the next user starts clean.

#include <concepts>
#include <memory>
#include <utility>
#include <vector>

#include "core/mutex.h"
#include "core/thread_annotations.h"

namespace reportshare::store::sql {

template <class C>
concept PooledConnection = requires(C& conn) {
  { conn.OnAcquire() } -> std::same_as<void>;
  { conn.OnRelease() } -> std::same_as<void>;
};

// Thread-safe: Acquire() may be called from any number of threads at once.
template <class C>
requires PooledConnection<C>
class Pool {
 public:
  // A connection checked out of the pool; returned to it on destruction.
  // REQUIRES: the pool outlives the lease.
  class Lease {
   public:
    ~Lease() { pool_.Release(conn_); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    C& operator*() const { return conn_; }
    C* operator->() const { return &conn_; }

   private:
    friend class Pool;
    Lease(Pool& pool, C& conn) : pool_(pool), conn_(conn) {}

    Pool& pool_;
    C& conn_;
  };

  // Takes ownership of `connections`. REQUIRES: at least one, none null.
  explicit Pool(std::vector<std::unique_ptr<C>> connections)
      : connections_(std::move(connections)) {
    core::MutexLock lock(mu_);
    for (const auto& conn : connections_) free_.push_back(conn.get());
  }
  // REQUIRES: no lease is outstanding.
  ~Pool() = default;
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Waits for a free connection, runs its OnAcquire() and hands it out.
  Lease Acquire() RS_EXCLUDES(mu_) {
    C* conn = nullptr;
    {
      core::MutexLock lock(mu_);
      while (free_.empty()) available_.Wait(mu_);
      conn = free_.back();
      free_.pop_back();
    }
    conn->OnAcquire();
    return Lease(*this, *conn);
  }

  size_t size() const { return connections_.size(); }

 private:
  void Release(C& conn) RS_EXCLUDES(mu_) {
    conn.OnRelease();
    {
      core::MutexLock lock(mu_);
      free_.push_back(&conn);
    }
    available_.NotifyOne();
  }

  // Constant after construction.
  const std::vector<std::unique_ptr<C>> connections_;

  core::Mutex mu_;
  core::CondVar available_;
  std::vector<C*> free_ RS_GUARDED_BY(mu_);
};

}  // namespace reportshare::store::sql
