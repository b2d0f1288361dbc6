#include "service/importer.h"

#include <boost/json.hpp>

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.h"
#include "domain/report_json.h"
#include "service/record_splitter.h"

namespace reportshare::service {
namespace {

std::string SplitErrorMessage(SplitError error, size_t max_record_bytes) {
  switch (error) {
    case SplitError::kTooLong:
      return "the record is longer than " + std::to_string(max_record_bytes) + " bytes";
    case SplitError::kUnterminated:
      return "the JSON array is not terminated";
    case SplitError::kAfterArray:
      return "content after the end of the JSON array";
    case SplitError::kNone:
      break;
  }
  return "bad record";
}

// A parsed report, or why its record is bad.
Result<Report> ParseRecord(std::string_view text) {
  auto value = core::ParseJson(text);
  if (!value) return Status::InvalidArgument("not valid JSON");
  if (!value->is_object()) return Status::InvalidArgument("a report must be a JSON object");
  const auto* id = value->get_object().if_contains("report_id");
  if (!id || !id->is_int64() || id->get_int64() < 1) {
    return Status::InvalidArgument(
        "report_id is required: an integer from 1 to 9223372036854775807");
  }
  return domain::ParseReport(*value, ReportId{id->get_int64()});
}

// The records of one transaction, good and bad, in input order: the bad ones
// are reported when the batch is written, with the reports the store
// refused, so every error comes out in line order. Counting both bounds the
// memory an input of nothing but bad records takes.
class Batch {
 public:
  Batch(store::Store& store, CompanyId company, const Clock& clock, ImportSummary& summary,
        const std::function<void(const ImportError&)>& on_error)
      : store_(store), company_(company), clock_(clock), summary_(summary), on_error_(on_error) {}

  size_t records() const { return reports_.size() + errors_.size(); }
  size_t bytes() const { return bytes_; }

  void AddReport(int64_t line, Report report, size_t bytes) {
    reports_.push_back(std::move(report));
    report_lines_.push_back(line);
    bytes_ += bytes;
  }
  void AddError(int64_t line, std::string message) {
    errors_.push_back({line, std::move(message)});
  }

  // Writes the reports in one transaction and reports the batch's bad
  // records. On a store failure nothing of the batch is imported; its bad
  // records are still reported (they are bad whatever the database says).
  Status Write() {
    Status status;
    if (!reports_.empty()) {
      auto put = store_.PutReports(company_, reports_, clock_.Now());
      if (!put) {
        status = put.error();
      } else {
        for (size_t i = 0; i < put->size(); ++i) {
          if ((*put)[i]) {
            ++summary_.imported;
          } else {
            errors_.push_back({report_lines_[i], (*put)[i].error().message()});
          }
        }
      }
    }
    std::stable_sort(errors_.begin(), errors_.end(),
                     [](const ImportError& a, const ImportError& b) { return a.line < b.line; });
    for (const ImportError& e : errors_) {
      ++summary_.failed;
      on_error_(e);
    }
    reports_.clear();
    report_lines_.clear();
    errors_.clear();
    bytes_ = 0;
    return status;
  }

 private:
  store::Store& store_;
  const CompanyId company_;
  const Clock& clock_;
  ImportSummary& summary_;
  const std::function<void(const ImportError&)>& on_error_;
  std::vector<Report> reports_;
  std::vector<int64_t> report_lines_;
  std::vector<ImportError> errors_;
  size_t bytes_ = 0;
};

}  // namespace

ImportResult ImportReports(store::Store& store, CompanyId company, std::istream& input,
                           const Clock& clock,
                           const std::function<void(const ImportError&)>& on_error,
                           const std::function<void(const ImportSummary&)>& on_progress,
                           const ImportOptions& options) {
  ImportResult result;
  ImportSummary& summary = result.summary;
  Status& status = result.status;
  Batch batch(store, company, clock, summary, on_error);
  const size_t batch_size = std::max<size_t>(options.batch_size, 1);

  auto write = [&] {
    if (batch.records() == 0) return;
    status = batch.Write();
    on_progress(summary);
  };
  RecordSplitter splitter(std::max<size_t>(options.max_record_bytes, 1));
  const RecordSplitter::Sink on_record = [&](const RawRecord& record) {
    if (!status.ok()) return;  // the rest of a chunk after a store failure
    if (record.error != SplitError::kNone) {
      batch.AddError(record.line, SplitErrorMessage(record.error, options.max_record_bytes));
    } else if (Result<Report> report = ParseRecord(record.text); !report) {
      batch.AddError(record.line, report.error().message());
    } else {
      batch.AddReport(record.line, std::move(*report), record.text.size());
    }
    if (batch.records() >= batch_size || batch.bytes() >= options.batch_bytes) write();
  };

  std::string chunk(std::max<size_t>(options.chunk_bytes, 1), '\0');
  while (status.ok()) {
    input.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const std::streamsize n = input.gcount();
    if (n > 0) {
      summary.bytes_read += n;
      splitter.Feed(std::string_view(chunk.data(), static_cast<size_t>(n)), on_record);
      if (!status.ok()) break;
      on_progress(summary);
    }
    if (input.bad()) {
      write();  // what was read is imported; the reason to stop is the input
      if (status.ok()) status = Status::Unavailable("cannot read the input");
      return result;
    }
    if (!input) break;  // the end
  }
  if (!status.ok()) return result;
  splitter.Finish(on_record);
  write();
  return result;
}

}  // namespace reportshare::service
