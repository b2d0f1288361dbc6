#include "service/bulk_download.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "core/log.h"

namespace reportshare::service {

BulkDownload::BulkDownload(const ReportService& service, store::Principal who,
                           std::vector<ReportId> ids, int window, Instant started_at)
    : service_(service),
      who_(std::move(who)),
      ids_(std::move(ids)),
      window_(static_cast<size_t>(std::max(window, 1))),
      started_at_(started_at) {
  {
    core::MutexLock lock(mu_);
    done_.resize(ids_.size());
  }
  const size_t threads = std::min(window_, ids_.size());
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

BulkDownload::~BulkDownload() {
  {
    core::MutexLock lock(mu_);
    stopping_ = true;
  }
  changed_.NotifyAll();
  for (std::thread& t : threads_) t.join();
}

void BulkDownload::Work() {
  while (true) {
    size_t i;
    bool skip;
    {
      core::MutexLock lock(mu_);
      while (!stopping_ && next_claim_ < ids_.size() && next_claim_ >= next_emit_ + window_) {
        changed_.Wait(mu_);
      }
      if (stopping_ || next_claim_ >= ids_.size()) return;
      i = next_claim_++;
      skip = database_down_;
    }
    Result<PdfDocument> pdf = store::DatabaseUnavailable();
    if (!skip) {
      try {
        pdf = service_.Download(who_, ids_[i], ReportService::CacheFill::kLookUpOnly);
      } catch (const std::exception& e) {
        // A bug in one render fails that entry, not the process.
        core::LogError("service", "bulk download render threw",
                       {{"report_id", ids_[i].value}, {"error", e.what()}});
        pdf = Status::Internal("unhandled exception");
      }
    }
    {
      core::MutexLock lock(mu_);
      if (!pdf && pdf.error().code() == Code::kUnavailable) database_down_ = true;
      done_[i].emplace(std::move(pdf));
    }
    changed_.NotifyAll();
  }
}

std::optional<BulkDownload::Item> BulkDownload::Next() {
  std::optional<Item> item;
  {
    core::MutexLock lock(mu_);
    if (next_emit_ >= ids_.size()) return std::nullopt;
    while (!done_[next_emit_]) changed_.Wait(mu_);
    item.emplace(Item{ids_[next_emit_], std::move(*done_[next_emit_])});
    done_[next_emit_].reset();
    ++next_emit_;
  }
  changed_.NotifyAll();
  return item;
}

}  // namespace reportshare::service
