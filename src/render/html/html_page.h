#pragma once

#include <string>
#include <string_view>

#include "render/view.h"

namespace reportshare::render::html {

// The report page of SPEC §4: one self-contained HTML5 document (inline CSS
// and SVG, no script, no external resource). Every view string is escaped;
// `pdf_href` is the "Download PDF" link target, escaped as an attribute.
std::string RenderReportHtml(const ReportView& view);

}  // namespace reportshare::render::html
