#include "render/zip/zip_writer.h"

#include <archive.h>
#include <archive_entry.h>

#include <chrono>

#include "core/log.h"

namespace reportshare::render {

struct ZipWriter::Impl {
  archive* a = nullptr;
  std::string out;
  bool failed = false;
  bool finished = false;

  static la_ssize_t Write(archive*, void* self, const void* data, size_t size) {
    static_cast<Impl*>(self)->out.append(static_cast<const char*>(data), size);
    return static_cast<la_ssize_t>(size);
  }

  Status Fail(std::string_view op) {
    if (!failed) {
      const char* why = a ? archive_error_string(a) : nullptr;
      core::LogError("render", "ZIP writing failed",
                     {{"op", op}, {"error", std::string_view(why ? why : "unknown")}});
    }
    failed = true;
    return Status::Internal("ZIP writing failed");
  }
};

ZipWriter::ZipWriter() : impl_(std::make_unique<Impl>()) {
  Impl& z = *impl_;
  z.a = archive_write_new();
  // bytes_per_block 0: every write goes straight to the callback, unpadded.
  if (!z.a || archive_write_set_format_zip(z.a) != ARCHIVE_OK ||
      archive_write_set_options(z.a, "zip:compression=store") != ARCHIVE_OK ||
      archive_write_set_bytes_per_block(z.a, 0) != ARCHIVE_OK ||
      archive_write_open2(z.a, &z, nullptr, &Impl::Write, nullptr, nullptr) != ARCHIVE_OK) {
    z.Fail("open");
  }
}

ZipWriter::~ZipWriter() {
  if (impl_->a) archive_write_free(impl_->a);
}

Status ZipWriter::Add(std::string_view name, std::string_view bytes, Instant mtime) {
  Impl& z = *impl_;
  if (z.failed || z.finished) return z.Fail("add");
  archive_entry* entry = archive_entry_new();
  if (!entry) return z.Fail("entry");
  std::string path(name);
  archive_entry_set_pathname(entry, path.c_str());
  archive_entry_set_size(entry, static_cast<la_int64_t>(bytes.size()));
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_perm(entry, 0644);
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(mtime.time_since_epoch()).count();
  archive_entry_set_mtime(entry, static_cast<time_t>(us / 1000000), 0);
  int rc = archive_write_header(z.a, entry);
  archive_entry_free(entry);
  if (rc != ARCHIVE_OK) return z.Fail("header");
  while (!bytes.empty()) {
    la_ssize_t n = archive_write_data(z.a, bytes.data(), bytes.size());
    if (n <= 0) return z.Fail("data");
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  if (archive_write_finish_entry(z.a) != ARCHIVE_OK) return z.Fail("finish entry");
  return Status::Ok();
}

Status ZipWriter::Finish() {
  Impl& z = *impl_;
  if (z.failed || z.finished) return z.Fail("finish");
  z.finished = true;
  if (archive_write_close(z.a) != ARCHIVE_OK) return z.Fail("close");
  return Status::Ok();
}

std::string ZipWriter::TakeOutput() {
  std::string taken;
  taken.swap(impl_->out);
  return taken;
}

}  // namespace reportshare::render
