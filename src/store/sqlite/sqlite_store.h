#pragma once

#include <memory>
#include <string>

#include "store/sql/versioned_store.h"

namespace reportshare::store {
namespace sqlite {

// The embedded backend: one SQLite file in WAL mode, shared by a fixed pool of
// connections. Each call checks a connection out of the pool (waiting while
// all are in use), so at most `pool_size` calls run at once; writers are
// serialized by SQLite itself, waiting up to 5 s for its write lock.
//
// Thread-safe. Driver errors are logged (core/log.h, channel "sqlite", with
// the operation as field "op") and returned as kUnavailable ("database
// unavailable"). In addition to the failures listed in store.h: InsertApiKey,
// PutReport and InsertLink return kNotFound if the company does not exist;
// GetReport returns kInternal if a stored body no longer parses as a report.
//
// The implementation is the shared store/sql/sql_store.h over the driver in
// sqlite_connection.h; this header names no SQLite type.
class SqliteStore : public sql::VersionedStore {
 public:
  // Opens (creating if needed) the database file at `path` with `pool_size`
  // connections, sets WAL mode, foreign keys, synchronous=NORMAL, no mmap, a
  // checkpoint every 4,000 WAL pages and a 5 s busy wait in 50 µs steps on each,
  // and applies pending migrations (sql/schema.h).
  // Returns kUnavailable naming `path` if the file cannot be opened, is not a
  // database, or has a schema newer than this build; kInvalidArgument if
  // `pool_size` < 1 or `path` is empty or names an in-memory database.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path, int pool_size);

 protected:
  SqliteStore() = default;
};

}  // namespace sqlite

using sqlite::SqliteStore;

}  // namespace reportshare::store
