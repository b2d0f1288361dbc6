#pragma once

#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "store/store.h"

namespace reportshare::service {

struct NewApiKey {
  std::string key;     // the secret, shown once: "rs_" + 43 Base64url characters (256 bits)
  std::string key_id;  // public id for listing and revoking: "k_" + 10 hex digits
  std::string company_name;
};

// Creates a new API key for `company_name` (creating the company if needed)
// and stores only its SHA-256. kInvalidArgument for an empty or over-long
// name; kInternal if the CSPRNG fails; store errors as they come.
Result<NewApiKey> CreateApiKey(store::Store& store, std::string_view company_name,
                               const Clock& clock);

}  // namespace reportshare::service
