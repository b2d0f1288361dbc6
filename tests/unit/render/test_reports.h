#pragma once

#include <string>

#include "core/rfc3339.h"
#include "domain/report.h"

namespace reportshare::render::test_data {

inline Instant At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

// The report of SPEC §1, owned by "Acme Talent".
inline StoredReport SpecExample() {
  StoredReport s;
  s.company_id = CompanyId{1};
  s.company_name = "Acme Talent";
  s.version = 1;
  Report& r = s.report;
  r.report_id = ReportId{318};
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
  return s;
}

// `sections` sections of `skills` skills each, with distinct names.
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

}  // namespace reportshare::render::test_data
