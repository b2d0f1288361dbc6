#pragma once

// A private directory under /tmp for one test, removed with everything in it
// when the TempDir goes out of scope.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace reportshare::test_support {

class TempDir {
 public:
  // Creates /tmp/<prefix>XXXXXX. On failure the test fails and path() is "".
  explicit TempDir(std::string_view prefix = "rs_test_") {
    std::string tmpl = "/tmp/" + std::string(prefix) + "XXXXXX";
    const char* made = mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr) << "mkdtemp " << tmpl;
    path_ = made ? made : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace reportshare::test_support
