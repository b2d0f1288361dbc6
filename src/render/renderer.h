#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/status.h"
#include "domain/report.h"
#include "render/view.h"

namespace reportshare::render {

// Turns a stored report into the documents of SPEC §4. The only interface the
// service sees; a richer renderer replaces the implementation, not this.
// Implementations are thread-safe: RenderPdf may run on several threads at once.
class ReportRenderer {
 public:
  virtual ~ReportRenderer() = default;

  // The report as a PDF (bytes), in `options.language`, with its watermark
  // if any. Same input, options and `generated_at` → same bytes.
  // kInternal if Cairo fails, kUnavailable if the fonts could not be loaded
  // (a document of glyph boxes is never returned) or a render worker failed.
  // REQUIRES: report.report.completed().
  virtual Result<std::string> RenderPdf(const StoredReport& report, Instant generated_at,
                                        const RenderOptions& options) const = 0;

  // The report as one self-contained HTML page (no script, nothing loaded
  // from elsewhere, every report string escaped), as `options` ask.
  // REQUIRES: report.report.completed().
  virtual std::string RenderHtml(const StoredReport& report, Instant generated_at,
                                 const RenderOptions& options) const = 0;

  // How many PDFs this renderer renders at once to good effect (a bulk
  // download renders that many ahead in parallel). 1 for an in-process
  // renderer that serializes; a pool of render workers returns its size.
  virtual int Parallelism() const { return 1; }
};

// The renderer: a PDF drawn with Cairo and Pango and a self-contained HTML
// page, both from one view of the report (docs/rendering.md), in this
// process. Thread-safe, but PDFs are drawn one at a time (cairo 1.16), so a
// server renders through worker/pool.h instead.
std::unique_ptr<ReportRenderer> MakeBasicRenderer();

// Loads this thread's Pango font map and font caches by rendering a tiny
// document with the scripts most reports use (Latin, Devanagari, Arabic,
// emoji; CJK loads on first use), and discards it. Call once on
// each thread that will render PDFs, at start-up, so the first real request
// does not pay the 25–55 ms of font loading. Safe on any thread, any time.
void WarmUpRenderThread();

// A small self-contained HTML page with a heading and one paragraph, in
// English. Both strings are escaped.
std::string RenderNoticePage(std::string_view title, std::string_view message);

// What a link answers instead of its report, as a page a visitor reads.
enum class LinkNotice {
  kExpired,
  kRevoked,
  kViewLimit,
  kReportUnavailable,  // the report is no longer Completed
  kDownloadsDisabled,
  kNotFound,
  kBadRequest,  // `detail` says what (in English: the API's own message)
  kUnsupportedLanguage,
  kUnavailable,
};

// The notice page of `notice` in `language` (the catalogue's words, <html
// lang>, right to left for ar).
std::string RenderLinkNoticePage(LinkNotice notice, Language language,
                                 std::string_view detail = {});

// Escapes & < > " ' for HTML text and attribute values.
std::string EscapeHtml(std::string_view text);

}  // namespace reportshare::render
