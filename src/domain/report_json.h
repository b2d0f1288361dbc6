#pragma once

#include <boost/json/fwd.hpp>

#include "core/status.h"
#include "domain/report.h"

namespace reportshare::domain {

// Builds a Report from its JSON form (SPEC §1), enforcing every rule there:
// required fields, types (a number given as a string is an error), integers
// within int64 range, finite percentages within 0–100, RFC 3339 dates,
// invite_status spelling, string and list size caps. Unknown fields are
// ignored. On failure returns kInvalidArgument naming the field, e.g.
// "sections[2].percentage must be a number from 0 to 100".
// If the JSON has no report_id, `path_id` is used; if both are given and
// differ, kInvalidArgument.
Result<Report> ParseReport(const boost::json::value& json, ReportId path_id);

// The JSON form of a report for GET (SPEC §2.3): the full object for a
// Completed report, only assessment_id, candidate_id, email, invite_status,
// name and report_id for the others. Absent optional fields are omitted.
boost::json::object ReportToJson(const Report& report);

// The full JSON form, used to store a report and read it back losslessly.
boost::json::object ReportToStorageJson(const Report& report);

}  // namespace reportshare::domain
