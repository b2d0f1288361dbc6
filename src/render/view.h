#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <memory>

#include "core/clock.h"
#include "domain/branding.h"
#include "domain/language.h"
#include "domain/report.h"

namespace reportshare::render {

// What the documents show, computed once from a stored report so the PDF and
// the HTML page agree on every word and number. Strings are raw (unescaped)
// UTF-8; each output format escapes them its own way.

struct LabeledValue {
  std::string label;
  std::string value;
};

// A link to the page in another language: {native name, "?lang=<tag>"} and
// the tag ("es"), for the link's hreflang and lang.
struct LanguageLink : LabeledValue {
  std::string tag;
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

// The watermark of one view of a link (SPEC §5): drawn diagonally on every
// page of the PDF and tiled over the page, as real text.
struct Watermark {
  std::string recipient;  // empty: the link has none ("Shared link", translated)
  std::string link_id;    // the link's public id (22 characters)
  Instant viewed_at;      // the time of this view, shown in UTC
};

// How one view shows a report: what the page and the PDF of a link differ by.
// The defaults give the report as `POST …/download` and `reportshare render`
// produce it. (An anonymized view is a different StoredReport, not an option:
// see domain/link_options.h.)
struct RenderOptions {
  Language language = Language::kEn;
  std::optional<Watermark> watermark;
  // The owner's branding (SPEC §8); null: the default look.
  std::shared_ptr<const domain::Branding> branding;
  // The page only (the PDF ignores these):
  bool allow_download = true;            // show the "Download PDF" control
  std::string pdf_href = "?format=pdf";  // its target, used as given (escaped)
  bool language_links = false;           // link to the other languages as "?lang=<tag>"
};

// The default options with the page's "Download PDF" link pointing at `pdf_href`.
inline RenderOptions PageOptions(std::string pdf_href) {
  RenderOptions options;
  options.pdf_href = std::move(pdf_href);
  return options;
}

// The fixed words of both documents, in the view's language.
struct ReportLabels {
  std::string report_kind;        // "CANDIDATE ASSESSMENT REPORT"
  std::string download_pdf;       // "Download PDF"
  std::string overall_score;      // "OVERALL SCORE"
  std::string proctoring;         // "Proctoring:"
  std::string section_scores;     // "Section scores"
  std::string skill_scores;       // "Skill-wise scores"
  std::string no_sections;        // "No sections."
  std::string no_skills;          // "No skill-wise scores."
  std::string confidential;       // "Confidential"
  std::string language_switcher;  // "Language": names the page's list of languages
};

// The colours of a view: the primary colour (the company's, else the default
// blue) on the company name, headings, rules and the download control, and
// what scores are drawn in (SPEC §8: a branded report's passing scores take
// its primary colour).
struct Palette {
  domain::Color primary{0x1d, 0x4e, 0x9e};
  domain::Color primary_dark{0x16, 0x3d, 0x7d};  // the control under the pointer
  domain::Color pass{0x2e, 0x7d, 0x32};
  domain::Color fail{0xc6, 0x28, 0x28};
};

// The palette of `primary_color` (nullopt: the default). Passing scores take
// the primary colour; failing ones stay red unless the primary colour is
// itself a red (hue within 25° of it), where they turn slate grey so the two
// never look alike. A primary colour that keeps 4.5:1 against white but not
// on the pale grey of a table head is drawn just dark enough to keep it
// there too (#767676, the palest colour allowed, is drawn #6e6e6e).
Palette MakePalette(std::optional<domain::Color> primary_color);

// The size a logo of `width`×`height` pixels is shown at, in the units of the
// box: as large as fits `max_width`×`max_height` keeping its shape, but no
// larger than its own pixels at `unit` units each (a tiny logo is not blown
// up into a blur).
struct LogoSize {
  double width = 0;
  double height = 0;
};
LogoSize FitLogo(int32_t width, int32_t height, double max_width, double max_height, double unit);

struct ReportView {
  std::string title;         // "Assessment report — <candidate name>"
  std::string company_name;  // the branding's display_name, else the company's name
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
  // The section-score chart as text, for whoever cannot see it (the PDF's
  // Figure /Alt): "Section scores: Logic 80%, Coding 45%. Cut-off: 60%.";
  // empty without sections (there is no chart then).
  std::string chart_alt;
  std::string report_id_text;  // "Report ID 318"
  std::string generated_text;  // "Generated 9 July 2025, 07:00 UTC"
  ReportLabels labels;
  // The chart's axis, at 0, 25, 50, 75 and 100 %: "0%" … "100%".
  std::vector<std::string> chart_ticks;

  // The branding (SPEC §8): colours, logo (null: none; the PNG as stored),
  // and the footer text (empty: none).
  Palette palette;
  std::shared_ptr<const domain::Branding> branding;  // holds the logo, if any
  const domain::Logo* logo = nullptr;                // into `branding`
  std::string footer_text;

  // How this view shows it (from RenderOptions).
  Language language = Language::kEn;
  bool right_to_left = false;
  std::string language_name;   // the language in itself: "Deutsch", "العربية"
  std::string watermark_text;  // empty: no watermark
  bool allow_download = true;  // the page's "Download PDF" control
  std::string pdf_href;        // its target
  // The page's links to the other languages: {native name, "?lang=<tag>"}, in
  // the order of domain::kLanguages; empty unless the options ask for them.
  std::vector<LanguageLink> language_links;
};

// Builds the view of `report` as generated at `generated_at`, as `options` ask:
// every label, number and date in `options.language` (render/i18n/); the
// candidate's data as stored, never translated.
// REQUIRES: report.report.completed().
ReportView MakeReportView(const StoredReport& report, Instant generated_at,
                          const RenderOptions& options = {});

}  // namespace reportshare::render
