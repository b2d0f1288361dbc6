#pragma once

// Test support for PostgreSQL: which server to use, and a scratch database
// per test on it.
//
// The server is named by REPORTSHARE_TEST_PG (a connection URL), or by
// REPORTSHARE_TEST_PG_FILE (a file holding one, as tests/support/pg_server.sh
// writes it; ctest's pg fixture sets this, since the port is only known once
// the server is up). When neither is set, PostgreSQL tests are not
// instantiated at all.

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace reportshare::test_support::pg {

// True if a test server is configured (it may not be up yet when the tests
// are listed).
inline bool Enabled() {
  for (const char* name : {"REPORTSHARE_TEST_PG", "REPORTSHARE_TEST_PG_FILE"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') return true;
  }
  return false;
}

// The configured server's URL; "" (after a test failure) if it cannot be read.
inline std::string AdminUrl() {
  if (const char* url = std::getenv("REPORTSHARE_TEST_PG"); url != nullptr && *url != '\0') {
    return url;
  }
  const char* file = std::getenv("REPORTSHARE_TEST_PG_FILE");
  std::string url;
  if (file != nullptr && *file != '\0') {
    std::ifstream in(file);
    std::getline(in, url);
  }
  while (!url.empty() && (url.back() == '\n' || url.back() == '\r' || url.back() == ' ')) {
    url.pop_back();
  }
  if (url.empty()) {
    ADD_FAILURE()
        << "no PostgreSQL URL: REPORTSHARE_TEST_PG is unset and REPORTSHARE_TEST_PG_FILE ("
        << (file ? file : "unset") << ") is unreadable";
  }
  return url;
}

// {"Postgres"} when a server is configured, else {}: the parameters of a
// PostgreSQL-only test suite, so it is instantiated only then. The URL itself
// is read when a test runs, so listing the tests needs no running server.
inline std::vector<std::string> Instances() {
  if (!Enabled()) return {};
  return {"Postgres"};
}

// `url` with its database replaced by `dbname`, as a key=value conninfo.
inline std::string WithDatabase(const std::string& url, const std::string& dbname) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &err);
  PQfreemem(err);
  if (options == nullptr) {
    ADD_FAILURE() << "malformed PostgreSQL URL " << url;
    return {};
  }
  std::string out;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || std::string_view(o->keyword) == "dbname") continue;
    out += std::string(o->keyword) + "='";
    for (const char* p = o->val; *p != '\0'; ++p) {
      if (*p == '\'' || *p == '\\') out += '\\';
      out += *p;
    }
    out += "' ";
  }
  PQconninfoFree(options);
  return out + "dbname='" + dbname + "'";
}

// Runs `sql` on the database at `conninfo` and returns the first column of
// the first row as text, "<done>" if there is none, "<error: …>" on failure.
inline std::string Query(const std::string& conninfo, const std::string& sql) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  std::string out;
  if (PQstatus(conn) != CONNECTION_OK) {
    out = std::string("<error: ") + PQerrorMessage(conn) + ">";
  } else {
    PGresult* res = PQexec(conn, sql.c_str());
    const ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_TUPLES_OK && PQntuples(res) > 0) {
      out = PQgetisnull(res, 0, 0) ? "<null>" : PQgetvalue(res, 0, 0);
    } else if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
      out = "<done>";
    } else {
      out = std::string("<error: ") + PQresultErrorMessage(res) + ">";
    }
    PQclear(res);
  }
  PQfinish(conn);
  return out;
}

// A database of its own on the configured server, created empty and dropped
// (with any sessions still on it) on destruction.
class ScratchDatabase {
 public:
  ScratchDatabase() : admin_(AdminUrl()) {
    static std::atomic<int> counter{0};
    name_ = "rs_test_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
    if (admin_.empty()) return;
    // Quoted identifiers are not needed: the name is [a-z0-9_].
    std::string made = pg::Query(admin_, "CREATE DATABASE " + name_);
    if (made != "<done>") {
      ADD_FAILURE() << "cannot create " << name_ << ": " << made;
      return;
    }
    url_ = WithDatabase(admin_, name_);
  }
  ~ScratchDatabase() {
    if (!url_.empty()) {
      std::string dropped = pg::Query(admin_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
      EXPECT_EQ(dropped, "<done>") << name_;
    }
  }
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  // The database's conninfo; "" if it could not be created (a test failure).
  const std::string& url() const { return url_; }

  std::string Query(const std::string& sql) const { return pg::Query(url_, sql); }

 private:
  std::string admin_;
  std::string name_;
  std::string url_;
};

}  // namespace reportshare::test_support::pg
