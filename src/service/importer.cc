#include "service/importer.h"

#include <boost/json.hpp>

#include <vector>

#include "core/json.h"
#include "domain/report_json.h"

namespace reportshare::service {
namespace {

struct Record {
  int64_t line;
  std::string_view text;
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Splits the elements of a top-level JSON array without parsing them, so one
// malformed element is one bad record, and each keeps its starting line.
// Returns false if the array itself is unterminated.
bool SplitArray(std::string_view text, size_t open, std::vector<Record>& out) {
  int64_t line = 1;
  for (size_t i = 0; i < open; ++i) line += text[i] == '\n';
  int depth = 0;
  bool in_string = false, escaped = false;
  size_t start = std::string_view::npos;
  int64_t start_line = line;
  for (size_t i = open + 1; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') ++line;
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (start == std::string_view::npos && !IsSpace(c) && c != ',' && !(c == ']' && depth == 0)) {
      start = i;
      start_line = line;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || (c == ']' && depth > 0)) {
      --depth;
    } else if ((c == ',' || c == ']') && depth == 0) {
      if (start != std::string_view::npos)
        out.push_back({start_line, text.substr(start, i - start)});
      start = std::string_view::npos;
      if (c == ']') return true;
    }
  }
  return false;
}

void SplitLines(std::string_view text, std::vector<Record>& out) {
  int64_t line = 0;
  while (!text.empty()) {
    ++line;
    size_t nl = text.find('\n');
    std::string_view row = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    bool blank = true;
    for (char c : row) blank = blank && IsSpace(c);
    if (!blank) out.push_back({line, row});
  }
}

}  // namespace

Result<ImportSummary> ImportReports(store::Store& store, CompanyId company, std::string_view text,
                                    const Clock& clock,
                                    const std::function<void(const ImportError&)>& on_error,
                                    const std::function<void(const ImportSummary&)>& on_progress) {
  size_t first = 0;
  while (first < text.size() && IsSpace(text[first])) ++first;
  std::vector<Record> records;
  if (first < text.size() && text[first] == '[') {
    if (!SplitArray(text, first, records)) {
      return Status::InvalidArgument("the JSON array is not terminated");
    }
  } else {
    SplitLines(text, records);
  }

  ImportSummary summary;
  for (const Record& rec : records) {
    auto fail = [&](std::string message) {
      ++summary.failed;
      on_error({rec.line, std::move(message)});
    };
    auto value = core::ParseJson(rec.text);
    if (!value) {
      fail("not valid JSON");
    } else if (!value->is_object()) {
      fail("a report must be a JSON object");
    } else {
      const auto* id = value->get_object().if_contains("report_id");
      std::optional<ReportId> report_id;
      if (id && id->is_int64() && id->get_int64() >= 1) report_id = ReportId{id->get_int64()};
      if (!report_id) {
        fail("report_id is required: an integer from 1 to 9223372036854775807");
      } else if (auto report = domain::ParseReport(*value, *report_id); !report) {
        fail(report.error().message());
      } else if (auto put = store.PutReport(company, *report, clock.Now()); !put) {
        if (put.error().code() == Code::kUnavailable) return put.error();
        fail(put.error().message());
      } else {
        ++summary.imported;
      }
    }
    on_progress(summary);
  }
  return summary;
}

}  // namespace reportshare::service
