#pragma once

#include <string>

#include "core/status.h"
#include "links/key_ring.h"

namespace reportshare::app {

// Loads the signing key ring from `path`, or creates it (mode 0600) when the
// file does not exist and `database_has_links` is false. A missing file on a
// database that already has links is an error, never a silent new key: every
// link sent so far would stop working. Messages name the file, never a secret.
Result<links::KeyRing> LoadOrCreateKeyFile(const std::string& path, bool database_has_links);

// Writes `ring` to `path` atomically (temporary file + rename), mode 0600.
Status WriteKeyFile(const std::string& path, const links::KeyRing& ring);

}  // namespace reportshare::app
