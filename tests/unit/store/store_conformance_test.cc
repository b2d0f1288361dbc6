// The conformance suite every Store implementation passes, run once per
// backend. Each backend adds a factory: a class whose Open() returns the
// store under test on a fresh, private database, and returns a store on that
// same database when called again (after the previous store is destroyed).
// The PostgreSQL backend joins only when a server is configured
// (REPORTSHARE_TEST_PG or REPORTSHARE_TEST_PG_FILE, see support/pg_test_database.h):
// otherwise its tests are not instantiated, rather than skipped or passed.

#include <gtest/gtest.h>

#include <boost/json/value.hpp>

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/json.h"
#include "domain/report_json.h"
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

}  // namespace
}  // namespace reportshare::store
