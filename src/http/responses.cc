#include "http/responses.h"

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

#include "core/json.h"
#include "core/utf8.h"

namespace reportshare::http {

int HttpStatusFor(Code code) {
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kInvalidArgument:
      return 400;
    case Code::kUnauthenticated:
      return 401;
    case Code::kNotFound:
      return 404;
    case Code::kMethodNotAllowed:
      return 405;
    case Code::kConflict:
      return 409;
    case Code::kFailedPrecondition:
      return 409;
    case Code::kGone:
      return 410;
    case Code::kPermissionDenied:
      return 403;
    case Code::kPayloadTooLarge:
      return 413;
    case Code::kRateLimited:
      return 429;
    case Code::kHeaderTooLarge:
      return 431;
    case Code::kUnavailable:
      return 503;
    case Code::kInternal:
      return 500;
  }
  return 500;
}

Response JsonResponse(int status, const boost::json::value& value) {
  Response res;
  res.status = status;
  res.headers.push_back({"Content-Type", "application/json"});
  res.body = core::WriteJson(value);
  return res;
}

Response ErrorResponse(const Status& status) {
  // A message may quote the client's own bytes (an unknown query
  // parameter's percent-decoded name, a field name cut to 64 bytes in the
  // middle of a character), and a JSON body must be UTF-8 (RFC 8259 §8.1).
  std::string message = core::ValidUtf8(status.message());
  if (status.code() == Code::kInternal) message = "internal error";
  boost::json::object body;
  body["error"] = message;
  return JsonResponse(HttpStatusFor(status.code()), body);
}

}  // namespace reportshare::http
