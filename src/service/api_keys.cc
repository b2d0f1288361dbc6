#include "service/api_keys.h"

#include "core/bytes.h"

namespace reportshare::service {

Result<NewApiKey> CreateApiKey(store::Store& store, std::string_view company_name,
                               const Clock& clock) {
  if (company_name.empty() || company_name.size() > 200) {
    return Status::InvalidArgument("company name must be 1 to 200 bytes");
  }
  uint8_t secret[32];
  uint8_t id[5];
  if (!core::RandomBytes(secret) || !core::RandomBytes(id)) {
    return Status::Internal("random generator failed");
  }
  NewApiKey out{"rs_" + core::Base64UrlEncode(secret), "k_" + core::HexEncode(id),
                std::string(company_name)};
  auto company = store.EnsureCompany(company_name);
  if (!company) return company.error();
  RS_RETURN_IF_ERROR(store.InsertApiKey(*company, out.key_id, core::Sha256(out.key), clock.Now()));
  return out;
}

}  // namespace reportshare::service
