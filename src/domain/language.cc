#include "domain/language.h"

namespace reportshare::domain {

std::string_view LanguageTag(Language language) {
  switch (language) {
    case Language::kEn:
      return "en";
    case Language::kEs:
      return "es";
    case Language::kFr:
      return "fr";
    case Language::kDe:
      return "de";
    case Language::kPt:
      return "pt";
    case Language::kHi:
      return "hi";
    case Language::kAr:
      return "ar";
  }
  return "en";
}

std::optional<Language> ParseLanguageTag(std::string_view tag) {
  if (tag.size() != 2) return std::nullopt;
  char lower[2];
  for (size_t i = 0; i < 2; ++i) {
    char c = tag[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    lower[i] = c;
  }
  std::string_view wanted(lower, 2);
  for (Language l : kLanguages) {
    if (LanguageTag(l) == wanted) return l;
  }
  return std::nullopt;
}

std::string_view SupportedLanguageTags() { return "en, es, fr, de, pt, hi, ar"; }

bool IsRightToLeft(Language language) { return language == Language::kAr; }

}  // namespace reportshare::domain
