// The conformance suite every Store implementation passes, run once per
// backend. Each backend adds a factory: a class whose Open() returns the
// store under test on a fresh, private database, and returns a store on that
// same database when called again (after the previous store is destroyed).
// The PostgreSQL backend joins only when a server is configured
// (REPORTSHARE_TEST_PG or REPORTSHARE_TEST_PG_FILE, see support/pg_test_database.h):
// otherwise its tests are not instantiated, rather than skipped or passed.

#include <gtest/gtest.h>

#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/json.h"
#include "domain/report_json.h"
#include "domain/webhook.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "support/pg_test_database.h"
#include "support/temp_dir.h"

namespace reportshare::store {
namespace {

using test_support::TempDir;
namespace pg_test = test_support::pg;

using std::chrono::hours;
using std::chrono::seconds;

// --- helpers ---

std::string Describe(const Status& s) {
  return std::string(core::CodeName(s.code())) + ": " + s.message();
}
template <class T>
std::string Describe(const Result<T>& r) {
  return r ? std::string("ok") : Describe(r.error());
}
bool IsOk(const Status& s) { return s.ok(); }
template <class T>
bool IsOk(const Result<T>& r) {
  return r.has_value();
}

#define EXPECT_OK(expr)                                  \
  do {                                                   \
    const auto& rs_value_ = (expr);                      \
    EXPECT_TRUE(IsOk(rs_value_)) << Describe(rs_value_); \
  } while (0)
#define ASSERT_OK(expr)                                  \
  do {                                                   \
    const auto& rs_value_ = (expr);                      \
    ASSERT_TRUE(IsOk(rs_value_)) << Describe(rs_value_); \
  } while (0)

template <class T>
Code CodeOf(const Result<T>& r) {
  return r ? Code::kOk : r.error().code();
}

const Instant kT0 = Instant{} + seconds{1'752'040'000};  // 2025-07-09

Instant At(int64_t s) { return kT0 + seconds{s}; }

// A valid report built the way production builds one: from JSON.
Report MakeReport(int64_t id, std::string_view name, std::string_view extra_json = "") {
  std::string text = R"({"report_id": )" + std::to_string(id) +
                     R"(, "assessment_id": 138, "assessment_name": "Backend Engineer Screening",
      "candidate_id": 5012, "email": "priya@example.com", "invite_status": "Completed",
      "started_date": "2025-07-09T06:02:11Z", "completed_date": "2025-07-09T06:58:40.123456Z",
      "cut_off": 60, "overall_percentage": 72.5, "offtab_count": 2,
      "registration_fields": [{"label": "Phone", "value": "+91 98450 00000"}],
      "sections": [{"section": "Python", "percentage": 80.0,
                    "skill_wise_score": [{"skill": "Data structures", "percentage": 90.0}]}])";
  text += extra_json;
  text += R"(, "name": )";
  text += core::WriteJson(boost::json::value(boost::json::string(name)));
  text += "}";
  Result<boost::json::value> json = core::ParseJson(text);
  EXPECT_TRUE(json) << Describe(json);
  Result<Report> report = domain::ParseReport(*json, ReportId{id});
  EXPECT_TRUE(report) << Describe(report);
  return *report;
}

std::string StorageJson(const Report& r) {
  return core::WriteJson(boost::json::value(domain::ReportToStorageJson(r)));
}

std::array<uint8_t, 32> Hash(uint8_t seed) {
  std::array<uint8_t, 32> h{};
  for (size_t i = 0; i < h.size(); ++i) h[i] = static_cast<uint8_t>(seed + i);
  return h;
}

LinkId MakeLinkId(uint8_t seed) {
  LinkId id;
  for (size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = static_cast<uint8_t>(seed ^ i);
  return id;
}

LinkRecord MakeLink(uint8_t seed, CompanyId company, ReportId report, Instant created) {
  LinkRecord link;
  link.link_id = MakeLinkId(seed);
  link.report_id = report;
  link.company_id = company;
  link.signing_key_id = SigningKeyId{7};
  link.created_at = created;
  link.expires_at = created + hours{2};
  return link;
}

// One counted open (a view) of `id` at `at`.
Status View(Store& s, const LinkId& id, Instant at) {
  return s.RecordOpens({LinkOpen{id, at, 200, "Chrome", "203.0.113.0/24", true}});
}

// --- factories ---

class StoreFactory {
 public:
  static constexpr int kPoolSize = 4;  // fewer than the threads of the concurrency tests

  virtual ~StoreFactory() = default;
  virtual Result<std::unique_ptr<Store>> Open() = 0;
};

class SqliteFactory final : public StoreFactory {
 public:
  Result<std::unique_ptr<Store>> Open() override {
    Result<std::unique_ptr<SqliteStore>> store =
        SqliteStore::Open(dir_.path() + "/rs.db", kPoolSize);
    if (!store) return store.error();
    return std::unique_ptr<Store>(std::move(*store));
  }

 private:
  TempDir dir_{"rs_store_test_"};
};

// A fresh database per test on the configured server, dropped afterwards.
class PostgresFactory final : public StoreFactory {
 public:
  Result<std::unique_ptr<Store>> Open() override {
    if (db_.url().empty()) return Status::Unavailable("no scratch database (see the failure)");
    Result<std::unique_ptr<PostgresStore>> store = PostgresStore::Open(db_.url(), kPoolSize);
    if (!store) return store.error();
    return std::unique_ptr<Store>(std::move(*store));
  }

 private:
  pg_test::ScratchDatabase db_;
};

struct Backend {
  std::string name;
  std::function<std::unique_ptr<StoreFactory>()> make;
};

void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

std::vector<Backend> Backends() {
  std::vector<Backend> backends = {{"Sqlite", [] { return std::make_unique<SqliteFactory>(); }}};
  if (pg_test::Enabled()) {
    backends.push_back({"Postgres", [] { return std::make_unique<PostgresFactory>(); }});
  }
  return backends;
}

// --- the suite ---

class StoreConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    factory_ = GetParam().make();
    Result<std::unique_ptr<Store>> store = factory_->Open();
    ASSERT_TRUE(store) << Describe(store);
    store_ = std::move(*store);
  }

  // Closes the store and opens the same database again.
  void Reopen() {
    store_.reset();
    Result<std::unique_ptr<Store>> store = factory_->Open();
    ASSERT_TRUE(store) << Describe(store);
    store_ = std::move(*store);
  }

  CompanyId Company(std::string_view name) {
    Result<CompanyId> id = store_->EnsureCompany(name);
    EXPECT_TRUE(id) << Describe(id);
    return id ? *id : CompanyId{};
  }

  std::unique_ptr<StoreFactory> factory_;
  std::unique_ptr<Store> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformanceTest, ::testing::ValuesIn(Backends()),
                         [](const ::testing::TestParamInfo<Backend>& p) { return p.param.name; });

TEST_P(StoreConformanceTest, PingSucceeds) { EXPECT_OK(this->store_->Ping()); }

TEST_P(StoreConformanceTest, ReopenKeepsData) {
  CompanyId acme = this->Company("acme");
  ASSERT_OK(this->store_->PutReport(acme, MakeReport(318, "Priya Raman"), At(0)));
  ASSERT_OK(this->store_->InsertLink(MakeLink(1, acme, ReportId{318}, At(1))));
  ASSERT_OK(this->store_->InsertApiKey(acme, "k_1", Hash(1), At(0)));

  this->Reopen();

  EXPECT_EQ(this->Company("acme"), acme);
  Result<std::optional<StoredReport>> got = this->store_->GetReport(ReportId{318});
  ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->report.name, "Priya Raman");
  EXPECT_EQ((*got)->version, 1);
  Result<bool> has = this->store_->HasLinks();
  ASSERT_OK(has);
  EXPECT_TRUE(*has);
  Result<std::optional<Principal>> key = this->store_->FindApiKey(Hash(1));
  ASSERT_OK(key);
  EXPECT_TRUE(key->has_value());
}

TEST_P(StoreConformanceTest, EnsureCompanyIsIdempotent) {
  CompanyId a1 = this->Company("acme");
  CompanyId b = this->Company("Bharat Talent प्रा. लि.");
  CompanyId a2 = this->Company("acme");
  EXPECT_EQ(a1, a2);
  EXPECT_NE(a1, b);
  EXPECT_EQ(this->Company("Bharat Talent प्रा. लि."), b);
}

TEST_P(StoreConformanceTest, ApiKeysInsertFindListRevoke) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  CompanyId globex = this->Company("globex");
  ASSERT_OK(s.InsertApiKey(acme, "k_acme", Hash(1), At(10)));
  ASSERT_OK(s.InsertApiKey(globex, "k_globex", Hash(2), At(20)));

  Status dup = s.InsertApiKey(acme, "k_acme", Hash(3), At(30));
  EXPECT_EQ(dup.code(), Code::kConflict) << Describe(dup);

  Result<std::optional<Principal>> found = s.FindApiKey(Hash(1));
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->company_id, acme);
  EXPECT_EQ((*found)->company_name, "acme");
  EXPECT_EQ((*found)->key_id, "k_acme");

  Result<std::optional<Principal>> unknown = s.FindApiKey(Hash(9));
  ASSERT_OK(unknown);
  EXPECT_FALSE(unknown->has_value());

  Result<bool> revoked = s.RevokeApiKey("k_acme", At(40));
  ASSERT_OK(revoked);
  EXPECT_TRUE(*revoked);
  Result<std::optional<Principal>> after = s.FindApiKey(Hash(1));
  ASSERT_OK(after);
  EXPECT_FALSE(after->has_value());

  Result<bool> again = s.RevokeApiKey("k_acme", At(50));
  ASSERT_OK(again);
  EXPECT_FALSE(*again);
  EXPECT_EQ(CodeOf(s.RevokeApiKey("k_nope", At(50))), Code::kNotFound);

  Result<std::vector<ApiKeyInfo>> keys = s.ListApiKeys();
  ASSERT_OK(keys);
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].key_id, "k_acme");
  EXPECT_EQ((*keys)[0].company_name, "acme");
  EXPECT_EQ((*keys)[0].created_at, At(10));
  EXPECT_EQ((*keys)[0].revoked_at, std::optional<Instant>(At(40)));  // the first revoke stands
  EXPECT_EQ((*keys)[1].key_id, "k_globex");
  EXPECT_EQ((*keys)[1].company_name, "globex");
  EXPECT_EQ((*keys)[1].revoked_at, std::nullopt);

  // The other company's key is untouched.
  Result<std::optional<Principal>> other = s.FindApiKey(Hash(2));
  ASSERT_OK(other);
  ASSERT_TRUE(other->has_value());
  EXPECT_EQ((*other)->company_id, globex);
}

TEST_P(StoreConformanceTest, PutReportCreatesThenReplaces) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  Result<PutOutcome> created = s.PutReport(acme, MakeReport(318, "Priya Raman"), At(0));
  ASSERT_OK(created);
  EXPECT_EQ(*created, PutOutcome::kCreated);

  Result<std::optional<StoredReport>> v1 = s.GetReport(ReportId{318});
  ASSERT_OK(v1);
  ASSERT_TRUE(v1->has_value());
  EXPECT_EQ((*v1)->company_id, acme);
  EXPECT_EQ((*v1)->company_name, "acme");
  EXPECT_EQ((*v1)->version, 1);
  EXPECT_EQ((*v1)->report.report_id, ReportId{318});
  EXPECT_EQ(StorageJson((*v1)->report), StorageJson(MakeReport(318, "Priya Raman")));

  Report replacement = MakeReport(318, "Priya R.", R"(, "overall_percentage": 55)");
  Result<PutOutcome> replaced = s.PutReport(acme, replacement, At(60));
  ASSERT_OK(replaced);
  EXPECT_EQ(*replaced, PutOutcome::kReplaced);

  Result<std::optional<StoredReport>> v2 = s.GetReport(ReportId{318});
  ASSERT_OK(v2);
  ASSERT_TRUE(v2->has_value());
  EXPECT_EQ((*v2)->version, 2);
  EXPECT_EQ((*v2)->report.name, "Priya R.");
  EXPECT_EQ((*v2)->report.overall_percentage, std::optional<double>(55));
  EXPECT_EQ(StorageJson((*v2)->report), StorageJson(replacement));

  ASSERT_OK(s.PutReport(acme, replacement, At(120)));
  Result<std::optional<StoredReport>> v3 = s.GetReport(ReportId{318});
  ASSERT_OK(v3);
  EXPECT_EQ((*v3)->version, 3);
}

TEST_P(StoreConformanceTest, PutReportOfAnotherCompanyConflictsAndChangesNothing) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  CompanyId globex = this->Company("globex");
  ASSERT_OK(s.PutReport(acme, MakeReport(318, "Priya Raman"), At(0)));

  Result<PutOutcome> stolen = s.PutReport(globex, MakeReport(318, "Mallory"), At(10));
  ASSERT_FALSE(stolen);
  EXPECT_EQ(stolen.error().code(), Code::kConflict);
  EXPECT_EQ(stolen.error().message(), "report_id belongs to another company");

  Result<std::optional<StoredReport>> got = s.GetReport(ReportId{318});
  ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->company_id, acme);
  EXPECT_EQ((*got)->version, 1);
  EXPECT_EQ((*got)->report.name, "Priya Raman");
}

// "created", "replaced", or the error, for comparing PutReports' outcomes.
std::string OutcomeName(const Result<PutOutcome>& r) {
  if (!r) return Describe(r.error());
  return *r == PutOutcome::kCreated ? "created" : "replaced";
}

std::vector<std::string> OutcomeNames(const Result<std::vector<Result<PutOutcome>>>& r) {
  std::vector<std::string> out;
  if (!r) return {Describe(r.error())};
  for (const Result<PutOutcome>& o : *r) out.push_back(OutcomeName(o));
  return out;
}

TEST_P(StoreConformanceTest, PutReportsWritesEachReportInOrderAndRefusesOnlyAnotherCompanys) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  CompanyId globex = this->Company("globex");
  ASSERT_OK(s.PutReport(acme, MakeReport(1, "One v1"), At(0)));
  ASSERT_OK(s.PutReport(globex, MakeReport(2, "Globex's own"), At(0)));

  // A conflict in the middle of the batch; an id twice (created, then replaced).
  const std::vector<Report> batch = {MakeReport(3, "Three v1"), MakeReport(1, "One v2"),
                                     MakeReport(2, "Mallory"), MakeReport(4, "Four"),
                                     MakeReport(3, "Three v2")};
  auto out = s.PutReports(acme, batch, At(10));
  ASSERT_OK(out);
  EXPECT_EQ(OutcomeNames(out),
            (std::vector<std::string>{"created", "replaced",
                                      "Conflict: report_id belongs to another company", "created",
                                      "replaced"}));

  auto expect = [&](int64_t id, CompanyId owner, int64_t version, std::string_view name) {
    Result<std::optional<StoredReport>> got = s.GetReport(ReportId{id});
    ASSERT_OK(got);
    ASSERT_TRUE(got->has_value()) << id;
    EXPECT_EQ((*got)->company_id, owner) << id;
    EXPECT_EQ((*got)->version, version) << id;
    EXPECT_EQ((*got)->report.name, name) << id;
  };
  expect(1, acme, 2, "One v2");
  expect(2, globex, 1, "Globex's own");
  expect(3, acme, 2, "Three v2");
  expect(4, acme, 1, "Four");
  Result<std::optional<ReportHead>> head = s.GetReportHead(ReportId{3});
  ASSERT_OK(head);
  ASSERT_TRUE(head->has_value());
  EXPECT_EQ((*head)->version, 2);
  EXPECT_TRUE((*head)->completed());
  EXPECT_EQ((*head)->assessment_id, 138);

  // The webhook outbox is not written: an import sends no event.
  Result<OutboxStats> stats = s.GetOutboxStats();
  ASSERT_OK(stats);
  EXPECT_EQ(stats->pending, 0);
}

TEST_P(StoreConformanceTest, PutReportsOfAnEmptyBatchIsOk) {
  Store& s = *this->store_;
  auto out = s.PutReports(this->Company("acme"), {}, At(0));
  ASSERT_OK(out);
  EXPECT_TRUE(out->empty());
}

TEST_P(StoreConformanceTest, PutReportsOfALargeBatchWithRepeatsLandsWhole) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  std::vector<Report> batch;
  for (int64_t id = 1; id <= 600; ++id) batch.push_back(MakeReport(id, "first"));
  for (int64_t id = 600; id >= 1; --id) batch.push_back(MakeReport(id, "second"));
  auto out = s.PutReports(acme, batch, At(0));
  ASSERT_OK(out);
  ASSERT_EQ(out->size(), 1200u);
  for (size_t i = 0; i < out->size(); ++i) {
    EXPECT_EQ(OutcomeName((*out)[i]), i < 600 ? "created" : "replaced") << i;
  }
  for (int64_t id : {1, 300, 600}) {
    Result<std::optional<StoredReport>> got = s.GetReport(ReportId{id});
    ASSERT_OK(got);
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->version, 2);
    EXPECT_EQ((*got)->report.name, "second");
  }
}

TEST_P(StoreConformanceTest, PutReportsForAnUnknownCompanyWritesNothing) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  const std::vector<Report> batch = {MakeReport(1, "a"), MakeReport(2, "b")};
  auto out = s.PutReports(CompanyId{acme.value + 1000}, batch, At(0));
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code(), Code::kNotFound) << Describe(out.error());
  for (int64_t id : {1, 2}) {
    Result<std::optional<StoredReport>> got = s.GetReport(ReportId{id});
    ASSERT_OK(got);
    EXPECT_FALSE(got->has_value()) << id;
  }
}

TEST_P(StoreConformanceTest, PutReportsRoundTripsUnicodeAndEscapesByteExact) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  const std::string name =
      "प्रिया \"रमन\" — \\ بريا 👩🏽‍💻 </script>\n\t 'x' "
      "{\"]\"}";
  const Report report = MakeReport(77, name);
  auto out = s.PutReports(acme, {&report, 1}, At(0));
  ASSERT_OK(out);
  EXPECT_EQ(OutcomeNames(out), std::vector<std::string>{"created"});
  Result<std::optional<StoredReport>> got = s.GetReport(ReportId{77});
  ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->report.name, name);
  EXPECT_EQ(StorageJson((*got)->report), StorageJson(report));
}

TEST_P(StoreConformanceTest, ConcurrentBatchesOverTheSameIdsAllLand) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  constexpr int kThreads = 4;
  constexpr int kBatches = 5;
  constexpr int64_t kIds = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread in its own order: the store must not deadlock on it.
      std::vector<Report> batch;
      for (int64_t i = 0; i < kIds; ++i) {
        const int64_t id = t % 2 == 0 ? i + 1 : kIds - i;
        batch.push_back(MakeReport(id, "writer " + std::to_string(t)));
      }
      for (int b = 0; b < kBatches; ++b) {
        auto out = s.PutReports(acme, batch, At(b));
        if (!out) {
          ++failures;
          continue;
        }
        for (const Result<PutOutcome>& o : *out) failures += o ? 0 : 1;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  for (int64_t id : {int64_t{1}, kIds}) {
    Result<std::optional<StoredReport>> got = s.GetReport(ReportId{id});
    ASSERT_OK(got);
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->version, kThreads * kBatches);
  }
}

TEST_P(StoreConformanceTest, GetReportOfMissingIdIsNullopt) {
  Result<std::optional<StoredReport>> got = this->store_->GetReport(ReportId{404});
  ASSERT_OK(got);
  EXPECT_FALSE(got->has_value());
}

TEST_P(StoreConformanceTest, GetReportHeadFollowsTheReportWithoutItsBody) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  Result<std::optional<ReportHead>> missing = s.GetReportHead(ReportId{318});
  ASSERT_OK(missing);
  EXPECT_FALSE(missing->has_value());

  // An assessment id beyond 2^53 must come back exact (no trip through a double).
  const int64_t big = int64_t{1} << 62;
  ASSERT_OK(s.PutReport(acme, MakeReport(318, "Priya Raman"), At(0)));
  Result<std::optional<ReportHead>> v1 = s.GetReportHead(ReportId{318});
  ASSERT_OK(v1);
  ASSERT_TRUE(v1->has_value());
  EXPECT_EQ((*v1)->company_id, acme);
  EXPECT_EQ((*v1)->version, 1);
  EXPECT_TRUE((*v1)->completed());
  EXPECT_EQ((*v1)->assessment_id, 138);

  Report started = MakeReport(318, "Priya Raman");
  started.invite_status = InviteStatus::kStarted;
  started.completed_date.reset();
  started.assessment_id = big + 1;
  ASSERT_OK(s.PutReport(acme, started, At(60)));
  Result<std::optional<ReportHead>> v2 = s.GetReportHead(ReportId{318});
  ASSERT_OK(v2);
  ASSERT_TRUE(v2->has_value());
  EXPECT_EQ((*v2)->version, 2);
  EXPECT_EQ((*v2)->invite_status, InviteStatus::kStarted);
  EXPECT_FALSE((*v2)->completed());
  EXPECT_EQ((*v2)->assessment_id, big + 1);
  // The same as GetReport says.
  Result<std::optional<StoredReport>> full = s.GetReport(ReportId{318});
  ASSERT_OK(full);
  EXPECT_EQ((*full)->version, (*v2)->version);
  EXPECT_EQ((*full)->report.assessment_id, (*v2)->assessment_id);
}

TEST_P(StoreConformanceTest, UnicodeAndMarkupRoundTripByteExact) {
  Store& s = *this->store_;
  const std::string company = "شركة التوظيف 🚀 <b>&amp;</b>";
  const std::string name =
      "प्रिया रमन — بريا رامان 👩🏽‍💻 "
      "<script>alert(\"x\")</script>";
  const std::string section = "सॉफ़्टवेयर डिज़ाइन & \"quotes\" 'apos' \\ \u00e9\u0301";
  const std::string label = "رقم الهاتف </td><img src=x onerror=alert(1)>";
  std::string extra = R"(, "assessment_name": )" +
                      core::WriteJson(boost::json::value(boost::json::string("評価 🧪 <i>"))) +
                      R"(, "registration_fields": [{"label": )" +
                      core::WriteJson(boost::json::value(boost::json::string(label))) +
                      R"(, "value": "١٢٣٤"}], "sections": [{"section": )" +
                      core::WriteJson(boost::json::value(boost::json::string(section))) +
                      R"(, "percentage": 50, "skill_wise_score": []}])";
  Report report = MakeReport(9001, name, extra);
  CompanyId id = this->Company(company);
  ASSERT_OK(s.PutReport(id, report, At(0)));

  Result<std::optional<StoredReport>> got = s.GetReport(ReportId{9001});
  ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  const StoredReport& r = **got;
  EXPECT_EQ(r.company_name, company);
  EXPECT_EQ(r.report.name, name);
  EXPECT_EQ(r.report.assessment_name, "評価 🧪 <i>");
  ASSERT_EQ(r.report.registration_fields.size(), 1u);
  EXPECT_EQ(r.report.registration_fields[0].label, label);
  EXPECT_EQ(r.report.registration_fields[0].value, "١٢٣٤");
  ASSERT_EQ(r.report.sections.size(), 1u);
  EXPECT_EQ(r.report.sections[0].section, section);
  EXPECT_EQ(StorageJson(r.report), StorageJson(report));
}

TEST_P(StoreConformanceTest, LinksInsertGetListInOrder) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  Result<bool> none = s.HasLinks();
  ASSERT_OK(none);
  EXPECT_FALSE(*none);

  // Inserted out of order; two share a created_at.
  ASSERT_OK(s.InsertLink(MakeLink(2, acme, ReportId{318}, At(200))));
  ASSERT_OK(s.InsertLink(MakeLink(1, acme, ReportId{318}, At(100))));
  ASSERT_OK(s.InsertLink(MakeLink(3, acme, ReportId{318}, At(300))));
  ASSERT_OK(s.InsertLink(MakeLink(5, acme, ReportId{318}, At(200))));
  ASSERT_OK(s.InsertLink(MakeLink(9, acme, ReportId{319}, At(999))));  // another report

  Result<bool> has = s.HasLinks();
  ASSERT_OK(has);
  EXPECT_TRUE(*has);

  Result<std::optional<LinkRecord>> one = s.GetLink(MakeLinkId(2));
  ASSERT_OK(one);
  ASSERT_TRUE(one->has_value());
  const LinkRecord& l = **one;
  EXPECT_EQ(l.link_id, MakeLinkId(2));
  EXPECT_EQ(l.report_id, ReportId{318});
  EXPECT_EQ(l.company_id, acme);
  EXPECT_EQ(l.signing_key_id, SigningKeyId{7});
  EXPECT_EQ(l.created_at, At(200));
  EXPECT_EQ(l.expires_at, At(200) + hours{2});
  EXPECT_EQ(l.revoked_at, std::nullopt);
  EXPECT_EQ(l.views, 0);
  EXPECT_EQ(l.last_viewed_at, std::nullopt);

  Result<std::optional<LinkRecord>> missing = s.GetLink(MakeLinkId(77));
  ASSERT_OK(missing);
  EXPECT_FALSE(missing->has_value());

  Result<std::vector<LinkRecord>> links = s.ListLinks(acme, ReportId{318});
  ASSERT_OK(links);
  ASSERT_EQ(links->size(), 4u);
  EXPECT_EQ((*links)[0].link_id, MakeLinkId(3));
  // The tie at 200 s is broken by link id, ascending.
  LinkId a = MakeLinkId(2), b = MakeLinkId(5);
  EXPECT_EQ((*links)[1].link_id, std::min(a, b));
  EXPECT_EQ((*links)[2].link_id, std::max(a, b));
  EXPECT_EQ((*links)[3].link_id, MakeLinkId(1));
}

TEST_P(StoreConformanceTest, InsertingAnExistingLinkIdIsANoOp) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  ASSERT_OK(s.InsertLink(MakeLink(1, acme, ReportId{318}, At(100))));
  ASSERT_OK(View(s, MakeLinkId(1), At(150)));

  LinkRecord again = MakeLink(1, acme, ReportId{318}, At(500));
  EXPECT_OK(s.InsertLink(again));

  Result<std::optional<LinkRecord>> got = s.GetLink(MakeLinkId(1));
  ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->created_at, At(100));
  EXPECT_EQ((*got)->views, 1);
  Result<std::vector<LinkRecord>> links = s.ListLinks(acme, ReportId{318});
  ASSERT_OK(links);
  EXPECT_EQ(links->size(), 1u);
}

TEST_P(StoreConformanceTest, InsertLinksRecordsABatchOrNothing) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  EXPECT_OK(s.InsertLinks({}));
  ASSERT_OK(s.InsertLink(MakeLink(1, acme, ReportId{318}, At(100))));
  // An existing id in the batch is a no-op, as for InsertLink.
  ASSERT_OK(s.InsertLinks({MakeLink(2, acme, ReportId{318}, At(200)),
                           MakeLink(1, acme, ReportId{318}, At(500)),
                           MakeLink(3, acme, ReportId{319}, At(300))}));
  Result<std::vector<LinkRecord>> links = s.ListLinks(acme, ReportId{318});
  ASSERT_OK(links);
  ASSERT_EQ(links->size(), 2u);
  EXPECT_EQ((*links)[0].link_id, MakeLinkId(2));
  EXPECT_EQ((*links)[1].created_at, At(100));
  Result<std::optional<LinkRecord>> third = s.GetLink(MakeLinkId(3));
  ASSERT_OK(third);
  ASSERT_TRUE(third->has_value());
  EXPECT_EQ((*third)->report_id, ReportId{319});

  // A row that cannot be inserted (an unknown company) rolls the batch back.
  Status bad = s.InsertLinks({MakeLink(4, acme, ReportId{318}, At(400)),
                              MakeLink(5, CompanyId{987654}, ReportId{1}, At(400))});
  EXPECT_FALSE(bad.ok());
  Result<std::optional<LinkRecord>> rolled_back = s.GetLink(MakeLinkId(4));
  ASSERT_OK(rolled_back);
  EXPECT_FALSE(rolled_back->has_value());
}

TEST_P(StoreConformanceTest, RevokeOneTwiceAndAll) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  for (uint8_t i = 1; i <= 4; ++i) {
    ASSERT_OK(s.InsertLink(MakeLink(i, acme, ReportId{318}, At(i))));
  }
  ASSERT_OK(s.InsertLink(MakeLink(9, acme, ReportId{319}, At(9))));

  Result<int64_t> first = s.RevokeLink(acme, ReportId{318}, MakeLinkId(2), At(100));
  ASSERT_OK(first);
  EXPECT_EQ(*first, 1);
  Result<int64_t> second = s.RevokeLink(acme, ReportId{318}, MakeLinkId(2), At(200));
  ASSERT_OK(second);
  EXPECT_EQ(*second, 0);
  EXPECT_EQ(CodeOf(s.RevokeLink(acme, ReportId{318}, MakeLinkId(77), At(200))), Code::kNotFound);
  // A link of another report of the same company is not this report's.
  EXPECT_EQ(CodeOf(s.RevokeLink(acme, ReportId{318}, MakeLinkId(9), At(200))), Code::kNotFound);

  Result<std::optional<LinkRecord>> revoked = s.GetLink(MakeLinkId(2));
  ASSERT_OK(revoked);
  EXPECT_EQ((*revoked)->revoked_at, std::optional<Instant>(At(100)));  // the first revoke stands

  Result<int64_t> all = s.RevokeAllLinks(acme, ReportId{318}, At(300));
  ASSERT_OK(all);
  EXPECT_EQ(*all, 3);  // 1, 3 and 4; 2 was already revoked
  Result<int64_t> none = s.RevokeAllLinks(acme, ReportId{318}, At(400));
  ASSERT_OK(none);
  EXPECT_EQ(*none, 0);

  Result<std::vector<LinkRecord>> links = s.ListLinks(acme, ReportId{318});
  ASSERT_OK(links);
  for (const LinkRecord& l : *links) {
    EXPECT_EQ(l.revoked_at, std::optional<Instant>(l.link_id == MakeLinkId(2) ? At(100) : At(300)));
  }
  // The other report's link is still live.
  Result<std::optional<LinkRecord>> other = s.GetLink(MakeLinkId(9));
  ASSERT_OK(other);
  EXPECT_EQ((*other)->revoked_at, std::nullopt);
}

TEST_P(StoreConformanceTest, RecordViewCountsViews) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  ASSERT_OK(s.InsertLink(MakeLink(1, acme, ReportId{318}, At(0))));
  ASSERT_OK(s.InsertLink(MakeLink(2, acme, ReportId{318}, At(0))));
  ASSERT_OK(View(s, MakeLinkId(1), At(10)));
  ASSERT_OK(View(s, MakeLinkId(1), At(30)));
  ASSERT_OK(View(s, MakeLinkId(1), At(20)));  // late arrival: last_viewed_at stays 30

  Result<std::optional<LinkRecord>> viewed = s.GetLink(MakeLinkId(1));
  ASSERT_OK(viewed);
  EXPECT_EQ((*viewed)->views, 3);
  EXPECT_EQ((*viewed)->last_viewed_at, std::optional<Instant>(At(30)));
  Result<std::optional<LinkRecord>> unviewed = s.GetLink(MakeLinkId(2));
  ASSERT_OK(unviewed);
  EXPECT_EQ((*unviewed)->views, 0);
  EXPECT_EQ((*unviewed)->last_viewed_at, std::nullopt);
}

TEST_P(StoreConformanceTest, RevokeAllLeavesExpiredLinksAlone) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  LinkRecord expired = MakeLink(1, acme, ReportId{318}, At(0));
  expired.expires_at = At(50);
  ASSERT_OK(s.InsertLink(expired));
  ASSERT_OK(s.InsertLink(MakeLink(2, acme, ReportId{318}, At(0))));
  Result<int64_t> all = s.RevokeAllLinks(acme, ReportId{318}, At(100));
  ASSERT_OK(all);
  EXPECT_EQ(*all, 1);  // only the live one
  Result<std::optional<LinkRecord>> old = s.GetLink(MakeLinkId(1));
  ASSERT_OK(old);
  EXPECT_EQ((*old)->revoked_at, std::nullopt);
}

TEST_P(StoreConformanceTest, RecordOpensAuditsEveryOpenAndCountsOnlyCounted) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  CompanyId globex = this->Company("globex");
  ASSERT_OK(s.InsertLink(MakeLink(1, acme, ReportId{318}, At(0))));
  ASSERT_OK(s.InsertLink(MakeLink(2, acme, ReportId{318}, At(0))));
  std::vector<LinkOpen> batch = {
      {MakeLinkId(1), At(10), 200, "Chrome", "203.0.113.0/24", true},
      {MakeLinkId(1), At(11), 200, "Outlook link scanner", "40.92.0.0/24", false},
      {MakeLinkId(2), At(12), 200, "Firefox", "2001:db8:1::/48", true},
      {MakeLinkId(1), At(13), 410, "Chrome", "203.0.113.0/24", false},
      {MakeLinkId(99), At(14), 200, "Chrome", "", true},  // unknown: skipped
      {MakeLinkId(1), At(15), 200, "Safari", "198.51.100.0/24", true},
  };
  ASSERT_OK(s.RecordOpens(batch));
  ASSERT_OK(s.RecordOpens({}));

  Result<std::optional<LinkRecord>> one = s.GetLink(MakeLinkId(1));
  ASSERT_OK(one);
  EXPECT_EQ((*one)->views, 2);
  EXPECT_EQ((*one)->last_viewed_at, std::optional<Instant>(At(15)));
  Result<std::optional<LinkRecord>> two = s.GetLink(MakeLinkId(2));
  ASSERT_OK(two);
  EXPECT_EQ((*two)->views, 1);

  Result<std::vector<LinkOpen>> opens = s.ListOpens(acme, ReportId{318}, MakeLinkId(1), 100);
  ASSERT_OK(opens);
  ASSERT_EQ(opens->size(), 4u);  // newest first
  EXPECT_EQ((*opens)[0].at, At(15));
  EXPECT_EQ((*opens)[0].client, "Safari");
  EXPECT_EQ((*opens)[1].status, 410);
  EXPECT_FALSE((*opens)[1].counted);
  EXPECT_EQ((*opens)[2].client, "Outlook link scanner");
  EXPECT_FALSE((*opens)[2].counted);
  EXPECT_EQ((*opens)[3].network, "203.0.113.0/24");
  EXPECT_TRUE((*opens)[3].counted);
  EXPECT_EQ((*opens)[3].link_id, MakeLinkId(1));

  Result<std::vector<LinkOpen>> limited = s.ListOpens(acme, ReportId{318}, MakeLinkId(1), 2);
  ASSERT_OK(limited);
  EXPECT_EQ(limited->size(), 2u);
  EXPECT_EQ(CodeOf(s.ListOpens(globex, ReportId{318}, MakeLinkId(1), 10)), Code::kNotFound);
  EXPECT_EQ(CodeOf(s.ListOpens(acme, ReportId{319}, MakeLinkId(1), 10)), Code::kNotFound);
  EXPECT_EQ(CodeOf(s.ListOpens(acme, ReportId{318}, MakeLinkId(99), 10)), Code::kNotFound);
}

TEST_P(StoreConformanceTest, LinksAreTenantScoped) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  CompanyId globex = this->Company("globex");
  ASSERT_OK(s.InsertLink(MakeLink(1, acme, ReportId{318}, At(0))));

  EXPECT_EQ(CodeOf(s.RevokeLink(globex, ReportId{318}, MakeLinkId(1), At(10))), Code::kNotFound);
  Result<std::vector<LinkRecord>> theirs = s.ListLinks(globex, ReportId{318});
  ASSERT_OK(theirs);
  EXPECT_TRUE(theirs->empty());
  Result<int64_t> all = s.RevokeAllLinks(globex, ReportId{318}, At(10));
  ASSERT_OK(all);
  EXPECT_EQ(*all, 0);

  Result<std::optional<LinkRecord>> link = s.GetLink(MakeLinkId(1));
  ASSERT_OK(link);
  EXPECT_EQ((*link)->revoked_at, std::nullopt);
}

TEST_P(StoreConformanceTest, ConcurrentViewsAreAllCounted) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  ASSERT_OK(s.InsertLink(MakeLink(1, acme, ReportId{318}, At(0))));

  constexpr int kThreads = 8;
  constexpr int kViews = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kViews; ++i) {
        if (!View(s, MakeLinkId(1), At(t * kViews + i)).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();

  EXPECT_EQ(failures.load(), 0);
  Result<std::optional<LinkRecord>> link = s.GetLink(MakeLinkId(1));
  ASSERT_OK(link);
  EXPECT_EQ((*link)->views, kThreads * kViews);
  EXPECT_EQ((*link)->last_viewed_at, std::optional<Instant>(At(kThreads * kViews - 1)));
}

TEST_P(StoreConformanceTest, ConcurrentPutsAllSucceedAndBumpTheVersion) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");

  constexpr int kThreads = 6;
  constexpr int kPuts = 20;
  std::atomic<int> failures{0};
  std::atomic<int> created{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPuts; ++i) {
        Report r = MakeReport(318, "writer " + std::to_string(t) + "/" + std::to_string(i));
        Result<PutOutcome> out = s.PutReport(acme, r, At(i));
        if (!out) {
          ++failures;
        } else if (*out == PutOutcome::kCreated) {
          ++created;
        }
      }
    });
  }
  for (auto& th : threads) th.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(created.load(), 1);
  Result<std::optional<StoredReport>> got = s.GetReport(ReportId{318});
  ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->version, kThreads * kPuts);
  EXPECT_TRUE((*got)->report.name.starts_with("writer "));
}

TEST_P(StoreConformanceTest, LinkOptionsRoundTrip) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  LinkRecord plain = MakeLink(1, acme, ReportId{318}, At(100));
  LinkRecord full = MakeLink(2, acme, ReportId{318}, At(200));
  full.options.allow_download = false;
  full.options.max_views = 1000;
  full.options.recipient = "Hiring panel <hm@acme.example> \u0928\u093f\u0930\u094d\u0923\u092f 🚀";
  full.options.watermark = true;
  full.options.variant = Variant::kAnonymized;
  full.options.language = Language::kAr;
  ASSERT_OK(s.InsertLinks({plain, full}));

  Result<std::optional<LinkRecord>> got = s.GetLink(full.link_id);
  ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->options, full.options);
  EXPECT_EQ((*got)->views_used, 0);
  got = s.GetLink(plain.link_id);
  ASSERT_OK(got);
  EXPECT_EQ((*got)->options, LinkOptions{});  // the defaults of SPEC §5

  Result<std::vector<LinkRecord>> listed = s.ListLinks(acme, ReportId{318});
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].options, full.options);  // newest first
  EXPECT_EQ((*listed)[1].options, LinkOptions{});
}

TEST_P(StoreConformanceTest, ClaimViewTakesExactlyMaxViewsThenReturnViewGivesOneBack) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  LinkRecord limited = MakeLink(1, acme, ReportId{318}, At(0));
  limited.options.max_views = 2;
  ASSERT_OK(s.InsertLink(limited));
  ASSERT_OK(s.InsertLink(MakeLink(2, acme, ReportId{318}, At(0))));  // unlimited

  auto claim = [&](uint8_t seed) {
    Result<bool> taken = s.ClaimView(MakeLinkId(seed));
    EXPECT_OK(taken);
    return taken && *taken;
  };
  EXPECT_TRUE(claim(1));
  EXPECT_TRUE(claim(1));
  EXPECT_FALSE(claim(1));
  EXPECT_FALSE(claim(2));   // no limit: nothing to take
  EXPECT_FALSE(claim(77));  // no such link
  Result<std::optional<LinkRecord>> got = s.GetLink(MakeLinkId(1));
  ASSERT_OK(got);
  EXPECT_EQ((*got)->views_used, 2);
  EXPECT_TRUE((*got)->views_exhausted());

  ASSERT_OK(s.ReturnView(MakeLinkId(1)));
  EXPECT_TRUE(claim(1));
  EXPECT_FALSE(claim(1));
  // Never below zero.
  ASSERT_OK(s.ReturnView(MakeLinkId(2)));
  got = s.GetLink(MakeLinkId(2));
  ASSERT_OK(got);
  EXPECT_EQ((*got)->views_used, 0);
}

TEST_P(StoreConformanceTest, ConcurrentClaimsNeverExceedTheLimit) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  LinkRecord limited = MakeLink(1, acme, ReportId{318}, At(0));
  limited.options.max_views = 3;
  ASSERT_OK(s.InsertLink(limited));

  constexpr int kThreads = 8;
  constexpr int kTries = 10;
  std::atomic<int> taken{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kTries; ++i) {
        Result<bool> r = s.ClaimView(MakeLinkId(1));
        if (!r) {
          ++failures;
        } else if (*r) {
          ++taken;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(taken.load(), 3);
}

TEST_P(StoreConformanceTest, PseudonymKeyIsStoredOnceAndStaysPerCompany) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  CompanyId globex = this->Company("globex");
  std::array<uint8_t, 32> first{}, second{}, third{};
  first.fill(1);
  second.fill(2);
  third.fill(3);
  Result<std::array<uint8_t, 32>> a = s.PseudonymKey(acme, first);
  ASSERT_OK(a);
  EXPECT_EQ(*a, first);
  a = s.PseudonymKey(acme, second);  // the first key stays
  ASSERT_OK(a);
  EXPECT_EQ(*a, first);
  Result<std::array<uint8_t, 32>> g = s.PseudonymKey(globex, third);
  ASSERT_OK(g);
  EXPECT_EQ(*g, third);

  this->Reopen();
  a = this->store_->PseudonymKey(acme, second);
  ASSERT_OK(a);
  EXPECT_EQ(*a, first);
}

TEST_P(StoreConformanceTest, LinkBaseUrlRoundTripsAndIsNulloptWhenNotGiven) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  LinkRecord one = MakeLink(1, acme, ReportId{318}, At(100));
  one.base_url = "https://reports.acme.example";
  LinkRecord plain = MakeLink(2, acme, ReportId{318}, At(200));
  LinkRecord batched = MakeLink(3, acme, ReportId{318}, At(300));
  batched.base_url = "https://talent.acme.example:8443/\u00e9quipe";
  ASSERT_OK(s.InsertLink(one));
  ASSERT_OK(s.InsertLinks({plain, batched}));

  auto base_url_of = [&](uint8_t seed) {
    Result<std::optional<LinkRecord>> got = s.GetLink(MakeLinkId(seed));
    EXPECT_OK(got);
    EXPECT_TRUE(got && got->has_value());
    return got && got->has_value() ? (*got)->base_url : std::optional<std::string>("<missing>");
  };
  EXPECT_EQ(base_url_of(1), one.base_url);
  EXPECT_EQ(base_url_of(2), std::nullopt);
  EXPECT_EQ(base_url_of(3), batched.base_url);

  Result<std::vector<LinkRecord>> listed = s.ListLinks(acme, ReportId{318});
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 3u);  // newest first
  EXPECT_EQ((*listed)[0].base_url, batched.base_url);
  EXPECT_EQ((*listed)[1].base_url, std::nullopt);
  EXPECT_EQ((*listed)[2].base_url, one.base_url);
}

// --- branding (SPEC §8) ---

using domain::BrandingChange;
using domain::Color;
using domain::Logo;

// A logo of `size` bytes holding every byte value in turn (0, 1, … 255, 0, …).
Logo MakeLogo(size_t size, int32_t width, int32_t height) {
  Logo logo;
  logo.png.resize(size);
  for (size_t i = 0; i < size; ++i) logo.png[i] = static_cast<char>(static_cast<uint8_t>(i));
  logo.sha256 = std::string(64, 'a');
  logo.sha256[0] = static_cast<char>('0' + size % 10);
  logo.width = width;
  logo.height = height;
  return logo;
}

// Field by field, so a failure says which (a logo's bytes by size and
// equality, not printed).
void ExpectBranding(const Branding& got, const Branding& want) {
  EXPECT_EQ(got.display_name, want.display_name);
  EXPECT_EQ(got.primary_color.has_value(), want.primary_color.has_value());
  if (got.primary_color && want.primary_color) {
    EXPECT_EQ(got.primary_color->Hex(), want.primary_color->Hex());
  }
  EXPECT_EQ(got.logo.has_value(), want.logo.has_value());
  if (got.logo && want.logo) {
    EXPECT_EQ(got.logo->png.size(), want.logo->png.size());
    EXPECT_TRUE(got.logo->png == want.logo->png) << "the logo's bytes differ";
    EXPECT_EQ(got.logo->sha256, want.logo->sha256);
    EXPECT_EQ(got.logo->width, want.logo->width);
    EXPECT_EQ(got.logo->height, want.logo->height);
  }
  EXPECT_EQ(got.footer_text, want.footer_text);
  EXPECT_EQ(got.public_url, want.public_url);
  EXPECT_EQ(got.version, want.version);
  EXPECT_EQ(got.updated_at, want.updated_at);
  EXPECT_TRUE(got == want);
}

TEST_P(StoreConformanceTest, BrandingIsTheDefaultUntilACompanySetsIt) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  Result<Branding> got = s.GetBranding(acme);
  ASSERT_OK(got);
  ExpectBranding(*got, Branding{});
  EXPECT_EQ(got->version, 0);
  EXPECT_EQ(got->updated_at, std::nullopt);
}

TEST_P(StoreConformanceTest, UpdateBrandingSetsKeepsAndResetsEachField) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  const std::string name = "Acme Ünïcødé 株式会社 🚀 <b>&amp;</b> — \"quotes\" 'apos' \\";
  const Color blue{0x1d, 0x4e, 0x9e};
  const Logo big = MakeLogo(domain::kMaxLogoBytes, 2000, 1999);
  const Instant t1 = At(10) + std::chrono::microseconds{123'456};

  // Every field set at once: the first update is version 1.
  BrandingChange all;
  all.display_name = std::optional<std::string>(name);
  all.primary_color = std::optional<Color>(blue);
  all.logo = std::optional<Logo>(big);
  all.footer_text = std::optional<std::string>("Confidential — نتائج التقييم 🔒");
  all.public_url = std::optional<std::string>("https://reports.acme.example");
  Branding want;
  want.display_name = name;
  want.primary_color = blue;
  want.logo = big;
  want.footer_text = "Confidential — نتائج التقييم 🔒";
  want.public_url = "https://reports.acme.example";
  want.version = 1;
  want.updated_at = t1;
  Result<Branding> got = s.UpdateBranding(acme, all, t1);
  ASSERT_OK(got);
  ExpectBranding(*got, want);
  got = s.GetBranding(acme);
  ASSERT_OK(got);
  ExpectBranding(*got, want);

  // One field set: the others stay as they were.
  BrandingChange rename;
  rename.display_name = std::optional<std::string>("Acme Talent");
  want.display_name = "Acme Talent";
  want.version = 2;
  want.updated_at = At(20);
  got = s.UpdateBranding(acme, rename, At(20));
  ASSERT_OK(got);
  ExpectBranding(*got, want);

  // A small logo replaces the big one, bytes, digest and size together.
  BrandingChange relogo;
  relogo.logo = std::optional<Logo>(MakeLogo(3, 1, 2));
  want.logo = MakeLogo(3, 1, 2);
  want.version = 3;
  want.updated_at = At(30);
  got = s.UpdateBranding(acme, relogo, At(30));
  ASSERT_OK(got);
  ExpectBranding(*got, want);

  // Resets (a nullopt inside) of two fields; the others stay.
  BrandingChange reset_some;
  reset_some.primary_color = std::optional<Color>();
  reset_some.logo = std::optional<Logo>();
  want.primary_color.reset();
  want.logo.reset();
  want.version = 4;
  want.updated_at = At(40);
  got = s.UpdateBranding(acme, reset_some, At(40));
  ASSERT_OK(got);
  ExpectBranding(*got, want);

  // A change of nothing still counts as one.
  want.version = 5;
  want.updated_at = At(50);
  got = s.UpdateBranding(acme, BrandingChange{}, At(50));
  ASSERT_OK(got);
  ExpectBranding(*got, want);

  // Every field reset: back to the defaults, at version 6.
  BrandingChange reset_all;
  reset_all.display_name = std::optional<std::string>();
  reset_all.primary_color = std::optional<Color>();
  reset_all.logo = std::optional<Logo>();
  reset_all.footer_text = std::optional<std::string>();
  reset_all.public_url = std::optional<std::string>();
  Branding defaults;
  defaults.version = 6;
  defaults.updated_at = At(60);
  got = s.UpdateBranding(acme, reset_all, At(60));
  ASSERT_OK(got);
  ExpectBranding(*got, defaults);

  // And set again after a reset; it outlives the store.
  BrandingChange again;
  again.primary_color = std::optional<Color>(Color{0, 0, 0});
  again.logo = std::optional<Logo>(big);
  defaults.primary_color = Color{0, 0, 0};
  defaults.logo = big;
  defaults.version = 7;
  defaults.updated_at = At(70);
  got = s.UpdateBranding(acme, again, At(70));
  ASSERT_OK(got);
  ExpectBranding(*got, defaults);
  this->Reopen();
  got = this->store_->GetBranding(acme);
  ASSERT_OK(got);
  ExpectBranding(*got, defaults);
}

TEST_P(StoreConformanceTest, BrandingIsPerCompany) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  CompanyId globex = this->Company("globex");
  BrandingChange change;
  change.footer_text = std::optional<std::string>("acme only");
  ASSERT_OK(s.UpdateBranding(acme, change, At(1)));
  ASSERT_OK(s.UpdateBranding(acme, change, At(2)));
  Result<Branding> other = s.GetBranding(globex);
  ASSERT_OK(other);
  ExpectBranding(*other, Branding{});
  // The other company's first update is its own version 1.
  change.footer_text = std::optional<std::string>("globex");
  other = s.UpdateBranding(globex, change, At(3));
  ASSERT_OK(other);
  EXPECT_EQ(other->version, 1);
  EXPECT_EQ(other->footer_text, std::optional<std::string>("globex"));
  Result<Branding> mine = s.GetBranding(acme);
  ASSERT_OK(mine);
  EXPECT_EQ(mine->version, 2);
  EXPECT_EQ(mine->footer_text, std::optional<std::string>("acme only"));
  EXPECT_EQ(mine->updated_at, std::optional<Instant>(At(2)));
}

TEST_P(StoreConformanceTest, UpdateBrandingOfAnUnknownCompanyIsNotFoundAndWritesNothing) {
  Store& s = *this->store_;
  BrandingChange change;
  change.display_name = std::optional<std::string>("Nobody");
  Result<Branding> got = s.UpdateBranding(CompanyId{987654}, change, At(1));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error(), Status::NotFound("company not found"));
  Result<Branding> after = s.GetBranding(CompanyId{987654});
  ASSERT_OK(after);
  ExpectBranding(*after, Branding{});
}

TEST_P(StoreConformanceTest, ConcurrentBrandingUpdatesOfDifferentFieldsBothStay) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  constexpr int kUpdates = 20;
  std::atomic<int> failures{0};
  std::vector<int64_t> versions[2];
  // The other thread's field as each update returned it: the number of its
  // value, -1 while unset.
  std::vector<int> others[2];
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kUpdates; ++i) {
        BrandingChange change;
        const std::string value = (t == 0 ? "name " : "footer ") + std::to_string(i);
        if (t == 0) {
          change.display_name = std::optional<std::string>(value);
        } else {
          change.footer_text = std::optional<std::string>(value);
        }
        Result<Branding> got = s.UpdateBranding(acme, change, At(i));
        if (!got) {
          ++failures;
          continue;
        }
        versions[t].push_back(got->version);
        // What this update set is in force in what it returned.
        if ((t == 0 ? got->display_name : got->footer_text) != value) ++failures;
        const std::optional<std::string>& other = t == 0 ? got->footer_text : got->display_name;
        others[t].push_back(other ? std::stoi(other->substr(other->find(' ') + 1)) : -1);
      }
    });
  }
  for (auto& th : threads) th.join();

  EXPECT_EQ(failures.load(), 0);
  Result<Branding> got = s.GetBranding(acme);
  ASSERT_OK(got);
  EXPECT_EQ(got->display_name, std::optional<std::string>("name " + std::to_string(kUpdates - 1)));
  EXPECT_EQ(got->footer_text, std::optional<std::string>("footer " + std::to_string(kUpdates - 1)));
  EXPECT_EQ(got->version, 2 * kUpdates);
  // Each update had a version of its own: 1 … 2 × kUpdates, each once.
  std::set<int64_t> all(versions[0].begin(), versions[0].end());
  all.insert(versions[1].begin(), versions[1].end());
  EXPECT_EQ(all.size(), size_t{2 * kUpdates});
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), 2 * kUpdates);
  // Within a thread, versions only grow, and the other thread's field is
  // never lost (reset, or back to an older value) by a change of this one.
  for (const auto& v : versions) EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
  for (const auto& o : others) EXPECT_TRUE(std::is_sorted(o.begin(), o.end()));
}

TEST_P(StoreConformanceTest, ReportsCarryTheirOwnersBrandingVersion) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  CompanyId globex = this->Company("globex");
  ASSERT_OK(s.PutReport(acme, MakeReport(318, "Priya Raman"), At(0)));
  ASSERT_OK(s.PutReport(globex, MakeReport(319, "Arjun Mehta"), At(0)));
  auto versions = [&](int64_t id) {
    Result<std::optional<ReportHead>> head = s.GetReportHead(ReportId{id});
    Result<std::optional<StoredReport>> full = s.GetReport(ReportId{id});
    EXPECT_OK(head);
    EXPECT_OK(full);
    if (!head || !full || !head->has_value() || !full->has_value()) {
      ADD_FAILURE() << "report " << id << " not found";
      return std::make_pair(int64_t{-1}, int64_t{-1});
    }
    return std::make_pair((*head)->branding_version, (*full)->branding_version);
  };
  using Versions = std::pair<int64_t, int64_t>;
  EXPECT_EQ(versions(318), (Versions{0, 0}));
  EXPECT_EQ(versions(319), (Versions{0, 0}));

  BrandingChange change;
  change.primary_color = std::optional<Color>(Color{0x1d, 0x4e, 0x9e});
  for (int i = 1; i <= 3; ++i) ASSERT_OK(s.UpdateBranding(acme, change, At(i)));
  EXPECT_EQ(versions(318), (Versions{3, 3}));
  EXPECT_EQ(versions(319), (Versions{0, 0}));  // another company's report

  ASSERT_OK(s.UpdateBranding(globex, change, At(9)));
  EXPECT_EQ(versions(318), (Versions{3, 3}));
  EXPECT_EQ(versions(319), (Versions{1, 1}));
  // The rest of the head and the report are as before.
  Result<std::optional<ReportHead>> head = s.GetReportHead(ReportId{318});
  ASSERT_OK(head);
  ASSERT_TRUE(head->has_value());
  EXPECT_EQ((*head)->company_id, acme);
  EXPECT_EQ((*head)->version, 1);
  EXPECT_EQ((*head)->assessment_id, 138);
  EXPECT_TRUE((*head)->completed());
  Result<std::optional<StoredReport>> full = s.GetReport(ReportId{318});
  ASSERT_OK(full);
  ASSERT_TRUE(full->has_value());
  EXPECT_EQ((*full)->company_name, "acme");
  EXPECT_EQ((*full)->report.name, "Priya Raman");
}

// --- webhooks and the outbox (SPEC §7) ---

using domain::Delivery;
using domain::DeliveryState;
using domain::Event;
using domain::EventBit;
using domain::EventType;
using domain::Webhook;

// "wh_" + 24 hex characters, distinct per seed.
std::string WebhookIdOf(int seed) {
  std::string hex = std::to_string(seed);
  return "wh_" + std::string(24 - hex.size(), '0') + hex;
}

// "msg_" + 32 hex characters, distinct per seed.
std::string DeliveryIdOf(int seed) {
  std::string hex = std::to_string(seed);
  return "msg_" + std::string(32 - hex.size(), '0') + hex;
}

Webhook MakeWebhook(int seed, CompanyId company, Instant created,
                    domain::EventMask events = domain::kAllEvents) {
  Webhook w;
  w.webhook_id = WebhookIdOf(seed);
  w.company = company;
  w.url = "https://hooks.example/" + std::to_string(seed);
  w.events = events;
  w.description = "hook " + std::to_string(seed);
  // Every byte value class: 0x00, 0xff, and the bytes between.
  for (size_t i = 0; i < w.secret.size(); ++i) {
    w.secret[i] = static_cast<uint8_t>(seed * 31 + static_cast<int>(i) * 53);
  }
  w.secret[0] = 0x00;
  w.secret[31] = 0xff;
  w.created_at = created;
  return w;
}

// An event with a body of our own (the store does not read it).
Event MakeEvent(CompanyId company, EventType type, Instant at, int n) {
  return Event{company, type, at, R"({"n":)" + std::to_string(n) + "}", std::nullopt, std::nullopt};
}

LinkRecord WithRecipient(LinkRecord link, std::string recipient) {
  link.options.recipient = std::move(recipient);
  return link;
}

// The "data" object of a stored event body.
boost::json::object DataOf(const std::string& body) {
  Result<boost::json::value> v = core::ParseJson(body);
  EXPECT_TRUE(v && v->is_object() && v->as_object().contains("data")) << body;
  if (!v || !v->is_object() || !v->as_object().contains("data") ||
      !v->as_object().at("data").is_object()) {
    return {};
  }
  return v->as_object().at("data").as_object();
}

void InsertHook(Store& s, const Webhook& w) { ASSERT_OK(s.InsertWebhook(w)); }

std::vector<Delivery> Deliveries(Store& s, const std::string& webhook_id, int limit = 1000) {
  Result<std::vector<Delivery>> list = s.ListDeliveries(webhook_id, limit);
  EXPECT_OK(list);
  return list ? *list : std::vector<Delivery>{};
}

// The bodies of claimed deliveries, in the order of the events' timestamps
// (then of the bodies): the order a claim returns its rows in is the
// database's.
std::vector<ClaimedDelivery> InEventOrder(std::vector<ClaimedDelivery> claimed) {
  auto key = [](const ClaimedDelivery& d) {
    Result<boost::json::value> v = core::ParseJson(d.body);
    std::string timestamp;
    if (v && v->is_object() && v->as_object().contains("timestamp") &&
        v->as_object().at("timestamp").is_string()) {
      timestamp = std::string(v->as_object().at("timestamp").as_string());
    }
    return std::make_pair(timestamp, d.body);
  };
  std::stable_sort(
      claimed.begin(), claimed.end(),
      [&](const ClaimedDelivery& a, const ClaimedDelivery& b) { return key(a) < key(b); });
  return claimed;
}

// The bodies of `claimed`, sorted.
std::vector<std::string> Bodies(const std::vector<ClaimedDelivery>& claimed) {
  std::vector<std::string> bodies;
  for (const ClaimedDelivery& d : claimed) bodies.push_back(d.body);
  std::sort(bodies.begin(), bodies.end());
  return bodies;
}

// Claims every delivery of the webhook that is due at `now` (far in the
// future by default) under `claim` for an hour, in event order.
std::vector<ClaimedDelivery> ClaimAll(Store& s, const std::string& webhook_id,
                                      Instant now = At(100'000), std::string claim = "claim-all") {
  Result<std::vector<ClaimedDelivery>> claimed =
      s.ClaimDeliveries(webhook_id, now, now + hours{1}, claim, 1000);
  EXPECT_OK(claimed);
  return claimed ? InEventOrder(*claimed) : std::vector<ClaimedDelivery>{};
}

// The webhooks due at `now`, sorted.
std::vector<std::string> Due(Store& s, Instant now, int limit = 100) {
  Result<std::vector<std::string>> due = s.DueWebhooks(now, limit);
  EXPECT_OK(due);
  if (!due) return {};
  std::sort(due->begin(), due->end());
  return *due;
}

std::optional<Webhook> GetHook(Store& s, const std::string& webhook_id) {
  Result<std::optional<Webhook>> got = s.GetWebhook(webhook_id);
  EXPECT_OK(got);
  return got ? *got : std::nullopt;
}

OutboxStats Stats(Store& s) {
  Result<OutboxStats> stats = s.GetOutboxStats();
  EXPECT_OK(stats);
  return stats ? *stats : OutboxStats{-1, std::nullopt};
}

void ExpectSameWebhook(const Webhook& got, const Webhook& want) {
  EXPECT_EQ(got.webhook_id, want.webhook_id);
  EXPECT_EQ(got.company, want.company);
  EXPECT_EQ(got.url, want.url);
  EXPECT_EQ(got.events, want.events);
  EXPECT_EQ(got.description, want.description);
  EXPECT_EQ(got.secret, want.secret);
  EXPECT_EQ(got.created_at, want.created_at);
  EXPECT_EQ(got.disabled_at, want.disabled_at);
}

TEST_P(StoreConformanceTest, WebhookInsertGetListRoundTrip) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  CompanyId globex = this->Company("globex");
  Webhook full = MakeWebhook(1, acme, At(200) + std::chrono::microseconds{7},
                             EventBit(EventType::kLinkViewed) | EventBit(EventType::kWebhookTest));
  full.url = "https://hooks.acme.example:8443/rs?x=1&y=%C3%A9";
  full.description = "ATS sync — निर्णय 🚀 <b>\"quoted\"</b>";
  Webhook disabled = MakeWebhook(2, acme, At(100));
  disabled.disabled_at = At(150);
  Webhook later = MakeWebhook(3, acme, At(300), EventBit(EventType::kReportUpdated));
  later.description = "";
  InsertHook(s, full);  // inserted out of order
  InsertHook(s, later);
  InsertHook(s, disabled);
  InsertHook(s, MakeWebhook(4, globex, At(50)));

  std::optional<Webhook> got = GetHook(s, full.webhook_id);
  ASSERT_TRUE(got);
  ExpectSameWebhook(*got, full);
  got = GetHook(s, disabled.webhook_id);
  ASSERT_TRUE(got);
  ExpectSameWebhook(*got, disabled);
  EXPECT_FALSE(GetHook(s, WebhookIdOf(99)));

  // Oldest first, only the company's.
  Result<std::vector<Webhook>> listed = s.ListWebhooks(acme);
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 3u);
  ExpectSameWebhook((*listed)[0], disabled);
  ExpectSameWebhook((*listed)[1], full);
  ExpectSameWebhook((*listed)[2], later);
  Result<std::vector<Webhook>> theirs = s.ListWebhooks(globex);
  ASSERT_OK(theirs);
  ASSERT_EQ(theirs->size(), 1u);
  EXPECT_EQ((*theirs)[0].webhook_id, WebhookIdOf(4));
  Result<std::vector<Webhook>> nobody = s.ListWebhooks(CompanyId{987654});
  ASSERT_OK(nobody);
  EXPECT_TRUE(nobody->empty());

  // A webhook id is unique; a webhook needs its company.
  EXPECT_EQ(s.InsertWebhook(MakeWebhook(1, globex, At(400))).code(), Code::kConflict);
  EXPECT_EQ(s.InsertWebhook(MakeWebhook(5, CompanyId{987654}, At(400))).code(), Code::kNotFound);
  got = GetHook(s, full.webhook_id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->company, acme);

  this->Reopen();
  got = GetHook(*this->store_, full.webhook_id);
  ASSERT_TRUE(got);
  ExpectSameWebhook(*got, full);
}

TEST_P(StoreConformanceTest, WebhookDeleteRemovesItAndItsDeliveriesOnce) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  CompanyId globex = this->Company("globex");
  InsertHook(s, MakeWebhook(1, acme, At(0)));
  InsertHook(s, MakeWebhook(2, acme, At(1)));
  const Event event = MakeEvent(acme, EventType::kReportUpdated, At(10), 1);
  ASSERT_OK(s.InsertEvents({&event, 1}));
  ASSERT_EQ(Deliveries(s, WebhookIdOf(1)).size(), 1u);
  ASSERT_EQ(Deliveries(s, WebhookIdOf(2)).size(), 1u);

  // Another company's id is not found, and nothing of it is touched.
  Result<bool> stolen = s.DeleteWebhook(globex, WebhookIdOf(1));
  ASSERT_OK(stolen);
  EXPECT_FALSE(*stolen);
  EXPECT_TRUE(GetHook(s, WebhookIdOf(1)));
  EXPECT_EQ(Deliveries(s, WebhookIdOf(1)).size(), 1u);

  Result<bool> deleted = s.DeleteWebhook(acme, WebhookIdOf(1));
  ASSERT_OK(deleted);
  EXPECT_TRUE(*deleted);
  EXPECT_FALSE(GetHook(s, WebhookIdOf(1)));
  EXPECT_TRUE(Deliveries(s, WebhookIdOf(1)).empty());
  EXPECT_TRUE(ClaimAll(s, WebhookIdOf(1)).empty());
  Result<bool> again = s.DeleteWebhook(acme, WebhookIdOf(1));
  ASSERT_OK(again);
  EXPECT_FALSE(*again);
  Result<bool> unknown = s.DeleteWebhook(acme, WebhookIdOf(99));
  ASSERT_OK(unknown);
  EXPECT_FALSE(*unknown);

  // The other webhook and its delivery stay.
  EXPECT_TRUE(GetHook(s, WebhookIdOf(2)));
  EXPECT_EQ(Deliveries(s, WebhookIdOf(2)).size(), 1u);
  EXPECT_EQ(Due(s, At(10)), std::vector<std::string>{WebhookIdOf(2)});
  EXPECT_EQ(Stats(s).pending, 1);
  Result<std::vector<Webhook>> listed = s.ListWebhooks(acme);
  ASSERT_OK(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].webhook_id, WebhookIdOf(2));
}

TEST_P(StoreConformanceTest, EventsOfInsertLinksFanOutToTheCompanysSubscribedActiveWebhooks) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  CompanyId globex = this->Company("globex");
  InsertHook(s, MakeWebhook(1, acme, At(0)));                                       // all
  InsertHook(s, MakeWebhook(2, acme, At(0), EventBit(EventType::kLinkCreated)));    // this one
  InsertHook(s, MakeWebhook(3, acme, At(0), EventBit(EventType::kReportUpdated)));  // not it
  Webhook disabled = MakeWebhook(4, acme, At(0));
  disabled.disabled_at = At(1);
  InsertHook(s, disabled);
  InsertHook(s, MakeWebhook(5, globex, At(0)));  // another company's

  const LinkRecord link = WithRecipient(MakeLink(1, acme, ReportId{318}, At(100)), "Hiring panel");
  const Event event = domain::LinkCreatedEvent(link, 138);
  ASSERT_OK(s.InsertLinks({link}, {&event, 1}));

  for (int seed : {1, 2}) {
    SCOPED_TRACE(seed);
    std::vector<Delivery> got = Deliveries(s, WebhookIdOf(seed));
    ASSERT_EQ(got.size(), 1u);
    const Delivery& d = got[0];
    EXPECT_TRUE(d.delivery_id.starts_with("msg_")) << d.delivery_id;
    EXPECT_EQ(d.delivery_id.size(), 36u) << d.delivery_id;
    EXPECT_EQ(d.webhook_id, WebhookIdOf(seed));
    EXPECT_EQ(d.type, EventType::kLinkCreated);
    EXPECT_EQ(d.created_at, At(100));
    EXPECT_EQ(d.attempts, 0);
    EXPECT_EQ(d.last_status, std::nullopt);
    EXPECT_EQ(d.last_error, std::nullopt);
    EXPECT_EQ(d.delivered_at, std::nullopt);
    EXPECT_EQ(d.next_attempt_at, std::optional<Instant>(At(100)));  // due at once
    EXPECT_EQ(d.state(), DeliveryState::kPending);
    // The body is stored exactly as the event made it.
    std::vector<ClaimedDelivery> claimed = ClaimAll(s, WebhookIdOf(seed));
    ASSERT_EQ(claimed.size(), 1u);
    EXPECT_EQ(claimed[0].delivery_id, d.delivery_id);
    EXPECT_EQ(claimed[0].type, EventType::kLinkCreated);
    EXPECT_EQ(claimed[0].body, event.body);
    EXPECT_EQ(claimed[0].attempts, 0);
  }
  EXPECT_NE(Deliveries(s, WebhookIdOf(1))[0].delivery_id,
            Deliveries(s, WebhookIdOf(2))[0].delivery_id);
  for (int seed : {3, 4, 5}) {
    EXPECT_TRUE(Deliveries(s, WebhookIdOf(seed)).empty()) << seed;
  }

  // A bulk share: one event per link, all in the same transaction.
  std::vector<LinkRecord> links;
  std::vector<Event> events;
  for (uint8_t i = 2; i <= 4; ++i) {
    links.push_back(MakeLink(i, acme, ReportId{318 + i}, At(200 + i)));
    events.push_back(domain::LinkCreatedEvent(links.back(), 138));
  }
  ASSERT_OK(s.InsertLinks(links, events));
  EXPECT_EQ(Deliveries(s, WebhookIdOf(1)).size(), 4u);
  EXPECT_EQ(Deliveries(s, WebhookIdOf(2)).size(), 4u);
  EXPECT_TRUE(Deliveries(s, WebhookIdOf(5)).empty());

  // A batch that fails writes no event either.
  LinkRecord good = MakeLink(8, acme, ReportId{318}, At(300));
  LinkRecord bad = MakeLink(9, CompanyId{987654}, ReportId{1}, At(300));
  const Event good_event = domain::LinkCreatedEvent(good, 138);
  EXPECT_FALSE(s.InsertLinks({good, bad}, {&good_event, 1}).ok());
  EXPECT_EQ(Deliveries(s, WebhookIdOf(1)).size(), 4u);
  EXPECT_EQ(Stats(s).pending, 8);
}

// The deliverer is woken only when OutboxCommits() moved: it counts the
// commits that queued a delivery, and nothing else.
TEST_P(StoreConformanceTest, OutboxCommitsCountsOnlyCommitsThatQueuedADelivery) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  CompanyId globex = this->Company("globex");
  InsertHook(s, MakeWebhook(1, acme, At(0), EventBit(EventType::kLinkCreated)));
  const uint64_t start = s.OutboxCommits();

  // An event no webhook subscribed to queues nothing: no count.
  const LinkRecord unheard = MakeLink(1, globex, ReportId{318}, At(100));
  const Event unheard_event = domain::LinkCreatedEvent(unheard, 138);
  ASSERT_OK(s.InsertLinks({unheard}, {&unheard_event, 1}));
  ASSERT_OK(s.InsertLinks({MakeLink(2, acme, ReportId{318}, At(100))}));  // no event
  EXPECT_EQ(s.OutboxCommits(), start);

  // A share with a subscriber: one commit, however many deliveries.
  std::vector<LinkRecord> links;
  std::vector<Event> events;
  for (uint8_t i = 3; i <= 5; ++i) {
    links.push_back(MakeLink(i, acme, ReportId{318}, At(200 + i)));
    events.push_back(domain::LinkCreatedEvent(links.back(), 138));
  }
  ASSERT_OK(s.InsertLinks(links, events));
  EXPECT_EQ(s.OutboxCommits(), start + 1);

  // A transaction that fails counts nothing.
  LinkRecord good = MakeLink(8, acme, ReportId{318}, At(300));
  LinkRecord bad = MakeLink(9, CompanyId{987654}, ReportId{1}, At(300));
  const Event good_event = domain::LinkCreatedEvent(good, 138);
  EXPECT_FALSE(s.InsertLinks({good, bad}, {&good_event, 1}).ok());
  EXPECT_EQ(s.OutboxCommits(), start + 1);
  // Nor does the next transaction without a subscriber.
  ASSERT_OK(s.InsertLinks({MakeLink(10, globex, ReportId{318}, At(400))}, {&unheard_event, 1}));
  EXPECT_EQ(s.OutboxCommits(), start + 1);

  // Other writes with events count the same way (webhook.test).
  ASSERT_OK(s.InsertEvents(std::vector<Event>{domain::LinkCreatedEvent(good, 138)}));
  EXPECT_EQ(s.OutboxCommits(), start + 2);
}

TEST_P(StoreConformanceTest, WebhookTestEventGoesToThatWebhookAloneWithItsDeliveryId) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  // Subscribed to link.created only: a test reaches it all the same.
  InsertHook(s, MakeWebhook(1, acme, At(0), EventBit(EventType::kLinkCreated)));
  InsertHook(s, MakeWebhook(2, acme, At(0)));
  EXPECT_OK(s.InsertEvents({}));

  const Event test = domain::WebhookTestEvent(acme, WebhookIdOf(1), DeliveryIdOf(7), At(50));
  ASSERT_OK(s.InsertEvents({&test, 1}));
  std::vector<Delivery> got = Deliveries(s, WebhookIdOf(1));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].delivery_id, DeliveryIdOf(7));
  EXPECT_EQ(got[0].type, EventType::kWebhookTest);
  EXPECT_EQ(got[0].created_at, At(50));
  EXPECT_TRUE(Deliveries(s, WebhookIdOf(2)).empty());
  std::vector<ClaimedDelivery> claimed = ClaimAll(s, WebhookIdOf(1));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].body, test.body);
  EXPECT_EQ(DataOf(claimed[0].body)["webhook_id"], boost::json::value(WebhookIdOf(1)));

  // A test of a webhook that is not there goes nowhere.
  const Event nowhere = domain::WebhookTestEvent(acme, WebhookIdOf(99), DeliveryIdOf(8), At(60));
  EXPECT_OK(s.InsertEvents({&nowhere, 1}));
  EXPECT_EQ(Stats(s).pending, 1);
}

TEST_P(StoreConformanceTest, EventOfPutReportIsWrittenOnlyWhenThePutIs) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  CompanyId globex = this->Company("globex");
  InsertHook(s, MakeWebhook(1, acme, At(0)));
  InsertHook(s, MakeWebhook(2, globex, At(0)));
  const Report report = MakeReport(318, "Priya Raman");

  const Event created = domain::ReportUpdatedEvent(acme, report, At(10));
  ASSERT_OK(s.PutReport(acme, report, At(10), {&created, 1}));
  const Event replaced = domain::ReportUpdatedEvent(acme, report, At(20));
  ASSERT_OK(s.PutReport(acme, report, At(20), {&replaced, 1}));
  std::vector<Delivery> got = Deliveries(s, WebhookIdOf(1));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].type, EventType::kReportUpdated);
  EXPECT_EQ(got[0].created_at, At(20));
  EXPECT_EQ(got[1].created_at, At(10));
  std::vector<ClaimedDelivery> claimed = ClaimAll(s, WebhookIdOf(1));
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[0].body, created.body);
  EXPECT_EQ(claimed[1].body, replaced.body);

  // Another company's id: a conflict, and no event for anyone.
  const Event stolen = domain::ReportUpdatedEvent(globex, report, At(30));
  Result<PutOutcome> conflict =
      s.PutReport(globex, MakeReport(318, "Mallory"), At(30), {&stolen, 1});
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code(), Code::kConflict);
  EXPECT_TRUE(Deliveries(s, WebhookIdOf(2)).empty());
  EXPECT_EQ(Deliveries(s, WebhookIdOf(1)).size(), 2u);
  EXPECT_EQ(Stats(s).pending, 2);
}

TEST_P(StoreConformanceTest, EventsOfRevokeOnePerLinkRevoked) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  InsertHook(s, MakeWebhook(1, acme, At(0), EventBit(EventType::kLinkRevoked)));
  ASSERT_OK(
      s.InsertLink(WithRecipient(MakeLink(1, acme, ReportId{318}, At(0)), "hm@acme.example")));
  ASSERT_OK(s.InsertLink(MakeLink(2, acme, ReportId{318}, At(0))));  // no recipient
  ASSERT_OK(s.InsertLink(WithRecipient(MakeLink(3, acme, ReportId{318}, At(0)), "Panel")));
  LinkRecord expired = MakeLink(4, acme, ReportId{318}, At(0));
  expired.expires_at = At(50);
  ASSERT_OK(s.InsertLink(expired));
  ASSERT_OK(s.InsertLink(MakeLink(5, acme, ReportId{319}, At(0))));  // another report

  Result<int64_t> one = s.RevokeLink(acme, ReportId{318}, MakeLinkId(1), At(100));
  ASSERT_OK(one);
  EXPECT_EQ(*one, 1);
  std::vector<ClaimedDelivery> claimed = ClaimAll(s, WebhookIdOf(1), At(100), "c1");
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].type, EventType::kLinkRevoked);
  boost::json::object data = DataOf(claimed[0].body);
  EXPECT_EQ(data["report_id"], boost::json::value(318));
  EXPECT_EQ(data["link_id"], boost::json::value(MakeLinkId(1).ToString()));
  EXPECT_EQ(data["recipient"], boost::json::value("hm@acme.example"));
  EXPECT_EQ(claimed[0].body,
            domain::LinkRevokedEvent(acme, ReportId{318}, MakeLinkId(1), "hm@acme.example", At(100))
                .body);

  // Already revoked: nothing revoked, no event.
  Result<int64_t> again = s.RevokeLink(acme, ReportId{318}, MakeLinkId(1), At(110));
  ASSERT_OK(again);
  EXPECT_EQ(*again, 0);
  EXPECT_EQ(Deliveries(s, WebhookIdOf(1)).size(), 1u);
  // Not found: no event.
  EXPECT_EQ(CodeOf(s.RevokeLink(acme, ReportId{318}, MakeLinkId(77), At(110))), Code::kNotFound);
  EXPECT_EQ(Deliveries(s, WebhookIdOf(1)).size(), 1u);

  // All: links 2 and 3 (1 is revoked, 4 expired, 5 another report's).
  Result<int64_t> all = s.RevokeAllLinks(acme, ReportId{318}, At(200));
  ASSERT_OK(all);
  EXPECT_EQ(*all, 2);
  EXPECT_EQ(Deliveries(s, WebhookIdOf(1)).size(), 3u);
  claimed = ClaimAll(s, WebhookIdOf(1), At(200), "c2");
  ASSERT_EQ(claimed.size(), 2u);
  std::map<std::string, boost::json::value> recipients;
  for (const ClaimedDelivery& d : claimed) {
    EXPECT_EQ(d.type, EventType::kLinkRevoked);
    boost::json::object revoked = DataOf(d.body);
    recipients[std::string(revoked["link_id"].as_string())] = revoked["recipient"];
  }
  EXPECT_EQ(recipients, (std::map<std::string, boost::json::value>{
                            {MakeLinkId(2).ToString(), nullptr},
                            {MakeLinkId(3).ToString(), "Panel"},
                        }));
  Result<int64_t> none = s.RevokeAllLinks(acme, ReportId{318}, At(300));
  ASSERT_OK(none);
  EXPECT_EQ(*none, 0);
  EXPECT_EQ(Deliveries(s, WebhookIdOf(1)).size(), 3u);

  // One link revoked alone, with no recipient: null in its event.
  Result<int64_t> anonymous = s.RevokeLink(acme, ReportId{319}, MakeLinkId(5), At(400));
  ASSERT_OK(anonymous);
  EXPECT_EQ(*anonymous, 1);
  claimed = ClaimAll(s, WebhookIdOf(1), At(400), "c3");
  ASSERT_EQ(claimed.size(), 1u);
  boost::json::object other = DataOf(claimed[0].body);
  EXPECT_EQ(other["report_id"], boost::json::value(319));
  EXPECT_EQ(other["link_id"], boost::json::value(MakeLinkId(5).ToString()));
  ASSERT_TRUE(other.contains("recipient"));
  EXPECT_TRUE(other["recipient"].is_null());
}

domain::OpenEvent OpenEventFor(CompanyId company, ReportId report, std::string format,
                               std::optional<domain::DenyReason> denied = std::nullopt,
                               std::optional<std::string> recipient = std::nullopt) {
  domain::OpenEvent e;
  e.company = company;
  e.report = report;
  e.assessment_id = 138;
  e.recipient = std::move(recipient);
  e.format = std::move(format);
  e.denied = denied;
  return e;
}

TEST_P(StoreConformanceTest, EventsOfRecordOpensNumberTheViews) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  InsertHook(s, MakeWebhook(1, acme, At(0)));
  ASSERT_OK(s.InsertLink(WithRecipient(MakeLink(1, acme, ReportId{318}, At(0)), "Panel")));
  ASSERT_OK(s.InsertLink(MakeLink(2, acme, ReportId{318}, At(0))));
  // Two views of link 1 before, with no event.
  ASSERT_OK(View(s, MakeLinkId(1), At(1)));
  ASSERT_OK(View(s, MakeLinkId(1), At(2)));

  const auto viewed = OpenEventFor(acme, ReportId{318}, "html", std::nullopt, "Panel");
  std::vector<LinkOpen> batch = {
      {MakeLinkId(1), At(10), 200, "Chrome", "203.0.113.0/24", true, viewed},
      {MakeLinkId(2), At(11), 200, "Firefox", "198.51.100.0/24", true,
       OpenEventFor(acme, ReportId{318}, "pdf")},
      {MakeLinkId(1), At(12), 200, "Chrome", "203.0.113.0/24", false, std::nullopt},  // a HEAD
      {MakeLinkId(1), At(13), 200, "Safari", "203.0.113.0/24", true, viewed},
      {MakeLinkId(2), At(14), 410, "Chrome", "203.0.113.0/24", false,
       OpenEventFor(acme, ReportId{318}, "html", domain::DenyReason::kViewLimit)},
      {MakeLinkId(99), At(15), 200, "Chrome", "", true, viewed},  // unknown: skipped
  };
  ASSERT_OK(s.RecordOpens(batch));

  std::vector<ClaimedDelivery> claimed = ClaimAll(s, WebhookIdOf(1));  // oldest first
  ASSERT_EQ(claimed.size(), 4u);
  auto check_view = [&](const ClaimedDelivery& d, uint8_t link, int64_t views,
                        std::string_view format) {
    SCOPED_TRACE(d.body);
    EXPECT_EQ(d.type, EventType::kLinkViewed);
    boost::json::object data = DataOf(d.body);
    EXPECT_EQ(data["link_id"], boost::json::value(MakeLinkId(link).ToString()));
    EXPECT_EQ(data["views"], boost::json::value(views));
    EXPECT_EQ(data["first_view"], boost::json::value(views == 1));
    EXPECT_EQ(data["format"], boost::json::value(format));
    EXPECT_EQ(data["report_id"], boost::json::value(318));
    EXPECT_EQ(data["assessment_id"], boost::json::value(138));
  };
  check_view(claimed[0], 1, 3, "html");
  check_view(claimed[1], 2, 1, "pdf");
  check_view(claimed[2], 1, 4, "html");
  EXPECT_EQ(DataOf(claimed[0].body)["recipient"], boost::json::value("Panel"));
  EXPECT_TRUE(DataOf(claimed[1].body)["recipient"].is_null());
  EXPECT_EQ(claimed[3].type, EventType::kLinkDenied);
  boost::json::object denied = DataOf(claimed[3].body);
  EXPECT_EQ(denied["reason"], boost::json::value("view_limit"));
  EXPECT_EQ(denied["link_id"], boost::json::value(MakeLinkId(2).ToString()));

  // The deliveries are at their opens' instants.
  std::vector<Delivery> listed = Deliveries(s, WebhookIdOf(1));
  ASSERT_EQ(listed.size(), 4u);
  EXPECT_EQ(listed[0].created_at, At(14));
  EXPECT_EQ(listed[3].created_at, At(10));

  // The next batch goes on counting from the stored total.
  ASSERT_OK(s.RecordOpens({{MakeLinkId(2), At(20), 200, "Chrome", "", true,
                            OpenEventFor(acme, ReportId{318}, "html")}}));
  claimed = ClaimAll(s, WebhookIdOf(1), At(20), "next");  // the others are still claimed
  ASSERT_EQ(claimed.size(), 1u);
  check_view(claimed[0], 2, 2, "html");
  Result<std::optional<LinkRecord>> one = s.GetLink(MakeLinkId(1));
  ASSERT_OK(one);
  EXPECT_EQ((*one)->views, 4);
}

TEST_P(StoreConformanceTest, EventOfAnOpenFromTheLinkRowTakesItsCompanyReportAndRecipient) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  CompanyId globex = this->Company("globex");
  InsertHook(s, MakeWebhook(1, acme, At(0)));
  InsertHook(s, MakeWebhook(2, globex, At(0)));
  ASSERT_OK(s.InsertLink(WithRecipient(MakeLink(1, acme, ReportId{319}, At(0)), "Panel")));

  // An expired link is refused before any database work: the event knows
  // only the format and the reason.
  domain::OpenEvent expired;
  expired.format = "pdf";
  expired.denied = domain::DenyReason::kExpired;
  expired.from_link_row = true;
  ASSERT_OK(s.RecordOpens({
      {MakeLinkId(1), At(10), 410, "Chrome", "203.0.113.0/24", false, expired},
      {MakeLinkId(77), At(11), 410, "Chrome", "203.0.113.0/24", false, expired},  // no such link
  }));
  std::vector<ClaimedDelivery> claimed = ClaimAll(s, WebhookIdOf(1));
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].type, EventType::kLinkDenied);
  boost::json::object data = DataOf(claimed[0].body);
  EXPECT_EQ(data["report_id"], boost::json::value(319));
  EXPECT_EQ(data["link_id"], boost::json::value(MakeLinkId(1).ToString()));
  EXPECT_EQ(data["reason"], boost::json::value("expired"));
  EXPECT_EQ(data["recipient"], boost::json::value("Panel"));
  EXPECT_TRUE(Deliveries(s, WebhookIdOf(2)).empty());
  EXPECT_EQ(Stats(s).pending, 1);
  // The opens themselves are audited as always.
  Result<std::vector<LinkOpen>> opens = s.ListOpens(acme, ReportId{319}, MakeLinkId(1), 10);
  ASSERT_OK(opens);
  EXPECT_EQ(opens->size(), 1u);
}

TEST_P(StoreConformanceTest, DeliveriesListNewestFirstWithinTheLimit) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  InsertHook(s, MakeWebhook(1, acme, At(0)));
  InsertHook(s, MakeWebhook(2, acme, At(0), EventBit(EventType::kLinkDenied)));
  std::vector<Event> events;
  for (int i : {3, 1, 5, 2, 4}) {
    events.push_back(MakeEvent(acme, EventType::kReportUpdated, At(i * 10), i));
  }
  ASSERT_OK(s.InsertEvents(events));

  std::vector<Delivery> all = Deliveries(s, WebhookIdOf(1), 100);
  ASSERT_EQ(all.size(), 5u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].created_at, At(static_cast<int64_t>(50 - 10 * i))) << i;
    EXPECT_EQ(all[i].webhook_id, WebhookIdOf(1));
  }
  std::vector<Delivery> two = Deliveries(s, WebhookIdOf(1), 2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].delivery_id, all[0].delivery_id);
  EXPECT_EQ(two[1].delivery_id, all[1].delivery_id);
  EXPECT_TRUE(Deliveries(s, WebhookIdOf(2), 100).empty());  // not subscribed
  EXPECT_TRUE(Deliveries(s, WebhookIdOf(99), 100).empty());
}

TEST_P(StoreConformanceTest, OutboxClaimIsExclusiveUntilTheLeaseEndsAndOnlyForDueDeliveries) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  InsertHook(s, MakeWebhook(1, acme, At(0)));
  InsertHook(s, MakeWebhook(2, acme, At(0)));
  InsertHook(s, MakeWebhook(3, acme, At(0), EventBit(EventType::kLinkDenied)));
  // Due at their created_at: 10, 20 and 30 for both webhooks.
  std::vector<Event> events;
  for (int i : {2, 1, 3})
    events.push_back(MakeEvent(acme, EventType::kReportUpdated, At(i * 10), i));
  ASSERT_OK(s.InsertEvents(events));

  EXPECT_TRUE(Due(s, At(5)).empty());
  EXPECT_EQ(Due(s, At(10)), (std::vector<std::string>{WebhookIdOf(1), WebhookIdOf(2)}));
  Result<std::vector<std::string>> one = s.DueWebhooks(At(10), 1);
  ASSERT_OK(one);
  EXPECT_EQ(one->size(), 1u);

  // Nothing is due before its time.
  Result<std::vector<ClaimedDelivery>> early =
      s.ClaimDeliveries(WebhookIdOf(1), At(5), At(50), "early", 10);
  ASSERT_OK(early);
  EXPECT_TRUE(early->empty());

  // At 25: the two due ones, and only this webhook's.
  Result<std::vector<ClaimedDelivery>> first =
      s.ClaimDeliveries(WebhookIdOf(1), At(25), At(40), "c1", 10);
  ASSERT_OK(first);
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ(Bodies(*first), (std::vector<std::string>{R"({"n":1})", R"({"n":2})"}));
  for (const ClaimedDelivery& d : *first) {
    EXPECT_EQ(d.type, EventType::kReportUpdated);
    EXPECT_EQ(d.attempts, 0);
  }
  const std::vector<Delivery> listed = Deliveries(s, WebhookIdOf(1));
  std::set<std::string> ids;
  for (const Delivery& d : listed) ids.insert(d.delivery_id);
  EXPECT_TRUE(ids.contains((*first)[0].delivery_id) && ids.contains((*first)[1].delivery_id));
  for (const Delivery& d : Deliveries(s, WebhookIdOf(2))) {
    EXPECT_FALSE(ids.contains(d.delivery_id));
  }

  // A second claim at the same time, by anyone, gets nothing; the webhook is
  // not due while its due deliveries are claimed.
  Result<std::vector<ClaimedDelivery>> second =
      s.ClaimDeliveries(WebhookIdOf(1), At(25), At(40), "c2", 10);
  ASSERT_OK(second);
  EXPECT_TRUE(second->empty());
  EXPECT_EQ(Due(s, At(25)), std::vector<std::string>{WebhookIdOf(2)});

  // At 35 the third is due: it alone is claimable, with a limit honoured.
  Result<std::vector<ClaimedDelivery>> third =
      s.ClaimDeliveries(WebhookIdOf(1), At(35), At(100), "c3", 10);
  ASSERT_OK(third);
  ASSERT_EQ(third->size(), 1u);
  EXPECT_EQ((*third)[0].body, R"({"n":3})");

  // Past the first lease (40), its two are claimable again; the third's
  // lease (100) still holds.
  EXPECT_EQ(Due(s, At(39)), std::vector<std::string>{WebhookIdOf(2)});
  EXPECT_EQ(Due(s, At(41)), (std::vector<std::string>{WebhookIdOf(1), WebhookIdOf(2)}));
  Result<std::vector<ClaimedDelivery>> limited =
      s.ClaimDeliveries(WebhookIdOf(1), At(41), At(200), "c4", 1);
  ASSERT_OK(limited);
  ASSERT_EQ(limited->size(), 1u);
  EXPECT_EQ((*limited)[0].body, R"({"n":1})");
  Result<std::vector<ClaimedDelivery>> rest =
      s.ClaimDeliveries(WebhookIdOf(1), At(41), At(200), "c5", 10);
  ASSERT_OK(rest);
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].body, R"({"n":2})");

  // A webhook with nothing due, or none at all, has nothing to claim.
  Result<std::vector<ClaimedDelivery>> empty =
      s.ClaimDeliveries(WebhookIdOf(3), At(1000), At(2000), "c6", 10);
  ASSERT_OK(empty);
  EXPECT_TRUE(empty->empty());
  Result<std::vector<ClaimedDelivery>> unknown =
      s.ClaimDeliveries(WebhookIdOf(99), At(1000), At(2000), "c7", 10);
  ASSERT_OK(unknown);
  EXPECT_TRUE(unknown->empty());
}

AttemptResult Attempt(const std::string& webhook_id, const std::string& delivery_id,
                      std::string claim) {
  AttemptResult r;
  r.delivery_id = delivery_id;
  r.claim = std::move(claim);
  r.webhook_id = webhook_id;
  return r;
}

TEST_P(StoreConformanceTest, OutboxFinishAttemptRecordsItUnderItsClaimOnly) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  InsertHook(s, MakeWebhook(1, acme, At(0)));
  const Event event = MakeEvent(acme, EventType::kReportUpdated, At(10), 1);
  ASSERT_OK(s.InsertEvents({&event, 1}));
  std::vector<ClaimedDelivery> claimed = ClaimAll(s, WebhookIdOf(1), At(10), "c1");
  ASSERT_EQ(claimed.size(), 1u);
  const std::string id = claimed[0].delivery_id;

  // A failed attempt, with a retry at 100.
  AttemptResult failed = Attempt(WebhookIdOf(1), id, "c1");
  failed.status = 500;
  failed.error = "HTTP 500";
  failed.next_attempt_at = At(100);
  ASSERT_OK(s.FinishAttempts({&failed, 1}));
  std::vector<Delivery> d = Deliveries(s, WebhookIdOf(1));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].attempts, 1);
  EXPECT_EQ(d[0].last_status, std::optional<int64_t>(500));
  EXPECT_EQ(d[0].last_error, std::optional<std::string>("HTTP 500"));
  EXPECT_EQ(d[0].delivered_at, std::nullopt);
  EXPECT_EQ(d[0].next_attempt_at, std::optional<Instant>(At(100)));
  EXPECT_EQ(d[0].state(), DeliveryState::kPending);
  // Not due before 100 (the claim is gone, the schedule holds it).
  EXPECT_TRUE(Due(s, At(99)).empty());
  EXPECT_TRUE(ClaimAll(s, WebhookIdOf(1), At(99), "early").empty());

  // The same claim again is stale now: nothing changes.
  ASSERT_OK(s.FinishAttempts({&failed, 1}));
  d = Deliveries(s, WebhookIdOf(1));
  EXPECT_EQ(d[0].attempts, 1);

  claimed = ClaimAll(s, WebhookIdOf(1), At(100), "c2");
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].attempts, 1);

  // A result under a claim that is not the delivery's changes nothing.
  AttemptResult wrong = Attempt(WebhookIdOf(1), id, "c1");
  wrong.status = 204;
  wrong.delivered_at = At(101);
  ASSERT_OK(s.FinishAttempts({&wrong, 1}));
  d = Deliveries(s, WebhookIdOf(1));
  EXPECT_EQ(d[0].attempts, 1);
  EXPECT_EQ(d[0].last_status, std::optional<int64_t>(500));
  EXPECT_EQ(d[0].delivered_at, std::nullopt);
  EXPECT_EQ(d[0].next_attempt_at, std::optional<Instant>(At(100)));

  // Delivered under the right one.
  AttemptResult delivered = Attempt(WebhookIdOf(1), id, "c2");
  delivered.status = 204;
  delivered.delivered_at = At(102);
  ASSERT_OK(s.FinishAttempts({&delivered, 1}));
  d = Deliveries(s, WebhookIdOf(1));
  EXPECT_EQ(d[0].attempts, 2);
  EXPECT_EQ(d[0].last_status, std::optional<int64_t>(204));
  EXPECT_EQ(d[0].last_error, std::nullopt);
  EXPECT_EQ(d[0].delivered_at, std::optional<Instant>(At(102)));
  EXPECT_EQ(d[0].next_attempt_at, std::nullopt);
  EXPECT_EQ(d[0].state(), DeliveryState::kDelivered);
  EXPECT_TRUE(Due(s, At(100'000)).empty());
  EXPECT_TRUE(ClaimAll(s, WebhookIdOf(1)).empty());
  EXPECT_EQ(Stats(s).pending, 0);

  // Failed for good: no status (the connection failed), no next attempt.
  const Event other = MakeEvent(acme, EventType::kReportUpdated, At(200), 2);
  ASSERT_OK(s.InsertEvents({&other, 1}));
  claimed = ClaimAll(s, WebhookIdOf(1), At(200), "c3");
  ASSERT_EQ(claimed.size(), 1u);
  AttemptResult gave_up = Attempt(WebhookIdOf(1), claimed[0].delivery_id, "c3");
  gave_up.error = "connection refused";
  ASSERT_OK(s.FinishAttempts({&gave_up, 1}));
  d = Deliveries(s, WebhookIdOf(1));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].delivery_id, claimed[0].delivery_id);
  EXPECT_EQ(d[0].attempts, 1);
  EXPECT_EQ(d[0].last_status, std::nullopt);
  EXPECT_EQ(d[0].last_error, std::optional<std::string>("connection refused"));
  EXPECT_EQ(d[0].state(), DeliveryState::kFailed);
  EXPECT_EQ(Stats(s).pending, 0);
}

TEST_P(StoreConformanceTest, OutboxFinishAttemptWithDisableAtDisablesTheWebhook) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  InsertHook(s, MakeWebhook(1, acme, At(0)));
  InsertHook(s, MakeWebhook(2, acme, At(0)));
  std::vector<Event> events;
  for (int i = 1; i <= 3; ++i) {
    events.push_back(MakeEvent(acme, EventType::kReportUpdated, At(i * 10), i));
  }
  ASSERT_OK(s.InsertEvents(events));
  // One claimed attempt answered 410; another is in flight under its own claim.
  Result<std::vector<ClaimedDelivery>> claimed =
      s.ClaimDeliveries(WebhookIdOf(1), At(10), At(60), "c1", 1);
  ASSERT_OK(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  const std::string gone_id = (*claimed)[0].delivery_id;
  Result<std::vector<ClaimedDelivery>> in_flight =
      s.ClaimDeliveries(WebhookIdOf(1), At(20), At(60), "c2", 1);
  ASSERT_OK(in_flight);
  ASSERT_EQ(in_flight->size(), 1u);

  AttemptResult gone = Attempt(WebhookIdOf(1), gone_id, "c1");
  gone.status = 410;
  gone.error = "HTTP 410";
  gone.disable_at = At(40);
  ASSERT_OK(s.FinishAttempts({&gone, 1}));

  std::optional<Webhook> w = GetHook(s, WebhookIdOf(1));
  ASSERT_TRUE(w);
  EXPECT_EQ(w->disabled_at, std::optional<Instant>(At(40)));
  for (const Delivery& d : Deliveries(s, WebhookIdOf(1))) {
    SCOPED_TRACE(d.delivery_id);
    EXPECT_EQ(d.state(), DeliveryState::kFailed);
    EXPECT_EQ(d.next_attempt_at, std::nullopt);
    if (d.delivery_id == gone_id) {
      EXPECT_EQ(d.attempts, 1);
      EXPECT_EQ(d.last_status, std::optional<int64_t>(410));
      EXPECT_EQ(d.last_error, std::optional<std::string>("HTTP 410"));
    } else {
      EXPECT_EQ(d.attempts, 0);
      EXPECT_EQ(d.last_status, std::nullopt);
      EXPECT_EQ(d.last_error, std::optional<std::string>("webhook disabled"));
    }
  }
  // Nothing of it is due or claimable any more, even past every lease.
  EXPECT_EQ(Due(s, At(100'000)), std::vector<std::string>{WebhookIdOf(2)});
  EXPECT_TRUE(ClaimAll(s, WebhookIdOf(1)).empty());
  // The other webhook is untouched.
  std::optional<Webhook> other = GetHook(s, WebhookIdOf(2));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->disabled_at, std::nullopt);
  for (const Delivery& d : Deliveries(s, WebhookIdOf(2))) {
    EXPECT_EQ(d.state(), DeliveryState::kPending);
  }
  EXPECT_EQ(Stats(s).pending, 3);

  // A disabled webhook gets no new event.
  const Event later = MakeEvent(acme, EventType::kReportUpdated, At(50), 4);
  ASSERT_OK(s.InsertEvents({&later, 1}));
  EXPECT_EQ(Deliveries(s, WebhookIdOf(1)).size(), 3u);
  EXPECT_EQ(Deliveries(s, WebhookIdOf(2)).size(), 4u);
  // Nor a test.
  const Event test = domain::WebhookTestEvent(acme, WebhookIdOf(1), DeliveryIdOf(1), At(60));
  ASSERT_OK(s.InsertEvents({&test, 1}));
  EXPECT_EQ(Deliveries(s, WebhookIdOf(1)).size(), 3u);
}

TEST_P(StoreConformanceTest, OutboxRetryDeliveryMakesItDueAgainAndDropsTheClaim) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  CompanyId globex = this->Company("globex");
  InsertHook(s, MakeWebhook(1, acme, At(0)));
  InsertHook(s, MakeWebhook(2, acme, At(0)));
  InsertHook(s, MakeWebhook(3, globex, At(0)));
  const Event event = MakeEvent(acme, EventType::kReportUpdated, At(10), 1);
  ASSERT_OK(s.InsertEvents({&event, 1}));
  const Event theirs = MakeEvent(globex, EventType::kReportUpdated, At(10), 2);
  ASSERT_OK(s.InsertEvents({&theirs, 1}));
  std::vector<ClaimedDelivery> claimed = ClaimAll(s, WebhookIdOf(1), At(10), "c1");
  ASSERT_EQ(claimed.size(), 1u);
  const std::string id = claimed[0].delivery_id;
  AttemptResult delivered = Attempt(WebhookIdOf(1), id, "c1");
  delivered.status = 200;
  delivered.delivered_at = At(11);
  ASSERT_OK(s.FinishAttempts({&delivered, 1}));
  ASSERT_EQ(Deliveries(s, WebhookIdOf(1))[0].state(), DeliveryState::kDelivered);

  // Retried at 500: due then, not before.
  ASSERT_OK(s.RetryDelivery(WebhookIdOf(1), id, At(500)));
  std::vector<Delivery> d = Deliveries(s, WebhookIdOf(1));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].next_attempt_at, std::optional<Instant>(At(500)));
  EXPECT_EQ(d[0].state(), DeliveryState::kPending);
  EXPECT_EQ(d[0].attempts, 1);
  EXPECT_EQ(d[0].delivery_id, id);  // the same webhook-id on every retry
  EXPECT_FALSE(std::ranges::count(Due(s, At(499)), WebhookIdOf(1)));
  EXPECT_TRUE(std::ranges::count(Due(s, At(500)), WebhookIdOf(1)));

  // A claimed delivery retried is claimable at once; its old claim is void.
  claimed = ClaimAll(s, WebhookIdOf(1), At(500), "c2");  // leased for an hour
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed[0].attempts, 1);
  ASSERT_OK(s.RetryDelivery(WebhookIdOf(1), id, At(600)));
  claimed = ClaimAll(s, WebhookIdOf(1), At(600), "c3");
  ASSERT_EQ(claimed.size(), 1u);
  AttemptResult stale = Attempt(WebhookIdOf(1), id, "c2");
  stale.status = 500;
  stale.error = "HTTP 500";
  ASSERT_OK(s.FinishAttempts({&stale, 1}));
  d = Deliveries(s, WebhookIdOf(1));
  EXPECT_EQ(d[0].attempts, 1);
  EXPECT_EQ(d[0].last_status, std::optional<int64_t>(200));

  // Unknown, or another webhook's (of the same company or not): not found.
  Status unknown = s.RetryDelivery(WebhookIdOf(1), DeliveryIdOf(99), At(700));
  EXPECT_EQ(unknown.code(), Code::kNotFound) << Describe(unknown);
  EXPECT_EQ(unknown.message(), "delivery not found");
  EXPECT_EQ(s.RetryDelivery(WebhookIdOf(2), id, At(700)).code(), Code::kNotFound);
  const std::string globex_id = Deliveries(s, WebhookIdOf(3))[0].delivery_id;
  EXPECT_EQ(s.RetryDelivery(WebhookIdOf(1), globex_id, At(700)).code(), Code::kNotFound);
  EXPECT_EQ(s.RetryDelivery(WebhookIdOf(99), id, At(700)).code(), Code::kNotFound);
  EXPECT_EQ(Deliveries(s, WebhookIdOf(3))[0].next_attempt_at, std::optional<Instant>(At(10)));
}

TEST_P(StoreConformanceTest, OutboxStatsCountPendingAndTheOldest) {
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  OutboxStats empty = Stats(s);
  EXPECT_EQ(empty.pending, 0);
  EXPECT_EQ(empty.oldest_pending, std::nullopt);

  InsertHook(s, MakeWebhook(1, acme, At(0)));
  std::vector<Event> events;
  for (int i : {30, 10, 20}) events.push_back(MakeEvent(acme, EventType::kReportUpdated, At(i), i));
  ASSERT_OK(s.InsertEvents(events));
  OutboxStats three = Stats(s);
  EXPECT_EQ(three.pending, 3);
  EXPECT_EQ(three.oldest_pending, std::optional<Instant>(At(10)));

  // Claimed is still pending; delivered and failed are not.
  Result<std::vector<ClaimedDelivery>> oldest =
      s.ClaimDeliveries(WebhookIdOf(1), At(30), At(100), "c1", 2);
  ASSERT_OK(oldest);
  ASSERT_EQ(oldest->size(), 2u);
  EXPECT_EQ(Stats(s).pending, 3);
  *oldest = InEventOrder(*oldest);
  ASSERT_EQ((*oldest)[0].body, R"({"n":10})");
  ASSERT_EQ((*oldest)[1].body, R"({"n":20})");
  AttemptResult delivered = Attempt(WebhookIdOf(1), (*oldest)[0].delivery_id, "c1");
  delivered.status = 204;
  delivered.delivered_at = At(31);
  ASSERT_OK(s.FinishAttempts({&delivered, 1}));
  OutboxStats two = Stats(s);
  EXPECT_EQ(two.pending, 2);
  EXPECT_EQ(two.oldest_pending, std::optional<Instant>(At(20)));
  AttemptResult failed = Attempt(WebhookIdOf(1), (*oldest)[1].delivery_id, "c1");
  failed.status = 500;
  failed.error = "HTTP 500";
  ASSERT_OK(s.FinishAttempts({&failed, 1}));
  OutboxStats one = Stats(s);
  EXPECT_EQ(one.pending, 1);
  EXPECT_EQ(one.oldest_pending, std::optional<Instant>(At(30)));
}

TEST_P(StoreConformanceTest, OutboxConcurrentClaimsTakeEachDeliveryExactlyOnce) {
  // Each delivery attempt is made by one node: claimers racing on the same
  // webhook's due deliveries (on PostgreSQL, FOR UPDATE SKIP LOCKED) never
  // get the same one twice, and between them get all.
  Store& s = *this->store_;
  CompanyId acme = this->Company("acme");
  InsertHook(s, MakeWebhook(1, acme, At(0)));
  constexpr int kDeliveries = 200;
  std::vector<Event> events;
  for (int i = 0; i < kDeliveries; ++i) {
    events.push_back(MakeEvent(acme, EventType::kReportUpdated, At(i % 17), i));
  }
  ASSERT_OK(s.InsertEvents(events));

  constexpr int kThreads = 8;
  constexpr int kLimit = 7;
  std::atomic<int> failures{0};
  std::vector<std::vector<std::string>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0;; ++round) {
        const std::string claim = "node-" + std::to_string(t) + "-" + std::to_string(round);
        Result<std::vector<ClaimedDelivery>> claimed =
            s.ClaimDeliveries(WebhookIdOf(1), At(1000), At(2000), claim, kLimit);
        if (!claimed) {
          ++failures;
          return;
        }
        if (claimed->empty()) return;
        if (claimed->size() > static_cast<size_t>(kLimit)) ++failures;
        for (const ClaimedDelivery& d : *claimed)
          got[static_cast<size_t>(t)].push_back(d.delivery_id);
      }
    });
  }
  for (auto& th : threads) th.join();

  EXPECT_EQ(failures.load(), 0);
  std::map<std::string, int> times;
  size_t total = 0;
  for (const auto& ids : got) {
    total += ids.size();
    for (const std::string& id : ids) ++times[id];
  }
  EXPECT_EQ(total, static_cast<size_t>(kDeliveries));
  EXPECT_EQ(times.size(), static_cast<size_t>(kDeliveries));
  for (const auto& [id, n] : times) EXPECT_EQ(n, 1) << id << " was claimed " << n << " times";
  // All claimed: nothing left to claim until the leases end.
  EXPECT_TRUE(ClaimAll(s, WebhookIdOf(1), At(1999), "late").empty());
  EXPECT_EQ(ClaimAll(s, WebhookIdOf(1), At(2001), "after").size(),
            static_cast<size_t>(kDeliveries));
}

}  // namespace
}  // namespace reportshare::store
