#pragma once

// Row encoding and decoding shared by every SQL backend, so the stores stay
// parallel in their SQL only. Header-only: each backend's Query type has the
// same column accessors (Int, At, OptionalAt, Blob).

#include <boost/json/value.hpp>

#include <cstdio>
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/status.h"
#include "domain/link_record.h"
#include "domain/report.h"
#include "domain/report_json.h"

namespace reportshare::store {

// The columns ReadLinkRow expects, in order.
#define RS_LINK_COLUMNS                                                                  \
  "link_id, report_id, company_id, signing_key_id, created_at, expires_at, revoked_at, " \
  "views, last_viewed_at"

// A links row selected as RS_LINK_COLUMNS.
template <class Query>
LinkRecord ReadLinkRow(const Query& q) {
  LinkRecord link;
  q.Blob(0, link.link_id.bytes);
  link.report_id = ReportId{q.Int(1)};
  link.company_id = CompanyId{q.Int(2)};
  link.signing_key_id = SigningKeyId{static_cast<uint32_t>(q.Int(3))};
  link.created_at = q.At(4);
  link.expires_at = q.At(5);
  link.revoked_at = q.OptionalAt(6);
  link.views = q.Int(7);
  link.last_viewed_at = q.OptionalAt(8);
  return link;
}

// The stored body of a report: its storage JSON (domain/report_json.h).
inline std::string EncodeReportBody(const Report& report) {
  return core::WriteJson(boost::json::value(domain::ReportToStorageJson(report)));
}

// Reads a body EncodeReportBody wrote. It was written from a valid Report, so
// failing to read it back means the row was damaged or the rules changed
// under it: logged as `backend`, and kInternal.
inline Result<Report> DecodeReportBody(std::string_view body, ReportId id,
                                       std::string_view backend) {
  Result<boost::json::value> json = core::ParseJson(body);
  Result<Report> report = json ? domain::ParseReport(*json, id) : Result<Report>(json.error());
  if (!report) {
    std::fprintf(stderr, "%.*s: GetReport: stored report %lld does not parse: %s\n",
                 static_cast<int>(backend.size()), backend.data(), static_cast<long long>(id.value),
                 report.error().message().c_str());
    return Status::Internal("stored report is unreadable");
  }
  return report;
}

}  // namespace reportshare::store
