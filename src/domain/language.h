#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace reportshare::domain {

// The languages a report is shown in (SPEC §5). Candidate data is never
// translated; these are the labels, dates and numbers around it.
enum class Language : uint8_t { kEn, kEs, kFr, kDe, kPt, kHi, kAr };

inline constexpr std::array<Language, 7> kLanguages = {Language::kEn, Language::kEs, Language::kFr,
                                                       Language::kDe, Language::kPt, Language::kHi,
                                                       Language::kAr};

// "en", "es", … (lowercase, as SPEC §5 and <html lang> write them).
std::string_view LanguageTag(Language language);

// The language of a tag exactly as SPEC §5 lists it, case-insensitively
// ("AR" is "ar"); nullopt for anything else ("es-MX", "zh", "").
std::optional<Language> ParseLanguageTag(std::string_view tag);

// "en, es, fr, de, pt, hi, ar": for error messages.
std::string_view SupportedLanguageTags();

// True for a language written right to left (ar).
bool IsRightToLeft(Language language);

}  // namespace reportshare::domain

namespace reportshare {
using domain::Language;
}  // namespace reportshare
