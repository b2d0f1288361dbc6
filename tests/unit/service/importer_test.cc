#include "service/importer.h"

#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>
#include <streambuf>
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

// The SPEC §1 report under `id`, on one line, without its newline.
std::string Line(int64_t id) {
  std::string body = test_support::kSpecExampleBodyJson;
  for (char& c : body) {
    if (c == '\n') c = ' ';
  }
  return "{\"report_id\": " + std::to_string(id) + ", " + body.substr(1);
}

// NDJSON of reports `first` to `last`.
std::string Ndjson(int64_t first, int64_t last) {
  std::string out;
  for (int64_t id = first; id <= last; ++id) out += Line(id) + "\n";
  return out;
}

// A stream that yields `data` and then fails as a disk does: the istream
// catches the exception and sets badbit.
class FailingBuf : public std::streambuf {
 public:
  explicit FailingBuf(std::string data) : data_(std::move(data)) {
    setg(data_.data(), data_.data(), data_.data() + data_.size());
  }

 protected:
  int_type underflow() override { throw std::runtime_error("EIO"); }

 private:
  std::string data_;
};

// Imports for company A through the fixture's FaultyStore, recording what
// the callbacks saw.
class ImporterTest : public ServiceFixture {
 protected:
  ImportResult Import(std::string_view text, ImportOptions options = {}) {
    std::istringstream in{std::string(text)};
    return Import(in, options);
  }
  ImportResult Import(std::istream& in, ImportOptions options = {}) {
    errors_.clear();
    progress_.clear();
    return ImportReports(
        *faulty_, a_.company_id, in, clock_, [this](const ImportError& e) { errors_.push_back(e); },
        [this](const ImportSummary& s) { progress_.push_back(s); }, options);
  }

  bool Stored(int64_t id) {
    auto report = store_->GetReport(ReportId{id});
    EXPECT_TRUE(report);
    return report && *report;
  }
  int64_t Version(int64_t id) {
    auto report = store_->GetReport(ReportId{id});
    EXPECT_TRUE(report && *report) << id;
    return report && *report ? (*report)->version : 0;
  }
  size_t Writes(size_t since) {
    size_t n = 0;
    for (StoreMethod m : faulty_->MethodsCalled(since)) n += m == StoreMethod::kPutReports;
    return n;
  }

  std::vector<ImportError> errors_;
  std::vector<ImportSummary> progress_;
};

TEST_F(ImporterTest, NdjsonAndArrayAreImported) {
  const std::string ndjson = Ndjson(1, 3);
  auto lines = Import(ndjson);
  ASSERT_TRUE(lines.status.ok()) << lines.status.message();
  EXPECT_EQ(lines.summary.imported, 3);
  EXPECT_EQ(lines.summary.failed, 0);
  EXPECT_EQ(lines.summary.bytes_read, static_cast<int64_t>(ndjson.size()));
  ASSERT_FALSE(progress_.empty());
  EXPECT_EQ(progress_.back().imported, 3);
  EXPECT_EQ(progress_.back().bytes_read, static_cast<int64_t>(ndjson.size()));

  std::string array = "[" + Ndjson(4, 5) + "]";
  array.replace(array.find('\n'), 1, ",");
  auto arr = Import(array);
  ASSERT_TRUE(arr.status.ok()) << arr.status.message();
  EXPECT_EQ(arr.summary.imported, 2);
  for (int64_t id = 1; id <= 5; ++id) EXPECT_TRUE(Stored(id)) << id;
}

TEST_F(ImporterTest, OneByteChunksImportTheSame) {
  ImportOptions options;
  options.chunk_bytes = 1;
  options.batch_size = 2;
  const std::string text = Ndjson(1, 2) + "\r\nnot json\r\n" + Ndjson(3, 3);
  auto summary = Import(text, options);
  ASSERT_TRUE(summary.status.ok()) << summary.status.message();
  EXPECT_EQ(summary.summary.imported, 3);
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_EQ(errors_[0].line, 4);
  EXPECT_EQ(errors_[0].message, "not valid JSON");
  // A progress call per byte read, and per batch.
  EXPECT_GE(progress_.size(), text.size());

  const std::string array = "[\n" + Line(4) + ",\n" + Line(5) + "\n]\n";
  auto arr = Import(array, options);
  ASSERT_TRUE(arr.status.ok()) << arr.status.message();
  EXPECT_EQ(arr.summary.imported, 2);
  EXPECT_TRUE(errors_.empty());
  for (int64_t id = 1; id <= 5; ++id) EXPECT_TRUE(Stored(id)) << id;
}

TEST_F(ImporterTest, BadRecordsAreReportedAndTheRestImported) {
  std::string text = Ndjson(1, 1) + "not json\n" + "{\"report_id\": 0}\n" + "[1]\n" +
                     "{\"report_id\": 9, \"name\": \"no assessment\"}\n" + Ndjson(2, 2);
  auto summary = Import(text);
  ASSERT_TRUE(summary.status.ok());
  EXPECT_EQ(summary.summary.imported, 2);
  EXPECT_EQ(summary.summary.failed, 4);
  ASSERT_EQ(errors_.size(), 4u);
  EXPECT_EQ(errors_[0].line, 2);
  EXPECT_EQ(errors_[0].message, "not valid JSON");
  EXPECT_EQ(errors_[1].line, 3);
  EXPECT_EQ(errors_[1].message, "report_id is required: an integer from 1 to 9223372036854775807");
  EXPECT_EQ(errors_[2].line, 4);
  EXPECT_EQ(errors_[2].message, "a report must be a JSON object");
  EXPECT_EQ(errors_[3].line, 5);
  EXPECT_FALSE(errors_[3].message.empty());
  EXPECT_TRUE(Stored(1));
  EXPECT_TRUE(Stored(2));
  EXPECT_FALSE(Stored(9));
}

TEST_F(ImporterTest, ATooLongRecordIsOneBadRecord) {
  ImportOptions options;
  options.max_record_bytes = Line(1).size() + 10;
  std::string name(options.max_record_bytes, 'x');
  std::string big = "{\"report_id\": 7, \"name\": \"" + name + "\"}";
  auto summary = Import(Ndjson(1, 1) + big + "\n" + Ndjson(2, 2), options);
  ASSERT_TRUE(summary.status.ok());
  EXPECT_EQ(summary.summary.imported, 2);
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_EQ(errors_[0].line, 2);
  EXPECT_EQ(errors_[0].message,
            "the record is longer than " + std::to_string(options.max_record_bytes) + " bytes");
  EXPECT_FALSE(Stored(7));
}

TEST_F(ImporterTest, AnUnterminatedArrayImportsItsElementsAndFailsOnce) {
  const std::string text = "[" + Line(1) + ",\n" + Line(2) + ",\n" + Line(3);
  auto summary = Import(text);
  ASSERT_TRUE(summary.status.ok()) << summary.status.message();
  EXPECT_EQ(summary.summary.imported, 2);
  EXPECT_EQ(summary.summary.failed, 1);
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_EQ(errors_[0].line, 3);
  EXPECT_EQ(errors_[0].message, "the JSON array is not terminated");
  EXPECT_TRUE(Stored(1));
  EXPECT_TRUE(Stored(2));
  EXPECT_FALSE(Stored(3));
}

TEST_F(ImporterTest, ReportsAreWrittenInBatchesOfOneTransaction) {
  size_t before = faulty_->call_count();
  auto summary = Import(Ndjson(1, 1200));
  ASSERT_TRUE(summary.status.ok()) << summary.status.message();
  EXPECT_EQ(summary.summary.imported, 1200);
  EXPECT_EQ(faulty_->MethodsCalled(before), std::vector<StoreMethod>(3, StoreMethod::kPutReports));

  // Smaller batches by count, and by bytes: a batch is written once its
  // records reach batch_bytes.
  ImportOptions options;
  options.batch_size = 7;
  before = faulty_->call_count();
  ASSERT_TRUE(Import(Ndjson(1, 20), options).status.ok());
  EXPECT_EQ(Writes(before), 3u);  // 7 + 7 + 6
  options.batch_size = 500;
  options.batch_bytes = 2 * Line(1).size();
  before = faulty_->call_count();
  ASSERT_TRUE(Import(Ndjson(1, 20), options).status.ok());
  EXPECT_EQ(Writes(before), 10u);
  EXPECT_EQ(Version(1), 3);  // imported three times: each import replaced it once
}

TEST_F(ImporterTest, AnotherCompanysIdInTheMiddleOfABatchFailsOnlyThatRecord) {
  auto put = service_->PutReport(b_, CompletedReport(2));
  ASSERT_TRUE(put);
  size_t before = faulty_->call_count();
  auto summary = Import(Ndjson(1, 3));
  ASSERT_TRUE(summary.status.ok()) << summary.status.message();
  EXPECT_EQ(Writes(before), 1u);  // one batch
  EXPECT_EQ(summary.summary.imported, 2);
  EXPECT_EQ(summary.summary.failed, 1);
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_EQ(errors_[0].line, 2);
  EXPECT_EQ(errors_[0].message, "report_id belongs to another company");
  EXPECT_TRUE(Stored(1));
  EXPECT_TRUE(Stored(3));
  auto other = store_->GetReport(ReportId{2});
  ASSERT_TRUE(other && *other);
  EXPECT_EQ((*other)->company_id, b_.company_id);
  EXPECT_EQ((*other)->version, 1);
}

TEST_F(ImporterTest, ErrorsOfABatchComeInLineOrder) {
  ASSERT_TRUE(service_->PutReport(b_, CompletedReport(1)));
  // Line 1 is refused by the store when the batch is written, after line 2
  // was found bad while it was being cut.
  auto summary = Import(Ndjson(1, 1) + "not json\n" + Ndjson(2, 2));
  ASSERT_TRUE(summary.status.ok());
  ASSERT_EQ(errors_.size(), 2u);
  EXPECT_EQ(errors_[0].line, 1);
  EXPECT_EQ(errors_[0].message, "report_id belongs to another company");
  EXPECT_EQ(errors_[1].line, 2);
}

TEST_F(ImporterTest, AnIdTwiceInOneBatchIsCreatedThenReplaced) {
  auto summary = Import(Ndjson(1, 2) + Ndjson(1, 1));
  ASSERT_TRUE(summary.status.ok());
  EXPECT_EQ(summary.summary.imported, 3);
  EXPECT_EQ(Version(1), 2);
  EXPECT_EQ(Version(2), 1);
}

TEST_F(ImporterTest, StoreFailureMidImportStopsItWithTheCommittedCount) {
  ImportOptions options;
  options.batch_size = 2;
  size_t before = faulty_->call_count();
  faulty_->FailCall(2);  // the second batch: reports 3 and 4
  auto result = Import(Ndjson(1, 5), options);
  ASSERT_FALSE(result.status.ok());
  EXPECT_EQ(result.status.code(), Code::kUnavailable);
  EXPECT_EQ(result.status.message(), "database unavailable");
  // Nothing after the failure was tried: the database is down.
  EXPECT_EQ(faulty_->MethodsCalled(before), std::vector<StoreMethod>(2, StoreMethod::kPutReports));
  // The first batch committed, and the summary and the progress say so.
  EXPECT_EQ(result.summary.imported, 2);
  EXPECT_EQ(result.summary.failed, 0);
  ASSERT_FALSE(progress_.empty());
  EXPECT_EQ(progress_.back().imported, 2);
  EXPECT_TRUE(errors_.empty());  // an outage is not a bad record
  EXPECT_TRUE(Stored(1));
  EXPECT_TRUE(Stored(2));
  for (int64_t id = 3; id <= 5; ++id) EXPECT_FALSE(Stored(id)) << id;

  // Run again once the database is back: everything is there, 1 and 2 replaced.
  auto again = Import(Ndjson(1, 5), options);
  ASSERT_TRUE(again.status.ok()) << again.status.message();
  EXPECT_EQ(again.summary.imported, 5);
  EXPECT_EQ(Version(1), 2);
  EXPECT_EQ(Version(5), 1);
}

TEST_F(ImporterTest, BadRecordsOfTheBatchThatFailedAreStillReported) {
  ImportOptions options;
  options.batch_size = 3;
  faulty_->FailMethod(StoreMethod::kPutReports);
  auto result = Import(Ndjson(1, 1) + "not json\n" + Ndjson(2, 5), options);
  EXPECT_EQ(result.status.code(), Code::kUnavailable);
  EXPECT_EQ(result.summary.imported, 0);
  EXPECT_EQ(result.summary.failed, 1);
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_EQ(errors_[0].line, 2);
  EXPECT_EQ(faulty_->failures(), 1);
}

TEST_F(ImporterTest, StoreDownFromTheStartImportsNothing) {
  faulty_->FailMethod(StoreMethod::kPutReports);
  auto result = Import(Ndjson(1, 3));
  EXPECT_EQ(result.status.code(), Code::kUnavailable);
  EXPECT_EQ(result.summary.imported, 0);
  EXPECT_EQ(faulty_->failures(), 1);
  EXPECT_FALSE(Stored(1));
}

TEST_F(ImporterTest, AnInputThatFailsToReadStopsAfterImportingWhatWasRead) {
  const std::string text = Ndjson(1, 2);
  FailingBuf buf(text);
  std::istream in(&buf);
  ImportOptions options;
  options.chunk_bytes = text.size();  // the first read takes it all, the second fails
  auto result = Import(in, options);
  EXPECT_EQ(result.status.code(), Code::kUnavailable);
  EXPECT_EQ(result.status.message(), "cannot read the input");
  EXPECT_EQ(result.summary.imported, 2);
  EXPECT_TRUE(Stored(2));
}

TEST_F(ImporterTest, EmptyInputImportsNothingAndWritesNothing) {
  size_t before = faulty_->call_count();
  for (std::string_view text : {"", "\n \n", "[]", "[\n]\n"}) {
    auto result = Import(text);
    EXPECT_TRUE(result.status.ok()) << text;
    EXPECT_EQ(result.summary.imported, 0);
    EXPECT_EQ(result.summary.failed, 0);
  }
  EXPECT_EQ(faulty_->call_count(), before);
}

}  // namespace
}  // namespace reportshare::service
