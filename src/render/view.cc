#include "render/view.h"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <utility>

#include "render/i18n/catalogue.h"
#include "render/i18n/format.h"

namespace reportshare::render {
namespace {

double Clamp(double p) { return std::clamp(p, 0.0, 100.0); }

// Identifiers (report, assessment and candidate ids) stay in ASCII digits in
// every language: they are looked up and typed elsewhere, like a reference.
std::string Id(int64_t id) { return std::to_string(id); }

// The hue of `c` in degrees (0–360), and its HSL saturation (0–1).
std::pair<double, double> HueAndSaturation(domain::Color c) {
  const double r = c.r / 255.0, g = c.g / 255.0, b = c.b / 255.0;
  const double hi = std::max({r, g, b}), lo = std::min({r, g, b}), d = hi - lo;
  if (d <= 0) return {0, 0};
  const double l = (hi + lo) / 2;
  const double saturation = d / (1 - std::abs(2 * l - 1));
  double hue = hi == r ? std::fmod((g - b) / d, 6.0) : hi == g ? (b - r) / d + 2 : (r - g) / d + 4;
  hue *= 60;
  if (hue < 0) hue += 360;
  return {hue, saturation};
}

domain::Color Scaled(domain::Color c, double f) {
  auto scale = [f](uint8_t v) { return static_cast<uint8_t>(v * f); };
  return {scale(c.r), scale(c.g), scale(c.b)};
}

// The palest background text of the palette sits on: the table heads
// (#f0f3f7 on the page, #f0f2f7 in the PDF; the darker of the two).
constexpr domain::Color kPalestBackground{0xf0, 0xf2, 0xf7};

// `c`, darkened just enough to keep 4.5:1 on kPalestBackground: a primary
// colour that has 4.5:1 against white (all SPEC §8 asks) has less on the
// pale grey of a table head, and every text of the report meets WCAG AA.
domain::Color Legible(domain::Color c) {
  for (double f = 1.0; f > 0; f -= 0.01) {
    domain::Color d = Scaled(c, f);
    if (domain::ContrastRatio(d, kPalestBackground) >= domain::kMinPrimaryContrast) return d;
  }
  return {0, 0, 0};
}

}  // namespace

Palette MakePalette(std::optional<domain::Color> primary_color) {
  Palette p;
  if (!primary_color) return p;
  p.primary = Legible(*primary_color);
  p.primary_dark = Scaled(p.primary, 0.8);
  p.pass = p.primary;
  auto [hue, saturation] = HueAndSaturation(*primary_color);
  if (saturation > 0.3 && (hue < 25 || hue > 335)) p.fail = {0x5b, 0x64, 0x74};
  return p;
}

LogoSize FitLogo(int32_t width, int32_t height, double max_width, double max_height, double unit) {
  if (width <= 0 || height <= 0) return {};
  const double scale =
      std::min({max_width / width, max_height / height, unit});  // unit: its own pixels
  return {width * scale, height * scale};
}

ReportView MakeReportView(const StoredReport& stored, Instant generated_at,
                          const RenderOptions& options) {
  const Report& r = stored.report;
  const Language lang = options.language;
  const i18n::Catalogue& t = i18n::CatalogueOf(lang);
  ReportView v;
  v.language = lang;
  v.right_to_left = domain::IsRightToLeft(lang);
  v.language_name = t.Format("language.native_name");
  v.allow_download = options.allow_download;
  v.pdf_href = options.pdf_href;
  if (options.watermark) {
    const Watermark& w = *options.watermark;
    v.watermark_text = (w.recipient.empty() ? t.Format("watermark.shared_link") : w.recipient) +
                       " · " + w.link_id + " · " + i18n::FormatDateTime(lang, w.viewed_at);
  }
  if (options.language_links) {
    for (Language l : domain::kLanguages) {
      if (l == lang) continue;
      std::string tag(domain::LanguageTag(l));
      LanguageLink link;
      link.label = i18n::CatalogueOf(l).Format("language.native_name");
      link.value = "?lang=" + tag;
      link.tag = tag;
      v.language_links.push_back(std::move(link));
    }
  }
  v.labels = {
      .report_kind = t.Format("report.kind"),
      .download_pdf = t.Format("report.download_pdf"),
      .overall_score = t.Format("score.overall"),
      .proctoring = t.Format("proctoring.label"),
      .section_scores = t.Format("sections.heading"),
      .skill_scores = t.Format("skills.heading"),
      .no_sections = t.Format("sections.empty"),
      .no_skills = t.Format("skills.empty"),
      .confidential = t.Format("footer.confidential"),
      .language_switcher = t.Format("language.switcher"),
  };
  for (int tick = 0; tick <= 100; tick += 25) {
    v.chart_ticks.push_back(i18n::FormatPercent(lang, tick, 0));
  }

  v.title = t.Format("report.title", {{"name", r.name}});
  v.company_name = stored.company_name;
  if (const domain::Branding* b = options.branding.get()) {
    v.branding = options.branding;
    if (b->display_name) v.company_name = *b->display_name;
    v.palette = MakePalette(b->primary_color);
    if (b->logo) v.logo = &*b->logo;
    if (b->footer_text) v.footer_text = *b->footer_text;
  }
  v.assessment_name = r.assessment_name;
  v.candidate_name = r.name;
  v.subtitle = r.assessment_name;
  auto add_subtitle = [&v](const std::string& part) {
    v.subtitle += v.subtitle.empty() ? part : " · " + part;
  };
  add_subtitle(t.Format("report.subtitle.assessment", {{"id", Id(r.assessment_id)}}));
  if (r.candidate_id) {
    add_subtitle(t.Format("report.subtitle.candidate", {{"id", Id(*r.candidate_id)}}));
  }

  if (!r.email.empty()) v.candidate_details.push_back({t.Format("detail.email"), r.email});
  if (r.candidate_id) {
    v.candidate_details.push_back({t.Format("detail.candidate_id"), Id(*r.candidate_id)});
  }
  for (const RegistrationField& f : r.registration_fields) {
    v.candidate_details.push_back({f.label, f.value});
  }

  v.assessment_details.push_back({t.Format("detail.assessment_id"), Id(r.assessment_id)});
  if (r.started_date) {
    v.assessment_details.push_back(
        {t.Format("detail.started"), i18n::FormatDateTime(lang, *r.started_date)});
  }
  if (r.completed_date) {
    v.assessment_details.push_back(
        {t.Format("detail.completed"), i18n::FormatDateTime(lang, *r.completed_date)});
  }
  // A completion before the start is bad data, not a negative duration: omit it.
  if (r.started_date && r.completed_date && *r.completed_date >= *r.started_date) {
    v.assessment_details.push_back(
        {t.Format("detail.duration"),
         i18n::FormatDuration(lang, *r.completed_date - *r.started_date)});
  }

  if (r.overall_percentage) {
    v.overall = Clamp(*r.overall_percentage);
    v.overall_text = i18n::FormatPercent(lang, *v.overall);
  } else {
    v.overall_text = "—";
  }
  if (r.cut_off) {
    v.cut_off = Clamp(*r.cut_off);
    v.cut_off_text =
        t.Format("score.cut_off", {{"percent", i18n::FormatPercent(lang, *v.cut_off)}});
    if (v.overall) {
      v.verdict = *v.overall >= *v.cut_off ? Verdict::kPassed : Verdict::kBelowCutOff;
      v.verdict_text = t.Format(v.verdict == Verdict::kBelowCutOff ? "verdict.below"
                                : *v.overall == *v.cut_off         ? "verdict.at"
                                                                   : "verdict.above");
      // The verdict is exact; the figures must not contradict it. A score just
      // under the cut-off that rounds to it gets the digits that show the gap.
      // (Compared in ASCII: the localized forms differ exactly when these do.)
      int digits = 1;
      while (v.verdict == Verdict::kBelowCutOff && digits < 4 &&
             i18n::AsciiNumber(*v.overall, digits) == i18n::AsciiNumber(*v.cut_off, digits)) {
        ++digits;
      }
      v.overall_text = i18n::FormatPercent(lang, *v.overall, digits);
      std::string magnitude;
      std::string points =
          i18n::FormatSignedPoints(lang, *v.overall - *v.cut_off, digits, &magnitude);
      v.margin_text = t.FormatPlural("score.margin", magnitude, {{"points", points}});
    }
  }
  if (r.offtab_count) {
    int64_t n = *r.offtab_count;
    std::string ascii = std::to_string(n);
    v.proctoring_note = n == 0 ? t.Format("proctoring.none")
                               : t.FormatPlural("proctoring.switched", ascii,
                                                {{"count", i18n::LocalizeNumber(lang, ascii)}});
  }

  v.sections.reserve(r.sections.size());
  for (const Section& s : r.sections) {
    SectionView sv;
    sv.name = s.section;
    sv.percentage = Clamp(s.percentage);
    sv.percent_text = i18n::FormatPercent(lang, sv.percentage);
    sv.below_cut_off = v.cut_off && sv.percentage < *v.cut_off;
    sv.skills.reserve(s.skill_wise_score.size());
    for (const SkillScore& k : s.skill_wise_score) {
      double p = Clamp(k.percentage);
      sv.skills.push_back({k.skill, p, i18n::FormatPercent(lang, p)});
    }
    v.sections.push_back(std::move(sv));
  }
  if (!v.sections.empty()) {
    std::string scores;
    for (const SectionView& s : v.sections) {
      if (!scores.empty()) scores += t.Format("chart.alt_separator");
      scores += t.Format("chart.alt_section", {{"section", s.name}, {"percent", s.percent_text}});
    }
    v.chart_alt =
        v.cut_off
            ? t.Format("chart.alt_with_cut_off", {{"heading", v.labels.section_scores},
                                                  {"scores", scores},
                                                  {"cut_off", v.cut_off_text}})
            : t.Format("chart.alt", {{"heading", v.labels.section_scores}, {"scores", scores}});
  }

  v.report_id_text = t.Format("footer.report_id", {{"id", Id(r.report_id.value)}});
  v.generated_text =
      t.Format("footer.generated", {{"datetime", i18n::FormatDateTime(lang, generated_at)}});
  return v;
}

}  // namespace reportshare::render
