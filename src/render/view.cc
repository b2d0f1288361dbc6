#include "render/view.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/rfc3339.h"

namespace reportshare::render {
namespace {

double Clamp(double p) { return std::clamp(p, 0.0, 100.0); }

}  // namespace

std::string FormatPercent(double percentage, int digits) {
  char buf[32];
  // to_chars, not printf: the decimal point must not follow the C locale.
  auto [end, ec] =
      std::to_chars(buf, buf + sizeof buf, Clamp(percentage), std::chars_format::fixed, digits);
  std::string text(buf, ec == std::errc() ? end : buf);
  // "80.0" → "80", "72.50" → "72.5".
  if (text.find('.') != std::string::npos) {
    while (text.ends_with("0")) text.pop_back();
    if (text.ends_with(".")) text.pop_back();
  }
  return text + "%";
}

std::string FormatMargin(double points, int digits) {
  // Rounded once, so at one digit "+0.04" and "-0.04" both read as level.
  double scale = std::pow(10.0, digits);
  double rounded = std::round(points * scale) / scale;
  if (rounded == 0) return "±0 points";
  std::string magnitude = FormatPercent(std::abs(rounded), digits);
  magnitude.pop_back();  // the "%"
  return (rounded > 0 ? "+" : "−") + magnitude + " points";
}

std::string FormatUtcMinutes(Instant t) {
  // "2025-07-09T06:02:11Z" → "2025-07-09 06:02 UTC".
  std::string iso = core::FormatRfc3339Seconds(t);
  return iso.substr(0, 10) + " " + iso.substr(11, 5) + " UTC";
}

std::string FormatDuration(std::chrono::microseconds d) {
  long long total = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  long long hours = total / 3600;
  long long minutes = (total / 60) % 60;
  long long seconds = total % 60;
  char buf[64];
  int n;
  if (hours > 0) {
    n = std::snprintf(buf, sizeof buf, "%lld h %lld min %lld s", hours, minutes, seconds);
  } else if (minutes > 0) {
    n = std::snprintf(buf, sizeof buf, "%lld min %lld s", minutes, seconds);
  } else {
    n = std::snprintf(buf, sizeof buf, "%lld s", seconds);
  }
  return std::string(buf, static_cast<size_t>(n));
}

ReportView MakeReportView(const StoredReport& stored, Instant generated_at,
                          const RenderOptions& options) {
  const Report& r = stored.report;
  ReportView v;
  v.language = options.language;
  v.right_to_left = domain::IsRightToLeft(options.language);
  v.allow_download = options.allow_download;
  v.pdf_href = options.pdf_href;
  if (options.watermark) {
    const Watermark& w = *options.watermark;
    v.watermark_text = (w.recipient.empty() ? std::string("Shared link") : w.recipient) + " · " +
                       w.link_id + " · " + FormatUtcMinutes(w.viewed_at);
  }
  if (options.language_links) {
    for (Language l : domain::kLanguages) {
      if (l == options.language) continue;
      v.language_links.push_back(
          {std::string(domain::LanguageTag(l)), "?lang=" + std::string(domain::LanguageTag(l))});
    }
  }
  v.title = "Assessment report — " + r.name;
  v.company_name = stored.company_name;
  v.assessment_name = r.assessment_name;
  v.candidate_name = r.name;
  v.subtitle = r.assessment_name;
  auto add_subtitle = [&v](const std::string& part) {
    v.subtitle += v.subtitle.empty() ? part : " · " + part;
  };
  add_subtitle("Assessment #" + std::to_string(r.assessment_id));
  if (r.candidate_id) add_subtitle("Candidate #" + std::to_string(*r.candidate_id));

  if (!r.email.empty()) v.candidate_details.push_back({"Email", r.email});
  if (r.candidate_id)
    v.candidate_details.push_back({"Candidate ID", std::to_string(*r.candidate_id)});
  for (const RegistrationField& f : r.registration_fields) {
    v.candidate_details.push_back({f.label, f.value});
  }

  v.assessment_details.push_back({"Assessment ID", std::to_string(r.assessment_id)});
  if (r.started_date)
    v.assessment_details.push_back({"Started", FormatUtcMinutes(*r.started_date)});
  if (r.completed_date) {
    v.assessment_details.push_back({"Completed", FormatUtcMinutes(*r.completed_date)});
  }
  // A completion before the start is bad data, not a negative duration: omit it.
  if (r.started_date && r.completed_date && *r.completed_date >= *r.started_date) {
    v.assessment_details.push_back(
        {"Duration", FormatDuration(*r.completed_date - *r.started_date)});
  }

  if (r.overall_percentage) {
    v.overall = Clamp(*r.overall_percentage);
    v.overall_text = FormatPercent(*v.overall);
  } else {
    v.overall_text = "—";
  }
  if (r.cut_off) {
    v.cut_off = Clamp(*r.cut_off);
    v.cut_off_text = "Cut-off: " + FormatPercent(*v.cut_off);
    if (v.overall) {
      v.verdict = *v.overall >= *v.cut_off ? Verdict::kPassed : Verdict::kBelowCutOff;
      v.verdict_text =
          v.verdict == Verdict::kPassed
              ? (*v.overall == *v.cut_off ? "Passed — at the cut-off" : "Passed — above cut-off")
              : "Below cut-off";
      // The verdict is exact; the figures must not contradict it. A score just
      // under the cut-off that rounds to it gets the digits that show the gap.
      int digits = 1;
      while (v.verdict == Verdict::kBelowCutOff && digits < 4 &&
             FormatPercent(*v.overall, digits) == FormatPercent(*v.cut_off, digits)) {
        ++digits;
      }
      v.overall_text = FormatPercent(*v.overall, digits);
      v.margin_text = "Margin: " + FormatMargin(*v.overall - *v.cut_off, digits);
    }
  }
  if (r.offtab_count) {
    int64_t n = *r.offtab_count;
    v.proctoring_note =
        n == 0 ? "The candidate did not switch away from the test tab during the assessment."
               : "The candidate switched away from the test tab " + std::to_string(n) +
                     (n == 1 ? " time" : " times") + " during the assessment.";
  }

  v.sections.reserve(r.sections.size());
  for (const Section& s : r.sections) {
    SectionView sv;
    sv.name = s.section;
    sv.percentage = Clamp(s.percentage);
    sv.percent_text = FormatPercent(sv.percentage);
    sv.below_cut_off = v.cut_off && sv.percentage < *v.cut_off;
    sv.skills.reserve(s.skill_wise_score.size());
    for (const SkillScore& k : s.skill_wise_score) {
      double p = Clamp(k.percentage);
      sv.skills.push_back({k.skill, p, FormatPercent(p)});
    }
    v.sections.push_back(std::move(sv));
  }

  v.report_id_text = "Report ID " + std::to_string(r.report_id.value);
  v.generated_text = "Generated " + FormatUtcMinutes(generated_at);
  return v;
}

}  // namespace reportshare::render
