#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "domain/ids.h"

namespace reportshare::service {

// Rendered PDFs kept in memory, least recently used evicted first, within a
// byte budget. Keyed by report id and the report's content version: a
// replaced report has a new version, so a stale PDF is never served (and its
// entry is replaced by the next render). Thread-safe.
class PdfCache {
 public:
  // `byte_budget` 0 disables the cache.
  explicit PdfCache(size_t byte_budget) : budget_(byte_budget) {}

  // The PDF of this report version, or nullptr.
  std::shared_ptr<const std::string> Get(ReportId id, int64_t version);

  // Stores the PDF of this report version, replacing any other version of the
  // same report. A PDF larger than the whole budget is not kept.
  void Put(ReportId id, int64_t version, std::shared_ptr<const std::string> pdf);

  size_t bytes() const;
  size_t entries() const;

 private:
  struct Entry {
    ReportId id;
    int64_t version;
    std::shared_ptr<const std::string> pdf;
  };
  using List = std::list<Entry>;

  void EraseLocked(List::iterator it);

  const size_t budget_;
  mutable std::mutex mu_;
  List lru_;                                               // GUARDED_BY(mu_), front = newest
  std::unordered_map<int64_t, List::iterator> by_report_;  // GUARDED_BY(mu_)
  size_t bytes_ = 0;                                       // GUARDED_BY(mu_)
};

}  // namespace reportshare::service
