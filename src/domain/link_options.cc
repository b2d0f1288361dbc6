#include "domain/link_options.h"

#include <boost/json.hpp>
#include <cmath>

#include "core/bytes.h"

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

constexpr char32_t kInvalid = 0xffffffff;

// Decodes one UTF-8 code point at `i` and advances `i`; kInvalid for a
// malformed sequence (a stray continuation byte, a cut sequence, an overlong
// form, a surrogate, beyond U+10FFFF), as RFC 3629 defines UTF-8.
char32_t NextCodePoint(std::string_view s, size_t& i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i++);
  if (c < 0x80) return c;
  int extra = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 0;
  if (extra == 0 || i + extra > s.size()) return kInvalid;
  char32_t cp = c & (0x3f >> extra);
  for (int k = 0; k < extra; ++k) {
    unsigned char next = byte(i++);
    if ((next & 0xc0) != 0x80) return kInvalid;
    cp = (cp << 6) | (next & 0x3f);
  }
  static constexpr char32_t kSmallest[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kSmallest[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return kInvalid;
  return cp;
}

bool IsForbiddenInRecipient(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
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
  const std::string rule = std::string(field) + " must be a string of 1 to " +
                           std::to_string(kMaxRecipientChars) +
                           " characters without control characters";
  size_t chars = 0;
  for (size_t i = 0; i < recipient.size();) {
    char32_t cp = NextCodePoint(recipient, i);
    if (cp == kInvalid) return Status::InvalidArgument(rule + "; it is not valid UTF-8");
    if (IsForbiddenInRecipient(cp)) {
      return Status::InvalidArgument(rule + "; it holds a control character");
    }
    ++chars;
  }
  if (chars == 0 || chars > kMaxRecipientChars) {
    return Status::InvalidArgument(rule + "; it has " + std::to_string(chars));
  }
  return Status::Ok();
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
