#include "render/html/html_page.h"
#include "render/pdf/pdf_writer.h"
#include "render/renderer.h"
#include "render/view.h"

namespace reportshare::render {
namespace {

// Stateless: both methods build the view and hand it to one writer, so any
// number of threads may call them at once.
class BasicRenderer final : public ReportRenderer {
 public:
  Result<std::string> RenderPdf(const StoredReport& report, Instant generated_at,
                                const RenderOptions& options) const override {
    return pdf::RenderReportPdf(MakeReportView(report, generated_at, options), generated_at);
  }

  std::string RenderHtml(const StoredReport& report, Instant generated_at,
                         const RenderOptions& options) const override {
    return html::RenderReportHtml(MakeReportView(report, generated_at, options));
  }
};

}  // namespace

std::unique_ptr<ReportRenderer> MakeBasicRenderer() { return std::make_unique<BasicRenderer>(); }

}  // namespace reportshare::render
