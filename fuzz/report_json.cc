// Fuzz target `report_json`: the strict JSON parser (core/json.h) and the
// report rules (domain/report_json.h, SPEC §1), the input being a PUT body.
//  - What ParseJson accepts, WriteJson writes so that it parses again to the
//    same document (numbers compared by value: 2.0 is written "2").
//  - A report ParseReport accepts keeps every rule of SPEC §1 (percentages
//    finite and 0–100, required fields, sizes, dates in order, no control
//    character in its strings but tab and line breaks).
//  - Round trip: its storage JSON, written and parsed again, gives the same
//    report; and GET's JSON (ReportToJson) parses to the same fields.
#include <boost/json.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/json.h"
#include "domain/report_json.h"
#include "domain/text.h"
#include "fuzz/fuzz_util.h"

namespace reportshare::fuzz {
namespace {

namespace json = boost::json;

// Equal documents, numbers compared by value whatever their kind.
bool SameJson(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_double() || b.is_double()) return a.to_number<double>() == b.to_number<double>();
    if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
    if (a.is_uint64() && b.is_uint64()) return a.get_uint64() == b.get_uint64();
    return false;  // one int64, one uint64: the parser picks int64 whenever it fits
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const json::array &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!SameJson(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    const json::object &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size()) return false;
    auto i = x.begin();
    auto j = y.begin();
    for (; i != x.end(); ++i, ++j) {
      if (i->key() != j->key() || !SameJson(i->value(), j->value())) return false;
    }
    return true;
  }
  return a == b;
}

bool SameDouble(double a, double b) { return a == b; }  // -0 and 0 are one percentage

bool SameReport(const Report& a, const Report& b) {
  if (a.report_id != b.report_id || a.assessment_id != b.assessment_id ||
      a.assessment_name != b.assessment_name || a.candidate_id != b.candidate_id ||
      a.name != b.name || a.email != b.email || a.invite_status != b.invite_status ||
      a.started_date != b.started_date || a.completed_date != b.completed_date ||
      a.cut_off.has_value() != b.cut_off.has_value() ||
      (a.cut_off && !SameDouble(*a.cut_off, *b.cut_off)) ||
      a.overall_percentage.has_value() != b.overall_percentage.has_value() ||
      (a.overall_percentage && !SameDouble(*a.overall_percentage, *b.overall_percentage)) ||
      a.offtab_count != b.offtab_count ||
      a.registration_fields.size() != b.registration_fields.size() ||
      a.sections.size() != b.sections.size()) {
    return false;
  }
  for (size_t i = 0; i < a.registration_fields.size(); ++i) {
    if (a.registration_fields[i].label != b.registration_fields[i].label ||
        a.registration_fields[i].value != b.registration_fields[i].value) {
      return false;
    }
  }
  for (size_t i = 0; i < a.sections.size(); ++i) {
    const Section &s = a.sections[i], &t = b.sections[i];
    if (s.section != t.section || !SameDouble(s.percentage, t.percentage) ||
        s.skill_wise_score.size() != t.skill_wise_score.size()) {
      return false;
    }
    for (size_t k = 0; k < s.skill_wise_score.size(); ++k) {
      if (s.skill_wise_score[k].skill != t.skill_wise_score[k].skill ||
          !SameDouble(s.skill_wise_score[k].percentage, t.skill_wise_score[k].percentage)) {
        return false;
      }
    }
  }
  return true;
}

bool Percentage(double p) { return std::isfinite(p) && p >= 0 && p <= 100; }

// The report's own strings: valid UTF-8, no control character but tab and
// line breaks (domain/text.h).
bool Text(const std::string& s) { return domain::CheckNoControlCharacters(s, "f").ok(); }

void CheckRules(const Report& r) {
  FUZZ_CHECK(r.report_id.value >= 1 && r.assessment_id >= 1);
  FUZZ_CHECK(Text(r.name) && Text(r.assessment_name) && Text(r.email), "a control character kept");
  FUZZ_CHECK(!r.name.empty() && r.name.size() <= 1000);
  FUZZ_CHECK(r.assessment_name.size() <= 1000 && r.email.size() <= 1000);
  if (r.candidate_id) FUZZ_CHECK(*r.candidate_id >= 1);
  if (r.cut_off) FUZZ_CHECK(Percentage(*r.cut_off));
  if (r.overall_percentage) FUZZ_CHECK(Percentage(*r.overall_percentage));
  if (r.offtab_count) FUZZ_CHECK(*r.offtab_count >= 0);
  if (r.completed()) FUZZ_CHECK(r.completed_date.has_value() && r.overall_percentage.has_value());
  if (r.started_date && r.completed_date) FUZZ_CHECK(*r.started_date <= *r.completed_date);
  FUZZ_CHECK(r.registration_fields.size() <= 100 && r.sections.size() <= 200);
  for (const RegistrationField& f : r.registration_fields) {
    FUZZ_CHECK(!f.label.empty() && f.label.size() <= 1000 && f.value.size() <= 1000);
    FUZZ_CHECK(Text(f.label) && Text(f.value), "a control character kept");
  }
  for (const Section& s : r.sections) {
    FUZZ_CHECK(!s.section.empty() && s.section.size() <= 1000 && Percentage(s.percentage));
    FUZZ_CHECK(Text(s.section), "a control character kept");
    FUZZ_CHECK(s.skill_wise_score.size() <= 100);
    for (const SkillScore& k : s.skill_wise_score) {
      FUZZ_CHECK(!k.skill.empty() && k.skill.size() <= 1000 && Percentage(k.percentage));
      FUZZ_CHECK(Text(k.skill), "a control character kept");
    }
  }
}

void CheckReport(const json::value& value) {
  // The body's own id as the path's, so the rest of the body is what decides
  // (a mismatch is a 400 the first seed already covers).
  ReportId path{318};
  if (value.is_object()) {
    if (const json::value* id = value.get_object().if_contains("report_id")) {
      if (id->is_int64() && id->get_int64() >= 1) path = ReportId{id->get_int64()};
    }
  }
  auto report = domain::ParseReport(value, path);
  if (!report) return;
  CheckRules(*report);

  const std::string stored = core::WriteJson(domain::ReportToStorageJson(*report));
  auto reparsed = core::ParseJson(stored);
  FUZZ_CHECK(reparsed.has_value(), "the storage JSON is not JSON: " + stored);
  auto again = domain::ParseReport(*reparsed, path);
  FUZZ_CHECK(again.has_value(),
             "the storage JSON is refused: " + again.error().message() + "\n  " + stored);
  FUZZ_CHECK(SameReport(*report, *again), "the report changes through its storage JSON: " + stored);

  // GET's form: the whole report when Completed, else its head.
  const std::string shown = core::WriteJson(domain::ReportToJson(*report));
  auto shown_json = core::ParseJson(shown);
  FUZZ_CHECK(shown_json.has_value());
  auto head = domain::ParseReport(*shown_json, path);
  FUZZ_CHECK(head.has_value(), "GET's JSON is refused: " + head.error().message() + "\n  " + shown);
  if (report->completed()) {
    FUZZ_CHECK(SameReport(*report, *head));
  } else {
    FUZZ_CHECK(head->name == report->name && head->email == report->email &&
               head->candidate_id == report->candidate_id &&
               head->invite_status == report->invite_status &&
               head->assessment_id == report->assessment_id);
  }
}

}  // namespace
}  // namespace reportshare::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace reportshare;
  auto value = core::ParseJson(fuzz::AsText(data, size));
  if (!value) return 0;
  const std::string written = core::WriteJson(*value);
  auto again = core::ParseJson(written);
  FUZZ_CHECK(again.has_value(), "WriteJson wrote what ParseJson refuses: " + written);
  FUZZ_CHECK(fuzz::SameJson(*value, *again), "the document changes through WriteJson: " + written);
  fuzz::CheckReport(*value);
  return 0;
}
