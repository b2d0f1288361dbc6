#pragma once

// One connection's HTTP/1.1 session, as three steps that ServeConnection
// loops over:
//   ReadRequest    reads one request (header, then body) and enforces the
//                  limits, the timeouts, 100-continue and the framing;
//   Dispatch       runs the Handler (on the worker pool unless it is cheap)
//                  and turns an exception into a 500;
//   WriteResponse  writes the response under the write timeout, then writes
//                  the access log record and calls on_response;
//                  WriteStreamedResponse does so for a Response with a
//                  body_source (chunked, the body pulled on the workers).
// The steps are templates on the stream, so the server runs them over
// beast::tcp_stream and the session tests over an in-memory stream.
//
// Internal to src/http (Beast in a header): only server.cc and the session
// tests include it.
//
// The stream must be a Beast AsyncReadStream and AsyncWriteStream with
// tcp_stream's timeout, `s.expires_after(duration)`: an operation still
// pending at the deadline closes the stream and fails with
// beast::error::timeout. And these free functions, found by overload
// resolution (declared below for tcp_stream) or by argument-dependent lookup:
//   ShutdownSend(s)   stop sending; the peer reads end-of-stream
//   CloseStream(s)    close both directions; never throws
//   PeerAddress(s)    the peer's IP address as text, or empty
// and, only where the default below does not fit (TLS, http/tls_stream.h):
//   EndSending(s)     an awaitable ShutdownSend (default: ShutdownSend)
//   IsSecure(s)       true over TLS: responses carry HSTS (default: false)

#include <algorithm>
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "http/message.h"
#include "http/responses.h"
#include "http/server.h"

namespace reportshare::http {

namespace net = boost::asio;
namespace beast = boost::beast;

// What a session needs of its server. Everything referenced outlives every
// session.
struct SessionContext {
  const ServerOptions& options;
  const Handler& handler;
  // Where a handler that may block runs (the worker pool); the session then
  // resumes on its own executor. Empty: every handler runs on the session's
  // executor.
  net::any_io_executor workers;
  // Set when a drain starts: the request in flight is answered with
  // "Connection: close" and no further request is read.
  const std::atomic<bool>& draining;
};

// A connection's state as the server's drain sees it. Confined to the
// connection's executor (a strand), like the stream.
struct ConnectionState {
  // From the first byte of a request until its response is written; the drain
  // cancels only connections that are not busy.
  bool busy = false;
};

// What ReadRequest produced.
struct ReadOutcome {
  enum class Kind {
    kRequest,  // `request` is complete; its body may be marked too large
    kClose,    // the peer closed, stalled past a timeout or failed: close, answer nothing
    kReject,   // unparseable or unframeable: answer `error`, then close
  };
  Kind kind = Kind::kClose;
  Request request;
  // What the client asked for (HTTP version and Connection header).
  bool keep_alive = false;
  // An HTTP/1.0 request: a streamed response cannot be chunked.
  bool http10 = false;
  Status error;
};

// The request a response answers, for its framing and its access log record.
struct Exchange {
  std::string request_id;
  std::string method;  // "-" when the request could not be parsed
  std::chrono::steady_clock::time_point started;
  bool head = false;        // a HEAD request: the headers of GET, no body
  bool keep_alive = false;  // "Connection: keep-alive", else "Connection: close"
  // HTTP/1.0 knows no chunked coding: a streamed body is sent as is and ended
  // by closing the connection (keep_alive must then be false).
  bool http10 = false;
  // Over TLS: the response carries Strict-Transport-Security (SPEC §10).
  bool secure = false;
  std::string scheme = "http";  // Request::scheme, for the access log
};

// What every response over TLS carries (SPEC §10): a year.
inline constexpr std::string_view kStrictTransportSecurity = "max-age=31536000";

// The 431 message for the configured limit: "request header is larger than N
// bytes". (The router builds the 413 one from Request::body_limit.)
std::string HeaderTooLargeMessage(size_t header_limit);

// 16 hexadecimal digits from the system's random source.
std::string NewRequestId();

// Dispatch step: runs the handler on `request` (on ctx.workers unless
// options.run_inline says the request never blocks) and resumes on the
// caller's executor. The one catch of the data plane: an exception becomes a
// 500 with route "error" and an error record on channel "server"; never throws.
net::awaitable<Response> Dispatch(const SessionContext& ctx, const Request& request,
                                  const std::string& request_id);

// After a response is written (or its write failed): the access log record
// (channel "access": request_id, method, route, status, bytes, duration_ms)
// and options.on_response.
void FinishExchange(const ServerOptions& options, const Exchange& exchange, const Response& res,
                    size_t bytes);

// The next chunk of `source`, pulled on ctx.workers (inline when there are
// none); nullopt at the end. An exception from the source is logged (channel
// "server") and sets `failed`: the body cannot be completed.
net::awaitable<std::optional<std::string>> PullChunk(const SessionContext& ctx, BodySource& source,
                                                     const std::string& request_id, bool& failed);

// Drops the last reference to `source` on ctx.workers, since its destructor
// may wait for work it started.
net::awaitable<void> ReleaseSource(const SessionContext& ctx, std::shared_ptr<BodySource> source);

// The error record of a session ended by an exception.
void LogConnectionDropped(const std::exception& e);

// The client of `request` from `peer` (its connection's peer address): the
// peer, or when it is one of `trusted_proxies` the client its forwarding
// headers name (http/forwarded.h), with the scheme they name.
ClientAddress ClientAddressOf(const Request& request, std::string peer,
                              const std::vector<IpRange>& trusted_proxies);

// True for errors of the HTTP parser (as opposed to the transport's).
bool IsParseError(const boost::system::error_code& ec);

// True when `header` (a request header as received, through its blank line)
// continues a field line on the next one: obs-fold, RFC 9112 §5.2. Beast
// accepts the fold and joins the lines, so "Transfer-Encoding:\r\n chunked"
// would be chunked here and perhaps not to a proxy in front: rejected, as
// nginx and Envoy do.
bool HasObsFold(std::string_view header);

// The framing RFC 9112 §6 leaves no doubt about, beyond what Beast checks: at
// most one Content-Length, a plain decimal (not "2, 2", whose duplicates a
// proxy may read otherwise); Transfer-Encoding once, exactly "chunked" (no
// "identity, chunked", "gzip, chunked" or "chunked;q=1": the only coding
// understood), and not with a Content-Length. Empty when the framing is
// sound, else the 400's message.
std::string_view FramingError(const beast::http::fields& fields);

// What the session's read buffer may hold: a header of options.header_limit
// and 64 KiB more. A chunk-size line (with its extensions) or a trailer must
// fit in it, so neither grows the buffer without bound.
size_t ReadBufferLimit(const ServerOptions& options);

// How long a lingering close takes in what the client still sends.
inline constexpr std::chrono::milliseconds kLingerTime = std::chrono::seconds(2);

// The free functions the session needs, for tcp_stream.
inline void ShutdownSend(beast::tcp_stream& stream) {
  boost::system::error_code ignored;
  stream.socket().shutdown(net::socket_base::shutdown_send, ignored);
}
inline void CloseStream(beast::tcp_stream& stream) {
  boost::system::error_code ignored;
  stream.socket().shutdown(net::socket_base::shutdown_both, ignored);
  stream.socket().close(ignored);
}
inline std::string PeerAddress(beast::tcp_stream& stream) {
  boost::system::error_code ec;
  auto peer = stream.socket().remote_endpoint(ec);
  return ec ? std::string() : peer.address().to_string();
}

// The defaults of the optional free functions: a plain stream.
template <class Stream>
net::awaitable<void> EndSending(Stream& stream) {
  ShutdownSend(stream);
  co_return;
}
template <class Stream>
bool IsSecure(const Stream&) {
  return false;
}

// Waits up to `timeout` for the first byte of the next request, unless
// `buffer` already holds one (a pipelined request). False when the connection
// ended instead: the peer closed it, the timeout passed, the drain cancelled
// the wait, or the read failed.
template <class Stream>
net::awaitable<bool> AwaitRequest(Stream& stream, beast::flat_buffer& buffer,
                                  std::chrono::milliseconds timeout) {
  if (buffer.size() > 0) co_return true;
  boost::system::error_code ec;
  stream.expires_after(timeout);
  size_t n = co_await stream.async_read_some(buffer.prepare(4096),
                                             net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return false;
  buffer.commit(n);
  co_return true;
}

// Reads a request header into `parser`, as beast::http::async_read_header
// does (bytes past it stay in `buffer`), under the deadline already set on
// the stream, and sets `folded` when it has an obs-fold (HasObsFold): the
// header is looked at as received, before the parser consumes it. A full
// buffer is error::buffer_overflow; an end of stream before any byte
// error::end_of_stream, within the header error::partial_message.
template <class Stream, class Parser>
net::awaitable<boost::system::error_code> ReadHeader(Stream& stream, beast::flat_buffer& buffer,
                                                     Parser& parser, bool& folded) {
  namespace bhttp = beast::http;
  boost::system::error_code ec;
  for (;;) {
    if (buffer.size() > 0) {
      // The parser takes nothing until the whole header is in the buffer,
      // then exactly the header (it is not eager).
      const auto data = buffer.data();
      const size_t used = parser.put(data, ec);
      if (parser.is_header_done()) {
        folded = HasObsFold(std::string_view(static_cast<const char*>(data.data()), used));
      }
      buffer.consume(used);
      if (ec != bhttp::error::need_more) co_return ec;
      ec = {};
    }
    const size_t room = std::min<size_t>(buffer.max_size() - buffer.size(), 65536);
    if (room == 0) co_return bhttp::error::buffer_overflow;
    const size_t n = co_await stream.async_read_some(buffer.prepare(room),
                                                     net::redirect_error(net::use_awaitable, ec));
    buffer.commit(n);
    if (ec == net::error::eof) {
      co_return parser.got_some() ? bhttp::error::partial_message : bhttp::error::end_of_stream;
    }
    if (ec) co_return ec;
  }
}

// Read step: one request from `stream` (bytes already read stay in `buffer`
// for the next call). The header must arrive within options.header_timeout
// and fit options.header_limit (else kReject with 431); the body within
// options.body_timeout. A body over options.body_limit is not kept:
// `request.body_too_large` is set and the router answers 413 (after
// authentication, SPEC's order); one announced by Content-Length is not even
// read. Answers "Expect: 100-continue" before reading a body. A transport
// failure is kClose: nothing is written after it.
template <class Stream>
net::awaitable<ReadOutcome> ReadRequest(Stream& stream, beast::flat_buffer& buffer,
                                        const ServerOptions& options) {
  namespace bhttp = beast::http;
  ReadOutcome out;
  auto reject = [&out](Status status) {
    out.kind = ReadOutcome::Kind::kReject;
    out.error = std::move(status);
    return std::move(out);
  };
  boost::system::error_code ec;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<uint32_t>(options.header_limit));
  parser.body_limit(boost::none);  // decided below from the header
  bool folded = false;
  stream.expires_after(options.header_timeout);
  ec = co_await ReadHeader(stream, buffer, parser, folded);
  if (ec == bhttp::error::header_limit) {
    co_return reject(Status::HeaderTooLarge(HeaderTooLargeMessage(options.header_limit)));
  }
  if (ec == bhttp::error::end_of_stream || (ec && !IsParseError(ec))) co_return out;
  if (ec) co_return reject(Status::InvalidArgument("malformed HTTP request"));
  if (folded) {
    co_return reject(Status::InvalidArgument("obsolete line folding in the request header"));
  }

  const auto& head = parser.get();
  // Only chunked framing is understood; any other transfer coding would leave
  // the body to be parsed as the next request (RFC 9112 §6.3).
  if (std::string_view framing = FramingError(head); !framing.empty()) {
    co_return reject(Status::InvalidArgument(std::string(framing)));
  }
  if (head.find(bhttp::field::transfer_encoding) != head.end() && !parser.chunked()) {
    co_return reject(Status::InvalidArgument("unsupported Transfer-Encoding"));
  }
  Request& req = out.request;
  req.method = std::string(head.method_string());
  req.target = std::string(head.target());
  for (const auto& field : head) {
    req.headers.push_back({std::string(field.name_string()), std::string(field.value())});
  }
  const size_t body_limit =
      options.body_limit_for ? options.body_limit_for(req.method, req.target) : options.body_limit;
  req.body_limit = body_limit;

  auto length = parser.content_length();
  if (length && *length > body_limit) {
    req.body_too_large = true;
  } else if (!parser.is_done()) {
    parser.body_limit(body_limit);
    auto expect = req.HeaderValue("Expect");
    if (expect && HeaderNameEquals(*expect, "100-continue")) {
      // Still under the header timeout.
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      co_await net::async_write(stream, net::buffer(kContinue.data(), kContinue.size()),
                                net::redirect_error(net::use_awaitable, ec));
      if (ec) co_return out;
    }
    stream.expires_after(options.body_timeout);
    co_await bhttp::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
    if (ec == bhttp::error::body_limit) {
      req.body_too_large = true;
    } else if (ec == bhttp::error::buffer_overflow) {
      co_return reject(Status::InvalidArgument("chunk-size line or trailer is too long"));
    } else if (ec == bhttp::error::partial_message || (ec && !IsParseError(ec))) {
      co_return out;
    } else if (ec) {
      co_return reject(Status::InvalidArgument("malformed HTTP request body"));
    }
  }
  if (!req.body_too_large) req.body = std::move(parser.get().body());
  ClientAddress client = ClientAddressOf(req, PeerAddress(stream), options.trusted_proxies);
  req.remote_address = std::move(client.address);
  if (IsSecure(stream) || client.proto == "https") req.scheme = "https";
  // An HTTP/1.0 message with Transfer-Encoding has faulty framing (RFC 9112
  // §6.1): answer it, then close, so nothing after it is read as a request.
  const bool faulty_framing =
      head.version() < 11 && head.find(bhttp::field::transfer_encoding) != head.end();
  out.keep_alive = parser.get().keep_alive() && !faulty_framing;
  out.http10 = head.version() < 11;
  out.kind = ReadOutcome::Kind::kRequest;
  co_return out;
}

// Write step: `res` with X-Request-Id and the Connection header of
// `exchange`, within options.write_timeout; then FinishExchange, whether the
// write succeeded or not. Returns the write's error.
template <class Stream>
net::awaitable<boost::system::error_code> WriteResponse(Stream& stream,
                                                        const ServerOptions& options, Response res,
                                                        const Exchange& exchange) {
  namespace bhttp = beast::http;
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), 11};
  for (const auto& h : res.headers) out.set(h.name, h.value);
  out.set("X-Request-Id", exchange.request_id);
  if (exchange.secure) out.set("Strict-Transport-Security", kStrictTransportSecurity);
  out.keep_alive(exchange.keep_alive);
  size_t size = res.body.size();
  if (exchange.head) {
    out.content_length(size);
  } else {
    out.body() = std::move(res.body);
    out.prepare_payload();
  }
  boost::system::error_code ec;
  stream.expires_after(options.write_timeout);
  co_await bhttp::async_write(stream, out, net::redirect_error(net::use_awaitable, ec));
  FinishExchange(options, exchange, res, exchange.head ? 0 : size);
  co_return ec;
}

// Write step for a response with a body_source: the header at once with
// "Transfer-Encoding: chunked" (HEAD: the header alone, the source unread),
// then each chunk as the source yields it, each write within
// options.write_timeout, then the last chunk. To an HTTP/1.0 client: no
// chunked coding, the bytes as they come, ended by the close that follows.
// A failed write (the client went away, or stopped reading) ends it, and the
// source is dropped so it starts no further work. FinishExchange follows the
// last chunk, with the body bytes sent. Returns the first write error, or a
// failure of the source (the connection must then close: the body is
// incomplete).
template <class Stream>
net::awaitable<boost::system::error_code> WriteStreamedResponse(Stream& stream,
                                                                const SessionContext& ctx,
                                                                Response res,
                                                                const Exchange& exchange) {
  namespace bhttp = beast::http;
  const ServerOptions& options = ctx.options;
  std::shared_ptr<BodySource> source = std::move(res.body_source);
  bhttp::response<bhttp::empty_body> out{static_cast<bhttp::status>(res.status), 11};
  for (const auto& h : res.headers) out.set(h.name, h.value);
  out.set("X-Request-Id", exchange.request_id);
  if (exchange.secure) out.set("Strict-Transport-Security", kStrictTransportSecurity);
  const bool chunked = !exchange.http10;
  out.keep_alive(exchange.keep_alive && chunked);
  out.chunked(chunked);
  bhttp::response_serializer<bhttp::empty_body> serializer{out};
  boost::system::error_code ec;
  size_t sent = 0;
  stream.expires_after(options.write_timeout);
  co_await bhttp::async_write_header(stream, serializer,
                                     net::redirect_error(net::use_awaitable, ec));
  while (!ec && !exchange.head) {
    bool failed = false;
    std::optional<std::string> chunk =
        co_await PullChunk(ctx, *source, exchange.request_id, failed);
    if (failed) {
      ec = net::error::operation_aborted;
      break;
    }
    stream.expires_after(options.write_timeout);
    if (!chunk) {
      if (chunked) {
        co_await net::async_write(stream, bhttp::make_chunk_last(),
                                  net::redirect_error(net::use_awaitable, ec));
      }
      break;
    }
    if (chunk->empty()) continue;
    if (chunked) {
      co_await net::async_write(stream, bhttp::make_chunk(net::buffer(*chunk)),
                                net::redirect_error(net::use_awaitable, ec));
    } else {
      co_await net::async_write(stream, net::buffer(*chunk),
                                net::redirect_error(net::use_awaitable, ec));
    }
    if (!ec) sent += chunk->size();
  }
  co_await ReleaseSource(ctx, std::move(source));
  FinishExchange(options, exchange, res, sent);
  co_return ec;
}

// Closes gracefully: stop sending, then swallow what the client still sends
// for a moment, so an unread body does not turn into a reset that destroys
// the response just written.
template <class Stream>
net::awaitable<void> LingeringClose(Stream& stream,
                                    std::chrono::milliseconds linger = kLingerTime) {
  co_await EndSending(stream);
  boost::system::error_code ec;
  char sink[16384];
  size_t total = 0;
  stream.expires_after(linger);
  while (!ec && total < (1u << 20)) {
    total += co_await stream.async_read_some(net::buffer(sink),
                                             net::redirect_error(net::use_awaitable, ec));
  }
  CloseStream(stream);
}

// Answers a request that cannot be served (unparseable, over a limit, over
// the connection cap or the descriptor budget) with `status`, then closes
// gracefully, lingering at most `linger`.
template <class Stream>
net::awaitable<void> Reject(Stream& stream, const ServerOptions& options, const Status& status,
                            std::chrono::milliseconds linger = kLingerTime) {
  Exchange exchange{NewRequestId(), "-", std::chrono::steady_clock::now(), false, false};
  exchange.secure = IsSecure(stream);
  exchange.scheme = exchange.secure ? "https" : "http";
  co_await WriteResponse(stream, options, ErrorResponse(status), exchange);
  co_await LingeringClose(stream, linger);
}

// The session: requests in turn (keep-alive, pipelining) until the client
// closes, a timeout passes, a request asks to close, a limit is hit or a drain
// starts. The first request must begin within options.header_timeout, later
// ones within options.idle_timeout. Ends with the stream closed; never throws
// (an exception is logged as "connection dropped" on channel "server").
template <class Stream>
net::awaitable<void> ServeConnection(Stream& stream, const SessionContext& ctx,
                                     ConnectionState& state) {
  const ServerOptions& options = ctx.options;
  try {
    beast::flat_buffer buffer(ReadBufferLimit(options));
    for (bool first = true; !ctx.draining; first = false) {
      // A new connection waits with the header timeout (a silent client must
      // not hold a slot for a minute); between requests, the idle timeout.
      if (!co_await AwaitRequest(stream, buffer,
                                 first ? options.header_timeout : options.idle_timeout)) {
        break;
      }
      state.busy = true;
      auto started = std::chrono::steady_clock::now();
      ReadOutcome in = co_await ReadRequest(stream, buffer, options);
      if (in.kind == ReadOutcome::Kind::kClose) break;
      if (in.kind == ReadOutcome::Kind::kReject) {
        co_await Reject(stream, options, in.error);
        co_return;
      }
      const Request& req = in.request;
      std::string request_id = NewRequestId();
      Response res = co_await Dispatch(ctx, req, request_id);
      // Read after the handler: the drain may have started while it ran.
      // A streamed response to HTTP/1.0 ends with the connection.
      Exchange exchange{
          std::move(request_id),
          req.method,
          started,
          req.method == "HEAD",
          in.keep_alive && !req.body_too_large && !ctx.draining && !(in.http10 && res.body_source),
          in.http10,
          IsSecure(stream),
          req.scheme};
      boost::system::error_code ec;
      if (res.body_source) {
        ec = co_await WriteStreamedResponse(stream, ctx, std::move(res), exchange);
      } else {
        ec = co_await WriteResponse(stream, options, std::move(res), exchange);
      }
      state.busy = false;
      if (ec) break;
      if (!exchange.keep_alive) {
        co_await LingeringClose(stream);
        co_return;
      }
    }
  } catch (const std::exception& e) {
    LogConnectionDropped(e);
  }
  CloseStream(stream);
}

}  // namespace reportshare::http
