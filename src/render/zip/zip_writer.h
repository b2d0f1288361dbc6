#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"

namespace reportshare::render {

// Writes a ZIP archive into memory as it grows, for a response streamed while
// it is built: add a file, take the bytes produced so far, send them, add the
// next. Files are STORED (PDFs are compressed already). libarchive does the
// format; this is the only file that includes archive.h (zip_writer.cc).
// Not thread-safe: one writer per archive, used by one thread at a time.
class ZipWriter {
 public:
  ZipWriter();
  ~ZipWriter();
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;

  // Appends the file `name` (a relative path) with `bytes`, modified at `mtime`.
  // kInternal if libarchive fails (the writer is then unusable).
  Status Add(std::string_view name, std::string_view bytes, Instant mtime);

  // Writes the central directory. No Add after it.
  Status Finish();

  // The archive bytes written since the last call (empty if none).
  std::string TakeOutput();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace reportshare::render
