#pragma once

// The bodies of the share endpoints (SPEC §2.1, §5, §6): a single share or
// download's optional object, its expiration_hours and link options, and a
// bulk share or download's report ids. Pure parsing (no Beast type, no I/O),
// used by api.cc and by the fuzz target fuzz/share_body.cc.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "domain/ids.h"
#include "domain/link_options.h"

namespace reportshare::http {

// The range of a report id, for messages.
inline constexpr std::string_view kIdRange = "1 to 9223372036854775807";

// The optional JSON object body of share/download. nullopt for an empty body;
// kInvalidArgument for one that is not a JSON object.
Result<std::optional<boost::json::object>> ParseOptionalObject(std::string_view body);

struct Lifetime {
  std::chrono::microseconds duration;
  boost::json::value echo;  // expiration_hours as the response states it
};

// expiration_hours of `body`: absent or null → the default (1 h, echoed as 1);
// else a finite number of hours from kMinLinkLifetime to kMaxLinkLifetime.
Result<Lifetime> ParseExpirationHours(const std::optional<boost::json::object>& body);

// The link options of a share body (SPEC §5); the defaults without a body.
Result<LinkOptions> ParseOptions(const std::optional<boost::json::object>& body);

// The body of a bulk share or download (SPEC §6): the report ids, 1 to
// kMaxBulkReports, each like a path id and none twice, and expiration_hours
// and the link options as for one report.
struct BulkRequest {
  std::vector<ReportId> ids;
  Lifetime lifetime;
  LinkOptions options;
};

Result<BulkRequest> ParseBulkBody(std::string_view body);

}  // namespace reportshare::http
