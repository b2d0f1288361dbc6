#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

#include "core/status.h"

namespace reportshare::core {

// Parses `text` as one JSON document under the project's strict rules: no
// comments, no trailing commas, no NaN/Infinity literals, numbers that
// overflow a double rejected, and a nesting depth of 64. Returns
// kInvalidArgument with a client-safe message ("body is not valid JSON").
Result<boost::json::value> ParseJson(std::string_view text);

// Serializes `v` compactly. Unlike boost::json::serialize, doubles are written
// in their shortest round-trip form ("72.5", "2", "0.25"), never "7.25E1".
std::string WriteJson(const boost::json::value& v);

}  // namespace reportshare::core
