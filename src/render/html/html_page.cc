#include "render/html/html_page.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/bytes.h"
#include "domain/language.h"
#include "render/i18n/bidi.h"
#include "render/i18n/catalogue.h"
#include "render/renderer.h"

namespace reportshare::render::html {
namespace {

// Shared by the report page and the notice page. No url(), no @import, no
// web fonts: the page must load nothing from anywhere.
// The colours a branded page changes (Palette) are variables, set again per
// page after this sheet.
constexpr std::string_view kBaseCss = R"css(
:root{--primary:#1d4e9e;--primary-dark:#163d7d;--pass:#2e7d32;--fail:#c62828}
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1f2430;font:15px/1.5 "Noto Sans",system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
main{max-width:860px;margin:0 auto;padding:24px 16px 40px;background:#fff;min-height:100vh}
h1{font-size:1.7em;line-height:1.25;margin:.2em 0;overflow-wrap:anywhere}
h2{font-size:1.15em;color:var(--primary);border-bottom:1px solid #dde1e7;padding-bottom:4px;margin:1.6em 0 .6em}
h3{font-size:1em;margin:1.2em 0 .3em;overflow-wrap:anywhere}
p{margin:.4em 0}
.muted{color:#5b6474}
)css";

constexpr std::string_view kReportCss = R"css(
.page{max-width:860px;margin:0 auto;padding:24px 16px 40px;background:#fff;min-height:100vh}
.page>main{padding:0;min-height:0;background:none}
@media(min-width:900px){body{padding:24px 0}.page{border-radius:8px;box-shadow:0 1px 4px rgba(20,30,50,.12);min-height:0;padding:32px 40px 40px}}
.top{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:8px;border-bottom:2px solid var(--primary);padding-bottom:8px;margin-bottom:12px}
.company{font-weight:700;color:var(--primary);font-size:1.15em;overflow-wrap:break-word;min-width:0}
.kind{font-size:.75em;color:#5b6474;margin-inline-end:auto;margin-inline-start:12px}
.download{display:inline-block;padding:6px 14px;border-radius:4px;background:var(--primary);color:#fff;text-decoration:none;font-weight:600;font-size:.9em}
.download:hover,.download:focus{background:var(--primary-dark)}
.sub{color:#5b6474;margin-top:0;overflow-wrap:anywhere}
.details{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:0 32px;margin-top:12px;font-size:.93em}
dl{display:grid;grid-template-columns:minmax(90px,38%) 1fr;gap:2px 12px;margin:.2em 0;align-content:start}
dt{color:#5b6474;overflow-wrap:break-word}dd{margin:0;overflow-wrap:anywhere}
.score{display:flex;flex-wrap:wrap;align-items:center;gap:10px 28px;border:1px solid #dde1e7;border-radius:8px;padding:14px 18px;margin-top:18px}
.caption{font-size:.72em;color:#5b6474}
.overall{font-size:2.2em;font-weight:700;line-height:1.1}
.cut{flex:1 1 10em}
.verdict{font-weight:700;padding:4px 16px;border-radius:999px;color:#fff;font-size:.9em}
.pass{color:var(--pass)}.fail{color:var(--fail)}
.verdict.pass{background:var(--pass);color:#fff}.verdict.fail{background:var(--fail);color:#fff}
.note{background:#fff6e5;border-inline-start:3px solid #e0a030;padding:8px 12px;margin-top:12px;font-size:.93em}
.legend{font-size:.85em;color:#5b6474;display:flex;align-items:center;gap:6px}
.legend svg{width:14px;height:14px}
.chart{display:grid;grid-template-columns:minmax(6.5em,30%) 1fr 3.2em;gap:6px 10px;align-items:center}
.chart .label{text-align:end;overflow-wrap:break-word;min-width:0;font-size:.93em;line-height:1.3}
.chart svg{width:100%;height:14px;display:block}
.num{text-align:end;white-space:nowrap;font-variant-numeric:tabular-nums}
table{width:100%;border-collapse:collapse;margin:0 0 14px;font-size:.93em}
th,td{text-align:start;padding:5px 10px;border-bottom:1px solid #eceff3;overflow-wrap:anywhere}
thead th{background:#f0f3f7;font-size:1.02em}
tbody th{font-weight:400}
td.num,th.num{width:4.5em}
td.bar{width:30%;min-width:70px}
td.bar svg{width:100%;height:6px;display:block}
footer{margin-top:28px;font-size:.82em;color:#5b6474;border-top:1px solid #dde1e7;padding-top:8px;display:flex;flex-wrap:wrap;justify-content:space-between;gap:4px 16px}
footer .brand-note{flex-basis:100%;margin:2px 0 0;overflow-wrap:anywhere}
.brand{display:flex;align-items:center;gap:10px;min-width:0}
.brand img{display:block;flex:none}
.langs ul{list-style:none;margin:0 0 10px;padding:0;display:flex;flex-wrap:wrap;gap:2px 14px;font-size:.85em}
.langs a{color:var(--primary)}
.langs [aria-current]{font-weight:700}
.wm{position:fixed;inset:0;overflow:hidden;pointer-events:none;user-select:none;-webkit-user-select:none;z-index:10}
.wm div{position:absolute;top:50%;left:50%;width:280vmax;transform:translate(-50%,-50%) rotate(-30deg);display:flex;flex-direction:column;gap:88px;color:#1f2430;opacity:.11;font-size:17px;font-weight:600;line-height:1;white-space:nowrap;text-align:center}
.wm p{margin:0}
.wm p:nth-child(even){margin-inline-start:30em}
@media(max-width:480px){body{font-size:14px}.page{padding:16px 12px 32px}.overall{font-size:1.9em}td.bar{width:25%}.kind{display:none}.brand img{max-width:38vw;height:auto}}
@media print{
@page{size:A4;margin:16mm 14mm}
body{background:#fff;font-size:10pt;padding:0}
.page{max-width:none;padding:0;min-height:0;box-shadow:none}
.download,.langs{display:none}
tr,.chart>*,.score,.note,dl,thead{break-inside:avoid}
h2,h3,thead{break-after:avoid}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
)css";

// The box the logo is shown in, in CSS pixels (about the PDF's).
constexpr double kLogoMaxWidth = 180;
constexpr double kLogoMaxHeight = 40;

void Append(std::string& out, std::string_view text) { out.append(EscapeHtml(text)); }

// The report's own data (names, emails, phone numbers, registration fields)
// in a right-to-left page: a string that does not start right to left is
// isolated as left to right, so "+91 98450 00000" keeps its order and
// "C++" its pluses (a bare neutral run would take the page's direction).
// Labels and figures of the page's own language go in as they are.
void AppendData(std::string& out, const ReportView& v, std::string_view text) {
  if (!v.right_to_left || i18n::FirstStrongDirection(text) == i18n::Direction::kRightToLeft) {
    Append(out, text);
    return;
  }
  out += "<bdi dir=\"ltr\">";
  Append(out, text);
  out += "</bdi>";
}

// A number for an SVG attribute: locale-independent, at most two decimals.
std::string SvgNumber(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 2);
  return std::string(buf, ec == std::errc() ? end : buf);
}

void AppendDetails(std::string& out, const ReportView& v, const std::vector<LabeledValue>& rows) {
  if (rows.empty()) return;
  out += "<dl>";
  for (const LabeledValue& row : rows) {
    out += "<dt>";
    AppendData(out, v, row.label);
    out += "</dt><dd>";
    AppendData(out, v, row.value);
    out += "</dd>";
  }
  out += "</dl>";
}

const char* ScoreClass(const ReportView& v, bool below) {
  return !v.cut_off ? "" : below ? "fail" : "pass";
}

std::string ScoreColor(const ReportView& v, bool below) {
  const Palette& p = v.palette;
  return (!v.cut_off ? p.primary : below ? p.fail : p.pass).Hex();
}

// Where `percentage` lies on a bar's 0–100 axis: from the left, or from the
// right in a right-to-left page.
double AxisX(const ReportView& v, double percentage) {
  return v.right_to_left ? 100 - percentage : percentage;
}

// A bar of `percentage` on a grey track: a stretched SVG (viewBox 0–100),
// growing from the start of the line (the right in a right-to-left page).
void AppendBar(std::string& out, const ReportView& v, double percentage, const std::string& color,
               double height) {
  std::string h = SvgNumber(height);
  out += "<svg viewBox=\"0 0 100 " + h +
         "\" preserveAspectRatio=\"none\" aria-hidden=\"true\"><rect width=\"100\" height=\"" + h +
         "\" fill=\"#eceff3\"/><rect ";
  if (v.right_to_left) out += "x=\"" + SvgNumber(100 - percentage) + "\" ";
  out += "width=\"" + SvgNumber(percentage) + "\" height=\"" + h + "\" fill=\"" + color + "\"/>";
}

// One bar per section: the label stays HTML so long names wrap; the cut-off
// is a non-scaling dashed line through every bar.
void AppendChart(std::string& out, const ReportView& v) {
  if (v.sections.empty()) {
    out += "<p class=\"muted\">";
    Append(out, v.labels.no_sections);
    out += "</p>";
    return;
  }
  if (v.cut_off) {
    out +=
        "<p class=\"legend\"><svg viewBox=\"0 0 14 14\" aria-hidden=\"true\"><line x1=\"7\" "
        "y1=\"0\" x2=\"7\" y2=\"14\" stroke=\"#1f2430\" stroke-width=\"1.5\" "
        "stroke-dasharray=\"3 2\"/></svg>";
    Append(out, v.cut_off_text);
    out += "</p>";
  }
  out += "<div class=\"chart\">";
  for (const SectionView& s : v.sections) {
    out += "<div class=\"label\">";
    AppendData(out, v, s.name);
    out += "</div>";
    AppendBar(out, v, s.percentage, ScoreColor(v, s.below_cut_off), 10);
    if (v.cut_off) {
      // Over a white edge, so it stays visible on a bar of any colour (a
      // brand's may be as dark as the line).
      std::string x = SvgNumber(AxisX(v, *v.cut_off));
      out += "<line x1=\"" + x + "\" y1=\"0\" x2=\"" + x +
             "\" y2=\"10\" stroke=\"#fff\" stroke-width=\"4\" "
             "vector-effect=\"non-scaling-stroke\"/><line x1=\"" +
             x + "\" y1=\"0\" x2=\"" + x +
             "\" y2=\"10\" stroke=\"#1f2430\" stroke-width=\"1.5\" stroke-dasharray=\"3 2\" "
             "vector-effect=\"non-scaling-stroke\"/>";
    }
    out += "</svg><div class=\"num\">";
    Append(out, s.percent_text);
    out += "</div>";
  }
  out += "</div>";
}

// One table per section: its name and score in the header row, then a row
// per skill with a small bar.
void AppendSections(std::string& out, const ReportView& v) {
  for (const SectionView& s : v.sections) {
    out += "<table><thead><tr><th colspan=\"2\" scope=\"col\">";
    AppendData(out, v, s.name);
    out += "</th><th scope=\"col\" class=\"num ";
    out += ScoreClass(v, s.below_cut_off);
    out += "\">";
    Append(out, s.percent_text);
    out += "</th></tr></thead><tbody>";
    if (s.skills.empty()) {
      out += "<tr><td colspan=\"3\" class=\"muted\">";
      Append(out, v.labels.no_skills);
      out += "</td></tr>";
    }
    for (const SkillView& k : s.skills) {
      out += "<tr><th scope=\"row\">";
      AppendData(out, v, k.name);
      out += "</th><td class=\"bar\">";
      AppendBar(out, v, k.percentage, ScoreColor(v, v.cut_off && k.percentage < *v.cut_off), 6);
      out += "</svg></td><td class=\"num\">";
      Append(out, k.percent_text);
      out += "</td></tr>";
    }
    out += "</tbody></table>";
  }
}

void AppendHead(std::string& out, Language language, std::string_view title,
                std::string_view extra_css, std::string_view palette_css = {}) {
  out += "<!DOCTYPE html>\n<html lang=\"";
  out += domain::LanguageTag(language);
  out += domain::IsRightToLeft(language) ? "\" dir=\"rtl\">" : "\" dir=\"ltr\">";
  out +=
      "<head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta name=\"robots\" content=\"noindex, nofollow\"><title>";
  Append(out, title);
  out += "</title><style>";
  out += kBaseCss;
  out += extra_css;
  out += palette_css;
  out += "</style></head>\n";
}

// The variables of a palette other than the default one (kBaseCss).
std::string PaletteCss(const Palette& p) {
  const Palette d;
  if (p.primary == d.primary && p.pass == d.pass && p.fail == d.fail) return {};
  return ":root{--primary:" + p.primary.Hex() + ";--primary-dark:" + p.primary_dark.Hex() +
         ";--pass:" + p.pass.Hex() + ";--fail:" + p.fail.Hex() + "}";
}

// The logo, inline (the page loads nothing: the CSP allows images from data:
// URIs only), in the header's box and never larger than its own pixels. Its
// alternative text is empty: the display name follows it as text, so a
// screen reader would only hear the name twice.
void AppendLogo(std::string& out, const ReportView& v) {
  if (v.logo == nullptr) return;
  const LogoSize size = FitLogo(v.logo->width, v.logo->height, kLogoMaxWidth, kLogoMaxHeight, 1);
  out += "<img src=\"data:image/png;base64,";
  out += core::Base64Encode(core::AsBytes(v.logo->png));
  // HTML sizes are whole pixels; a sliver of a logo still gets one.
  auto px = [](double d) { return std::to_string(std::max<long>(1, std::lround(d))); };
  out += "\" alt=\"\" width=\"" + px(size.width) + "\" height=\"" + px(size.height) + "\">";
}

// The page in the other languages: plain links, the current one named but
// not linked.
void AppendLanguageSwitcher(std::string& out, const ReportView& v) {
  if (v.language_links.empty()) return;
  out += "<nav class=\"langs\" aria-label=\"";
  Append(out, v.labels.language_switcher);
  out += "\"><ul>";
  size_t next = 0;
  for (Language l : domain::kLanguages) {
    std::string_view tag = domain::LanguageTag(l);
    out += "<li>";
    if (l == v.language) {
      out += "<strong aria-current=\"true\">";
      Append(out, v.language_name);
      out += "</strong>";
    } else if (next < v.language_links.size() && v.language_links[next].tag == tag) {
      const LanguageLink& link = v.language_links[next++];
      out += "<a href=\"";
      Append(out, link.value);
      out += "\" hreflang=\"";
      Append(out, link.tag);
      out += "\" lang=\"";
      Append(out, link.tag);
      out += "\">";
      Append(out, link.label);
      out += "</a>";
    }
    out += "</li>";
  }
  out += "</ul></nav>";
}

// The watermark of a view of a link: its text repeated in staggered rows on a
// layer turned 30° and fixed over the viewport (so it covers every screen of
// the page, and every printed page), clipped to it (no sideways scroll),
// faint, and transparent to the pointer. Hidden from screen readers: it
// repeats one line many times.
void AppendWatermark(std::string& out, const ReportView& v) {
  if (v.watermark_text.empty()) return;
  std::string text = EscapeHtml(v.watermark_text);
  std::string row = "<p>";
  for (int k = 0; k < 4; ++k) {
    if (k > 0) row += "\u2003\u2003\u2003";  // em spaces
    row += text;
  }
  row += "</p>";
  out += "<div class=\"wm\" aria-hidden=\"true\"><div>";
  for (int k = 0; k < 20; ++k) out += row;
  out += "</div></div>";
}

}  // namespace

std::string RenderReportHtml(const ReportView& v) {
  std::string out;
  out.reserve(8192 + v.sections.size() * 2048 + v.watermark_text.size() * 100);
  AppendHead(out, v.language, v.title, kReportCss, PaletteCss(v.palette));
  // The landmarks are siblings in the card (.page): the language list
  // (navigation), header (banner), main, footer (contentinfo); a header or a
  // footer inside main would be no landmark at all.
  out += "<body><div class=\"page\">";
  AppendLanguageSwitcher(out, v);
  out += "<header class=\"top\"><div class=\"brand\">";
  AppendLogo(out, v);
  out += "<div class=\"company\">";
  AppendData(out, v, v.company_name);
  out += "</div></div><div class=\"kind\">";
  Append(out, v.labels.report_kind);
  out += "</div>";
  if (v.allow_download) {
    out += "<a class=\"download\" href=\"";
    Append(out, v.pdf_href);
    out += "\" download>";
    Append(out, v.labels.download_pdf);
    out += "</a>";
  }
  out += "</header><main><h1>";
  AppendData(out, v, v.candidate_name);
  out += "</h1><p class=\"sub\">";
  Append(out, v.subtitle);
  out += "</p><div class=\"details\">";
  AppendDetails(out, v, v.candidate_details);
  AppendDetails(out, v, v.assessment_details);
  out += "</div><div class=\"score\"><div><div class=\"caption\">";
  Append(out, v.labels.overall_score);
  out += "</div><div class=\"overall ";
  out += v.overall ? ScoreClass(v, v.verdict == Verdict::kBelowCutOff) : "";
  out += "\">";
  Append(out, v.overall_text);
  out += "</div></div>";
  if (!v.cut_off_text.empty()) {
    out += "<div class=\"cut\">";
    Append(out, v.cut_off_text);
    if (!v.margin_text.empty()) {
      out += "<br>";
      Append(out, v.margin_text);
    }
    out += "</div>";
  }
  if (v.verdict != Verdict::kNone) {
    out += v.verdict == Verdict::kPassed ? "<div class=\"verdict pass\">"
                                         : "<div class=\"verdict fail\">";
    Append(out, v.verdict_text);
    out += "</div>";
  }
  out += "</div>";
  if (!v.proctoring_note.empty()) {
    out += "<p class=\"note\"><strong>";
    Append(out, v.labels.proctoring);
    out += "</strong> ";
    Append(out, v.proctoring_note);
    out += "</p>";
  }
  out += "<h2>";
  Append(out, v.labels.section_scores);
  out += "</h2>";
  AppendChart(out, v);
  out += "<h2>";
  Append(out, v.labels.skill_scores);
  out += "</h2>";
  if (v.sections.empty()) {
    out += "<p class=\"muted\">";
    Append(out, v.labels.no_sections);
    out += "</p>";
  }
  AppendSections(out, v);
  out += "</main><footer><span>";
  Append(out, v.report_id_text);
  out += " · ";
  Append(out, v.generated_text);
  out += "</span><span>";
  Append(out, v.labels.confidential);
  out += "</span>";
  if (!v.footer_text.empty()) {
    out += "<p class=\"brand-note\">";
    AppendData(out, v, v.footer_text);
    out += "</p>";
  }
  out += "</footer></div>";
  AppendWatermark(out, v);
  out += "</body></html>\n";
  return out;
}

}  // namespace reportshare::render::html

// The parts of renderer.h written here: they share the page head and the
// escaping with the report page.
namespace reportshare::render {

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

void AppendNotice(std::string& out, Language language, std::string_view title,
                  std::string_view message) {
  html::AppendHead(out, language, title,
                   "main{max-width:560px;margin-top:10vh;min-height:0;border-radius:6px}");
  out += "<body><main><h1>";
  html::Append(out, title);
  out += "</h1><p>";
  html::Append(out, message);
  out += "</p></main></body></html>\n";
}

}  // namespace

std::string RenderLinkNoticePage(LinkNotice notice, Language language, std::string_view detail) {
  const i18n::Catalogue& c = i18n::CatalogueOf(language);
  const std::string gone = c.Format("notice.gone.message");
  std::string title, message;
  switch (notice) {
    case LinkNotice::kExpired:
      title = c.Format("notice.expired.title");
      message = gone;
      break;
    case LinkNotice::kRevoked:
      title = c.Format("notice.revoked.title");
      message = gone;
      break;
    case LinkNotice::kViewLimit:
      title = c.Format("notice.view_limit.title");
      message = gone;
      break;
    case LinkNotice::kReportUnavailable:
      title = c.Format("notice.report_unavailable.title");
      message = gone;
      break;
    case LinkNotice::kDownloadsDisabled:
      title = c.Format("notice.downloads_disabled.title");
      message = c.Format("notice.downloads_disabled.message");
      break;
    case LinkNotice::kNotFound:
      title = c.Format("notice.not_found.title");
      message = c.Format("notice.not_found.message");
      break;
    case LinkNotice::kBadRequest:
      title = c.Format("notice.bad_request.title");
      message = std::string(detail);
      break;
    case LinkNotice::kUnsupportedLanguage:
      title = c.Format("notice.bad_request.title");
      message = c.Format("notice.unsupported_language.message",
                         {{"languages", domain::SupportedLanguageTags()}});
      break;
    case LinkNotice::kUnavailable:
      title = c.Format("notice.unavailable.title");
      message = c.Format("notice.unavailable.message");
      break;
  }
  std::string out;
  AppendNotice(out, language, title, message);
  return out;
}

std::string RenderNoticePage(std::string_view title, std::string_view message) {
  std::string out;
  AppendNotice(out, Language::kEn, title, message);
  return out;
}

}  // namespace reportshare::render
