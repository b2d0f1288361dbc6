#include "domain/link_options.h"

#include <boost/json.hpp>
#include <cmath>

#include "core/bytes.h"
#include "domain/text.h"

namespace reportshare::domain {
namespace {

namespace json = boost::json;

// The value of `name` in `body`, or nullptr when absent or null (the default).
const json::value* Field(const json::object& body, std::string_view name) {
  const json::value* v = body.if_contains(name);
  return v && !v->is_null() ? v : nullptr;
}

Result<bool> ParseBool(const json::object& body, std::string_view name, bool fallback) {
  const json::value* v = Field(body, name);
  if (!v) return fallback;
  if (!v->is_bool()) {
    return Status::InvalidArgument(std::string(name) + " must be true or false");
  }
  return v->get_bool();
}

}  // namespace

std::string_view VariantName(Variant variant) {
  return variant == Variant::kAnonymized ? "anonymized" : "full";
}

std::optional<Variant> ParseVariant(std::string_view name) {
  if (name == "full") return Variant::kFull;
  if (name == "anonymized") return Variant::kAnonymized;
  return std::nullopt;
}

Status CheckRecipient(std::string_view recipient, std::string_view field) {
  return CheckPlainText(recipient, field, 1, kMaxRecipientChars);
}

Result<LinkOptions> ParseLinkOptions(const json::object& body) {
  LinkOptions out;
  auto allow = ParseBool(body, "allow_download", true);
  if (!allow) return allow.error();
  out.allow_download = *allow;
  auto watermark = ParseBool(body, "watermark", false);
  if (!watermark) return watermark.error();
  out.watermark = *watermark;

  if (const json::value* v = Field(body, "max_views")) {
    const std::string rule =
        "max_views must be an integer from 1 to " + std::to_string(kMaxViewsLimit);
    // 3.0 is a JSON number with an integer value; 2.5, "3" and true are not.
    int64_t n = 0;
    if (v->is_int64()) {
      n = v->get_int64();
    } else if (v->is_double() && std::floor(v->get_double()) == v->get_double() &&
               std::abs(v->get_double()) <= kMaxViewsLimit + 1.0) {
      n = static_cast<int64_t>(v->get_double());
    } else {
      return Status::InvalidArgument(rule);
    }
    if (n < 1 || n > kMaxViewsLimit) return Status::InvalidArgument(rule);
    out.max_views = static_cast<int32_t>(n);
  }

  if (const json::value* v = Field(body, "recipient")) {
    if (!v->is_string()) {
      return Status::InvalidArgument("recipient must be a string of 1 to " +
                                     std::to_string(kMaxRecipientChars) +
                                     " characters without control characters");
    }
    RS_RETURN_IF_ERROR(CheckRecipient(v->get_string()));
    out.recipient = std::string(v->get_string());
  }

  if (const json::value* v = Field(body, "variant")) {
    std::optional<Variant> variant;
    if (v->is_string()) variant = ParseVariant(v->get_string());
    if (!variant) return Status::InvalidArgument("variant must be \"full\" or \"anonymized\"");
    out.variant = *variant;
  }

  if (const json::value* v = Field(body, "language")) {
    std::optional<Language> language;
    if (v->is_string()) language = ParseLanguageTag(v->get_string());
    if (!language) {
      return Status::InvalidArgument("language must be one of " +
                                     std::string(SupportedLanguageTags()));
    }
    out.language = *language;
  }
  return out;
}

void AppendLinkOptionsJson(const LinkOptions& o, json::object& out) {
  out["recipient"] = o.recipient ? json::value(*o.recipient) : json::value(nullptr);
  out["allow_download"] = o.allow_download;
  out["max_views"] = o.max_views ? json::value(*o.max_views) : json::value(nullptr);
  out["watermark"] = o.watermark;
  out["variant"] = VariantName(o.variant);
  out["language"] = o.language ? json::value(LanguageTag(*o.language)) : json::value(nullptr);
}

std::string Pseudonym(std::span<const uint8_t> key, ReportId report) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ23456789";  // 34
  uint8_t msg[17] = "pseudonym";
  for (int b = 0; b < 8; ++b) {
    msg[9 + b] = static_cast<uint8_t>(static_cast<uint64_t>(report.value) >> (56 - 8 * b));
  }
  auto mac = core::HmacSha256(key, msg);
  std::string out = "Candidate ";
  // Rejection sampling keeps every character uniform: 238 = 7 × 34.
  for (uint8_t byte : mac) {
    if (byte >= 238) continue;
    out += kAlphabet[byte % kAlphabet.size()];
    if (out.size() == 16) return out;
  }
  // 32 bytes all ≥ 238 has probability (18/256)^26: unreachable in practice.
  while (out.size() < 16) out += 'X';
  return out;
}

StoredReport Anonymize(StoredReport stored, std::string pseudonym) {
  Report& r = stored.report;
  r.name = std::move(pseudonym);
  r.email.clear();
  r.candidate_id.reset();
  r.registration_fields.clear();
  return stored;
}

}  // namespace reportshare::domain
