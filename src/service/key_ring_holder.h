#pragma once

#include <memory>

#include "core/mutex.h"
#include "links/key_ring.h"

namespace reportshare::service {

// The key ring in force, swappable at run time (rotation) while requests
// read it. Readers get a snapshot that stays valid while they hold it.
class KeyRingHolder {
 public:
  explicit KeyRingHolder(links::KeyRing ring)
      : ring_(std::make_shared<const links::KeyRing>(std::move(ring))) {}

  std::shared_ptr<const links::KeyRing> Get() const RS_EXCLUDES(mu_) {
    core::MutexLock lock(mu_);
    return ring_;
  }

  void Set(links::KeyRing ring) RS_EXCLUDES(mu_) {
    auto next = std::make_shared<const links::KeyRing>(std::move(ring));
    core::MutexLock lock(mu_);
    ring_ = std::move(next);
  }

 private:
  mutable core::Mutex mu_;
  std::shared_ptr<const links::KeyRing> ring_ RS_GUARDED_BY(mu_);
};

}  // namespace reportshare::service
