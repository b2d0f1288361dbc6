// PostgreSQL-only behaviour: opening, migrations under concurrent starts,
// several nodes on one database, and recovery from an outage. What every
// store must do is in store_conformance_test.cc.
//
// Tests that need a server run only when one is configured (see
// support/pg_test_database.h); the outage test starts and stops a server of its own
// with tests/support/pg_server.sh, never the shared one.

#include "store/postgres/postgres_store.h"

#include <gtest/gtest.h>

#include <boost/json/value.hpp>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "core/json.h"
#include "domain/report_json.h"
#include "store/sql/schema.h"
#include "support/capturing_log_sink.h"
#include "support/pg_test_database.h"
#include "support/temp_dir.h"

#ifndef RS_PG_SERVER_SCRIPT
#define RS_PG_SERVER_SCRIPT "tests/support/pg_server.sh"
#endif

namespace reportshare::store {
namespace {

using sql::LatestSchemaVersion;
using sql::Migrations;
using test_support::CapturedLog;
using test_support::ScopedLogCapture;
using test_support::TempDir;
namespace pg_test = test_support::pg;

using std::chrono::seconds;
using std::chrono::steady_clock;

void ExpectNoSql(const std::string& message) {
  for (const char* word :
       {"SELECT", "INSERT", "UPDATE", "CREATE", "schema_migrations", "ERROR", "secret"}) {
    EXPECT_EQ(message.find(word), std::string::npos) << message;
  }
}

// A valid report, built the way production builds one: from JSON.
Report MinimalReport(int64_t id) {
  const std::string text = R"({"report_id": )" + std::to_string(id) +
                           R"(, "assessment_id": 138, "assessment_name": "Backend Engineer",
      "name": "Priya Raman", "email": "priya@example.com", "invite_status": "Completed",
      "started_date": "2025-07-09T06:02:11Z", "completed_date": "2025-07-09T06:58:40Z",
      "cut_off": 60, "overall_percentage": 72.5, "sections": []})";
  Result<boost::json::value> json = core::ParseJson(text);
  EXPECT_TRUE(json);
  Result<Report> report =
      json ? domain::ParseReport(*json, ReportId{id}) : Result<Report>(json.error());
  EXPECT_TRUE(report) << report.error().message();
  return report ? *report : Report{};
}

// Runs tests/support/pg_server.sh `command` `dir`; returns its stdout without
// the trailing newline, or nullopt if it failed.
std::optional<std::string> PgServer(const std::string& command, const std::string& dir) {
  const std::string line = "bash '" RS_PG_SERVER_SCRIPT "' " + command + " '" + dir + "'";
  FILE* pipe = popen(line.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string out;
  char buf[256];
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  if (pclose(pipe) != 0) return std::nullopt;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// --- without a server ---

TEST(PostgresStoreOpenTest, BadArgumentsAreRejected) {
  EXPECT_EQ(PostgresStore::Open("postgresql://u@127.0.0.1:1/db", 0).error().code(),
            Code::kInvalidArgument);
  auto malformed = PostgresStore::Open("postgresql://u:secret@127.0.0.1:notaport/db?x", 1);
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().code(), Code::kInvalidArgument);
  ExpectNoSql(malformed.error().message());
  EXPECT_EQ(PostgresStore::Open("nonsense = = =", 1).error().code(), Code::kInvalidArgument);
}

TEST(PostgresStoreOpenTest, UnreachableServerIsUnavailableQuicklyAndKeepsThePasswordSecret) {
  // Nothing listens on port 1: the connection is refused at once.
  ScopedLogCapture capture;
  const auto start = steady_clock::now();
  auto store = PostgresStore::Open("postgresql://rs:secret@127.0.0.1:1/rsdb", 2);
  ASSERT_FALSE(store);
  EXPECT_LT(steady_clock::now() - start, seconds{5});
  EXPECT_EQ(store.error().code(), Code::kUnavailable);
  EXPECT_NE(store.error().message().find("rs@127.0.0.1:1/rsdb"), std::string::npos)
      << store.error().message();
  ExpectNoSql(store.error().message());

  // The driver's words went to the log, under the database's name only.
  const std::vector<CapturedLog> log = capture->lines();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].channel, "postgres");
  EXPECT_EQ(log[0].Field("op"), "connect");
  EXPECT_EQ(log[0].Field("database"), "rs@127.0.0.1:1/rsdb");
  EXPECT_EQ(log[0].json_line.find("secret"), std::string::npos) << log[0].json_line;
}

// --- on the configured server ---

class PostgresStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<PostgresStore> Open(int pool_size = 2) {
    auto store = PostgresStore::Open(db_.url(), pool_size);
    EXPECT_TRUE(store) << store.error().message();
    return store ? std::move(*store) : nullptr;
  }

  pg_test::ScratchDatabase db_;
};

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PostgresStoreTest);
INSTANTIATE_TEST_SUITE_P(Pg, PostgresStoreTest, ::testing::ValuesIn(pg_test::Instances()),
                         [](const auto& p) { return p.param; });

TEST_P(PostgresStoreTest, MigrationsAreAppliedOnceWhenNodesStartTogether) {
  ASSERT_FALSE(db_.url().empty());
  constexpr int kNodes = 4;
  std::barrier start(kNodes);
  std::atomic<int> opened{0};
  std::vector<std::thread> nodes;
  for (int i = 0; i < kNodes; ++i) {
    nodes.emplace_back([&] {
      start.arrive_and_wait();
      auto store = PostgresStore::Open(db_.url(), 2);
      if (!store) {
        ADD_FAILURE() << store.error().message();
        return;
      }
      auto version = (*store)->SchemaVersion();
      if (version && *version == LatestSchemaVersion()) ++opened;
    });
  }
  for (auto& t : nodes) t.join();
  EXPECT_EQ(opened.load(), kNodes);
  EXPECT_EQ(db_.Query("SELECT count(*) FROM schema_migrations"),
            std::to_string(Migrations().size()));
  EXPECT_EQ(db_.Query("SELECT count(DISTINCT version) FROM schema_migrations"),
            std::to_string(Migrations().size()));

  // A later start applies nothing.
  const std::string applied_at = db_.Query("SELECT max(applied_at) FROM schema_migrations");
  { ASSERT_TRUE(Open(1)); }
  EXPECT_EQ(db_.Query("SELECT max(applied_at) FROM schema_migrations"), applied_at);
}

TEST_P(PostgresStoreTest, SchemaHasTheTablesAndIndex) {
  auto store = Open();
  ASSERT_TRUE(store);
  for (const char* table :
       {"companies", "api_keys", "reports", "links", "branding", "schema_migrations"}) {
    EXPECT_EQ(
        db_.Query(std::string("SELECT count(*) FROM pg_tables WHERE tablename = '") + table + "'"),
        "1")
        << table;
  }
  EXPECT_EQ(db_.Query("SELECT count(*) FROM pg_indexes WHERE indexname = 'links_by_report'"), "1");
}

TEST_P(PostgresStoreTest, NewerSchemaIsRefused) {
  { ASSERT_TRUE(Open(1)); }
  ASSERT_EQ(db_.Query("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)"),
            "<done>");
  auto store = PostgresStore::Open(db_.url(), 1);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code(), Code::kUnavailable);
  EXPECT_NE(store.error().message().find("999"), std::string::npos) << store.error().message();
}

TEST_P(PostgresStoreTest, MissingCompanyIsNotFound) {
  auto store = Open();
  ASSERT_TRUE(store);
  std::array<uint8_t, 32> hash{};
  Status key = store->InsertApiKey(CompanyId{12345}, "k_x", hash, Instant{});
  EXPECT_EQ(key.code(), Code::kNotFound) << key.message();
  auto put = store->PutReport(CompanyId{12345}, MinimalReport(5), Instant{});
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code(), Code::kNotFound) << put.error().message();
  LinkRecord link;
  link.company_id = CompanyId{12345};
  EXPECT_EQ(store->InsertLink(link).code(), Code::kNotFound);
  // An open of an unknown link is skipped, not an error that loses the batch.
  EXPECT_TRUE(store->RecordOpens({LinkOpen{LinkId{}, Instant{}, 200, "curl", "", true}}).ok());
}

TEST_P(PostgresStoreTest, DamagedReportBodyIsInternalNotACrash) {
  auto store = Open();
  ASSERT_TRUE(store);
  auto acme = store->EnsureCompany("acme");
  ASSERT_TRUE(acme);
  ASSERT_EQ(db_.Query("INSERT INTO reports (report_id, company_id, version, body, invite_status, "
                      "updated_at) VALUES (5, " +
                      std::to_string(acme->value) + ", 1, '{not json', 'Completed', 0)"),
            "<done>");
  auto got = store->GetReport(ReportId{5});
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), Code::kInternal);
  ExpectNoSql(got.error().message());
}

TEST_P(PostgresStoreTest, DriverErrorIsOneLogLineAndNoSqlInTheStatus) {
  auto store = Open();
  ASSERT_TRUE(store);
  // PostgreSQL refuses text that is not UTF-8.
  std::vector<CapturedLog> log;
  {
    ScopedLogCapture capture;
    auto company = store->EnsureCompany("bad \xff\xfe utf-8");
    ASSERT_FALSE(company);
    EXPECT_EQ(company.error(), Status::Unavailable("database unavailable"));
    log = capture->lines();
  }
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].level, core::LogLevel::kError);
  EXPECT_EQ(log[0].channel, "postgres");
  EXPECT_EQ(log[0].Field("op"), "EnsureCompany");
  EXPECT_EQ(log[0].Field("sqlstate"), "22021");  // character_not_in_repertoire
  EXPECT_EQ(log[0].message.find('\n'), std::string::npos) << log[0].message;
  // The connection is still good afterwards.
  EXPECT_TRUE(store->Ping().ok());
  EXPECT_TRUE(store->EnsureCompany("acme"));
}

// PostgreSQL's DETAIL line repeats the row ("Failing row contains (...)") or
// the key ("Key (...)=(...)"): candidate data, which stays out of the log.
TEST_P(PostgresStoreTest, ConstraintViolationLogsNoRowValues) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->EnsureCompany("acme"));
  ASSERT_EQ(db_.Query("ALTER TABLE companies ADD CONSTRAINT test_refused "
                      "CHECK (name <> 'Zebulon Quackenbush')"),
            "<done>");
  std::vector<CapturedLog> log;
  std::string all_text;
  {
    ScopedLogCapture capture;
    auto company = store->EnsureCompany("Zebulon Quackenbush");
    ASSERT_FALSE(company);
    EXPECT_EQ(company.error(), Status::Unavailable("database unavailable"));
    log = capture->lines();
    all_text = capture->AllText();
  }
  ASSERT_EQ(log.size(), 1u) << all_text;
  EXPECT_EQ(log[0].Field("op"), "EnsureCompany");
  EXPECT_EQ(log[0].Field("sqlstate"), "23514");  // check_violation
  EXPECT_NE(log[0].message.find("test_refused"), std::string::npos) << log[0].message;
  EXPECT_EQ(all_text.find("Zebulon"), std::string::npos) << all_text;
  EXPECT_EQ(all_text.find("Failing row"), std::string::npos) << all_text;
}

TEST_P(PostgresStoreTest, PutsFromTwoNodesLeaveOneConsistentVersion) {
  auto node_a = Open(3);
  auto node_b = Open(3);
  ASSERT_TRUE(node_a && node_b);
  auto acme = node_a->EnsureCompany("acme");
  ASSERT_TRUE(acme);
  ASSERT_EQ(node_b->EnsureCompany("acme").value(), *acme);

  constexpr int kThreadsPerNode = 3;
  constexpr int kPuts = 25;
  std::atomic<int> failures{0};
  std::atomic<int> created{0};
  std::vector<std::thread> threads;
  for (PostgresStore* node : {node_a.get(), node_b.get()}) {
    for (int t = 0; t < kThreadsPerNode; ++t) {
      threads.emplace_back([&, node] {
        for (int i = 0; i < kPuts; ++i) {
          auto out = node->PutReport(*acme, MinimalReport(318), Instant{});
          if (!out) {
            ++failures;
          } else if (*out == PutOutcome::kCreated) {
            ++created;
          }
        }
      });
    }
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(created.load(), 1);
  auto got = node_b->GetReport(ReportId{318});
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->version, 2 * kThreadsPerNode * kPuts);
}

TEST_P(PostgresStoreTest, EnsureCompanyRacesYieldOneId) {
  auto node_a = Open(4);
  auto node_b = Open(4);
  ASSERT_TRUE(node_a && node_b);
  constexpr int kThreads = 8;
  std::barrier start(kThreads);
  std::vector<CompanyId> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      PostgresStore& node = t % 2 ? *node_a : *node_b;
      start.arrive_and_wait();
      auto id = node.EnsureCompany("globex");
      EXPECT_TRUE(id);
      if (id) ids[static_cast<size_t>(t)] = *id;
    });
  }
  for (auto& t : threads) t.join();
  for (const CompanyId& id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(db_.Query("SELECT count(*) FROM companies"), "1");
}

// Stops and restarts a server of its own: the shared one stays up.
TEST_P(PostgresStoreTest, RecoversWhenTheServerComesBack) {
  TempDir dir{"rs_pg_test_"};  // pg_server.sh hands it to the server's user when run as root
  const std::string& pg_dir = dir.path();
  std::optional<std::string> url = PgServer("start", pg_dir);
  ASSERT_TRUE(url) << "pg_server.sh start failed";
  struct StopOnExit {
    std::string dir;
    ~StopOnExit() { (void)PgServer("stop", dir); }
  } stop_on_exit{pg_dir};

  auto opened = PostgresStore::Open(*url, 2);
  ASSERT_TRUE(opened) << opened.error().message();
  PostgresStore& store = **opened;
  auto acme = store.EnsureCompany("acme");
  ASSERT_TRUE(acme);
  ASSERT_TRUE(store.PutReport(*acme, MinimalReport(318), Instant{}));

  ASSERT_TRUE(PgServer("stop", pg_dir));
  // Every connection is dead now; each call tries to reconnect, is refused
  // and answers at once.
  for (int i = 0; i < 4; ++i) {
    const auto start = steady_clock::now();
    Status ping = store.Ping();
    auto got = store.GetReport(ReportId{318});
    EXPECT_LT(steady_clock::now() - start, seconds{5});
    EXPECT_EQ(ping, Status::Unavailable("database unavailable"));
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error(), Status::Unavailable("database unavailable"));
  }

  ASSERT_EQ(PgServer("start", pg_dir), url) << "the restart must keep the port";
  // The same store object recovers on its own: the next calls reconnect.
  EXPECT_TRUE(store.Ping().ok());
  for (int i = 0; i < 4; ++i) {
    auto got = store.GetReport(ReportId{318});
    ASSERT_TRUE(got) << got.error().message();
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->version, 1);
  }
  auto put = store.PutReport(*acme, MinimalReport(318), Instant{});
  ASSERT_TRUE(put);
  EXPECT_EQ(*put, PutOutcome::kReplaced);
}

}  // namespace
}  // namespace reportshare::store
