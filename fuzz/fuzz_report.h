#pragma once

// A valid report and render options made from a fuzz input, for the targets
// of the renderers (html, pdf). The input is fields separated by 0xFF
// (fuzz_util.h): the first holds the shape, one byte per choice (language;
// watermark, branding, download control, language links, cut-off, candidate
// id, proctoring; the start date, the proctoring count, a logo; how many registration fields,
// sections and skills; the scores and dates); every other field is one string, taken in order for
// the company name, the assessment name, the candidate's name and email, the
// registration fields' labels and values, the sections' and skills' names,
// the branding's display name and footer text, the watermark's recipient
// and the page's PDF link. A string is made valid UTF-8 and cut to the
// limits of its field; one a rule refuses (empty where required, a control
// character: the report's strings take tabs and line breaks, the branding's
// and the recipient's are plain text) is replaced by "x".
//
// `text` maps every string before it is used: the identity for the real
// document, or a neutral stand-in that keeps the document's structure (the
// html target renders both and compares their tag skeletons).

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/json.h"
#include "core/rfc3339.h"
#include "domain/branding.h"
#include "domain/language.h"
#include "domain/link_options.h"
#include "domain/report.h"
#include "domain/report_json.h"
#include "domain/text.h"
#include "fuzz/fuzz_util.h"
#include "render/view.h"

namespace reportshare::fuzz {

struct FuzzDocument {
  StoredReport report;
  render::RenderOptions options;
};

inline constexpr Instant kGeneratedAt =
    std::chrono::sys_days{std::chrono::year{2025} / 7 / 10} + std::chrono::hours{8};

// A 4×2 RGBA PNG: the logo of a branded document.
inline constexpr std::string_view kLogoPng{
    "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x04\x00\x00\x00"
    "\x02\x08\x06\x00\x00\x00\x7f\xa8\x7d\x63\x00\x00\x00\x20\x49\x44\x41\x54\x78\xda\x63\x60\x60"
    "\x38\xf1\xdf\x06\x88\x2b\x80\x78\x0b\x10\x33\x30\x54\x00\x05\x80\xb8\x02\x88\xb7\x00\x31\x00"
    "\x1e\x5d\x12\xe9\xe4\x40\x1e\xe7\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82",
    89};

// Primary colours with 4.5:1 against white (SPEC §8), a red among them (its
// palette turns failing scores grey).
inline constexpr std::array<domain::Color, 4> kPrimaryColors = {
    domain::Color{0x0b, 0x53, 0x94}, domain::Color{0x00, 0x69, 0x5c},
    domain::Color{0xb7, 0x1c, 0x1c}, domain::Color{0x76, 0x76, 0x76}};

using TextMap = std::function<std::string(const std::string&)>;

inline FuzzDocument MakeFuzzDocument(std::string_view input, const TextMap& text) {
  const std::vector<std::string_view> fields = SplitFields(input);
  ByteReader shape(fields[0]);
  size_t next = 1;
  // The next string, valid UTF-8 of at most `max_bytes`, mapped.
  auto take = [&](size_t max_bytes) {
    std::string s = next < fields.size() ? ValidUtf8(fields[next], max_bytes) : std::string();
    ++next;
    return s;
  };
  // A report's own string: no control character but tab and line breaks.
  auto report_text = [&](size_t max_bytes) {
    std::string s = take(max_bytes);
    return domain::CheckNoControlCharacters(s, "f").ok() ? s : std::string("x");
  };
  auto required = [&](size_t max_bytes) {
    std::string s = report_text(max_bytes);
    return text(s.empty() ? std::string("x") : s);
  };
  auto optional = [&](size_t max_bytes) { return text(report_text(max_bytes)); };
  auto plain = [&](std::string s, size_t min_chars, size_t max_chars) {
    return domain::CheckPlainText(s, "f", min_chars, max_chars).ok() ? text(s) : text("x");
  };

  FuzzDocument doc;
  const Language language = domain::kLanguages[shape.Below(domain::kLanguages.size())];
  const uint8_t flags = shape.Next();
  const uint8_t more = shape.Next();
  const unsigned registration_fields = shape.Below(4);
  const unsigned sections = shape.Below(5);
  const unsigned skills = shape.Below(4);
  const double cut_off = shape.Below(101);
  const double overall = shape.Below(101) + shape.Below(4) * 0.25;
  const unsigned minutes = shape.Next();
  const domain::Color primary = kPrimaryColors[shape.Below(kPrimaryColors.size())];

  StoredReport& s = doc.report;
  s.company_id = CompanyId{1};
  s.version = 1;
  s.company_name = optional(1000);
  Report& r = s.report;
  r.report_id = ReportId{318};
  r.assessment_id = 138;
  r.invite_status = InviteStatus::kCompleted;
  r.assessment_name = optional(1000);
  r.name = required(1000);
  r.email = optional(1000);
  if (flags & 0x20) r.candidate_id = 5012;
  const Instant started = *core::ParseRfc3339("2025-07-09T06:02:11Z");
  if (more & 1) r.started_date = started;
  r.completed_date = started + std::chrono::minutes(minutes);
  if (flags & 0x10) r.cut_off = cut_off;
  r.overall_percentage = std::min(overall, 100.0);
  if (flags & 0x40) r.offtab_count = (more >> 1) % 4;
  for (unsigned i = 0; i < registration_fields; ++i) {
    RegistrationField f;
    f.label = required(1000);
    f.value = optional(1000);
    r.registration_fields.push_back(std::move(f));
  }
  for (unsigned i = 0; i < sections; ++i) {
    Section sec;
    sec.section = required(1000);
    sec.percentage = std::fmod(cut_off + 37.0 * i, 101.0);
    for (unsigned k = 0; k < skills; ++k) {
      sec.skill_wise_score.push_back({required(1000), static_cast<double>((13 * k + i) % 101)});
    }
    r.sections.push_back(std::move(sec));
  }

  render::RenderOptions& o = doc.options;
  o.language = language;
  o.allow_download = (flags & 0x04) != 0;
  o.language_links = (flags & 0x08) != 0;
  if (flags & 0x02) {
    auto b = std::make_shared<domain::Branding>();
    b->display_name = plain(take(400), 1, domain::kMaxDisplayNameChars);
    if (b->display_name->find_first_not_of(' ') == std::string::npos) b->display_name = "x";
    b->primary_color = primary;
    std::string footer = take(800);
    if (!footer.empty()) b->footer_text = plain(footer, 1, domain::kMaxFooterChars);
    if (more & 0x08) {
      domain::Logo logo;
      logo.png = std::string(kLogoPng);
      logo.sha256 = "df062a1f3f3b135af0b24f9a2b681d75acb65e8b8cb8ecab5ae2abf5098c1313";
      logo.width = 4;
      logo.height = 2;
      b->logo = std::move(logo);
    }
    b->version = 1;
    o.branding = std::move(b);
  } else {
    next += 2;  // the same strings go to the same fields whatever the flags
  }
  if (flags & 0x01) {
    render::Watermark w;
    std::string recipient = take(800);
    if (!recipient.empty()) w.recipient = plain(recipient, 1, domain::kMaxRecipientChars);
    w.link_id = "AAAAAAAAAAAAAAAAAAAAAA";
    w.viewed_at = kGeneratedAt + std::chrono::minutes(3);
    o.watermark = std::move(w);
  } else {
    ++next;
  }
  std::string href = take(400);
  if (!href.empty()) o.pdf_href = text(href);
  return doc;
}

// True when the report obeys SPEC §1 as the API would have taken it: its
// storage JSON is accepted by ParseReport (a check of the harness itself).
inline bool AcceptedAsJson(const Report& r) {
  auto json = core::ParseJson(core::WriteJson(domain::ReportToStorageJson(r)));
  return json && domain::ParseReport(*json, r.report_id).has_value();
}

}  // namespace reportshare::fuzz
