#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/json/fwd.hpp>

#include "core/status.h"
#include "domain/language.h"
#include "domain/report.h"

namespace reportshare::domain {

// What a report is shown as through a link (SPEC §5).
enum class Variant : uint8_t { kFull, kAnonymized };

std::string_view VariantName(Variant variant);  // "full", "anonymized"
std::optional<Variant> ParseVariant(std::string_view name);

// The options of one link (SPEC §5), fixed when it is minted and stored with
// it; never in its token. A LinkOptions value is always valid: it is only
// made by ParseLinkOptions, read back from the store, or defaulted.
struct LinkOptions {
  bool allow_download = true;
  std::optional<int32_t> max_views;      // 1 … kMaxViewsLimit; nullopt: unlimited
  std::optional<std::string> recipient;  // 1 … kMaxRecipientChars characters
  bool watermark = false;
  Variant variant = Variant::kFull;
  std::optional<Language> language;  // nullopt: by the viewer's browser

  bool operator==(const LinkOptions&) const = default;
};

inline constexpr int32_t kMaxViewsLimit = 1000;
inline constexpr size_t kMaxRecipientChars = 200;

// The link options of a share body (the object beside expiration_hours): each
// field optional, `null` meaning its default, unknown fields ignored. On a
// wrong type or value, kInvalidArgument naming the field and what it takes,
// e.g. "max_views must be an integer from 1 to 1000".
Result<LinkOptions> ParseLinkOptions(const boost::json::object& body);

// OK if `recipient` is 1 … kMaxRecipientChars characters (code points) with
// no control character (C0, DEL, C1), line or paragraph separator, or bidi
// embedding, override or isolate control (which would let it reorder the
// watermark around it), in valid UTF-8 (a parsed JSON string always is; a
// percent-decoded query value need not be); kInvalidArgument naming `field`
// otherwise.
Status CheckRecipient(std::string_view recipient, std::string_view field = "recipient");

// The options as the links list shows them (SPEC §5): recipient,
// allow_download, max_views, watermark, variant, language (nulls included).
void AppendLinkOptionsJson(const LinkOptions& options, boost::json::object& out);

// The name an anonymized report shows for its candidate: "Candidate " and six
// characters from A-Z2-9, from HMAC-SHA256 under `key` (a company's
// pseudonym key) of the report id. Stable for one key and report; reveals
// nothing of the candidate without the key.
std::string Pseudonym(std::span<const uint8_t> key, ReportId report);

// `stored` with the candidate's identity removed (SPEC §5 "anonymized"): the
// name replaced by `pseudonym`; email, candidate id and registration fields
// gone. Everything that shows a report (views, PDF metadata, outline, JSON)
// is built from this, so nothing identifying can leak through any of them.
StoredReport Anonymize(StoredReport stored, std::string pseudonym);

}  // namespace reportshare::domain

namespace reportshare {
using domain::LinkOptions;
using domain::Variant;
}  // namespace reportshare
