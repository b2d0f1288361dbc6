#pragma once

#include <string>

namespace reportshare::core {

// A stamp of the file at `path` that changes with every write the usual tools
// make: a rename gives a new inode, a rewrite in place a new size or mtime.
// "" while the file is missing. What the file watchers poll (the signing key
// file, the TLS certificate and key): a cheap stat, and no signal handling to
// get wrong.
std::string FileStamp(const std::string& path);

}  // namespace reportshare::core
