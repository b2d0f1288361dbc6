#pragma once

// A render::ReportRenderer that forwards to a real renderer and fails the
// PDF renders a test chooses, as the real one does when Cairo fails:
// kInternal with a message that must never reach a client. Counts renders,
// so a test sees when a PDF came from the cache.

#include <string>
#include <string_view>

#include "core/mutex.h"
#include "core/status.h"
#include "render/renderer.h"

namespace reportshare::test_support {

// Thread-safe; `inner` must outlive it.
class FaultyRenderer final : public render::ReportRenderer {
 public:
  static constexpr int kForever = -1;
  // A message no client may see: it names the library that failed.
  static constexpr std::string_view kFailureMessage = "PDF rendering failed: cairo out of memory";

  explicit FaultyRenderer(const render::ReportRenderer& inner) : inner_(inner) {}

  // Fails the next `times` PDF renders, or every one (kForever).
  void FailPdf(int times = kForever) {
    core::MutexLock lock(mu_);
    pdf_failures_left_ = times;
  }
  void Heal() { FailPdf(0); }

  // What Parallelism() answers (the inner renderer's until set).
  void SetParallelism(int n) {
    core::MutexLock lock(mu_);
    parallelism_ = n;
  }
  int Parallelism() const override {
    core::MutexLock lock(mu_);
    return parallelism_ ? parallelism_ : inner_.Parallelism();
  }

  // RenderPdf calls so far, failed ones included.
  int pdf_renders() const {
    core::MutexLock lock(mu_);
    return pdf_renders_;
  }

  Result<std::string> RenderPdf(const StoredReport& report, Instant generated_at,
                                const render::RenderOptions& options) const override {
    {
      core::MutexLock lock(mu_);
      ++pdf_renders_;
      if (pdf_failures_left_ != 0) {
        if (pdf_failures_left_ > 0) --pdf_failures_left_;
        return Status::Internal(std::string(kFailureMessage));
      }
    }
    return inner_.RenderPdf(report, generated_at, options);
  }

  std::string RenderHtml(const StoredReport& report, Instant generated_at,
                         const render::RenderOptions& options) const override {
    return inner_.RenderHtml(report, generated_at, options);
  }

 private:
  const render::ReportRenderer& inner_;
  mutable core::Mutex mu_;
  mutable int pdf_renders_ RS_GUARDED_BY(mu_) = 0;
  mutable int pdf_failures_left_ RS_GUARDED_BY(mu_) = 0;
  int parallelism_ RS_GUARDED_BY(mu_) = 0;  // 0: the inner renderer's
};

}  // namespace reportshare::test_support
