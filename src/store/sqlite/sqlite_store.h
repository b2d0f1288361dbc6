#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/store.h"

namespace reportshare::store {

namespace sqlite_internal {
class Connection;
}  // namespace sqlite_internal

// The embedded backend: one SQLite file in WAL mode, shared by a fixed pool of
// connections. Each call checks a connection out of the pool (waiting while
// all are in use), so at most `pool_size` calls run at once; writers are
// serialized by SQLite itself, waiting up to 5 s for its write lock.
//
// Thread-safe. Driver errors are logged to stderr as one line
// ("sqlite: <operation>: <message>") and returned as kUnavailable
// ("database unavailable"). In addition to the failures listed in store.h:
// InsertApiKey, PutReport and InsertLink return kNotFound if the company does
// not exist; GetReport
// returns kInternal if a stored body no longer parses as a report.
class SqliteStore final : public Store {
 public:
  // Opens (creating if needed) the database file at `path` with `pool_size`
  // connections, sets WAL mode, foreign keys, synchronous=NORMAL and a 5 s
  // busy timeout on each, and applies pending migrations (migrations.h).
  // Returns kUnavailable naming `path` if the file cannot be opened, is not a
  // database, or has a schema newer than this build; kInvalidArgument if
  // `pool_size` < 1 or `path` is empty or names an in-memory database.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path, int pool_size);

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

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
  using Connection = sqlite_internal::Connection;

  // A connection checked out of the pool; returned to it on destruction.
  class Lease {
   public:
    Lease(SqliteStore& store, Connection& conn) : store_(store), conn_(conn) {}
    ~Lease() { store_.Release(conn_); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Connection& operator*() const { return conn_; }
    Connection* operator->() const { return &conn_; }

   private:
    SqliteStore& store_;
    Connection& conn_;
  };

  explicit SqliteStore(std::vector<std::unique_ptr<Connection>> connections);

  // Waits for a free connection.
  Lease Acquire();
  void Release(Connection& conn);

  // Constant after construction.
  const std::vector<std::unique_ptr<Connection>> connections_;

  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<Connection*> free_;  // GUARDED_BY(mutex_)
};

}  // namespace reportshare::store
