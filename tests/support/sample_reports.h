#pragma once

// Sample reports shared by the unit tests and the benchmarks: the report of
// SPEC §1 as a Report, as a StoredReport, and as JSON, and a long report.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

#include "core/rfc3339.h"
#include "domain/report.h"

namespace reportshare::test_support {

// An instant written in a test as RFC 3339; aborts on a typo.
inline Instant At(const char* rfc3339) {
  auto t = core::ParseRfc3339(rfc3339);
  if (!t) std::abort();
  return *t;
}

// The report of SPEC §1 (Completed), as report `id`.
inline Report SpecExampleReport(int64_t id = 318) {
  Report r;
  r.report_id = ReportId{id};
  r.assessment_id = 138;
  r.assessment_name = "Backend Engineer Screening";
  r.candidate_id = 5012;
  r.name = "Priya Raman";
  r.email = "priya@example.com";
  r.invite_status = InviteStatus::kCompleted;
  r.started_date = At("2025-07-09T06:02:11Z");
  r.completed_date = At("2025-07-09T06:58:40Z");
  r.cut_off = 60;
  r.overall_percentage = 72.5;
  r.offtab_count = 2;
  r.registration_fields = {{"Phone", "+91 98450 00000"}};
  r.sections = {{"Python", 80.0, {{"Data structures", 90.0}}}};
  return r;
}

// The report of SPEC §1, owned by company 1, "Acme Talent", version 1.
inline StoredReport SpecExample() {
  StoredReport s;
  s.company_id = CompanyId{1};
  s.company_name = "Acme Talent";
  s.version = 1;
  s.report = SpecExampleReport();
  return s;
}

// The report of SPEC §1 with `sections` sections of `skills` skills each,
// with distinct names.
inline StoredReport ManySections(int sections, int skills) {
  StoredReport s = SpecExample();
  s.report.sections.clear();
  for (int i = 0; i < sections; ++i) {
    Section sec;
    sec.section = "Section " + std::to_string(i + 1);
    sec.percentage = (i * 37) % 101;
    for (int k = 0; k < skills; ++k) {
      sec.skill_wise_score.push_back(
          {"Skill " + std::to_string(i + 1) + "." + std::to_string(k + 1),
           (k * 13 + i) % 101 * 1.0});
    }
    s.report.sections.push_back(std::move(sec));
  }
  return s;
}

// The report of SPEC §1 as a request body: every field but "report_id",
// which PUT /assessments/report/{id} takes from the path.
inline constexpr char kSpecExampleBodyJson[] = R"({
  "assessment_id": 138,
  "assessment_name": "Backend Engineer Screening",
  "candidate_id": 5012,
  "name": "Priya Raman",
  "email": "priya@example.com",
  "invite_status": "Completed",
  "started_date": "2025-07-09T06:02:11Z",
  "completed_date": "2025-07-09T06:58:40Z",
  "cut_off": 60,
  "overall_percentage": 72.5,
  "offtab_count": 2,
  "registration_fields": [{"label": "Phone", "value": "+91 98450 00000"}],
  "sections": [
    {"section": "Python", "percentage": 80.0,
     "skill_wise_score": [{"skill": "Data structures", "percentage": 90.0}]}
  ]
})";

// The JSON of SPEC §1, verbatim: the body above with "report_id": 318 first.
inline std::string SpecExampleJson() {
  return "{\n  \"report_id\": 318," + std::string(std::string_view(kSpecExampleBodyJson).substr(1));
}

}  // namespace reportshare::test_support
