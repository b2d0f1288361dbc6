#pragma once

#include <compare>
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
// key holding one version of the document: of the report's content and of
// its owner's branding (and, for a page, the minute it shows). A replaced
// report or a changed branding has a new version, so a stale PDF is never
// served (and its entry is replaced by the next render). Thread-safe.
class PdfCache {
 public:
  // Every part only grows, so the greater version is the newer document.
  struct Version {
    int64_t report = 0;    // StoredReport::version
    int64_t branding = 0;  // Branding::version
    int64_t minute = 0;    // a page's "Generated" minute; 0 for a PDF
    Version(int64_t r = 0, int64_t b = 0, int64_t m = 0)  // NOLINT: implicit
        : report(r), branding(b), minute(m) {}
    auto operator<=>(const Version&) const = default;
  };

  struct Key {
    ReportId id;
    uint32_t variant = 0;
    Key(ReportId report, uint32_t v = 0) : id(report), variant(v) {}  // NOLINT: implicit
    bool operator==(const Key&) const = default;
  };

  // `byte_budget` 0 disables the cache.
  explicit PdfCache(size_t byte_budget) : budget_(byte_budget) {}

  // The PDF of this report version, or nullptr.
  std::shared_ptr<const std::string> Get(Key key, Version version) RS_EXCLUDES(mu_);

  // Stores the PDF of this report version, replacing any other version of the
  // same report. A PDF larger than the whole budget is not kept.
  void Put(Key key, Version version, std::shared_ptr<const std::string> pdf) RS_EXCLUDES(mu_);

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
    Version version;
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
