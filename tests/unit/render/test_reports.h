#pragma once

#include <string>

#include "domain/report.h"
#include "support/sample_reports.h"

namespace reportshare::render::test_data {

using test_support::At;

// The report of SPEC §1, owned by "Acme Talent".
using test_support::SpecExample;

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
