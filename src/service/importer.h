#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "store/store.h"

namespace reportshare::service {

struct ImportSummary {
  int64_t imported = 0;
  int64_t failed = 0;
};

// One record that could not be imported: its 1-based line in the input and a
// client-safe reason ("assessment_id is required").
struct ImportError {
  int64_t line = 0;
  std::string message;
};

// Imports reports for `company` from `text`: a JSON array of report objects,
// or NDJSON (one object per line; blank lines skipped). Each record needs its
// report_id. A bad record is reported through `on_error` and does not stop the
// rest; `on_progress` is called after each record with the running summary.
// Returns the summary, or a store error that stopped the import (kUnavailable).
Result<ImportSummary> ImportReports(store::Store& store, CompanyId company, std::string_view text,
                                    const Clock& clock,
                                    const std::function<void(const ImportError&)>& on_error,
                                    const std::function<void(const ImportSummary&)>& on_progress);

}  // namespace reportshare::service
