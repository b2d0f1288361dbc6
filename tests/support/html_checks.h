#pragma once

// Checks on a rendered HTML page, shared by the render tests of the plain
// page (html_page_test.cc) and of the branded one (branding_html_test.cc).
// Header-only; gtest EXPECTs inside, so a failure fails the calling test.

#include <gtest/gtest.h>

#include <cctype>
#include <regex>
#include <string>

namespace reportshare::test_support {

// `text` with every ASCII letter in lower case.
inline std::string Lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The page loads nothing and runs nothing (looked for in any case): no
// script, no style sheet, frame, object or base from elsewhere, nothing
// fetched over http:// or from CSS, no event handler on any element (user
// text is escaped, so every '<' left is the page's own), at most one link,
// and no protocol-relative URL naming another host. What a page may have on
// top of that (images, https:// text) its own test checks.
inline void ExpectSelfContainedPage(const std::string& html) {
  const std::string lower = Lowercase(html);
  EXPECT_EQ(lower.find("<script"), std::string::npos);
  EXPECT_EQ(lower.find("http://"), std::string::npos);
  EXPECT_EQ(lower.find("@import"), std::string::npos);
  EXPECT_EQ(lower.find("url("), std::string::npos);
  EXPECT_EQ(lower.find("<link"), std::string::npos);
  EXPECT_EQ(lower.find("<iframe"), std::string::npos);
  EXPECT_EQ(lower.find("<object"), std::string::npos);
  EXPECT_EQ(lower.find("<base"), std::string::npos);
  EXPECT_FALSE(std::regex_search(lower, std::regex(R"(<[a-z][^>]*\son[a-z]+\s*=)"))) << html;
  EXPECT_EQ(lower.find("href="), lower.rfind("href="));
  EXPECT_EQ(lower.find("\"//"), std::string::npos);
}

}  // namespace reportshare::test_support
