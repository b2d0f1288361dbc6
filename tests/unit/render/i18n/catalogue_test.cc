#include "render/i18n/catalogue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace reportshare::render::i18n {
namespace {

std::multiset<std::string> PlaceholderSet(std::string_view message) {
  std::vector<std::string> names = Placeholders(message);
  return {names.begin(), names.end()};
}

TEST(CatalogueTest, EveryEmbeddedCatalogueParses) {
  for (Language l : domain::kLanguages) {
    std::string_view json = EmbeddedCatalogueJson(l);
    ASSERT_FALSE(json.empty()) << domain::LanguageTag(l);
    Result<Catalogue> c = Catalogue::Parse(l, json);
    ASSERT_TRUE(c.has_value()) << c.error().message();
    EXPECT_EQ(c->messages().size(), CatalogueOf(l).messages().size());
    EXPECT_EQ(CatalogueOf(l).language(), l);
  }
}

// A translator's catalogue has exactly en's keys, each with the same
// placeholders; a plural message stays plural, with the language's own
// categories, and each form uses no placeholder en's message lacks (a form
// may leave the number out: Arabic writes "مرتين", "twice"). Its "other"
// form has all of them.
TEST(CatalogueTest, EveryCatalogueHasTheKeysAndPlaceholdersOfEnglish) {
  const Catalogue& en = CatalogueOf(Language::kEn);
  ASSERT_GT(en.messages().size(), 40u);
  for (Language l : domain::kLanguages) {
    const Catalogue& c = CatalogueOf(l);
    std::string tag(domain::LanguageTag(l));
    for (const auto& [key, message] : en.messages()) {
      auto it = c.messages().find(key);
      ASSERT_NE(it, c.messages().end()) << tag << " lacks " << key;
      const Message& m = it->second;
      std::multiset<std::string> want = PlaceholderSet(
          message.plural() ? message.forms.at(PluralCategory::kOther) : message.text);
      EXPECT_EQ(m.plural(), message.plural()) << tag << " " << key;
      if (!m.plural()) {
        EXPECT_EQ(PlaceholderSet(m.text), want) << tag << " " << key << ": " << m.text;
        EXPECT_FALSE(m.text.empty()) << tag << " " << key;
        continue;
      }
      std::vector<PluralCategory> forms;
      for (const auto& [category, text] : m.forms) {
        forms.push_back(category);
        for (const std::string& name : Placeholders(text)) {
          EXPECT_TRUE(want.contains(name)) << tag << " " << key << ": {" << name << "}";
        }
      }
      EXPECT_EQ(forms, PluralCategories(l)) << tag << " " << key;
      EXPECT_EQ(PlaceholderSet(m.forms.at(PluralCategory::kOther)), want) << tag << " " << key;
    }
    for (const auto& [key, message] : c.messages()) {
      EXPECT_TRUE(en.messages().contains(key)) << tag << " has " << key << ", which en lacks";
    }
  }
}

TEST(CatalogueTest, NativeNames) {
  const char* names[] = {"English",   "Español", "Français", "Deutsch",
                         "Português", "हिन्दी",   "العربية"};
  for (size_t k = 0; k < domain::kLanguages.size(); ++k) {
    EXPECT_EQ(CatalogueOf(domain::kLanguages[k]).Format("language.native_name"), names[k]);
  }
}

TEST(CatalogueTest, FormatSubstitutesInOnePass) {
  const Catalogue& en = CatalogueOf(Language::kEn);
  EXPECT_EQ(en.Format("score.cut_off", {{"percent", "60%"}}), "Cut-off: 60%");
  // An argument's own braces are data, not placeholders.
  EXPECT_EQ(en.Format("report.title", {{"name", "{name} {percent}"}}),
            "Assessment report — {name} {percent}");
  EXPECT_EQ(en.Format("score.cut_off"), "Cut-off: {percent}");
  EXPECT_EQ(en.Format("no.such.key"), "no.such.key");
  EXPECT_EQ(Substitute("{a}{b}{a} {c", {{"a", "1"}, {"b", "2"}}), "121 {c");
  EXPECT_EQ(Placeholders("{count} of {pages} {Not} {} {x"),
            (std::vector<std::string>{"count", "pages"}));
}

TEST(CatalogueTest, ParseRejectsMalformedCatalogues) {
  EXPECT_FALSE(Catalogue::Parse(Language::kEn, "[1]").has_value());
  EXPECT_FALSE(Catalogue::Parse(Language::kEn, "{\"a\": 1}").has_value());
  EXPECT_FALSE(Catalogue::Parse(Language::kEn, "{\"a\": ").has_value());
  // en needs "one" and "other", nothing else.
  EXPECT_FALSE(Catalogue::Parse(Language::kEn, R"({"a": {"other": "x"}})").has_value());
  EXPECT_FALSE(Catalogue::Parse(Language::kEn, R"({"a": {"one": "x", "few": "y", "other": "z"}})")
                   .has_value());
  EXPECT_FALSE(Catalogue::Parse(Language::kEn, R"({"a": {"one": "x", "other": 2}})").has_value());
  EXPECT_TRUE(Catalogue::Parse(Language::kEn, R"({"a": {"one": "x", "other": "y"}})").has_value());
  Result<Catalogue> bad = Catalogue::Parse(Language::kAr, R"({"k": {"one": "x", "other": "y"}})");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("k: lacks the plural form \"zero\""), std::string::npos)
      << bad.error().message();
}

TEST(PluralTest, CldrCategories) {
  using enum PluralCategory;
  EXPECT_EQ(PluralCategoryOf(Language::kEn, "1"), kOne);
  EXPECT_EQ(PluralCategoryOf(Language::kEn, "0"), kOther);
  EXPECT_EQ(PluralCategoryOf(Language::kEn, "1.5"), kOther);
  EXPECT_EQ(PluralCategoryOf(Language::kEn, "2"), kOther);
  EXPECT_EQ(PluralCategoryOf(Language::kDe, "1"), kOne);
  EXPECT_EQ(PluralCategoryOf(Language::kFr, "0"), kOne);
  EXPECT_EQ(PluralCategoryOf(Language::kFr, "1.5"), kOne);
  EXPECT_EQ(PluralCategoryOf(Language::kFr, "2"), kOther);
  EXPECT_EQ(PluralCategoryOf(Language::kFr, "1000000"), kMany);
  EXPECT_EQ(PluralCategoryOf(Language::kEs, "1"), kOne);
  EXPECT_EQ(PluralCategoryOf(Language::kEs, "0"), kOther);
  EXPECT_EQ(PluralCategoryOf(Language::kEs, "1.5"), kOther);
  EXPECT_EQ(PluralCategoryOf(Language::kEs, "2000000"), kMany);
  EXPECT_EQ(PluralCategoryOf(Language::kPt, "0"), kOne);
  EXPECT_EQ(PluralCategoryOf(Language::kPt, "2"), kOther);
  EXPECT_EQ(PluralCategoryOf(Language::kHi, "0"), kOne);
  EXPECT_EQ(PluralCategoryOf(Language::kHi, "0.5"), kOne);
  EXPECT_EQ(PluralCategoryOf(Language::kHi, "1"), kOne);
  EXPECT_EQ(PluralCategoryOf(Language::kHi, "1.5"), kOther);
  EXPECT_EQ(PluralCategoryOf(Language::kAr, "0"), kZero);
  EXPECT_EQ(PluralCategoryOf(Language::kAr, "1"), kOne);
  EXPECT_EQ(PluralCategoryOf(Language::kAr, "2"), kTwo);
  EXPECT_EQ(PluralCategoryOf(Language::kAr, "3"), kFew);
  EXPECT_EQ(PluralCategoryOf(Language::kAr, "10"), kFew);
  EXPECT_EQ(PluralCategoryOf(Language::kAr, "103"), kFew);
  EXPECT_EQ(PluralCategoryOf(Language::kAr, "11"), kMany);
  EXPECT_EQ(PluralCategoryOf(Language::kAr, "99"), kMany);
  EXPECT_EQ(PluralCategoryOf(Language::kAr, "100"), kOther);
  EXPECT_EQ(PluralCategoryOf(Language::kAr, "102"), kOther);
  EXPECT_EQ(PluralCategoryOf(Language::kAr, "2.5"), kOther);
  for (Language l : domain::kLanguages) {
    EXPECT_EQ(PluralCategories(l).back(), kOther);
    for (const char* n : {"0", "1", "2", "3", "11", "100", "0.5", "12.5", "1000000"}) {
      std::vector<PluralCategory> all = PluralCategories(l);
      EXPECT_NE(std::find(all.begin(), all.end(), PluralCategoryOf(l, n)), all.end()) << n;
    }
  }
}

TEST(CatalogueTest, PluralFormsChosenByCount) {
  const Catalogue& en = CatalogueOf(Language::kEn);
  EXPECT_EQ(en.FormatPlural("score.margin", "1", {{"points", "+1"}}), "Margin: +1 point");
  EXPECT_EQ(en.FormatPlural("score.margin", "1.5", {{"points", "+1.5"}}), "Margin: +1.5 points");
  const Catalogue& ar = CatalogueOf(Language::kAr);
  EXPECT_EQ(ar.FormatPlural("proctoring.switched", "2", {{"count", "٢"}}),
            "غادر المرشح علامة تبويب الاختبار مرتين أثناء التقييم.");
  EXPECT_EQ(ar.FormatPlural("proctoring.switched", "5", {{"count", "٥"}}),
            "غادر المرشح علامة تبويب الاختبار ٥ مرات أثناء التقييم.");
}

}  // namespace
}  // namespace reportshare::render::i18n
