#include "http/query.h"

#include <gtest/gtest.h>

namespace reportshare::http {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

TEST(ParseQueryTest, DecodesInOrder) {
  auto p = ParseQuery("recipient=hm%40acme.example&state=live", {"recipient", "state"});
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(*p, (Params{{"recipient", "hm@acme.example"}, {"state", "live"}}));
  EXPECT_EQ(*ParseQuery("recipient=Hiring+panel%2B1", {"recipient"}),
            (Params{{"recipient", "Hiring panel+1"}}));
  EXPECT_EQ(*ParseQuery("recipient=%E0%A4%A8", {"recipient"}), (Params{{"recipient", "न"}}));
  EXPECT_TRUE(ParseQuery("", {"a"})->empty());
}

TEST(ParseQueryTest, RefusesUnknownRepeatedAndMalformed) {
  auto unknown = ParseQuery("format=pdf&x=1", {"format", "lang"});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), Code::kInvalidArgument);
  EXPECT_NE(unknown.error().message().find("format, lang"), std::string::npos);
  auto twice = ParseQuery("lang=de&lang=fr", {"lang"});
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message().find("twice"), std::string::npos);
  EXPECT_FALSE(ParseQuery("lang=%zz", {"lang"}));
  EXPECT_FALSE(ParseQuery("a", {"lang"}));
}

TEST(NegotiateLanguageTest, FollowsRfc9110) {
  EXPECT_EQ(NegotiateLanguage(""), std::nullopt);
  EXPECT_EQ(NegotiateLanguage("de"), Language::kDe);
  EXPECT_EQ(NegotiateLanguage("es-MX,es;q=0.9,en;q=0.8"), Language::kEs);
  EXPECT_EQ(NegotiateLanguage("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5"), Language::kFr);
  EXPECT_EQ(NegotiateLanguage("zh-CN,zh;q=0.9,pt-BR;q=0.8"), Language::kPt);
  EXPECT_EQ(NegotiateLanguage("en;q=0.2, ar;q=0.9"), Language::kAr);
  EXPECT_EQ(NegotiateLanguage("HI"), Language::kHi);
  // Ties go to the earlier range.
  EXPECT_EQ(NegotiateLanguage("de;q=0.5, fr;q=0.5"), Language::kDe);
  // Nothing supported, or refused.
  EXPECT_EQ(NegotiateLanguage("zh, ja;q=0.8"), std::nullopt);
  EXPECT_EQ(NegotiateLanguage("de;q=0"), std::nullopt);
  // "*" stands for every language not named: en first among equals, but
  // never one refused with q=0.
  EXPECT_EQ(NegotiateLanguage("*"), Language::kEn);
  EXPECT_EQ(NegotiateLanguage("en;q=0, *;q=0.1"), Language::kEs);
  EXPECT_EQ(NegotiateLanguage("zh, *;q=0.1, fr;q=0.3"), Language::kFr);
  // Malformed elements are skipped.
  EXPECT_EQ(NegotiateLanguage("de;q=2, fr;q=abc, 123, ;, pt;q=0.4"), Language::kPt);
  EXPECT_EQ(NegotiateLanguage("es;q=1.000"), Language::kEs);
  EXPECT_EQ(NegotiateLanguage(",,, , de ,"), Language::kDe);
}

}  // namespace
}  // namespace reportshare::http
