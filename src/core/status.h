#pragma once

#include <boost/system/result.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace reportshare::core {

// Domain error codes. The HTTP layer maps each to one status in one place
// (http/error_response.cc); nothing else knows about status numbers.
enum class Code {
  kOk,
  kInvalidArgument,     // the request's own shape is wrong (400)
  kUnauthenticated,     // no or bad credentials (401)
  kNotFound,            // does not exist, or not visible to the caller (404)
  kMethodNotAllowed,    // route exists, method does not (405)
  kConflict,            // owned by someone else / state clash (409)
  kFailedPrecondition,  // resource in the wrong state, e.g. report not Completed (409)
  kGone,                // expired or revoked (410)
  kPermissionDenied,    // known, but not allowed for this caller, e.g. a disabled download (403)
  kPayloadTooLarge,     // body over the cap (413)
  kRateLimited,         // over the caller's rate (429)
  kHeaderTooLarge,      // request header over the cap (431)
  kUnavailable,         // a dependency (database) is down (503)
  kInternal,            // a bug; never a client's fault (500)
};

// A code plus a message that is safe to show a client: it never carries SQL,
// a secret or a driver error. Cheap to copy when ok.
class Status {
 public:
  Status() = default;
  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status Unauthenticated(std::string msg) {
    return {Code::kUnauthenticated, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status MethodNotAllowed(std::string msg) {
    return {Code::kMethodNotAllowed, std::move(msg)};
  }
  static Status Conflict(std::string msg) { return {Code::kConflict, std::move(msg)}; }
  static Status FailedPrecondition(std::string msg) {
    return {Code::kFailedPrecondition, std::move(msg)};
  }
  static Status Gone(std::string msg) { return {Code::kGone, std::move(msg)}; }
  static Status PermissionDenied(std::string msg) {
    return {Code::kPermissionDenied, std::move(msg)};
  }
  static Status PayloadTooLarge(std::string msg) {
    return {Code::kPayloadTooLarge, std::move(msg)};
  }
  static Status RateLimited(std::string msg) { return {Code::kRateLimited, std::move(msg)}; }
  static Status HeaderTooLarge(std::string msg) { return {Code::kHeaderTooLarge, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

// Returns a readable name for a code ("NotFound"), for logs and tests.
std::string_view CodeName(Code code);

// Result<T> holds a T or a non-ok Status. Call .value() only after checking:
// reaching it with an error is a bug and aborts (see status.cc).
template <class T>
using Result = boost::system::result<T, Status>;

// Found by ADL when Result<T>::value() is called on an error: impossible
// states crash rather than throw across module boundaries.
[[noreturn]] void throw_exception_from_error(const Status& status,
                                             const boost::source_location& loc);

}  // namespace reportshare::core

// Evaluates `expr` (a Status); returns it from the current function if not ok.
#define RS_RETURN_IF_ERROR(expr)               \
  do {                                         \
    ::reportshare::Status rs_status_ = (expr); \
    if (!rs_status_.ok()) return rs_status_;   \
  } while (0)

// The vocabulary every layer speaks, by its plain name.
namespace reportshare {
using core::Code;
using core::Result;
using core::Status;
}  // namespace reportshare
