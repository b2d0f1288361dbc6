#pragma once

#include <optional>

#include "core/clock.h"
#include "domain/ids.h"

namespace reportshare {

// One minted link as the store keeps it (SPEC §2.4).
struct LinkRecord {
  LinkId link_id;
  ReportId report_id;
  CompanyId company_id;
  SigningKeyId signing_key_id;
  Instant created_at;
  Instant expires_at;
  std::optional<Instant> revoked_at;
  int64_t views = 0;
  std::optional<Instant> last_viewed_at;
};

}  // namespace reportshare
