#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "webhooks/webhook_url.h"

namespace reportshare::webhooks {

struct SenderOptions {
  // Deliver to loopback, private, link-local... addresses too
  // (--webhook-allow-private). Default: false.
  bool allow_private = false;
  // A PEM file of CA certificates trusted in addition to the system store
  // (--webhook-ca-file). Default: "" (the system store only).
  std::string ca_file;
  // The whole attempt: resolve, connect, TLS handshake, write the request,
  // read the response head. Default: 10 s (SPEC §7).
  std::chrono::milliseconds timeout{10000};
  // Sent as User-Agent. Default: "reportshare".
  std::string user_agent = "reportshare";
};

// One request to make.
struct Outgoing {
  WebhookUrl url;
  // Sent as given, after the sender's own (Host, User-Agent, Content-Type,
  // Content-Length, Connection: close); a given User-Agent or Content-Type
  // replaces the sender's. Names must be HTTP tokens, values printable ASCII
  // (space and tab allowed: no CR or LF could end a header early); Host,
  // Content-Length, Transfer-Encoding and Connection cannot be given. A header
  // that breaks these rules fails the attempt before any connection ("invalid
  // header").
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent with Content-Type: application/json
};

// How one attempt ended.
struct Outcome {
  std::optional<int> status;  // the HTTP status received, if any
  // "" on a 2xx; otherwise short text that is safe to store and show: "HTTP
  // 500", "redirect not followed (HTTP 302)", "timed out after 10 s",
  // "connection refused", "host does not resolve", "address not allowed
  // (private)", "TLS: certificate verify failed (...)", "TLS: certificate
  // does not match the host name", ... Never the URL's path or query, a header
  // value or the body.
  std::string error;

  bool ok() const { return status && *status >= 200 && *status < 300 && error.empty(); }
};

// An asynchronous HTTP/1.1 client for webhook deliveries, with one I/O thread
// of its own. Each attempt is one POST on a new connection (HTTP or HTTPS),
// closed once the response head is read; redirects are never followed.
// Unless allow_private, every address the host resolves to is checked with
// IsPublicAddress at each attempt, and the attempt makes no connection if any
// is not public (the guard against DNS rebinding); it connects only to the
// addresses it checked. HTTPS: TLS 1.2 or later, the peer's certificate
// verified against the system store and options.ca_file, and its host name
// (or IP address) checked; SNI is sent for a DNS name.
// DNS lookups run on short-lived threads of their own, so a stalled resolver
// holds up neither other attempts, nor the timeout, nor the destructor.
class Sender {
 public:
  // Starts the I/O thread. Fails with kInvalidArgument naming the option
  // ("--webhook-ca-file: no such file", "--webhook-ca-file: cannot load CA
  // certificates from it (...)") if ca_file is set and cannot be loaded,
  // kInvalidArgument("webhook timeout must be positive"), or kInternal if no
  // TLS context or thread can be had.
  static Result<std::unique_ptr<Sender>> Create(SenderOptions options);

  // Cancels what is in flight and joins the I/O thread; the callbacks of
  // unfinished attempts are then never called (their `done` is destroyed on
  // the calling thread). REQUIRES: not called from a `done` callback.
  ~Sender();

  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  // POSTs request.url.target to request.url, asynchronously on the sender's
  // I/O thread. `done` is called exactly once (unless the Sender is destroyed
  // first), on that thread, with the outcome; it must not block, and an
  // exception it throws is logged and dropped. Any number of attempts may be
  // in flight; bounding them is the caller's job. Thread-safe: may be called
  // from any thread, a `done` callback included.
  void Post(Outgoing request, std::function<void(Outcome)> done);

 private:
  struct Impl;
  explicit Sender(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace reportshare::webhooks
