#include "app/version.h"

// Generated in the build tree (cmake/build_info.cmake), refreshed at every
// build; only this file includes it, so a new commit recompiles one file.
#include "app/build_info.h"

namespace reportshare::app {

std::string Version() { return RS_VERSION; }

std::string VersionLine() {
  std::string line = std::string("reportshare ") + RS_VERSION;
  const std::string commit = RS_GIT_COMMIT;
  if (!commit.empty()) line += " (git " + commit + ")";
  return line;
}

}  // namespace reportshare::app
