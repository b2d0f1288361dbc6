#include "http/share_body.h"

#include <boost/json.hpp>

#include <cmath>
#include <string>
#include <unordered_map>

#include "core/json.h"
#include "service/report_service.h"

namespace reportshare::http {

namespace json = boost::json;

// NaN, Infinity and 1e309 are not JSON numbers, so they fail here; the
// message states the range either way (SPEC §2.1).
Result<std::optional<json::object>> ParseOptionalObject(std::string_view body) {
  if (body.empty()) return std::optional<json::object>{};
  auto value = core::ParseJson(body);
  if (!value) {
    return Status::InvalidArgument(
        "request body is not valid JSON; send an object such as {\"expiration_hours\": 2}, "
        "with expiration_hours a number from 0.25 to 24");
  }
  if (!value->is_object()) {
    return Status::InvalidArgument(
        "request body must be a JSON object such as {\"expiration_hours\": 2}, with "
        "expiration_hours a number from 0.25 to 24");
  }
  return std::optional<json::object>(std::move(value->get_object()));
}

Result<Lifetime> ParseExpirationHours(const std::optional<json::object>& body) {
  const json::value* v = nullptr;
  if (body) {
    auto it = body->find("expiration_hours");
    if (it != body->end() && !it->value().is_null()) v = &it->value();
  }
  if (!v) return Lifetime{service::kDefaultLinkLifetime, json::value(1)};
  static const Status kBad = Status::InvalidArgument(
      "expiration_hours must be a number of hours from 0.25 (15 minutes) to 24");
  double hours;
  if (v->is_int64()) {
    hours = static_cast<double>(v->get_int64());
  } else if (v->is_uint64()) {
    return kBad;
  } else if (v->is_double()) {
    hours = v->get_double();
  } else {
    return kBad;
  }
  using Hours = std::chrono::duration<double, std::ratio<3600>>;
  if (!std::isfinite(hours) || hours < Hours(service::kMinLinkLifetime).count() ||
      hours > Hours(service::kMaxLinkLifetime).count()) {
    return kBad;
  }
  auto us = std::chrono::microseconds(std::llround(hours * 3600.0 * 1e6));
  return Lifetime{us, *v};
}

Result<LinkOptions> ParseOptions(const std::optional<json::object>& body) {
  if (!body) return LinkOptions{};
  return domain::ParseLinkOptions(*body);
}

Result<BulkRequest> ParseBulkBody(std::string_view body_text) {
  const std::string max = std::to_string(service::kMaxBulkReports);
  const std::string example = "{\"report_ids\": [318, 319]} with 1 to " + max + " report ids";
  if (body_text.empty()) {
    return Status::InvalidArgument("request body is required: send " + example);
  }
  auto value = core::ParseJson(body_text);
  if (!value || !value->is_object()) {
    return Status::InvalidArgument("request body must be a JSON object such as " + example);
  }
  std::optional<json::object> body(std::move(value->get_object()));
  auto it = body->find("report_ids");
  if (it == body->end() || !it->value().is_array()) {
    return Status::InvalidArgument("report_ids must be an array of 1 to " + max + " report ids");
  }
  const json::array& arr = it->value().get_array();
  if (arr.empty() || arr.size() > service::kMaxBulkReports) {
    return Status::InvalidArgument("report_ids must hold 1 to " + max + " report ids; it holds " +
                                   std::to_string(arr.size()));
  }
  BulkRequest out;
  out.ids.reserve(arr.size());
  std::unordered_map<int64_t, size_t> seen;
  seen.reserve(arr.size());
  for (size_t i = 0; i < arr.size(); ++i) {
    const std::string field = "report_ids[" + std::to_string(i) + "]";
    if (!arr[i].is_int64() || arr[i].get_int64() < 1) {
      return Status::InvalidArgument(field + " must be an integer from " + std::string(kIdRange));
    }
    int64_t id = arr[i].get_int64();
    auto [pos, inserted] = seen.emplace(id, i);
    if (!inserted) {
      return Status::InvalidArgument(field + " repeats report_ids[" + std::to_string(pos->second) +
                                     "] (" + std::to_string(id) +
                                     "); each report id may appear once");
    }
    out.ids.push_back(ReportId{id});
  }
  auto lifetime = ParseExpirationHours(body);
  if (!lifetime) return lifetime.error();
  out.lifetime = std::move(*lifetime);
  auto options = ParseOptions(body);
  if (!options) return options.error();
  out.options = std::move(*options);
  return out;
}

}  // namespace reportshare::http
