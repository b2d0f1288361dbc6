#pragma once

#include <optional>
#include <string>

#include "core/clock.h"
#include "domain/ids.h"
#include "domain/link_options.h"

namespace reportshare::domain {

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
  LinkOptions options;     // SPEC §5, fixed at minting
  int64_t views_used = 0;  // views taken against options.max_views (Store::ClaimView)
  // The public base URL the link was minted on (SPEC §8 public_url, else
  // the server's --public-url); nullopt for links minted before it was kept.
  std::optional<std::string> base_url;

  // True once a link with a view limit has had all its views.
  bool views_exhausted() const { return options.max_views && views_used >= *options.max_views; }
};

// Why a validly signed link was refused (SPEC §7 "link.denied").
enum class DenyReason : uint8_t { kExpired, kRevoked, kViewLimit, kDownloadDisabled };

// What the webhook event of a link open says (SPEC §7): "link.denied" when
// `denied` is set, else "link.viewed" (for an open that counts as a view).
// Filled from the link's row by the service, written with the open.
struct OpenEvent {
  CompanyId company;
  ReportId report;
  int64_t assessment_id = 0;
  std::optional<std::string> recipient;
  std::string format;  // "html", "pdf" or "json"
  std::optional<DenyReason> denied;
  // Set when company, report and recipient are not filled in: the store reads
  // them from the link's row when it writes the open (an expired link is
  // refused before any database work).
  bool from_link_row = false;
};

// One opening of a link, as the audit keeps it. Holds no full IP address
// and no raw user agent: see service/client_info.h for why.
struct LinkOpen {
  LinkId link_id;
  Instant at;
  int status = 0;        // HTTP status served
  std::string client;    // user-agent family: "Chrome", "curl", "Outlook link scanner", …
  std::string network;   // the client's IPv4 /24 or IPv6 /48, e.g. "203.0.113.0/24"
  bool counted = false;  // counts as a view: a GET by a person, not HEAD or a scanner
  // The event this open causes, if any: written in the same transaction.
  std::optional<OpenEvent> event = std::nullopt;
};

}  // namespace reportshare::domain

// The vocabulary every layer speaks, by its plain name.
namespace reportshare {
using domain::LinkOpen;
using domain::LinkRecord;
}  // namespace reportshare
