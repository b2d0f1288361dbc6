#pragma once

#include <memory>
#include <string>

#include "store/sql/versioned_store.h"

namespace reportshare::store {
namespace postgres {

// The shared backend: one PostgreSQL database used by any number of nodes.
// Each node holds a fixed pool of connections; each call checks one out
// (waiting while all are in use), so at most `pool_size` calls run at once.
// Statements are prepared once per connection and always take their values as
// bound parameters.
//
// Resilience: a connection found dead (server restarted or down, socket
// closed) makes the call that met it return kUnavailable, and is reconnected
// when it is next checked out, so the node recovers by itself once the
// database is back. Connecting waits at most 3 s (unless the URL sets
// connect_timeout), so an outage gives quick kUnavailable, not hangs.
//
// Thread-safe. Driver errors are logged (core/log.h, channel "postgres", with
// the operation as field "op" and the SQLSTATE; only the server's primary
// message, never its DETAIL, which can hold row values; never a password) and
// returned as kUnavailable
// ("database unavailable"). In addition to the failures listed in store.h:
// InsertApiKey, PutReport and InsertLink return kNotFound if the company does
// not exist; GetReport returns kInternal if a stored body no longer parses as
// a report. Text must be valid UTF-8 without NUL characters (PostgreSQL
// rejects anything else, which surfaces as kUnavailable).
//
// The implementation is the shared store/sql/sql_store.h over the driver in
// pg_connection.h; this header names no libpq type.
class PostgresStore : public sql::VersionedStore {
 public:
  // Connects `pool_size` connections to the database named by `conninfo_url`
  // (a postgresql:// URL, or a libpq key=value string) and applies pending
  // migrations (sql/schema.h) under a PostgreSQL advisory lock, so several
  // nodes starting at once apply each migration exactly once. Returns
  // kInvalidArgument if `pool_size` < 1 or the URL is malformed; kUnavailable
  // (naming the database, never its password) if the server cannot be reached,
  // a migration fails, or the schema is newer than this build.
  static Result<std::unique_ptr<PostgresStore>> Open(const std::string& conninfo_url,
                                                     int pool_size);

 protected:
  PostgresStore() = default;
};

}  // namespace postgres

using postgres::PostgresStore;

}  // namespace reportshare::store
