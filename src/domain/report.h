#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "domain/ids.h"

namespace reportshare::domain {

enum class InviteStatus { kPending, kStarted, kCompleted };

std::string_view InviteStatusName(InviteStatus s);
std::optional<InviteStatus> ParseInviteStatus(std::string_view text);

struct RegistrationField {
  std::string label;
  std::string value;
};

struct SkillScore {
  std::string skill;
  double percentage = 0;
};

struct Section {
  std::string section;
  double percentage = 0;
  std::vector<SkillScore> skill_wise_score;
};

// One candidate's result in one assessment (SPEC §1). A Report value is
// always valid: it is only made by ParseReport (report_json.h) or by code
// that upholds the same rules (0–100 percentages, required fields present).
struct Report {
  ReportId report_id;
  int64_t assessment_id = 0;
  std::string assessment_name;
  std::optional<int64_t> candidate_id;
  std::string name;
  std::string email;
  InviteStatus invite_status = InviteStatus::kPending;
  std::optional<Instant> started_date;
  std::optional<Instant> completed_date;
  std::optional<double> cut_off;
  std::optional<double> overall_percentage;
  std::optional<int64_t> offtab_count;
  std::vector<RegistrationField> registration_fields;
  std::vector<Section> sections;

  bool completed() const { return invite_status == InviteStatus::kCompleted; }
};

// A report as stored: its owner and a version that changes on every replace
// (the key for caches of rendered output).
struct StoredReport {
  CompanyId company_id;
  std::string company_name;
  int64_t version = 0;
  Report report;
  // The version of the owner's branding (domain/branding.h; 0: none set), read
  // with the report: what its documents look like depends on it.
  int64_t branding_version = 0;
};

}  // namespace reportshare::domain

// The vocabulary every layer speaks, by its plain name.
namespace reportshare {
using domain::InviteStatus;
using domain::RegistrationField;
using domain::Report;
using domain::Section;
using domain::SkillScore;
using domain::StoredReport;
}  // namespace reportshare
