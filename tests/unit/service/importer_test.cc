#include "service/importer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/faulty_store.h"
#include "support/service_fixture.h"

namespace reportshare::service {
namespace {

using test_support::CompletedReport;
using test_support::FaultyStore;
using test_support::ServiceFixture;
using test_support::StoreMethod;

// NDJSON of reports `first` to `last` (the SPEC §1 report under each id).
std::string Ndjson(int64_t first, int64_t last) {
  std::string body = test_support::kSpecExampleBodyJson;
  for (char& c : body) {
    if (c == '\n') c = ' ';
  }
  std::string out;
  for (int64_t id = first; id <= last; ++id) {
    out += "{\"report_id\": " + std::to_string(id) + ", " + body.substr(1) + "\n";
  }
  return out;
}

// Imports for company A through the fixture's FaultyStore, recording what
// the callbacks saw.
class ImporterTest : public ServiceFixture {
 protected:
  Result<ImportSummary> Import(std::string_view text) {
    errors_.clear();
    progress_.clear();
    return ImportReports(
        *faulty_, a_.company_id, text, clock_,
        [this](const ImportError& e) { errors_.push_back(e); },
        [this](const ImportSummary& s) { progress_.push_back(s); });
  }

  bool Stored(int64_t id) {
    auto report = store_->GetReport(ReportId{id});
    EXPECT_TRUE(report);
    return report && *report;
  }

  std::vector<ImportError> errors_;
  std::vector<ImportSummary> progress_;
};

TEST_F(ImporterTest, NdjsonAndArrayAreImported) {
  auto lines = Import(Ndjson(1, 3));
  ASSERT_TRUE(lines) << lines.error().message();
  EXPECT_EQ(lines->imported, 3);
  EXPECT_EQ(lines->failed, 0);
  EXPECT_EQ(progress_.size(), 3u);

  std::string array = "[" + Ndjson(4, 5) + "]";
  array.replace(array.find('\n'), 1, ",");
  auto arr = Import(array);
  ASSERT_TRUE(arr) << arr.error().message();
  EXPECT_EQ(arr->imported, 2);
  for (int64_t id = 1; id <= 5; ++id) EXPECT_TRUE(Stored(id)) << id;
}

TEST_F(ImporterTest, BadRecordsAreReportedAndTheRestImported) {
  std::string text = Ndjson(1, 1) + "not json\n" + "{\"report_id\": 0}\n" + Ndjson(2, 2);
  auto summary = Import(text);
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->imported, 2);
  EXPECT_EQ(summary->failed, 2);
  ASSERT_EQ(errors_.size(), 2u);
  EXPECT_EQ(errors_[0].line, 2);
  EXPECT_EQ(errors_[0].message, "not valid JSON");
  EXPECT_EQ(errors_[1].line, 3);
}

TEST_F(ImporterTest, AnotherCompanysIdIsOneBadRecordNotAnAbort) {
  auto put = service_->PutReport(b_, CompletedReport(2));
  ASSERT_TRUE(put);
  auto summary = Import(Ndjson(1, 3));
  ASSERT_TRUE(summary) << summary.error().message();
  EXPECT_EQ(summary->imported, 2);
  EXPECT_EQ(summary->failed, 1);
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_EQ(errors_[0].line, 2);
}

TEST_F(ImporterTest, StoreFailureMidImportStopsItAndReportsIt) {
  size_t before = faulty_->call_count();
  faulty_->FailCall(3);  // the third record's write
  auto summary = Import(Ndjson(1, 5));
  ASSERT_FALSE(summary);
  EXPECT_EQ(summary.error().code(), Code::kUnavailable);
  EXPECT_EQ(summary.error().message(), "database unavailable");
  // Nothing after the failure was tried: the database is down.
  EXPECT_EQ(faulty_->MethodsCalled(before), std::vector<StoreMethod>(3, StoreMethod::kPutReport));
  // What came before stays imported, and the progress said so.
  ASSERT_EQ(progress_.size(), 2u);
  EXPECT_EQ(progress_.back().imported, 2);
  EXPECT_TRUE(errors_.empty());  // an outage is not a bad record
  EXPECT_TRUE(Stored(1));
  EXPECT_TRUE(Stored(2));
  for (int64_t id = 3; id <= 5; ++id) EXPECT_FALSE(Stored(id)) << id;

  // Run again once the database is back: everything is there, 1 and 2 replaced.
  auto again = Import(Ndjson(1, 5));
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->imported, 5);
}

TEST_F(ImporterTest, StoreDownFromTheStartImportsNothing) {
  faulty_->FailMethod(StoreMethod::kPutReport);
  auto summary = Import(Ndjson(1, 3));
  ASSERT_FALSE(summary);
  EXPECT_EQ(summary.error().code(), Code::kUnavailable);
  EXPECT_EQ(faulty_->failures(), 1);
  EXPECT_TRUE(progress_.empty());
  EXPECT_FALSE(Stored(1));
}

}  // namespace
}  // namespace reportshare::service
