#include "core/status.h"

#include <gtest/gtest.h>

namespace reportshare::core {
namespace {

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), Code::kOk);
}

TEST(StatusTest, FactoriesCarryCodeAndMessage) {
  Status s = Status::NotFound("report not found");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.message(), "report not found");
  EXPECT_EQ(CodeName(s.code()), "NotFound");
}

TEST(StatusTest, ResultHoldsValueOrError) {
  Result<int> good = 7;
  ASSERT_TRUE(good);
  EXPECT_EQ(*good, 7);
  Result<int> bad = Status::Gone("expired");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Code::kGone);
}

}  // namespace
}  // namespace reportshare::core
