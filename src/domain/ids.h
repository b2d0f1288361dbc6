#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace reportshare::domain {

// Strong id types: a ReportId cannot be passed where a CompanyId is wanted.
struct ReportId {
  int64_t value = 0;
  auto operator<=>(const ReportId&) const = default;
};

struct CompanyId {
  int64_t value = 0;
  auto operator<=>(const CompanyId&) const = default;
};

// Id of one signing key in the key ring; carried in every token.
struct SigningKeyId {
  uint32_t value = 0;
  auto operator<=>(const SigningKeyId&) const = default;
};

// A link's random 128-bit id. Shown to API clients as 22 Base64url characters.
struct LinkId {
  static constexpr size_t kSize = 16;
  std::array<uint8_t, kSize> bytes{};
  auto operator<=>(const LinkId&) const = default;

  std::string ToString() const;
  // Parses the 22-character form; nullopt for anything else.
  static std::optional<LinkId> Parse(std::string_view text);
};

// Parses a decimal report id as SPEC §2.1 allows it in a path: 1 … 2^63−1,
// ASCII digits only, no sign, no leading zero. nullopt otherwise.
std::optional<ReportId> ParseReportId(std::string_view text);

}  // namespace reportshare::domain

// The vocabulary every layer speaks, by its plain name.
namespace reportshare {
using domain::CompanyId;
using domain::LinkId;
using domain::ReportId;
using domain::SigningKeyId;
}  // namespace reportshare
