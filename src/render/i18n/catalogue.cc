#include "render/i18n/catalogue.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "render/i18n/embedded.h"

namespace reportshare::render::i18n {
namespace {

constexpr std::array<PluralCategory, 6> kAllCategories = {
    PluralCategory::kZero, PluralCategory::kOne,  PluralCategory::kTwo,
    PluralCategory::kFew,  PluralCategory::kMany, PluralCategory::kOther};

std::optional<PluralCategory> ParseCategory(std::string_view name) {
  for (PluralCategory c : kAllCategories) {
    if (PluralCategoryName(c) == name) return c;
  }
  return std::nullopt;
}

// The operands of CLDR's plural rules, read from the digits shown: i (the
// integer digits), v (how many fraction digits), and whether any fraction
// digit is non-zero.
struct Operands {
  uint64_t i = 0;
  int v = 0;
  bool fraction_nonzero = false;
  bool Is(uint64_t value) const { return !fraction_nonzero && i == value; }  // n = value
};

Operands ReadOperands(std::string_view shown) {
  Operands op;
  size_t k = 0;
  for (; k < shown.size() && shown[k] >= '0' && shown[k] <= '9'; ++k) {
    // Saturates: past ~1.8e19 the rules no longer tell numbers apart anyway.
    if (op.i <= (UINT64_MAX - 9) / 10) op.i = op.i * 10 + static_cast<uint64_t>(shown[k] - '0');
  }
  if (k < shown.size() && shown[k] == '.') {
    for (++k; k < shown.size() && shown[k] >= '0' && shown[k] <= '9'; ++k) {
      ++op.v;
      if (shown[k] != '0') op.fraction_nonzero = true;
    }
  }
  return op;
}

// es, fr, pt: "many" is for whole millions ("1 000 000 de fois").
bool IsWholeMillion(const Operands& op) { return op.v == 0 && op.i != 0 && op.i % 1000000 == 0; }

}  // namespace

std::string_view PluralCategoryName(PluralCategory category) {
  switch (category) {
    case PluralCategory::kZero:
      return "zero";
    case PluralCategory::kOne:
      return "one";
    case PluralCategory::kTwo:
      return "two";
    case PluralCategory::kFew:
      return "few";
    case PluralCategory::kMany:
      return "many";
    case PluralCategory::kOther:
      return "other";
  }
  return "other";
}

std::vector<PluralCategory> PluralCategories(Language language) {
  using enum PluralCategory;
  switch (language) {
    case Language::kEn:
    case Language::kDe:
    case Language::kHi:
      return {kOne, kOther};
    case Language::kEs:
    case Language::kFr:
    case Language::kPt:
      return {kOne, kMany, kOther};
    case Language::kAr:
      return {kZero, kOne, kTwo, kFew, kMany, kOther};
  }
  return {kOther};
}

// CLDR 42 cardinal rules (plurals.xml), for the integers and decimals a
// report shows; the compact-exponent operand e is always 0 here.
PluralCategory PluralCategoryOf(Language language, std::string_view shown) {
  using enum PluralCategory;
  const Operands op = ReadOperands(shown);
  switch (language) {
    case Language::kEn:
    case Language::kDe:
      // one: i = 1 and v = 0
      return op.i == 1 && op.v == 0 ? kOne : kOther;
    case Language::kEs:
      // one: n = 1; many: e = 0 and i != 0 and i % 1000000 = 0 and v = 0
      if (op.Is(1)) return kOne;
      return IsWholeMillion(op) ? kMany : kOther;
    case Language::kFr:
    case Language::kPt:
      // one: i = 0,1 (fr: "0,5 point", "1,5 point"; pt likewise)
      if (op.i == 0 || op.i == 1) return kOne;
      return IsWholeMillion(op) ? kMany : kOther;
    case Language::kHi:
      // one: i = 0 or n = 1
      return op.i == 0 || op.Is(1) ? kOne : kOther;
    case Language::kAr: {
      // zero: n = 0; one: n = 1; two: n = 2; few: n % 100 = 3..10;
      // many: n % 100 = 11..99; other: the rest, every fraction included.
      if (op.fraction_nonzero) return kOther;
      if (op.i == 0) return kZero;
      if (op.i == 1) return kOne;
      if (op.i == 2) return kTwo;
      uint64_t r = op.i % 100;
      if (r >= 3 && r <= 10) return kFew;
      if (r >= 11) return kMany;
      return kOther;
    }
  }
  return kOther;
}

std::vector<std::string> Placeholders(std::string_view message) {
  std::vector<std::string> names;
  for (size_t k = 0; k < message.size(); ++k) {
    if (message[k] != '{') continue;
    size_t end = k + 1;
    while (end < message.size() &&
           ((message[end] >= 'a' && message[end] <= 'z') || message[end] == '_')) {
      ++end;
    }
    if (end > k + 1 && end < message.size() && message[end] == '}') {
      names.emplace_back(message.substr(k + 1, end - k - 1));
      k = end;
    }
  }
  return names;
}

std::string Substitute(std::string_view message, Args args) {
  std::string out;
  out.reserve(message.size() + 32);
  for (size_t k = 0; k < message.size(); ++k) {
    if (message[k] == '{') {
      size_t end = message.find('}', k + 1);
      if (end != std::string_view::npos) {
        std::string_view name = message.substr(k + 1, end - k - 1);
        const std::string_view* value = nullptr;
        for (const auto& [arg, text] : args) {
          if (arg == name) value = &text;
        }
        if (value != nullptr) {
          out.append(*value);
          k = end;
          continue;
        }
      }
    }
    out.push_back(message[k]);
  }
  return out;
}

Result<Catalogue> Catalogue::Parse(Language language, std::string_view json) {
  std::string where = "catalogue " + std::string(domain::LanguageTag(language)) + ": ";
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(json, ec);
  if (ec) return Status::InvalidArgument(where + "not valid JSON (" + ec.message() + ")");
  if (!doc.is_object()) return Status::InvalidArgument(where + "not a JSON object");
  const std::vector<PluralCategory> wanted = PluralCategories(language);
  Catalogue catalogue(language);
  for (const auto& [key, value] : doc.as_object()) {
    std::string name(key);
    Message message;
    if (value.is_string()) {
      message.text = std::string(value.as_string());
    } else if (value.is_object()) {
      for (const auto& [form, text] : value.as_object()) {
        std::optional<PluralCategory> category = ParseCategory(form);
        if (!category) {
          return Status::InvalidArgument(where + name + ": \"" + std::string(form) +
                                         "\" is not a plural category");
        }
        if (!text.is_string()) {
          return Status::InvalidArgument(where + name + "." + std::string(form) + ": not a string");
        }
        message.forms[*category] = std::string(text.as_string());
      }
      for (PluralCategory c : wanted) {
        if (!message.forms.contains(c)) {
          return Status::InvalidArgument(where + name + ": lacks the plural form \"" +
                                         std::string(PluralCategoryName(c)) + "\"");
        }
      }
      if (message.forms.size() != wanted.size()) {
        return Status::InvalidArgument(where + name +
                                       ": has a plural form the language does not use");
      }
    } else {
      return Status::InvalidArgument(where + name + ": neither a string nor plural forms");
    }
    catalogue.messages_.emplace(std::move(name), std::move(message));
  }
  return catalogue;
}

const Message* Catalogue::Find(std::string_view key) const {
  auto it = messages_.find(key);
  if (it != messages_.end()) return &it->second;
  if (language_ == Language::kEn) return nullptr;
  return CatalogueOf(Language::kEn).Find(key);
}

std::string Catalogue::Format(std::string_view key, Args args) const {
  const Message* m = Find(key);
  if (m == nullptr) return std::string(key);
  return Substitute(m->plural() ? m->forms.at(PluralCategory::kOther) : m->text, args);
}

std::string Catalogue::FormatPlural(std::string_view key, std::string_view shown, Args args) const {
  const Message* m = Find(key);
  if (m == nullptr) return std::string(key);
  if (!m->plural()) return Substitute(m->text, args);
  // A fallback from en may lack this language's category: use "other".
  auto form = m->forms.find(PluralCategoryOf(language_, shown));
  if (form == m->forms.end()) form = m->forms.find(PluralCategory::kOther);
  return Substitute(form->second, args);
}

std::string_view EmbeddedCatalogueJson(Language language) {
  const std::string name = std::string(domain::LanguageTag(language)) + ".json";
  for (const core::EmbeddedFile& file : internal::EmbeddedCatalogues()) {
    if (file.name == name) return file.bytes;
  }
  return {};
}

const Catalogue& CatalogueOf(Language language) {
  // Parsed once (a few hundred microseconds for all seven), then read-only.
  static const std::vector<Catalogue> catalogues = [] {
    std::vector<Catalogue> all;
    for (Language l : domain::kLanguages) {
      Result<Catalogue> c = Catalogue::Parse(l, EmbeddedCatalogueJson(l));
      if (!c) {
        std::fprintf(stderr, "reportshare: broken build: %s\n", c.error().message().c_str());
        std::abort();
      }
      all.push_back(std::move(*c));
    }
    return all;
  }();
  for (const Catalogue& c : catalogues) {
    if (c.language() == language) return c;
  }
  return catalogues.front();
}

}  // namespace reportshare::render::i18n
