#pragma once

#include <boost/json/fwd.hpp>

#include "core/status.h"
#include "http/message.h"

namespace reportshare::http {

// The HTTP status for a domain code: the one place codes meet status numbers.
int HttpStatusFor(Code code);

// `value` as a JSON response with `status`.
Response JsonResponse(int status, const boost::json::value& value);

// {"error": message} with the status for `status.code()`. Status messages are
// client-safe by contract; internal errors still get a generic message.
Response ErrorResponse(const Status& status);

}  // namespace reportshare::http
