#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace reportshare::http {

// The default cap on a request body (ServerOptions::body_limit).
inline constexpr size_t kDefaultBodyLimit = 64 * 1024;
// The cap on a PUT /assessments/branding body (SPEC §8: a logo of 256 KiB in
// Base64, with the rest).
inline constexpr size_t kBrandingBodyLimit = 512 * 1024;

struct Header {
  std::string name;
  std::string value;
};

// One HTTP request as the transport hands it to the router: no sockets, no
// Beast types, so handlers are testable with plain values.
struct Request {
  std::string method;  // as sent, e.g. "GET"
  std::string target;  // raw request-target, never logged (it may hold a token)
  std::vector<Header> headers;
  std::string body;
  // The body exceeded the cap and was not read; the router answers 413 after
  // authentication (SPEC's check order).
  bool body_too_large = false;
  // The cap it exceeded (ServerOptions::body_limit), for the 413 message.
  size_t body_limit = kDefaultBodyLimit;
  // The client's IP address as text: the peer, or behind a trusted proxy the
  // client it names (ServerOptions::trusted_proxies). For the open audit; never
  // logged in full.
  std::string remote_address;
  // "https" when the request came over TLS, or from a trusted proxy that
  // says (Forwarded proto=, X-Forwarded-Proto) its client used HTTPS; else
  // "http". In the access log.
  std::string scheme = "http";

  // The path part of the target (before '?'), not percent-decoded.
  std::string_view path() const;
  // The query part (after '?'), or empty.
  std::string_view query() const;
  // Values of every header named `name`, compared case-insensitively.
  std::vector<std::string_view> HeaderValues(std::string_view name) const;
  // The first such value, or nullopt.
  std::optional<std::string_view> HeaderValue(std::string_view name) const;
};

// A response body produced while it is sent. The session writes the header at
// once with chunked transfer coding (to HTTP/1.0: none, then a close), then
// each chunk NextChunk returns, until nullopt. NextChunk may block (render, database): the session
// calls it on the worker pool, one call at a time, never on an I/O thread. The session drops the
// source (on the worker pool, as its destructor may wait for work in progress) when the body ends,
// when the client goes away mid-stream, or without a call for HEAD; the destructor must stop
// whatever the source runs.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // The next bytes of the body (an empty string is skipped), or nullopt at
  // its end. Once the header is sent an error can no longer change the status,
  // so a source reports failures inside its body format; it throws only when
  // the body cannot be completed at all, and the session then closes the
  // connection without the last chunk (the client sees it incomplete).
  virtual std::optional<std::string> NextChunk() = 0;
};

struct Response {
  int status = 200;
  std::vector<Header> headers;  // Content-Type among them
  std::string body;
  // When set, the body is streamed from here (chunked) and `body` is unused.
  std::shared_ptr<BodySource> body_source;
  // The route pattern that handled the request, for logs and metrics; never
  // the raw path (tokens stay out of logs).
  std::string route = "unmatched";

  void SetHeader(std::string name, std::string value);
};

// Case-insensitive ASCII comparison of header names.
bool HeaderNameEquals(std::string_view a, std::string_view b);

}  // namespace reportshare::http
