#include "domain/ids.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace reportshare::domain {
namespace {

TEST(ParseReportIdTest, AcceptsTheFullRange) {
  EXPECT_EQ(ParseReportId("1"), ReportId{1});
  EXPECT_EQ(ParseReportId("318"), ReportId{318});
  EXPECT_EQ(ParseReportId("10"), ReportId{10});
  EXPECT_EQ(ParseReportId("9223372036854775807"), ReportId{std::numeric_limits<int64_t>::max()});
  EXPECT_EQ(ParseReportId("1000000000000000000"), ReportId{1000000000000000000});
}

TEST(ParseReportIdTest, RejectsEverythingElse) {
  for (std::string_view s : {
           "0",
           "00",
           "9223372036854775808",
           "9999999999999999999",
           "18446744073709551616",
           "99999999999999999999",
           "",
           "-1",
           "+1",
           "-0",
           "01",
           "007",
           "1e3",
           " 1",
           "1 ",
           "%31",
           "1.0",
           "1.",
           "0x1",
           "one",
           "1a",
           "a1",
           "１",
           "1/",
           "\t1",
           "3 18",
       }) {
    EXPECT_EQ(ParseReportId(s), std::nullopt) << s;
  }
  EXPECT_EQ(ParseReportId(std::string_view("1\0", 2)), std::nullopt);
}

TEST(LinkIdTest, ToStringIs22Base64UrlCharacters) {
  LinkId zero;
  EXPECT_EQ(zero.ToString(), "AAAAAAAAAAAAAAAAAAAAAA");
  LinkId id;
  for (size_t i = 0; i < LinkId::kSize; ++i) id.bytes[i] = static_cast<uint8_t>(0xf0 + i);
  std::string text = id.ToString();
  EXPECT_EQ(text.size(), 22u);
  EXPECT_EQ(
      text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
}

TEST(LinkIdTest, RoundTrip) {
  for (uint8_t seed : {uint8_t{0}, uint8_t{0x5a}, uint8_t{0xff}}) {
    LinkId id;
    for (size_t i = 0; i < LinkId::kSize; ++i) id.bytes[i] = static_cast<uint8_t>(seed + i * 17);
    auto parsed = LinkId::Parse(id.ToString());
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, id);
  }
}

TEST(LinkIdTest, ParseRejections) {
  const std::string good = "AAAAAAAAAAAAAAAAAAAAAQ";  // last byte 0x01
  auto parsed = LinkId::Parse(good);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->bytes[15], 1);
  for (std::string_view s : {
           "",
           "AAAAAAAAAAAAAAAAAAAAA",     // 21
           "AAAAAAAAAAAAAAAAAAAAAAA",   // 23
           "AAAAAAAAAAAAAAAAAAAAAAAA",  // 24: 18 bytes
           "AAAAAAAAAAAAAAAAAAAAAB",    // non-zero trailing bits
           "AAAAAAAAAAAAAAAAAAAAAA==",  // padded
           "AAAAAAAAAAAAAAAAAAAAA=",    // padding inside the 22
           "AAAAAAAAAAAAAAAAAAAA+A",    // standard alphabet
           "AAAAAAAAAAAAAAAAAAAA/A",
           "AAAAAAAAAAAAAAAAAAAA.A",
           "AAAAAAAAAAAAAAAAAAAA A",
       }) {
    EXPECT_EQ(LinkId::Parse(s), std::nullopt) << s;
  }
}

TEST(IdsTest, StrongTypesCompare) {
  EXPECT_LT(ReportId{1}, ReportId{2});
  EXPECT_EQ(CompanyId{3}, CompanyId{3});
  EXPECT_NE(SigningKeyId{1}, SigningKeyId{2});
}

}  // namespace
}  // namespace reportshare::domain
