#pragma once

#include <vector>

#include "core/clock.h"
#include "domain/report.h"

namespace reportshare::app {

inline constexpr const char* kDemoCompany = "Acme Talent (demo)";

// The demo reports of SPEC §3, dated relative to `now` so that their
// report_link (completed + 7 days) is live: report 318 of assessment 138, a
// Devanagari name, an Arabic name, a 40-section report, a Pending one.
std::vector<Report> DemoReports(Instant now);

}  // namespace reportshare::app
