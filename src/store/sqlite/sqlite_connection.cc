#include "store/sqlite/sqlite_connection.h"

#include <chrono>
#include <thread>

#include "core/log.h"

namespace reportshare::store::sqlite {
namespace {

constexpr std::string_view kChannel = "sqlite";
constexpr auto kBusyTimeout = std::chrono::seconds(5);
// synchronous=NORMAL: in WAL mode a commit is durable against a crash of the
// process (not of the machine) without an fsync; the checkpoints sync.
// wal_autocheckpoint: a checkpoint every 4,000 pages (16 MiB of WAL) instead
// of 1,000: every share appends a link, and each checkpoint copies the same
// few hot pages and syncs twice, so fewer of them cost less per link.
// mmap_size=0: when another connection has written, SQLite unmaps the whole
// mapping of a connection at its next read (so nothing stale is read through
// it); under a stream of shares that munmap and its TLB shootdown cost 9% of
// a share's CPU, more than reading through the page cache.
constexpr const char* kSettings =
    "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=4000; "
    "PRAGMA mmap_size=0";

// Waits for another connection's write lock in short steps, up to
// kBusyTimeout in all. SQLite's own busy timeout sleeps 1, 2, 5, 10 ms … on
// each retry, so two threads of the server writing at once (a share and the
// open recorder's batch) made the second wait a millisecond or more for a
// lock held some 50 µs. Returns 0 to give up (SQLITE_BUSY).
int WaitForLock(void*, int attempt) {
  using std::chrono::microseconds;
  constexpr int kShortSteps = 200;  // 50 µs steps for the first 10 ms, then 1 ms
  constexpr auto kShort = microseconds(50);
  constexpr auto kLong = microseconds(1000);
  const auto waited = attempt < kShortSteps
                          ? kShort * attempt
                          : kShort * kShortSteps + kLong * (attempt - kShortSteps);
  if (waited >= kBusyTimeout) return 0;
  std::this_thread::sleep_for(attempt < kShortSteps ? kShort : kLong);
  return 1;
}

}  // namespace

Status DriverError(sqlite3* db, std::string_view op) {
  if (db == nullptr) {
    core::LogError(kChannel, "out of memory", {{"op", op}});
  } else {
    core::LogError(kChannel, sqlite3_errmsg(db),
                   {{"op", op}, {"code", sqlite3_extended_errcode(db)}});
  }
  return store::DatabaseUnavailable();
}

// --- Connection ---

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path) {
  const Status unavailable = Status::Unavailable("cannot open database '" + path + "'");
  // The start-up error names the cause (a read-only or full file system, a
  // directory that does not exist): SQLite's message holds no secret.
  auto fail = [&](sqlite3* db, std::string_view why = {}) {
    if (why.empty()) why = db ? sqlite3_errmsg(db) : "out of memory";
    core::LogError(kChannel, why, {{"op", "open"}, {"path", path}});
    return Status::Unavailable(unavailable.message() + ": " + std::string(why));
  };

  sqlite3* db = nullptr;
  // NOMUTEX: the pool guarantees one thread per connection at a time, so
  // SQLite's per-connection mutex would only cost.
  int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  if (rc != SQLITE_OK) {
    Status failed = fail(db);
    sqlite3_close_v2(db);
    return failed;
  }
  std::unique_ptr<Connection> conn(new Connection(db));
  sqlite3_busy_handler(db, WaitForLock, nullptr);

  // journal_mode answers with the mode in force; anything but "wal" means the
  // file or its directory cannot hold a WAL (and several connections would
  // then block each other), so refuse it rather than run degraded.
  std::string mode;
  char* err = nullptr;
  rc = sqlite3_exec(
      db, "PRAGMA journal_mode=WAL",
      [](void* out, int n, char** values, char**) {
        if (n > 0 && values[0]) *static_cast<std::string*>(out) = values[0];
        return 0;
      },
      &mode, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) return fail(db);
  if (mode != "wal") return fail(db, "journal_mode is '" + mode + "', not 'wal'");
  if (!conn->ExecOnce(kSettings, "open").ok()) {
    return unavailable;
  }
  return conn;
}

Connection::~Connection() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

sqlite3_stmt* Connection::Prepare(std::string_view sql, std::string_view op) {
  if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK || stmt == nullptr) {
    DriverError(db_, op);
    sqlite3_finalize(stmt);
    return nullptr;
  }
  statements_.emplace(sql, stmt);
  return stmt;
}

Status Connection::Exec(std::string_view sql, std::string_view op) {
  Query q(*this, sql, op);
  return q.Run();
}

Status Connection::ExecOnce(std::string_view sql, std::string_view op) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) return DriverError(db_, op);
  return Status::Ok();
}

Status Connection::Begin(std::string_view op) { return Exec("BEGIN IMMEDIATE", op); }

Status Connection::Commit(std::string_view op) { return Exec("COMMIT", op); }

void Connection::Rollback(std::string_view op) {
  if (!sqlite3_get_autocommit(db_)) (void)Exec("ROLLBACK", op);
}

void Connection::OnRelease() {
  if (sqlite3_get_autocommit(db_)) return;
  core::LogError(kChannel, "transaction left open; rolling back", {{"op", "release"}});
  Rollback("release");
}

// --- Query ---

Query::Query(Connection& conn, std::string_view sql, std::string_view op)
    : QueryBase(kChannel, op), conn_(conn), stmt_(conn.Prepare(sql, op)) {}

Query::~Query() {
  if (stmt_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

void Query::BindInt(int64_t value) {
  if (stmt_ && bind_rc_ == SQLITE_OK) bind_rc_ = sqlite3_bind_int64(stmt_, next_param_, value);
  ++next_param_;
}

void Query::BindNull() {
  if (stmt_ && bind_rc_ == SQLITE_OK) bind_rc_ = sqlite3_bind_null(stmt_, next_param_);
  ++next_param_;
}

void Query::BindText(std::string_view text) {
  if (stmt_ && bind_rc_ == SQLITE_OK) {
    bind_rc_ = sqlite3_bind_text64(stmt_, next_param_, text.data(), text.size(), SQLITE_TRANSIENT,
                                   SQLITE_UTF8);
  }
  ++next_param_;
}

void Query::BindBytes(std::span<const uint8_t> bytes) {
  if (stmt_ && bind_rc_ == SQLITE_OK) {
    bind_rc_ =
        sqlite3_bind_blob64(stmt_, next_param_, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  }
  ++next_param_;
}

int Query::StepOnce() {
  if (!stmt_) return SQLITE_ERROR;
  if (bind_rc_ != SQLITE_OK) return bind_rc_;
  return sqlite3_step(stmt_);
}

Result<bool> Query::Step() {
  int rc = StepOnce();
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Error();
}

sql::Outcome Query::Try() {
  int rc = StepOnce();
  while (rc == SQLITE_ROW) rc = StepOnce();
  switch (rc) {
    case SQLITE_DONE:
      return sql::Outcome::kOk;
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE:
      return sql::Outcome::kUniqueViolation;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return sql::Outcome::kForeignKeyViolation;
    default:
      return sql::Outcome::kError;
  }
}

Status Query::Error() const {
  if (!stmt_) return store::DatabaseUnavailable();  // Prepare logged it
  return DriverError(conn_.db(), op());
}

int64_t Query::Changes() const { return sqlite3_changes64(conn_.db()); }

bool Query::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

int64_t Query::Int(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string_view Query::Raw(int col) const {
  // column_text (or _blob) before column_bytes, so the length is of the form
  // asked for: UTF-8 text, or the blob as stored.
  const void* p = sqlite3_column_type(stmt_, col) == SQLITE_BLOB
                      ? sqlite3_column_blob(stmt_, col)
                      : static_cast<const void*>(sqlite3_column_text(stmt_, col));
  const int n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr || n <= 0) return {};
  return std::string_view(static_cast<const char*>(p), static_cast<size_t>(n));
}

}  // namespace reportshare::store::sqlite
