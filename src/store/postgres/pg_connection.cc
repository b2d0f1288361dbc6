#include "store/postgres/pg_connection.h"

#include <charconv>
#include <utility>

#include "core/log.h"

namespace reportshare::store::postgres {
namespace {

constexpr std::string_view kChannel = "postgres";

// SQLSTATE codes Try() classifies.
constexpr std::string_view kUniqueViolation = "23505";
constexpr std::string_view kForeignKeyViolation = "23503";

// libpq's messages end in a newline and may span lines ("connection to
// server ... failed: ...\n\tIs the server running ..."); folded, each failure
// reads as one line.
std::string Fold(std::string_view message) {
  std::string line;
  for (char c : message) {
    const bool space = c == '\n' || c == '\t' || c == ' ';
    if (space && (line.empty() || line.back() == ' ')) continue;
    line += space ? ' ' : c;
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line.empty() ? "unknown error" : line;
}

void Log(std::string_view op, std::string_view message) {
  core::LogError(kChannel, Fold(message), {{"op", op}});
}

// The server's primary message in `result`, or null (libpq's own failures,
// such as a lost connection, have none). Only this line is ever logged, never
// PQresultErrorMessage: its DETAIL ("Key (name)=(...) already exists",
// "Failing row contains (...)") can hold row values, i.e. candidate data.
const char* PrimaryMessage(const PGresult* result) {
  const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  return primary && *primary ? primary : nullptr;
}

// Logs why `result` (may be null) failed under `op`: the primary message and
// the SQLSTATE, or without them the connection's error message. Returns
// store::DatabaseUnavailable().
Status ResultError(PGconn* conn, const PGresult* result, std::string_view op) {
  const char* primary = PrimaryMessage(result);
  if (primary == nullptr) {
    Log(op, PQerrorMessage(conn));
    return store::DatabaseUnavailable();
  }
  const char* sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  core::LogError(kChannel, Fold(primary), {{"op", op}, {"sqlstate", sqlstate ? sqlstate : ""}});
  return store::DatabaseUnavailable();
}

// Server messages that arrive outside a query: warnings, and the FATAL a
// backend sends when it is shut down while idle in the pool, after which the
// session is dead. NOTICEs (such as "relation already exists, skipping") are
// routine and not logged.
void OnNotice(void* arg, const PGresult* result) {
  const char* severity = PQresultErrorField(result, PG_DIAG_SEVERITY_NONLOCALIZED);
  const std::string_view level = severity ? severity : "";
  if (level == "NOTICE" || level == "INFO" || level == "LOG" || level.starts_with("DEBUG")) {
    return;
  }
  const bool fatal = level == "FATAL" || level == "PANIC";
  const char* primary = PrimaryMessage(result);
  core::Log(fatal || level == "ERROR" ? core::LogLevel::kError : core::LogLevel::kWarning, kChannel,
            Fold(primary ? primary : ""), {{"op", "server"}});
  if (fatal) static_cast<Connection*>(arg)->MarkBroken();
}

bool IsConnectionFailure(std::string_view sqlstate) {
  // Class 08: connection exception. 57P01..57P03: the server is shutting down
  // or starting up and has dropped (or will not take) this session.
  return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03";
}

int64_t ReadBigEndian(const char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  // Sign-extend values narrower than 64 bits.
  if (n > 0 && n < 8 && (static_cast<uint8_t>(p[0]) & 0x80) != 0) {
    v |= ~uint64_t{0} << (8 * n);
  }
  return static_cast<int64_t>(v);
}

}  // namespace

Status DriverError(std::string_view op, std::string_view message) {
  Log(op, message);
  return store::DatabaseUnavailable();
}

// --- Connection ---

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& conninfo,
                                                     const std::string& display_name,
                                                     int connect_timeout_s) {
  const std::string timeout = std::to_string(connect_timeout_s);
  // Keywords before "dbname" are defaults the conninfo may override; those
  // after it are forced. Keepalives and tcp_user_timeout (ms) make a server
  // that vanished mid-query (network partition, host down) fail the query
  // within about 25 s rather than leave it hanging. The store reads and
  // writes UTF-8 whatever the server's or the environment's default.
  const char* const keywords[] = {"connect_timeout",  "keepalives_idle",  "keepalives_interval",
                                  "keepalives_count", "tcp_user_timeout", "application_name",
                                  "dbname",           "client_encoding",  nullptr};
  const char* const values[] = {timeout.c_str(),  "10",   "5",    "3", "15000", "reportshare",
                                conninfo.c_str(), "UTF8", nullptr};
  // The conninfo may hold a password: only `display_name` is logged.
  auto fail = [&display_name](std::string_view why) {
    core::LogError(kChannel, Fold(why), {{"op", "connect"}, {"database", display_name}});
    return Status::Unavailable("cannot connect to database '" + display_name + "'");
  };
  PGconn* raw = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (raw == nullptr) return fail("out of memory");
  std::unique_ptr<Connection> conn(new Connection(raw));
  PQsetNoticeReceiver(raw, OnNotice, conn.get());
  if (PQstatus(raw) != CONNECTION_OK) return fail(PQerrorMessage(raw));
  return conn;
}

Connection::~Connection() { PQfinish(conn_); }

bool Connection::Healthy() {
  if (broken_ || PQstatus(conn_) != CONNECTION_OK) return false;
  // Never blocks: libpq keeps its socket non-blocking and this only takes what
  // has arrived. A server that went away leaves a FATAL and EOF here;
  // PQisBusy parses the FATAL, which reaches OnNotice and marks us broken.
  if (PQconsumeInput(conn_) == 0) {
    broken_ = true;
  } else {
    (void)PQisBusy(conn_);
  }
  if (PQstatus(conn_) != CONNECTION_OK) broken_ = true;
  return !broken_;
}

Status Connection::Revive() {
  if (Healthy()) return Status::Ok();
  // The old session and its prepared statements are gone either way.
  statements_.clear();
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    return DriverError("reconnect", PQerrorMessage(conn_));
  }
  broken_ = false;
  return Status::Ok();
}

void Connection::NoteFailure(const PGresult* result) {
  if (result == nullptr || PQstatus(conn_) != CONNECTION_OK ||
      PQtransactionStatus(conn_) == PQTRANS_UNKNOWN) {
    broken_ = true;
    return;
  }
  const char* sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  // No SQLSTATE: the error was raised by libpq itself, i.e. the connection.
  if (sqlstate == nullptr || IsConnectionFailure(sqlstate)) broken_ = true;
}

std::optional<std::string_view> Connection::Prepare(std::string_view sql, std::string_view op) {
  // A broken connection was logged when it broke or failed to reconnect.
  if (broken_) return std::nullopt;
  if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
  std::string name = "rs_" + std::to_string(next_statement_++);
  // Parameter types are left to the server, which infers them from the
  // columns they are compared with or inserted into.
  PGresult* res = PQprepare(conn_, name.c_str(), std::string(sql).c_str(), 0, nullptr);
  if (res == nullptr || PQresultStatus(res) != PGRES_COMMAND_OK) {
    NoteFailure(res);
    ResultError(conn_, res, op);
    PQclear(res);
    return std::nullopt;
  }
  PQclear(res);
  auto [it, inserted] = statements_.emplace(sql, std::move(name));
  return std::string_view(it->second);
}

Status Connection::ExecOnce(std::string_view sql, std::string_view op) {
  if (broken_) return store::DatabaseUnavailable();  // logged when it broke
  PGresult* res = PQexec(conn_, std::string(sql).c_str());
  const ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    NoteFailure(res);
    Status s = ResultError(conn_, res, op);
    PQclear(res);
    return s;
  }
  PQclear(res);
  return Status::Ok();
}

Status Connection::Begin(std::string_view op) { return ExecOnce("BEGIN", op); }

Status Connection::Commit(std::string_view op) {
  // COMMIT of a failed transaction "succeeds" as a ROLLBACK; refuse instead.
  if (PQtransactionStatus(conn_) != PQTRANS_INTRANS) {
    return DriverError(op, "commit of a failed transaction");
  }
  return ExecOnce("COMMIT", op);
}

void Connection::Rollback(std::string_view op) {
  // A failed connection rolled the transaction back with it.
  if (!broken_ && PQtransactionStatus(conn_) != PQTRANS_IDLE) (void)ExecOnce("ROLLBACK", op);
}

void Connection::OnRelease() {
  if (broken_) return;
  switch (PQtransactionStatus(conn_)) {
    case PQTRANS_IDLE:
      return;
    case PQTRANS_INTRANS:
    case PQTRANS_INERROR:
      Log("release", "transaction left open; rolling back");
      (void)ExecOnce("ROLLBACK", "release");
      return;
    default:  // a command still in flight, or the connection is gone
      broken_ = true;
      return;
  }
}

// --- Query ---

Query::Query(Connection& conn, std::string_view sql, std::string_view op)
    : QueryBase(kChannel, op), conn_(conn), name_(conn.Prepare(sql, op)) {}

Query::~Query() { PQclear(result_); }

void Query::BindInt(int64_t value) {
  values_.push_back(std::to_string(value));
  is_null_.push_back(false);
  formats_.push_back(0);  // text: the server parses it as whatever integer type it inferred
}

void Query::BindNull() {
  values_.emplace_back();
  is_null_.push_back(true);
  formats_.push_back(0);
}

void Query::BindText(std::string_view text) {
  values_.emplace_back(text);
  is_null_.push_back(false);
  formats_.push_back(1);  // binary: sent with its length, checked as UTF-8 by the server
}

void Query::BindBytes(std::span<const uint8_t> bytes) {
  values_.emplace_back(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  is_null_.push_back(false);
  formats_.push_back(1);
}

bool Query::Execute() {
  executed_ = true;
  if (!name_) return false;
  const size_t n = values_.size();
  std::vector<const char*> values(n);
  std::vector<int> lengths(n);
  for (size_t i = 0; i < n; ++i) {
    values[i] = is_null_[i] ? nullptr : values_[i].data();
    lengths[i] = static_cast<int>(values_[i].size());
  }
  const std::string name(*name_);
  result_ = PQexecPrepared(conn_.conn(), name.c_str(), static_cast<int>(n), values.data(),
                           lengths.data(), formats_.data(), /*resultFormat=*/1);
  const ExecStatusType st = result_ ? PQresultStatus(result_) : PGRES_FATAL_ERROR;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    conn_.NoteFailure(result_);
    return false;
  }
  rows_ = PQntuples(result_);
  ok_ = true;
  return true;
}

Result<bool> Query::Step() {
  if (!executed_) Execute();
  if (!ok_) return Error();
  ++row_;
  return row_ < rows_;
}

sql::Outcome Query::Try() {
  if (!executed_) Execute();
  if (ok_) return sql::Outcome::kOk;
  const char* sqlstate = result_ ? PQresultErrorField(result_, PG_DIAG_SQLSTATE) : nullptr;
  const std::string_view code = sqlstate ? sqlstate : "";
  if (code == kUniqueViolation) return sql::Outcome::kUniqueViolation;
  if (code == kForeignKeyViolation) return sql::Outcome::kForeignKeyViolation;
  return sql::Outcome::kError;
}

Status Query::Error() const {
  if (!name_) return store::DatabaseUnavailable();  // Prepare logged it
  return ResultError(conn_.conn(), result_, op());
}

int64_t Query::Changes() const {
  if (result_ == nullptr) return 0;
  const std::string_view tuples = PQcmdTuples(result_);
  int64_t n = 0;
  std::from_chars(tuples.data(), tuples.data() + tuples.size(), n);
  return n;
}

bool Query::IsNull(int col) const { return PQgetisnull(result_, row_, col) != 0; }

int64_t Query::Int(int col) const {
  if (IsNull(col)) return 0;
  return ReadBigEndian(PQgetvalue(result_, row_, col), PQgetlength(result_, row_, col));
}

std::string_view Query::Raw(int col) const {
  const int n = PQgetlength(result_, row_, col);
  if (n <= 0) return {};
  return std::string_view(PQgetvalue(result_, row_, col), static_cast<size_t>(n));
}

}  // namespace reportshare::store::postgres
