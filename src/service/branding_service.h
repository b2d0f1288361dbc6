#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>

#include "core/clock.h"
#include "core/mutex.h"
#include "core/status.h"
#include "domain/branding.h"
#include "store/store.h"

namespace reportshare::service {

// The brandings documents were lately drawn with, by company, so a render or
// a share reads a company's branding (its logo up to 256 KiB) from the store
// only when its version changed. The version comes from the store with the
// report (StoredReport / ReportHead::branding_version), so every node sees a
// change on its next request. Thread-safe.
class BrandingCache {
 public:
  explicit BrandingCache(store::Store& store) : store_(store) {}

  // The company's branding at `version` or newer; nullptr for version 0 (the
  // default look: no store access).
  Result<std::shared_ptr<const Branding>> Get(CompanyId company, int64_t version) RS_EXCLUDES(mu_);

 private:
  static constexpr size_t kMaxCompanies = 4096;  // then it starts afresh

  store::Store& store_;
  core::Mutex mu_;
  std::unordered_map<int64_t, std::shared_ptr<const Branding>> by_company_ RS_GUARDED_BY(mu_);
};

// The branding use cases of SPEC §8: read and change a company's branding.
// Thread-safe; holds no mutable state.
class BrandingService {
 public:
  BrandingService(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  Result<Branding> Get(const store::Principal& who) const;

  // Applies a parsed PUT body (domain::ParseBrandingBody): a new logo is
  // decoded in full first (render/image/png.h), so only a PNG that decodes
  // and is at most domain::kMaxLogoPixels a side is stored (kInvalidArgument
  // naming logo_png otherwise). Returns the branding in force.
  Result<Branding> Update(const store::Principal& who, const domain::BrandingBody& body) const;

 private:
  store::Store& store_;
  const Clock& clock_;
};

}  // namespace reportshare::service
