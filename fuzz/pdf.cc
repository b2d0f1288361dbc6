// Fuzz target `pdf`: the PDF renderer (render/pdf/pdf_writer.h through
// ReportRenderer::RenderPdf, in this process, as `POST …/download` renders
// it: Cairo, Pango, then the qpdf tagging pass) fed a valid report whose
// every string is arbitrary Unicode from the input (fuzz_report.h), in any
// of the languages, with or without branding, logo and watermark. No crash,
// no hang (inputs are at most 4 KiB; -timeout catches a slow render), the
// render succeeds, and the output is a PDF that qpdf checks clean
// (qpdf_check/qpdf_check.h: what `qpdf --check` does).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz/fuzz_report.h"
#include "fuzz/fuzz_util.h"
#include "fuzz/qpdf_check/qpdf_check.h"
#include "render/renderer.h"

namespace {

constexpr size_t kMaxInput = 4096;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace reportshare;
  using namespace reportshare::fuzz;
  if (size > kMaxInput) return 0;
  static const std::unique_ptr<render::ReportRenderer> renderer = [] {
    render::WarmUpRenderThread();
    return render::MakeBasicRenderer();
  }();
  const FuzzDocument doc =
      MakeFuzzDocument(AsText(data, size), [](const std::string& s) { return s; });
  FUZZ_CHECK(AcceptedAsJson(doc.report.report), "the harness made an invalid report");
  Result<std::string> pdf = renderer->RenderPdf(doc.report, kGeneratedAt, doc.options);
  FUZZ_CHECK(pdf.has_value(), "RenderPdf failed: " + pdf.error().message());
  FUZZ_CHECK(pdf->starts_with("%PDF-"), "not a PDF");
  const std::string problems = QpdfCheck(*pdf);
  FUZZ_CHECK(problems.empty(), "qpdf: " + problems);
  return 0;
}
