#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "core/mutex.h"
#include "domain/ids.h"

namespace reportshare::service {

// Rendered PDFs kept in memory, least recently used evicted first, within a
// byte budget. Keyed by report id and variant (what else the document
// depends on: its language, anonymized or not, …; see ReportService), each
// key holding one version of the report's content: a replaced report has a
// new version, so a stale PDF is never served (and its entry is replaced by
// the next render). Thread-safe.
class PdfCache {
 public:
  struct Key {
    ReportId id;
    uint32_t variant = 0;
    Key(ReportId report, uint32_t v = 0) : id(report), variant(v) {}  // NOLINT: implicit
    bool operator==(const Key&) const = default;
  };

  // `byte_budget` 0 disables the cache.
  explicit PdfCache(size_t byte_budget) : budget_(byte_budget) {}

  // The PDF of this report version, or nullptr.
  std::shared_ptr<const std::string> Get(Key key, int64_t version) RS_EXCLUDES(mu_);

  // Stores the PDF of this report version, replacing any other version of the
  // same report. A PDF larger than the whole budget is not kept.
  void Put(Key key, int64_t version, std::shared_ptr<const std::string> pdf) RS_EXCLUDES(mu_);

  size_t bytes() const RS_EXCLUDES(mu_);
  size_t entries() const RS_EXCLUDES(mu_);

 private:
  struct KeyHash {
    size_t operator()(const Key& k) const {
      return std::hash<int64_t>()(k.id.value) ^ (size_t{k.variant} * 0x9e3779b97f4a7c15ULL);
    }
  };
  struct Entry {
    Key key;
    int64_t version;
    std::shared_ptr<const std::string> pdf;
  };
  using List = std::list<Entry>;

  void EraseLocked(List::iterator it) RS_REQUIRES(mu_);

  const size_t budget_;
  mutable core::Mutex mu_;
  List lru_ RS_GUARDED_BY(mu_);  // front = newest
  std::unordered_map<Key, List::iterator, KeyHash> by_key_ RS_GUARDED_BY(mu_);
  size_t bytes_ RS_GUARDED_BY(mu_) = 0;
};

}  // namespace reportshare::service
