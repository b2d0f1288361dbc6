#include "core/status.h"

#include <cstdio>
#include <cstdlib>

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
  std::fprintf(stderr, "fatal: Result::value() on error %s (%s) at %s:%u\n",
               std::string(CodeName(status.code())).c_str(), status.message().c_str(),
               loc.file_name(), static_cast<unsigned>(loc.line()));
  std::abort();
}

}  // namespace reportshare::core
