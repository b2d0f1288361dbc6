#pragma once

// Reads a ZIP archive from memory with libarchive, for tests of the bulk
// download: every entry's name, bytes, and whether it was stored
// uncompressed. Empty with ADD_FAILURE on a malformed archive.

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace reportshare::test_support {

struct ZipEntry {
  std::string name;
  std::string bytes;
};

inline std::vector<ZipEntry> ReadZip(std::string_view zip) {
  std::vector<ZipEntry> out;
  archive* a = archive_read_new();
  archive_read_support_format_zip(a);
  if (archive_read_open_memory(a, zip.data(), zip.size()) != ARCHIVE_OK) {
    ADD_FAILURE() << "not a ZIP: " << archive_error_string(a);
    archive_read_free(a);
    return {};
  }
  archive_entry* entry = nullptr;
  int rc;
  while ((rc = archive_read_next_header(a, &entry)) == ARCHIVE_OK) {
    ZipEntry e{archive_entry_pathname(entry), {}};
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) e.bytes.append(buf, size_t(n));
    if (n < 0) {
      ADD_FAILURE() << "bad entry " << e.name << ": " << archive_error_string(a);
      break;
    }
    out.push_back(std::move(e));
  }
  if (rc != ARCHIVE_EOF && rc != ARCHIVE_OK) ADD_FAILURE() << archive_error_string(a);
  archive_read_free(a);
  return out;
}

}  // namespace reportshare::test_support
