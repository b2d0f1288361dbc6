#pragma once

#include <cstddef>
#include <optional>
#include <thread>
#include <vector>

#include "core/mutex.h"
#include "core/status.h"
#include "domain/ids.h"
#include "service/report_service.h"
#include "store/store.h"

namespace reportshare::service {

// The PDFs of a bulk download (SPEC §6), produced ahead of their consumer:
// `window` threads of its own load and render the next reports in parallel
// (ReportService::Download for each), and Next() hands them out in request
// order. At most `window` results wait unconsumed, so memory stays bounded
// whatever the count. After a database failure every later id fails the
// same way without touching the store, so an outage ends the stream quickly.
// Destruction stops the threads (a render in progress finishes first) and
// joins them. Next() is for one consumer thread at a time.
class BulkDownload {
 public:
  struct Item {
    ReportId report_id;
    Result<PdfDocument>
        pdf;  // or the id's error: kNotFound, kFailedPrecondition, kUnavailable, kInternal
  };

  // `service` must outlive this. `started_at` is when the download was asked
  // for (the ZIP's file times). A window below 1 is 1.
  BulkDownload(const ReportService& service, store::Principal who, std::vector<ReportId> ids,
               int window, Instant started_at);
  ~BulkDownload();
  BulkDownload(const BulkDownload&) = delete;
  BulkDownload& operator=(const BulkDownload&) = delete;

  // The next report's PDF or error, waiting for it; nullopt after the last.
  std::optional<Item> Next();

  size_t size() const { return ids_.size(); }
  Instant started_at() const { return started_at_; }

 private:
  void Work();

  const ReportService& service_;
  const store::Principal who_;
  const std::vector<ReportId> ids_;
  const size_t window_;
  const Instant started_at_;

  core::Mutex mu_;
  core::CondVar changed_;
  // done_[i]: the result of ids_[i] once rendered, until Next() takes it.
  std::vector<std::optional<Result<PdfDocument>>> done_ RS_GUARDED_BY(mu_);
  size_t next_claim_ RS_GUARDED_BY(mu_) = 0;  // the next index a thread takes on
  size_t next_emit_ RS_GUARDED_BY(mu_) = 0;   // the next index Next() hands out
  bool stopping_ RS_GUARDED_BY(mu_) = false;
  bool database_down_ RS_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;  // last: started once the state above is built
};

}  // namespace reportshare::service
