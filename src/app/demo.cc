#include "app/demo.h"

#include <string>

namespace reportshare::app {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

Section MakeSection(std::string name, double pct,
                    std::vector<std::pair<std::string, double>> skills) {
  Section s{std::move(name), pct, {}};
  for (auto& [skill, p] : skills) s.skill_wise_score.push_back({skill, p});
  return s;
}

Report Completed(int64_t id, int64_t assessment, std::string assessment_name, int64_t candidate,
                 std::string name, std::string email, Instant started, minutes took, double cut_off,
                 double overall, int64_t offtab) {
  Report r;
  r.report_id = ReportId{id};
  r.assessment_id = assessment;
  r.assessment_name = std::move(assessment_name);
  r.candidate_id = candidate;
  r.name = std::move(name);
  r.email = std::move(email);
  r.invite_status = InviteStatus::kCompleted;
  r.started_date = started;
  r.completed_date = started + took + seconds(29);
  r.cut_off = cut_off;
  r.overall_percentage = overall;
  r.offtab_count = offtab;
  return r;
}

}  // namespace

std::vector<Report> DemoReports(Instant now) {
  std::vector<Report> out;
  Instant day_ago = std::chrono::floor<seconds>(now) - hours(26);

  Report priya = Completed(318, 138, "Backend Engineer Screening", 5012, "Priya Raman",
                           "priya@example.com", day_ago, minutes(56), 60, 72.5, 2);
  priya.registration_fields = {
      {"Phone", "+91 98450 00000"}, {"City", "Bengaluru"}, {"Experience", "5 years"}};
  priya.sections = {
      MakeSection("Python", 80,
                  {{"Data structures", 90}, {"Standard library", 75}, {"Testing", 70}}),
      MakeSection("SQL", 65, {{"Joins", 70}, {"Indexes", 60}, {"Transactions", 65}}),
      MakeSection("System design", 70, {{"Caching", 80}, {"Queues", 60}}),
      MakeSection("HTTP & APIs", 85, {{"REST semantics", 90}, {"Authentication", 80}}),
      MakeSection("Debugging", 55, {{"Reading stack traces", 60}, {"Profiling", 50}}),
      MakeSection("Communication", 78, {{"Written explanation", 78}}),
  };
  out.push_back(priya);

  Report ananya =
      Completed(319, 138, "Backend Engineer Screening", 5013, "अनन्या शर्मा",
                "ananya.sharma@example.in", day_ago + hours(2), minutes(48), 60, 54.25, 0);
  ananya.registration_fields = {{"फ़ोन", "+91 99000 12345"}, {"शहर", "पुणे"}};
  ananya.sections = {
      MakeSection("Python", 62, {{"Data structures", 70}, {"Standard library", 54}}),
      MakeSection("SQL", 48, {{"Joins", 50}, {"Indexes", 46}}),
      MakeSection("System design", 52.5, {{"Caching", 55}, {"Queues", 50}}),
  };
  out.push_back(ananya);

  Report layla = Completed(320, 139, "Data Analyst Assessment", 5020, "ليلى حداد",
                           "layla.haddad@example.com", day_ago + hours(3), minutes(41), 50, 88, 1);
  layla.registration_fields = {{"Phone", "+971 50 000 0000"}, {"المدينة", "دبي"}};
  layla.sections = {
      MakeSection("Statistics", 92, {{"Hypothesis testing", 95}, {"Regression", 89}}),
      MakeSection("SQL", 86, {{"Window functions", 84}, {"Aggregation", 88}}),
      MakeSection("Visualisation", 85, {{"Chart choice", 85}}),
  };
  out.push_back(layla);

  Report longest = Completed(
      321, 140, "Full-Stack Engineering Marathon", 5031, "Jonathan Alexander Montgomery-Wellington",
      "jonathan.mw@example.co.uk", day_ago + hours(4), minutes(175), 65, 67.8, 7);
  for (int s = 0; s < 40; ++s) {
    std::vector<std::pair<std::string, double>> skills;
    for (int k = 0; k < 10; ++k) {
      skills.push_back({"Skill " + std::to_string(k + 1) + " of section " + std::to_string(s + 1),
                        static_cast<double>((s * 7 + k * 13) % 101)});
    }
    longest.sections.push_back(MakeSection("Section " + std::to_string(s + 1) + ": topic area",
                                           static_cast<double>((s * 17) % 101), skills));
  }
  out.push_back(longest);

  Report pending;
  pending.report_id = ReportId{322};
  pending.assessment_id = 138;
  pending.assessment_name = "Backend Engineer Screening";
  pending.candidate_id = 5040;
  pending.name = "王小明";
  pending.email = "xiaoming.wang@example.cn";
  pending.invite_status = InviteStatus::kPending;
  out.push_back(pending);
  return out;
}

}  // namespace reportshare::app
