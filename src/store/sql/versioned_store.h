#pragma once

// The public face both SQL backends share (SqliteStore, PostgresStore derive
// from it): a Store whose schema is the numbered migrations of sql/schema.h.
// Light on purpose: the public backend headers include it and nothing of a
// driver.

#include <cstdint>

#include "core/status.h"
#include "store/store.h"

namespace reportshare::store::sql {

class VersionedStore : public Store {
 public:
  // The highest migration version applied to the database (sql/schema.h).
  // Thread-safe; kUnavailable (logged) if the database fails.
  virtual Result<int64_t> SchemaVersion() = 0;
};

}  // namespace reportshare::store::sql
