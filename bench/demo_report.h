#pragma once

#include <string>
#include <utility>
#include <vector>

#include "domain/report.h"
#include "support/sample_reports.h"

namespace reportshare::bench {

// The report of SPEC §1 in the shape of demo report 318 (6 sections, 1–3
// skills each), fixed in time so every run renders the same document.
inline StoredReport DemoReport() {
  StoredReport s = test_support::SpecExample();
  Report& r = s.report;
  r.registration_fields = {
      {"Phone", "+91 98450 00000"}, {"City", "Bengaluru"}, {"Experience", "5 years"}};
  auto section = [](std::string name, double pct,
                    std::vector<std::pair<std::string, double>> skills) {
    Section sec{std::move(name), pct, {}};
    for (auto& [skill, p] : skills) sec.skill_wise_score.push_back({skill, p});
    return sec;
  };
  r.sections = {
      section("Python", 80, {{"Data structures", 90}, {"Standard library", 75}, {"Testing", 70}}),
      section("SQL", 65, {{"Joins", 70}, {"Indexes", 60}, {"Transactions", 65}}),
      section("System design", 70, {{"Caching", 80}, {"Queues", 60}}),
      section("HTTP & APIs", 85, {{"REST semantics", 90}, {"Authentication", 80}}),
      section("Debugging", 55, {{"Reading stack traces", 60}, {"Profiling", 50}}),
      section("Communication", 78, {{"Written explanation", 78}}),
  };
  return s;
}

// `sections` sections of `skills` skills each, like demo report 321.
inline StoredReport ManySectionsReport(int sections, int skills) {
  StoredReport s = DemoReport();
  s.report.report_id = ReportId{321};
  s.report.sections.clear();
  for (int i = 0; i < sections; ++i) {
    Section sec;
    sec.section = "Section " + std::to_string(i + 1) + ": topic area";
    sec.percentage = static_cast<double>((i * 17) % 101);
    for (int k = 0; k < skills; ++k) {
      sec.skill_wise_score.push_back(
          {"Skill " + std::to_string(k + 1) + " of section " + std::to_string(i + 1),
           static_cast<double>((i * 7 + k * 13) % 101)});
    }
    s.report.sections.push_back(std::move(sec));
  }
  return s;
}

}  // namespace reportshare::bench
