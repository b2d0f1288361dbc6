#include "app/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace reportshare::app {

Status WriteKeyFile(const std::string& path, const links::KeyRing& ring) {
  std::string tmp = path + ".tmp";
  std::string text = ring.Serialize();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::Unavailable("cannot write signing key file " + tmp + ": " +
                               std::strerror(errno));
  }
  ::fchmod(fd, 0600);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status::Unavailable("cannot write signing key file " + path);
  }
  return Status::Ok();
}

Result<links::KeyRing> LoadOrCreateKeyFile(const std::string& path, bool database_has_links) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
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
    // Several nodes may start at once on one shared file: write a private
    // temporary file and link(2) it into place, which fails if another node
    // got there first; then everyone uses that node's keys.
    std::string tmp = path + ".new." + std::to_string(::getpid());
    RS_RETURN_IF_ERROR(WriteKeyFile(tmp, *ring));
    int linked = ::link(tmp.c_str(), path.c_str());
    int link_errno = errno;
    ::unlink(tmp.c_str());
    if (linked == 0) return ring;
    if (link_errno != EEXIST) {
      return Status::Unavailable("cannot create signing key file " + path + ": " +
                                 std::strerror(link_errno));
    }
    return LoadOrCreateKeyFile(path, /*database_has_links=*/true);
  }
  if ((st.st_mode & 077) != 0) {
    return Status::FailedPrecondition("signing key file " + path +
                                      " is readable by group or others; run: chmod 600 " + path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Unavailable("cannot read signing key file " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto ring = links::KeyRing::Parse(text.str());
  if (!ring) {
    return Status::FailedPrecondition("signing key file " + path +
                                      " is invalid: " + ring.error().message());
  }
  return ring;
}

}  // namespace reportshare::app
