#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "store/store.h"

namespace reportshare::service {

struct ImportOptions {
  // Reports written per transaction (Store::PutReports). Default: 500.
  size_t batch_size = 500;
  // A batch is also written once its records reach this many bytes, so a
  // batch of large reports stays small. Default: 8 MiB.
  size_t batch_bytes = size_t{8} << 20;
  // A longer record is a bad record. Default: 1 MiB.
  size_t max_record_bytes = size_t{1} << 20;
  // Bytes read from the input at a time. Default: 64 KiB.
  size_t chunk_bytes = size_t{64} << 10;
};

// How far an import got.
struct ImportSummary {
  int64_t imported = 0;    // reports written, in transactions that committed
  int64_t failed = 0;      // bad records
  int64_t bytes_read = 0;  // of the input
};

// One record that could not be imported: its 1-based line in the input (where
// the record starts) and a client-safe reason ("assessment_id is required").
struct ImportError {
  int64_t line = 0;
  std::string message;
};

// The end of an import: what it did, and whether it ran to the end of the
// input. `status` is Ok, or what stopped it: kUnavailable "database
// unavailable" (the batch being written is not in `summary.imported`: its
// transaction rolled back) or kUnavailable "cannot read the input".
struct ImportResult {
  ImportSummary summary;
  Status status;
};

// Imports reports for `company` from `input`: a JSON array of report objects,
// or NDJSON (one object per line; blank lines skipped), streamed: memory
// holds one chunk, one record being cut and one batch, whatever the input's
// size (service/record_splitter.h). Each record needs its report_id; reports
// are written in batches (`options`), each in one transaction, with no
// webhook event (docs/decisions.md). A bad record (not JSON, not a valid
// report, too long, another company's report_id) is reported through
// `on_error` and does not stop the rest. `on_progress` is called after each
// chunk of input and after each batch is written. A store failure stops the
// import at once.
ImportResult ImportReports(store::Store& store, CompanyId company, std::istream& input,
                           const Clock& clock,
                           const std::function<void(const ImportError&)>& on_error,
                           const std::function<void(const ImportSummary&)>& on_progress,
                           const ImportOptions& options = {});

}  // namespace reportshare::service
