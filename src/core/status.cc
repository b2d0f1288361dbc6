#include "core/status.h"

#include <cstdlib>

#include "core/log.h"

namespace reportshare::core {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "Ok";
    case Code::kInvalidArgument:
      return "InvalidArgument";
    case Code::kUnauthenticated:
      return "Unauthenticated";
    case Code::kNotFound:
      return "NotFound";
    case Code::kMethodNotAllowed:
      return "MethodNotAllowed";
    case Code::kConflict:
      return "Conflict";
    case Code::kFailedPrecondition:
      return "FailedPrecondition";
    case Code::kGone:
      return "Gone";
    case Code::kPermissionDenied:
      return "PermissionDenied";
    case Code::kPayloadTooLarge:
      return "PayloadTooLarge";
    case Code::kRateLimited:
      return "RateLimited";
    case Code::kHeaderTooLarge:
      return "HeaderTooLarge";
    case Code::kUnavailable:
      return "Unavailable";
    case Code::kInternal:
      return "Internal";
  }
  return "Unknown";
}

void throw_exception_from_error(const Status& status, const boost::source_location& loc) {
  LogError("core", "fatal: Result::value() on an error",
           {{"code", CodeName(status.code())},
            {"error", status.message()},
            {"file", loc.file_name()},
            {"line", static_cast<unsigned>(loc.line())}});
  std::abort();
}

}  // namespace reportshare::core
