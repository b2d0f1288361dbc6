#include "app/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace reportshare::app {
namespace {

// A key line is under 100 bytes, so this holds thousands of keys; anything
// bigger is not a key file, and is refused before it is read into memory.
constexpr size_t kMaxKeyFileBytes = size_t{1} << 20;

Status TooLarge(const std::string& path) {
  return Status::FailedPrecondition("signing key file " + path +
                                    " is larger than 1 MiB; it is not a key file");
}

std::string DirectoryOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Writes `text` to a new, uniquely named file beside `path` (mkstemp: O_EXCL,
// so never through a planted file or symlink), mode 0600, synced. Returns its name.
Result<std::string> WriteTemporary(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp-XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) {
    return Status::Unavailable("cannot write signing key file beside " + path + ": " +
                               std::strerror(errno));
  }
  bool ok = ::fchmod(fd, 0600) == 0;
  ok = ok && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ok && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok) {
    ::unlink(tmp.c_str());
    return Status::Unavailable("cannot write signing key file beside " + path);
  }
  return tmp;
}

// Makes a rename or link into the directory durable.
void SyncDirectory(const std::string& path) {
  int dir = ::open(DirectoryOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace

Status WriteKeyFile(const std::string& path, const links::KeyRing& ring) {
  auto tmp = WriteTemporary(path, ring.Serialize());
  if (!tmp) return tmp.error();
  if (::rename(tmp->c_str(), path.c_str()) != 0) {
    ::unlink(tmp->c_str());
    return Status::Unavailable("cannot replace signing key file " + path + ": " +
                               std::strerror(errno));
  }
  SyncDirectory(path);
  return Status::Ok();
}

Result<links::KeyRing> LoadOrCreateKeyFile(const std::string& path, bool database_has_links) {
  // Checks run on the opened descriptor, so the file checked is the file read.
  // O_NONBLOCK: opening a FIFO put in the file's place would otherwise wait
  // for a writer forever (start-up, or the watcher's thread and so shutdown);
  // it is then refused as not a regular file. Reads of a regular file ignore it.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno != ENOENT) {
      return Status::Unavailable("cannot read signing key file " + path + ": " +
                                 std::strerror(errno));
    }
    if (database_has_links) {
      return Status::FailedPrecondition(
          "signing key file " + path +
          " is missing but the database already has links signed with it; restore the file "
          "(refusing to create a new key, which would break every link sent so far)");
    }
    auto ring = links::KeyRing::Generate();
    if (!ring) return ring.error();
    // Several nodes may start at once on one shared file: link(2) the private
    // temporary file into place, which fails if another node got there first;
    // then everyone uses that node's keys.
    auto tmp = WriteTemporary(path, ring->Serialize());
    if (!tmp) return tmp.error();
    int linked = ::link(tmp->c_str(), path.c_str());
    int link_errno = errno;
    ::unlink(tmp->c_str());
    if (linked == 0) {
      SyncDirectory(path);
      return ring;
    }
    if (link_errno != EEXIST) {
      return Status::Unavailable("cannot create signing key file " + path + ": " +
                                 std::strerror(link_errno));
    }
    return LoadOrCreateKeyFile(path, /*database_has_links=*/true);
  }

  struct stat st {};
  std::string text;
  Status problem;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    problem = Status::FailedPrecondition("signing key file " + path + " is not a regular file");
  } else if ((st.st_mode & 077) != 0) {
    problem = Status::FailedPrecondition("signing key file " + path +
                                         " is readable by group or others; run: chmod 600 " + path);
  } else if (st.st_uid != ::geteuid()) {
    problem = Status::FailedPrecondition("signing key file " + path +
                                         " belongs to another user; it must be owned by the user "
                                         "reportshare runs as");
  } else if (static_cast<uintmax_t>(st.st_size) > kMaxKeyFileBytes) {
    problem = TooLarge(path);
  } else {
    // Capped again while reading: the file may grow after the fstat.
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0 && text.size() <= kMaxKeyFileBytes) {
      text.append(buf, static_cast<size_t>(n));
    }
    if (n < 0) problem = Status::Unavailable("cannot read signing key file " + path);
    if (text.size() > kMaxKeyFileBytes) problem = TooLarge(path);
  }
  ::close(fd);
  if (!problem.ok()) return problem;
  auto ring = links::KeyRing::Parse(text);
  if (!ring) {
    return Status::FailedPrecondition("signing key file " + path +
                                      " is invalid: " + ring.error().message());
  }
  return ring;
}

}  // namespace reportshare::app
