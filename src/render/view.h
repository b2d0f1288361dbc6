#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "domain/report.h"

namespace reportshare::render {

// What the documents show, computed once from a stored report so the PDF and
// the HTML page agree on every word and number. Strings are raw (unescaped)
// UTF-8; each output format escapes them its own way.

struct LabeledValue {
  std::string label;
  std::string value;
};

struct SkillView {
  std::string name;
  double percentage = 0;     // clamped to 0–100
  std::string percent_text;  // "90%", "72.5%"
};

struct SectionView {
  std::string name;
  double percentage = 0;  // clamped to 0–100
  std::string percent_text;
  bool below_cut_off = false;  // false when there is no cut-off
  std::vector<SkillView> skills;
};

enum class Verdict { kNone, kPassed, kBelowCutOff };

struct ReportView {
  std::string title;  // "Assessment report — <candidate name>"
  std::string company_name;
  std::string assessment_name;
  std::string candidate_name;
  std::string subtitle;  // "<assessment> · Assessment #138 · Candidate #5012"
  std::vector<LabeledValue> candidate_details;   // email, candidate id, registration fields
  std::vector<LabeledValue> assessment_details;  // assessment id, started, completed, duration
  std::string overall_text;                      // "72.5%", or "—" when absent
  std::optional<double> overall;                 // clamped to 0–100
  std::optional<double> cut_off;                 // clamped to 0–100
  std::string cut_off_text;                      // "Cut-off: 60%", empty without a cut-off
  std::string margin_text;                       // "Margin: +12.5 points", empty without a verdict
  Verdict verdict = Verdict::kNone;
  std::string verdict_text;  // "Passed — above cut-off" / "Below cut-off" / empty
  // "The candidate switched away from the test tab 2 times during the
  // assessment.", or empty when the count is unknown.
  std::string proctoring_note;
  std::vector<SectionView> sections;
  std::string report_id_text;  // "Report ID 318"
  std::string generated_text;  // "Generated 2025-07-09 07:00 UTC"
};

// Builds the view of `report` as generated at `generated_at`.
// REQUIRES: report.report.completed().
ReportView MakeReportView(const StoredReport& report, Instant generated_at);

// "80%", "72.5%", "0%": at most `digits` decimals, trailing zeros dropped,
// locale-independent.
std::string FormatPercent(double percentage, int digits = 1);

// "+12.5 points", "−4 points" (U+2212), "±0 points": overall minus cut-off,
// rounded to `digits` decimals.
std::string FormatMargin(double points, int digits = 1);

// "2025-07-09 06:02 UTC".
std::string FormatUtcMinutes(Instant t);

// "56 min 29 s", "1 h 2 min 0 s", "12 s". REQUIRES: d >= 0.
std::string FormatDuration(std::chrono::microseconds d);

}  // namespace reportshare::render
