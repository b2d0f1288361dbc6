// The main of a fuzz target built without libFuzzer (RS_FUZZ off, any
// compiler): runs every file named on the command line, and every file of
// every directory named (not recursively, in name order), once through the
// target's LLVMFuzzerTestOneInput. A property that fails aborts, so the ctest
// test fuzz.replay.<name> fails on the first bad input. Exits non-zero when
// it ran nothing (a missing or empty corpus is a mistake, not a pass).
//   fuzz_token fuzz/corpus/token [more files or directories]
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

bool RunFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // A copy of exactly its size, so a read past the end shows under ASan.
  std::vector<uint8_t> input(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(input.empty() ? nullptr : input.data(), input.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE_OR_DIRECTORY...\n", argv[0]);
    return 2;
  }
  size_t ran = 0;
  bool failed = false;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::directory_iterator(arg, ec)) {
        if (entry.is_regular_file() && entry.path().filename().string().front() != '.') {
          files.push_back(entry.path());
        }
      }
      if (ec) {
        std::fprintf(stderr, "replay: cannot list %s: %s\n", argv[i], ec.message().c_str());
        failed = true;
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        if (RunFile(f)) {
          ++ran;
        } else {
          failed = true;
        }
      }
    } else if (std::filesystem::is_regular_file(arg, ec)) {
      if (RunFile(arg)) {
        ++ran;
      } else {
        failed = true;
      }
    } else {
      std::fprintf(stderr, "replay: no such file or directory: %s\n", argv[i]);
      failed = true;
    }
  }
  std::printf("replay: ran %zu inputs\n", ran);
  return failed || ran == 0 ? 1 : 0;
}
