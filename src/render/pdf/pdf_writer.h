#pragma once

#include <string>

#include "core/clock.h"
#include "core/status.h"
#include "render/view.h"

namespace reportshare::render::pdf {

// Draws `view` as an A4 PDF with Cairo and Pango, in memory. The same view
// and `generated_at` (the metadata dates) give the same bytes. Returns
// kInternal if Cairo reports an error, kUnavailable if no font could be
// embedded (fontconfig or FreeType failed). Thread-safe: each thread keeps its own
// Pango font map.
Result<std::string> RenderReportPdf(const ReportView& view, Instant generated_at);

}  // namespace reportshare::render::pdf
