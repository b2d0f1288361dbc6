#pragma once

// What `reportshare --version` prints.

#include <string>

namespace reportshare::app {

// "reportshare 0.1.0 (git 2c7f866)": the CMake project version and, when built
// from a git checkout, the commit; "reportshare 0.1.0" otherwise.
std::string VersionLine();

// The version alone ("0.1.0").
std::string Version();

}  // namespace reportshare::app
