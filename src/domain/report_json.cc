#include "domain/report_json.h"

#include <boost/json.hpp>

#include <cmath>
#include <string>

#include "core/rfc3339.h"
#include "domain/text.h"

namespace reportshare::domain {
namespace {

namespace json = boost::json;

constexpr size_t kMaxTextBytes = 1000;
constexpr size_t kMaxSections = 200;
constexpr size_t kMaxSkills = 100;
constexpr size_t kMaxRegistrationFields = 100;
constexpr int64_t kMaxOfftab = 1000000;

// Reads fields of one JSON object, remembering the path for messages.
class Reader {
 public:
  Reader(const json::object& obj, std::string path) : obj_(obj), path_(std::move(path)) {}

  std::string Field(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  // nullptr when absent or JSON null.
  const json::value* Get(std::string_view key) const {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->value().is_null()) return nullptr;
    return &it->value();
  }

  Status Text(std::string_view key, bool required, std::string& out) const {
    const json::value* v = Get(key);
    if (!v) {
      return required ? Status::InvalidArgument(Field(key) + " is required") : Status::Ok();
    }
    if (!v->is_string()) return Status::InvalidArgument(Field(key) + " must be a string");
    const json::string& s = v->get_string();
    if (s.size() > kMaxTextBytes) {
      return Status::InvalidArgument(Field(key) + " must be at most 1000 bytes");
    }
    if (required && s.empty()) return Status::InvalidArgument(Field(key) + " must not be empty");
    RS_RETURN_IF_ERROR(CheckNoControlCharacters(std::string_view(s.data(), s.size()), Field(key)));
    out.assign(s.data(), s.size());
    return Status::Ok();
  }

  Status Integer(std::string_view key, bool required, int64_t min, int64_t max,
                 std::optional<int64_t>& out) const {
    const json::value* v = Get(key);
    if (!v) {
      return required ? Status::InvalidArgument(Field(key) + " is required") : Status::Ok();
    }
    std::string range =
        " must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
    if (!v->is_int64()) return Status::InvalidArgument(Field(key) + range);
    int64_t i = v->get_int64();
    if (i < min || i > max) return Status::InvalidArgument(Field(key) + range);
    out = i;
    return Status::Ok();
  }

  Status Percentage(std::string_view key, bool required, std::optional<double>& out) const {
    const json::value* v = Get(key);
    if (!v) {
      return required ? Status::InvalidArgument(Field(key) + " is required") : Status::Ok();
    }
    double d;
    if (v->is_double()) {
      d = v->get_double();
    } else if (v->is_int64()) {
      d = static_cast<double>(v->get_int64());
    } else if (v->is_uint64()) {
      d = static_cast<double>(v->get_uint64());
    } else {
      return Status::InvalidArgument(Field(key) + " must be a number from 0 to 100");
    }
    if (!std::isfinite(d) || d < 0 || d > 100) {
      return Status::InvalidArgument(Field(key) + " must be a number from 0 to 100");
    }
    out = d;
    return Status::Ok();
  }

  Status Date(std::string_view key, bool required, std::optional<Instant>& out) const {
    const json::value* v = Get(key);
    if (!v) {
      return required ? Status::InvalidArgument(Field(key) + " is required") : Status::Ok();
    }
    if (!v->is_string()) {
      return Status::InvalidArgument(Field(key) + " must be an RFC 3339 date-time string");
    }
    auto t = core::ParseRfc3339(std::string_view(v->get_string()));
    if (!t) return Status::InvalidArgument(Field(key) + " must be an RFC 3339 date-time string");
    out = t;
    return Status::Ok();
  }

  Status Array(std::string_view key, bool required, size_t max, const json::array*& out) const {
    const json::value* v = Get(key);
    out = nullptr;
    if (!v) {
      return required ? Status::InvalidArgument(Field(key) + " is required") : Status::Ok();
    }
    if (!v->is_array()) return Status::InvalidArgument(Field(key) + " must be an array");
    if (v->get_array().size() > max) {
      return Status::InvalidArgument(Field(key) + " must have at most " + std::to_string(max) +
                                     " entries");
    }
    out = &v->get_array();
    return Status::Ok();
  }

 private:
  const json::object& obj_;
  std::string path_;
};

std::string Indexed(std::string_view base, size_t i) {
  return std::string(base) + "[" + std::to_string(i) + "]";
}

Status ParseSection(const json::value& v, const std::string& path, Section& out) {
  if (!v.is_object()) return Status::InvalidArgument(path + " must be an object");
  Reader r(v.get_object(), path);
  RS_RETURN_IF_ERROR(r.Text("section", true, out.section));
  std::optional<double> pct;
  RS_RETURN_IF_ERROR(r.Percentage("percentage", true, pct));
  out.percentage = *pct;
  const json::array* skills = nullptr;
  RS_RETURN_IF_ERROR(r.Array("skill_wise_score", false, kMaxSkills, skills));
  if (skills) {
    for (size_t i = 0; i < skills->size(); ++i) {
      std::string spath = Indexed(path + ".skill_wise_score", i);
      const json::value& sv = (*skills)[i];
      if (!sv.is_object()) return Status::InvalidArgument(spath + " must be an object");
      Reader sr(sv.get_object(), spath);
      SkillScore skill;
      RS_RETURN_IF_ERROR(sr.Text("skill", true, skill.skill));
      std::optional<double> spct;
      RS_RETURN_IF_ERROR(sr.Percentage("percentage", true, spct));
      skill.percentage = *spct;
      out.skill_wise_score.push_back(std::move(skill));
    }
  }
  return Status::Ok();
}

}  // namespace

std::string_view InviteStatusName(InviteStatus s) {
  switch (s) {
    case InviteStatus::kPending:
      return "Pending";
    case InviteStatus::kStarted:
      return "Started";
    case InviteStatus::kCompleted:
      return "Completed";
  }
  return "Pending";
}

std::optional<InviteStatus> ParseInviteStatus(std::string_view text) {
  if (text == "Pending") return InviteStatus::kPending;
  if (text == "Started") return InviteStatus::kStarted;
  if (text == "Completed") return InviteStatus::kCompleted;
  return std::nullopt;
}

Result<Report> ParseReport(const json::value& value, ReportId path_id) {
  if (!value.is_object()) return Status::InvalidArgument("body must be a JSON object");
  Reader r(value.get_object(), "");
  Report rep;

  std::optional<int64_t> id;
  RS_RETURN_IF_ERROR(r.Integer("report_id", false, 1, INT64_MAX, id));
  if (id && *id != path_id.value) {
    return Status::InvalidArgument("report_id in the body does not match the path");
  }
  rep.report_id = path_id;

  std::optional<int64_t> assessment_id;
  RS_RETURN_IF_ERROR(r.Integer("assessment_id", true, 1, INT64_MAX, assessment_id));
  rep.assessment_id = *assessment_id;
  RS_RETURN_IF_ERROR(r.Text("name", true, rep.name));

  std::string status_text;
  RS_RETURN_IF_ERROR(r.Text("invite_status", true, status_text));
  auto status = ParseInviteStatus(status_text);
  if (!status) {
    return Status::InvalidArgument("invite_status must be one of Pending, Started, Completed");
  }
  rep.invite_status = *status;
  bool completed = rep.completed();

  RS_RETURN_IF_ERROR(r.Text("assessment_name", false, rep.assessment_name));
  RS_RETURN_IF_ERROR(r.Integer("candidate_id", false, 1, INT64_MAX, rep.candidate_id));
  RS_RETURN_IF_ERROR(r.Text("email", false, rep.email));
  RS_RETURN_IF_ERROR(r.Date("started_date", false, rep.started_date));
  RS_RETURN_IF_ERROR(r.Date("completed_date", completed, rep.completed_date));
  if (rep.started_date && rep.completed_date && *rep.completed_date < *rep.started_date) {
    return Status::InvalidArgument("completed_date must not be before started_date");
  }
  RS_RETURN_IF_ERROR(r.Percentage("cut_off", false, rep.cut_off));
  RS_RETURN_IF_ERROR(r.Percentage("overall_percentage", completed, rep.overall_percentage));
  RS_RETURN_IF_ERROR(r.Integer("offtab_count", false, 0, kMaxOfftab, rep.offtab_count));

  const json::array* fields = nullptr;
  RS_RETURN_IF_ERROR(r.Array("registration_fields", false, kMaxRegistrationFields, fields));
  if (fields) {
    for (size_t i = 0; i < fields->size(); ++i) {
      std::string path = Indexed("registration_fields", i);
      const json::value& fv = (*fields)[i];
      if (!fv.is_object()) return Status::InvalidArgument(path + " must be an object");
      Reader fr(fv.get_object(), path);
      RegistrationField f;
      RS_RETURN_IF_ERROR(fr.Text("label", true, f.label));
      RS_RETURN_IF_ERROR(fr.Text("value", false, f.value));
      rep.registration_fields.push_back(std::move(f));
    }
  }

  const json::array* sections = nullptr;
  RS_RETURN_IF_ERROR(r.Array("sections", completed, kMaxSections, sections));
  if (sections) {
    for (size_t i = 0; i < sections->size(); ++i) {
      Section s;
      RS_RETURN_IF_ERROR(ParseSection((*sections)[i], Indexed("sections", i), s));
      rep.sections.push_back(std::move(s));
    }
  }
  return rep;
}

json::object ReportToStorageJson(const Report& r) {
  json::object o;
  o["report_id"] = r.report_id.value;
  o["assessment_id"] = r.assessment_id;
  if (!r.assessment_name.empty()) o["assessment_name"] = r.assessment_name;
  if (r.candidate_id) o["candidate_id"] = *r.candidate_id;
  o["name"] = r.name;
  if (!r.email.empty()) o["email"] = r.email;
  o["invite_status"] = InviteStatusName(r.invite_status);
  if (r.started_date) o["started_date"] = core::FormatRfc3339Micros(*r.started_date);
  if (r.completed_date) o["completed_date"] = core::FormatRfc3339Micros(*r.completed_date);
  if (r.cut_off) o["cut_off"] = *r.cut_off;
  if (r.overall_percentage) o["overall_percentage"] = *r.overall_percentage;
  if (r.offtab_count) o["offtab_count"] = *r.offtab_count;
  json::array fields;
  for (const auto& f : r.registration_fields) {
    fields.push_back(json::object{{"label", f.label}, {"value", f.value}});
  }
  o["registration_fields"] = std::move(fields);
  json::array sections;
  for (const auto& s : r.sections) {
    json::array skills;
    for (const auto& k : s.skill_wise_score) {
      skills.push_back(json::object{{"skill", k.skill}, {"percentage", k.percentage}});
    }
    sections.push_back(json::object{
        {"section", s.section}, {"percentage", s.percentage}, {"skill_wise_score", skills}});
  }
  o["sections"] = std::move(sections);
  return o;
}

json::object ReportToJson(const Report& r) {
  if (r.completed()) return ReportToStorageJson(r);
  json::object o;
  o["assessment_id"] = r.assessment_id;
  o["candidate_id"] = r.candidate_id ? json::value(*r.candidate_id) : json::value(nullptr);
  o["email"] = r.email;
  o["invite_status"] = InviteStatusName(r.invite_status);
  o["name"] = r.name;
  o["report_id"] = r.report_id.value;
  return o;
}

}  // namespace reportshare::domain
