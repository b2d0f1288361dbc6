#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/store.h"

namespace reportshare::store {

namespace postgres_internal {
class Connection;
}  // namespace postgres_internal

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
// Thread-safe. Driver errors are logged to stderr as one line
// ("postgres: <operation>: <message>") and returned as kUnavailable
// ("database unavailable"). In addition to the failures listed in store.h:
// InsertApiKey, PutReport and InsertLink return kNotFound if the company does
// not exist; GetReport
// returns kInternal if a stored body no longer parses as a report. Text must be
// valid UTF-8 without NUL characters (PostgreSQL rejects anything else, which
// surfaces as kUnavailable).
class PostgresStore final : public Store {
 public:
  // Connects `pool_size` connections to the database named by `conninfo_url`
  // (a postgresql:// URL, or a libpq key=value string) and applies pending
  // migrations (migrations.h) under a PostgreSQL advisory lock, so several
  // nodes starting at once apply each migration exactly once. Returns
  // kInvalidArgument if `pool_size` < 1 or the URL is malformed; kUnavailable
  // (naming the database, never its password) if the server cannot be reached,
  // a migration fails, or the schema is newer than this build.
  static Result<std::unique_ptr<PostgresStore>> Open(const std::string& conninfo_url,
                                                     int pool_size);

  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  // The highest migration version applied to the database.
  Result<int64_t> SchemaVersion();

  // Store:
  Result<CompanyId> EnsureCompany(std::string_view name) override;
  Status InsertApiKey(CompanyId company, std::string_view key_id,
                      const std::array<uint8_t, 32>& key_hash, Instant created_at) override;
  Result<std::optional<Principal>> FindApiKey(const std::array<uint8_t, 32>& key_hash) override;
  Result<std::vector<ApiKeyInfo>> ListApiKeys() override;
  Result<bool> RevokeApiKey(std::string_view key_id, Instant at) override;
  Result<std::optional<StoredReport>> GetReport(ReportId id) override;
  Result<PutOutcome> PutReport(CompanyId company, const Report& report, Instant at) override;
  Status InsertLink(const LinkRecord& link) override;
  Result<std::optional<LinkRecord>> GetLink(const LinkId& id) override;
  Result<std::vector<LinkRecord>> ListLinks(CompanyId company, ReportId report) override;
  Result<int64_t> RevokeLink(CompanyId company, ReportId report, const LinkId& id,
                             Instant at) override;
  Result<int64_t> RevokeAllLinks(CompanyId company, ReportId report, Instant at) override;
  Status RecordOpens(const std::vector<LinkOpen>& opens) override;
  Result<std::vector<LinkOpen>> ListOpens(CompanyId company, ReportId report, const LinkId& id,
                                          int limit) override;
  Result<bool> HasLinks() override;
  Status Ping() override;

 private:
  using Connection = postgres_internal::Connection;

  // A connection checked out of the pool; returned to it on destruction.
  class Lease {
   public:
    Lease(PostgresStore& store, Connection& conn) : store_(store), conn_(conn) {}
    ~Lease() { store_.Release(conn_); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Connection& operator*() const { return conn_; }
    Connection* operator->() const { return &conn_; }

   private:
    PostgresStore& store_;
    Connection& conn_;
  };

  explicit PostgresStore(std::vector<std::unique_ptr<Connection>> connections);

  // Waits for a free connection and reconnects it if it is dead. If that
  // fails (logged), the connection stays dead and the caller's first
  // statement returns kUnavailable.
  Lease Acquire();
  void Release(Connection& conn);

  // Constant after construction.
  const std::vector<std::unique_ptr<Connection>> connections_;

  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<Connection*> free_;  // GUARDED_BY(mutex_)
};

}  // namespace reportshare::store
