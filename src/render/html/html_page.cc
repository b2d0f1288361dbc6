#include "render/html/html_page.h"

#include <charconv>

#include "render/renderer.h"

namespace reportshare::render {
namespace {

// Shared by the report page and the notice page. No url(), no @import, no
// web fonts: the page must load nothing from anywhere.
constexpr std::string_view kBaseCss = R"css(
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1f2430;font:15px/1.5 "Noto Sans",system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
main{max-width:860px;margin:0 auto;padding:24px 16px 40px;background:#fff;min-height:100vh}
h1{font-size:1.7em;line-height:1.25;margin:.2em 0;overflow-wrap:anywhere}
h2{font-size:1.15em;color:#1d4e9e;border-bottom:1px solid #dde1e7;padding-bottom:4px;margin:1.6em 0 .6em}
h3{font-size:1em;margin:1.2em 0 .3em;overflow-wrap:anywhere}
p{margin:.4em 0}
.muted{color:#5b6474}
)css";

constexpr std::string_view kReportCss = R"css(
.top{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:baseline;gap:8px}
.company{font-weight:700;color:#1d4e9e;font-size:1.1em;overflow-wrap:anywhere}
.download{display:inline-block;padding:6px 14px;border-radius:4px;background:#1d4e9e;color:#fff;text-decoration:none;font-weight:600}
.details{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:0 32px}
dl{display:grid;grid-template-columns:minmax(90px,40%) 1fr;gap:2px 12px;margin:.4em 0}
dt{color:#5b6474}dd{margin:0;overflow-wrap:anywhere}
.score{display:flex;flex-wrap:wrap;align-items:center;gap:8px 24px;border:1px solid #dde1e7;border-radius:6px;padding:12px 16px;margin-top:16px}
.overall{font-size:2em;font-weight:700}
.verdict{font-weight:700;padding:2px 10px;border-radius:12px;color:#fff}
.pass{color:#2e7d32}.fail{color:#c62828}
.verdict.pass{background:#2e7d32;color:#fff}.verdict.fail{background:#c62828;color:#fff}
.note{background:#fff6e5;border-left:3px solid #e0a030;padding:8px 12px;margin-top:12px}
.chart{display:grid;grid-template-columns:minmax(80px,30%) 1fr 4em;gap:4px 10px;align-items:center}
.chart .label{text-align:right;overflow-wrap:anywhere}
.chart svg{width:100%;height:16px;display:block}
.num{text-align:right;white-space:nowrap}
table{width:100%;border-collapse:collapse;margin-bottom:8px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eceff3;overflow-wrap:anywhere}
th{background:#f0f3f7}
td.num,th.num{text-align:right;width:5em}
footer{margin-top:32px;font-size:.85em;color:#5b6474;border-top:1px solid #dde1e7;padding-top:8px}
@media print{
body{background:#fff;font-size:11pt}
main{max-width:none;padding:0;min-height:0}
.download{display:none}
tr,.chart>*,.score,.note,dl{break-inside:avoid}
h2,h3{break-after:avoid}
.verdict.pass,.verdict.fail,th{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
)css";

void Append(std::string& out, std::string_view text) { out.append(EscapeHtml(text)); }

// A number for an SVG attribute: locale-independent, at most two decimals.
std::string SvgNumber(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 2);
  return std::string(buf, ec == std::errc() ? end : buf);
}

void AppendDetails(std::string& out, const std::vector<LabeledValue>& rows) {
  if (rows.empty()) return;
  out += "<dl>";
  for (const LabeledValue& row : rows) {
    out += "<dt>";
    Append(out, row.label);
    out += "</dt><dd>";
    Append(out, row.value);
    out += "</dd>";
  }
  out += "</dl>";
}

// One bar per section: the label stays HTML so long names wrap; the bar is a
// stretched SVG (viewBox 0–100), the cut-off a non-scaling dashed line.
void AppendChart(std::string& out, const ReportView& v) {
  if (v.sections.empty()) {
    out += "<p class=\"muted\">No sections.</p>";
    return;
  }
  if (v.cut_off) {
    out += "<p class=\"muted\">Dashed line: ";
    Append(out, v.cut_off_text);
    out += "</p>";
  }
  out += "<div class=\"chart\">";
  for (const SectionView& s : v.sections) {
    const char* color = !v.cut_off ? "#1d4e9e" : s.below_cut_off ? "#c62828" : "#2e7d32";
    out += "<div class=\"label\">";
    Append(out, s.name);
    out +=
        "</div><svg viewBox=\"0 0 100 10\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"";
    Append(out, s.name + " " + s.percent_text);
    out +=
        "\"><rect x=\"0\" y=\"0\" width=\"100\" height=\"10\" fill=\"#eceff3\"/><rect x=\"0\" "
        "y=\"0\" width=\"";
    out += SvgNumber(s.percentage);
    out += "\" height=\"10\" fill=\"";
    out += color;
    out += "\"/>";
    if (v.cut_off) {
      std::string x = SvgNumber(*v.cut_off);
      out += "<line x1=\"" + x + "\" y1=\"0\" x2=\"" + x +
             "\" y2=\"10\" stroke=\"#1f2430\" stroke-width=\"1.5\" stroke-dasharray=\"3 2\" "
             "vector-effect=\"non-scaling-stroke\"/>";
    }
    out += "</svg><div class=\"num\">";
    Append(out, s.percent_text);
    out += "</div>";
  }
  out += "</div>";
}

void AppendSections(std::string& out, const ReportView& v) {
  for (const SectionView& s : v.sections) {
    out += "<section><h3>";
    Append(out, s.name);
    out += " — <span class=\"";
    out += !v.cut_off ? "" : s.below_cut_off ? "fail" : "pass";
    out += "\">";
    Append(out, s.percent_text);
    out += "</span></h3>";
    if (s.skills.empty()) {
      out += "<p class=\"muted\">No skill-wise scores.</p></section>";
      continue;
    }
    out += "<table><thead><tr><th>Skill</th><th class=\"num\">Score</th></tr></thead><tbody>";
    for (const SkillView& k : s.skills) {
      out += "<tr><td>";
      Append(out, k.name);
      out += "</td><td class=\"num\">";
      Append(out, k.percent_text);
      out += "</td></tr>";
    }
    out += "</tbody></table></section>";
  }
}

void AppendHead(std::string& out, std::string_view title, std::string_view extra_css) {
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta name=\"robots\" content=\"noindex, nofollow\"><title>";
  Append(out, title);
  out += "</title><style>";
  out += kBaseCss;
  out += extra_css;
  out += "</style></head>\n";
}

}  // namespace

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

std::string RenderNoticePage(std::string_view title, std::string_view message) {
  std::string out;
  AppendHead(out, title, "main{max-width:560px;margin-top:10vh;min-height:0;border-radius:6px}");
  out += "<body><main><h1>";
  Append(out, title);
  out += "</h1><p>";
  Append(out, message);
  out += "</p></main></body></html>\n";
  return out;
}

std::string RenderReportHtml(const ReportView& v, std::string_view pdf_href) {
  std::string out;
  out.reserve(8192 + v.sections.size() * 1024);
  AppendHead(out, v.title, kReportCss);
  out += "<body><main><header class=\"top\"><div class=\"company\">";
  Append(out, v.company_name);
  out += "</div><a class=\"download\" href=\"";
  Append(out, pdf_href);
  out += "\">Download PDF</a></header><h1>";
  Append(out, v.candidate_name);
  out += "</h1><p class=\"muted\">";
  Append(out, v.assessment_name);
  out += "</p><div class=\"details\">";
  AppendDetails(out, v.candidate_details);
  AppendDetails(out, v.assessment_details);
  out +=
      "</div><div class=\"score\"><div><div class=\"muted\">Overall score</div><div "
      "class=\"overall\">";
  Append(out, v.overall_text);
  out += "</div></div>";
  if (!v.cut_off_text.empty()) {
    out += "<div>";
    Append(out, v.cut_off_text);
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
    out += "<p class=\"note\"><strong>Proctoring:</strong> ";
    Append(out, v.proctoring_note);
    out += "</p>";
  }
  out += "<h2>Section scores</h2>";
  AppendChart(out, v);
  out += "<h2>Skill-wise scores</h2>";
  if (v.sections.empty()) out += "<p class=\"muted\">No sections.</p>";
  AppendSections(out, v);
  out += "<footer>";
  Append(out, v.report_id_text);
  out += " · ";
  Append(out, v.generated_text);
  out += "</footer></main></body></html>\n";
  return out;
}

}  // namespace reportshare::render
