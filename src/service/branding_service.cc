#include "service/branding_service.h"

#include "core/bytes.h"
#include "render/image/png.h"

namespace reportshare::service {

Result<std::shared_ptr<const Branding>> BrandingCache::Get(CompanyId company, int64_t version) {
  if (version == 0) return std::shared_ptr<const Branding>();
  {
    core::MutexLock lock(mu_);
    auto it = by_company_.find(company.value);
    if (it != by_company_.end() && it->second->version >= version) return it->second;
  }
  auto fresh = store_.GetBranding(company);
  if (!fresh) return fresh.error();
  auto branding = std::make_shared<const Branding>(std::move(*fresh));
  core::MutexLock lock(mu_);
  auto& slot = by_company_[company.value];
  if (!slot || slot->version < branding->version) {
    if (by_company_.size() > kMaxCompanies) {
      by_company_.clear();
      by_company_[company.value] = branding;
    } else {
      slot = branding;
    }
  }
  return branding;
}

Result<Branding> BrandingService::Get(const store::Principal& who) const {
  return store_.GetBranding(who.company_id);
}

Result<Branding> BrandingService::Update(const store::Principal& who,
                                         const domain::BrandingBody& body) const {
  domain::BrandingChange change = body.change;
  if (body.logo_png) {
    if (const auto& png = *body.logo_png) {
      auto decoded = render::DecodePng(*png, domain::kMaxLogoPixels);
      if (!decoded) return decoded.error();
      change.logo = std::optional<domain::Logo>(
          domain::Logo{*png, core::HexEncode(core::Sha256(*png)), decoded->width, decoded->height});
    } else {
      change.logo = std::optional<domain::Logo>();
    }
  }
  return store_.UpdateBranding(who.company_id, change, clock_.Now());
}

}  // namespace reportshare::service
