#include "core/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace reportshare::core {
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";

TEST(Utf8Test, NextCodePointDecodesEachLength) {
  const std::string s = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";  // a é € 😀
  size_t i = 0;
  EXPECT_EQ(NextCodePoint(s, i), U'a');
  EXPECT_EQ(NextCodePoint(s, i), U'\u00e9');
  EXPECT_EQ(NextCodePoint(s, i), U'\u20ac');
  EXPECT_EQ(NextCodePoint(s, i), U'\U0001F600');
  EXPECT_EQ(i, s.size());
}

TEST(Utf8Test, NextCodePointRefusesMalformedSequences) {
  for (const std::string bad : {"\x80", "\xC3", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80",
                                "\xF4\x90\x80\x80", "\xF8\x88\x80\x80\x80", "\xC3("}) {
    size_t i = 0;
    EXPECT_EQ(NextCodePoint(bad, i), kInvalidCodePoint) << testing::PrintToString(bad);
  }
}

TEST(Utf8Test, ValidUtf8KeepsGoodTextAndReplacesEachBadByte) {
  EXPECT_EQ(ValidUtf8("plain \xE2\x82\xAC text"), "plain \xE2\x82\xAC text");
  EXPECT_EQ(ValidUtf8("?\xA4=1"), "?" + kReplacement + "=1");
  // A character cut at its end (a field name cut to 64 bytes).
  EXPECT_EQ(ValidUtf8("ab\xE2\x82"), "ab" + kReplacement + kReplacement);
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80x"), kReplacement + kReplacement + kReplacement + "x");
  EXPECT_EQ(ValidUtf8(""), "");
}

}  // namespace
}  // namespace reportshare::core
