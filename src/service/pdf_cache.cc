#include "service/pdf_cache.h"

namespace reportshare::service {

std::shared_ptr<const std::string> PdfCache::Get(Key key, Version version) {
  if (budget_ == 0) return nullptr;
  core::MutexLock lock(mu_);
  auto it = by_key_.find(key);
  if (it == by_key_.end() || it->second->version != version) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->pdf;
}

void PdfCache::Put(Key key, Version version, std::shared_ptr<const std::string> pdf) {
  if (budget_ == 0 || !pdf || pdf->size() > budget_) return;
  core::MutexLock lock(mu_);
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    // Keep the newer version when two renders race.
    if (it->second->version > version) return;
    EraseLocked(it->second);
  }
  bytes_ += pdf->size();
  lru_.push_front(Entry{key, version, std::move(pdf)});
  by_key_[key] = lru_.begin();
  while (bytes_ > budget_) EraseLocked(std::prev(lru_.end()));
}

void PdfCache::EraseLocked(List::iterator it) {
  bytes_ -= it->pdf->size();
  by_key_.erase(it->key);
  lru_.erase(it);
}

size_t PdfCache::bytes() const {
  core::MutexLock lock(mu_);
  return bytes_;
}

size_t PdfCache::entries() const {
  core::MutexLock lock(mu_);
  return lru_.size();
}

}  // namespace reportshare::service
