#include "store/sqlite/sqlite_connection.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

namespace reportshare::store::sqlite_internal {
namespace {

constexpr int kBusyTimeoutMs = 5000;

void Log(std::string_view op, std::string_view message) {
  // One fprintf per line so concurrent lines do not interleave.
  std::fprintf(stderr, "sqlite: %.*s: %.*s\n", static_cast<int>(op.size()), op.data(),
               static_cast<int>(message.size()), message.data());
}

}  // namespace

Status DriverError(sqlite3* db, std::string_view op) {
  Log(op, db ? sqlite3_errmsg(db) : "out of memory");
  return Status::Unavailable("database unavailable");
}

// --- Connection ---

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path) {
  const Status unavailable = Status::Unavailable("cannot open database '" + path + "'");
  const std::string op = "open " + path;

  sqlite3* db = nullptr;
  // NOMUTEX: the pool guarantees one thread per connection at a time, so
  // SQLite's per-connection mutex would only cost.
  int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  if (rc != SQLITE_OK) {
    DriverError(db, op);
    sqlite3_close_v2(db);
    return unavailable;
  }
  std::unique_ptr<Connection> conn(new Connection(db));
  sqlite3_busy_timeout(db, kBusyTimeoutMs);

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
  if (rc != SQLITE_OK) {
    DriverError(db, op);
    return unavailable;
  }
  if (mode != "wal") {
    Log(op, "journal_mode is '" + mode + "', not 'wal'");
    return unavailable;
  }
  if (!conn->ExecOnce("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL", op).ok()) {
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

void Connection::ResetState() {
  if (sqlite3_get_autocommit(db_)) return;
  Log("release", "transaction left open; rolling back");
  (void)ExecOnce("ROLLBACK", "release");
}

// --- Query ---

Query::Query(Connection& conn, std::string_view sql, std::string_view op)
    : conn_(conn), stmt_(conn.Prepare(sql, op)), op_(op) {}

Query::~Query() {
  if (stmt_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Query& Query::Bind(int64_t value) {
  if (stmt_ && bind_rc_ == SQLITE_OK) bind_rc_ = sqlite3_bind_int64(stmt_, next_param_, value);
  ++next_param_;
  return *this;
}

Query& Query::Bind(Instant value) { return Bind(int64_t{value.time_since_epoch().count()}); }

Query& Query::Bind(std::optional<Instant> value) {
  if (value) return Bind(*value);
  if (stmt_ && bind_rc_ == SQLITE_OK) bind_rc_ = sqlite3_bind_null(stmt_, next_param_);
  ++next_param_;
  return *this;
}

Query& Query::Bind(std::string_view text) {
  if (stmt_ && bind_rc_ == SQLITE_OK) {
    bind_rc_ = sqlite3_bind_text64(stmt_, next_param_, text.data(), text.size(), SQLITE_TRANSIENT,
                                   SQLITE_UTF8);
  }
  ++next_param_;
  return *this;
}

Query& Query::Bind(std::span<const uint8_t> blob) {
  if (stmt_ && bind_rc_ == SQLITE_OK) {
    bind_rc_ = sqlite3_bind_blob64(stmt_, next_param_, blob.data(), blob.size(), SQLITE_TRANSIENT);
  }
  ++next_param_;
  return *this;
}

int Query::StepRaw() {
  if (!stmt_) return SQLITE_ERROR;
  if (bind_rc_ != SQLITE_OK) return bind_rc_;
  return sqlite3_step(stmt_);
}

Result<bool> Query::Step() {
  int rc = StepRaw();
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Error();
}

Status Query::Run() {
  for (;;) {
    Result<bool> row = Step();
    if (!row) return row.error();
    if (!*row) return Status::Ok();
  }
}

Status Query::Error() const {
  if (!stmt_) return Status::Unavailable("database unavailable");  // Prepare logged it
  return DriverError(conn_.db(), op_);
}

int64_t Query::Changes() const { return sqlite3_changes64(conn_.db()); }

bool Query::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

int64_t Query::Int(int col) const { return sqlite3_column_int64(stmt_, col); }

Instant Query::At(int col) const { return Instant{std::chrono::microseconds{Int(col)}}; }

std::optional<Instant> Query::OptionalAt(int col) const {
  if (IsNull(col)) return std::nullopt;
  return At(col);
}

std::string Query::Text(int col) const {
  // column_text before column_bytes, so the length is of the UTF-8 form.
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr || n <= 0) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
}

void Query::Blob(int col, std::span<uint8_t> out) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  std::fill(out.begin(), out.end(), uint8_t{0});
  if (p == nullptr || n <= 0) return;
  std::memcpy(out.data(), p, std::min(out.size(), static_cast<size_t>(n)));
}

// --- Transaction ---

Transaction::~Transaction() {
  // A failed statement may already have rolled the transaction back.
  if (open_ && !sqlite3_get_autocommit(conn_.db())) (void)conn_.Exec("ROLLBACK", op_);
}

Status Transaction::Begin() {
  RS_RETURN_IF_ERROR(conn_.Exec("BEGIN IMMEDIATE", op_));
  open_ = true;
  return Status::Ok();
}

Status Transaction::Commit() {
  RS_RETURN_IF_ERROR(conn_.Exec("COMMIT", op_));
  open_ = false;
  return Status::Ok();
}

}  // namespace reportshare::store::sqlite_internal
