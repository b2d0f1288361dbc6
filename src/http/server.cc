#include "http/server.h"

#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "core/json.h"
#include "core/rfc3339.h"
#include "http/responses.h"

namespace reportshare::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;

// What the drain needs to know about one open connection. `stream` lives in
// the session's coroutine frame: it may be touched only on the connection's
// strand and only while `closed` is false (both are strand-confined).
struct Connection {
  Connection(beast::tcp_stream& s, asio::any_io_executor ex) : stream(s), executor(ex) {}
  beast::tcp_stream& stream;
  asio::any_io_executor executor;
  bool busy = false;
  bool closed = false;
};

std::string NewRequestId() {
  uint8_t bytes[8];
  core::RandomBytes(bytes);
  return core::HexEncode(bytes);
}

void WriteAccessLog(const std::string& request_id, const std::string& method, const Response& res,
                    size_t bytes, std::chrono::steady_clock::duration took) {
  boost::json::object line;
  line["ts"] = core::FormatRfc3339Micros(SystemClock().Now());
  line["request_id"] = request_id;
  line["method"] = method.size() <= 16 ? method : method.substr(0, 16);
  line["route"] = res.route;
  line["status"] = res.status;
  line["bytes"] = bytes;
  line["duration_ms"] = std::chrono::duration<double, std::milli>(took).count();
  std::string text = core::WriteJson(line);
  text.push_back('\n');
  // One write(2) per line keeps lines whole across threads.
  ssize_t ignored = ::write(STDOUT_FILENO, text.data(), text.size());
  (void)ignored;
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Handler handler;
  asio::io_context ioc;
  asio::io_context workers;
  asio::executor_work_guard<asio::io_context::executor_type> workers_guard;
  tcp::acceptor acceptor;
  asio::signal_set signals;
  std::atomic<bool> draining{false};

  std::mutex mu;
  std::list<std::shared_ptr<Connection>> connections;  // GUARDED_BY(mu)

  Impl(ServerOptions opts, Handler h)
      : options(std::move(opts)),
        handler(std::move(h)),
        ioc(options.threads),
        workers(options.worker_threads),
        workers_guard(workers.get_executor()),
        acceptor(asio::make_strand(ioc)),  // Accept() and the drain's close() never overlap
        signals(ioc, SIGTERM, SIGINT) {}

  awaitable<void> Accept() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::make_strand(ioc),
                                                          asio::redirect_error(use_awaitable, ec));
      if (ec) {
        if (!acceptor.is_open() || draining) co_return;
        // e.g. EMFILE: keep serving the connections we have, retry shortly.
        asio::steady_timer pause(ioc, std::chrono::milliseconds(50));
        co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
        continue;
      }
      auto executor = socket.get_executor();
      asio::co_spawn(executor, Session(std::move(socket)), asio::detached);
    }
  }

  void StartDrain() {
    if (draining.exchange(true)) return;
    if (options.on_drain) options.on_drain();
    asio::post(acceptor.get_executor(), [this] {
      boost::system::error_code ec;
      acceptor.close(ec);
      signals.cancel(ec);
    });
    std::lock_guard lock(mu);
    for (auto& conn : connections) {
      asio::post(conn->executor, [conn] {
        if (!conn->closed && !conn->busy) conn->stream.cancel();
      });
    }
  }

  awaitable<void> WriteResponse(beast::tcp_stream& stream, Response res, bool head, bool keep_alive,
                                const std::string& request_id, const std::string& method,
                                std::chrono::steady_clock::time_point started,
                                boost::system::error_code& ec) {
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), 11};
    for (auto& h : res.headers) out.set(h.name, h.value);
    out.set("X-Request-Id", request_id);
    out.keep_alive(keep_alive);
    size_t size = res.body.size();
    if (head) {
      out.content_length(size);
    } else {
      out.body() = std::move(res.body);
      out.prepare_payload();
    }
    stream.expires_after(std::chrono::seconds(60));
    co_await bhttp::async_write(stream, out, asio::redirect_error(use_awaitable, ec));
    auto took = std::chrono::steady_clock::now() - started;
    WriteAccessLog(request_id, method, res, head ? 0 : size, took);
    if (options.on_response) {
      options.on_response(res, std::chrono::duration<double>(took).count());
    }
  }

  Response RunHandler(const Request& req, const std::string& request_id) {
    try {
      return handler(req);
    } catch (const std::exception& e) {
      // One catch for the whole data plane: a bug becomes a 500 and a log
      // line, never a dead server.
      std::fprintf(stderr, "error: request %s: unhandled exception: %s\n", request_id.c_str(),
                   e.what());
      Response res = ErrorResponse(Status::Internal("unhandled exception"));
      res.route = "error";
      return res;
    } catch (...) {
      std::fprintf(stderr, "error: request %s: unhandled non-standard exception\n",
                   request_id.c_str());
      Response res = ErrorResponse(Status::Internal("unhandled exception"));
      res.route = "error";
      return res;
    }
  }

  // Answers a request the parser could not accept, then closes.
  awaitable<void> Reject(beast::tcp_stream& stream, const Status& status) {
    boost::system::error_code ec;
    Response res = ErrorResponse(status);
    co_await WriteResponse(stream, std::move(res), false, false, NewRequestId(), "-",
                           std::chrono::steady_clock::now(), ec);
  }

  // Closes gracefully: stop sending, then swallow what the client still sends
  // for a moment, so an unread body does not turn into a reset that destroys
  // the response we just wrote.
  awaitable<void> LingeringClose(beast::tcp_stream& stream) {
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    char sink[16384];
    size_t total = 0;
    stream.expires_after(std::chrono::seconds(2));
    while (!ec && total < (1u << 20)) {
      total += co_await stream.async_read_some(asio::buffer(sink),
                                               asio::redirect_error(use_awaitable, ec));
    }
    stream.socket().close(ec);
  }

  awaitable<void> Session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    auto conn = std::make_shared<Connection>(stream, stream.get_executor());
    std::list<std::shared_ptr<Connection>>::iterator self;
    bool over_cap;
    {
      std::lock_guard lock(mu);
      over_cap = connections.size() >= options.max_connections;
      if (!over_cap) self = connections.insert(connections.end(), conn);
    }
    if (over_cap) {
      co_await Reject(stream, Status::Unavailable("too many connections"));
      co_await LingeringClose(stream);
      co_return;
    }
    // However Serve ends (even by an exception that destroys this frame), the
    // connection leaves the registry, on the strand, before `stream` dies.
    struct Unregister {
      Impl& impl;
      std::shared_ptr<Connection> conn;
      std::list<std::shared_ptr<Connection>>::iterator self;
      ~Unregister() {
        conn->closed = true;  // a posted drain will not touch `stream`
        std::lock_guard lock(impl.mu);
        impl.connections.erase(self);
      }
    } unregister{*this, conn, self};
    try {
      co_await Serve(stream, *conn);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "error: connection dropped: %s\n", e.what());
    }
  }

  awaitable<void> Serve(beast::tcp_stream& stream, Connection& conn) {
    beast::flat_buffer buffer;
    bool first_request = true;
    for (;;) {
      boost::system::error_code ec;
      if (draining) break;
      if (buffer.size() == 0) {
        // Waiting for the first byte: a new connection has the header timeout
        // (a silent client must not hold a slot for a minute); between
        // requests, the keep-alive idle timeout.
        stream.expires_after(first_request ? options.header_timeout : options.idle_timeout);
        size_t n = co_await stream.async_read_some(buffer.prepare(4096),
                                                   asio::redirect_error(use_awaitable, ec));
        if (ec) break;
        buffer.commit(n);
      }
      conn.busy = true;
      first_request = false;
      auto started = std::chrono::steady_clock::now();

      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<uint32_t>(options.header_limit));
      parser.body_limit(boost::none);  // decided below from the header
      stream.expires_after(options.header_timeout);
      co_await bhttp::async_read_header(stream, buffer, parser,
                                        asio::redirect_error(use_awaitable, ec));
      if (ec == bhttp::error::header_limit) {
        co_await Reject(stream,
                        Status::HeaderTooLarge("request header is larger than 16384 bytes"));
        co_await LingeringClose(stream);
        co_return;
      }
      if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
          ec == asio::error::operation_aborted || ec == asio::error::eof ||
          ec == asio::error::connection_reset) {
        break;
      }
      if (ec) {
        co_await Reject(stream, Status::InvalidArgument("malformed HTTP request"));
        co_await LingeringClose(stream);
        co_return;
      }

      const auto& head = parser.get();
      // Only chunked framing is understood; any other transfer coding would
      // leave the body to be parsed as the next request (RFC 9112 §6.3).
      if (head.find(bhttp::field::transfer_encoding) != head.end() && !parser.chunked()) {
        co_await Reject(stream, Status::InvalidArgument("unsupported Transfer-Encoding"));
        co_await LingeringClose(stream);
        co_return;
      }
      Request req;
      req.method = std::string(head.method_string());
      req.target = std::string(head.target());
      for (const auto& field : head) {
        req.headers.push_back({std::string(field.name_string()), std::string(field.value())});
      }

      auto length = parser.content_length();
      if (length && *length > options.body_limit) {
        req.body_too_large = true;
      } else if (!parser.is_done()) {
        parser.body_limit(options.body_limit);
        auto expect = req.HeaderValue("Expect");
        if (expect && HeaderNameEquals(*expect, "100-continue")) {
          static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          co_await asio::async_write(stream, asio::buffer(kContinue.data(), kContinue.size()),
                                     asio::redirect_error(use_awaitable, ec));
          if (ec) break;
        }
        stream.expires_after(options.body_timeout);
        co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
        if (ec == bhttp::error::body_limit) {
          req.body_too_large = true;
        } else if (ec == beast::error::timeout || ec == asio::error::eof ||
                   ec == bhttp::error::partial_message || ec == asio::error::connection_reset) {
          break;
        } else if (ec) {
          co_await Reject(stream, Status::InvalidArgument("malformed HTTP request body"));
          co_await LingeringClose(stream);
          co_return;
        }
      }
      if (!req.body_too_large) req.body = std::move(parser.get().body());

      boost::system::error_code peer_ec;
      auto peer = stream.socket().remote_endpoint(peer_ec);
      if (!peer_ec) req.remote_address = peer.address().to_string();

      std::string request_id = NewRequestId();
      Response res;
      if (options.run_inline && options.run_inline(req)) {
        // Cheap, database-free routes (liveness, metrics) answer even when
        // every worker is stuck on an unreachable database.
        res = RunHandler(req, request_id);
      } else {
        // The handler may block on the database or render a PDF: it runs on
        // the worker pool, and the session resumes on its strand afterwards.
        res = co_await asio::co_spawn(
            workers.get_executor(),
            [&]() -> awaitable<Response> { co_return RunHandler(req, request_id); }, use_awaitable);
      }
      bool keep_alive = parser.get().keep_alive() && !req.body_too_large && !draining;
      co_await WriteResponse(stream, std::move(res), req.method == "HEAD", keep_alive, request_id,
                             req.method, started, ec);
      conn.busy = false;
      if (ec) break;
      if (!keep_alive) {
        co_await LingeringClose(stream);
        co_return;
      }
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

Result<std::unique_ptr<Server>> Server::Create(ServerOptions options, Handler handler) {
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (options.threads <= 0) options.threads = cores;
  if (options.worker_threads <= 0) options.worker_threads = cores;
  auto impl = std::make_unique<Impl>(std::move(options), std::move(handler));
  boost::system::error_code ec;
  auto address = asio::ip::make_address(impl->options.host, ec);
  if (ec)
    return Status::InvalidArgument("listen host must be an IP address: " + impl->options.host);
  tcp::endpoint endpoint(address, impl->options.port);
  auto& acc = impl->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Unavailable("cannot listen on " + impl->options.host + ":" +
                               std::to_string(impl->options.port) + ": " + ec.message());
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

uint16_t Server::port() const { return impl_->acceptor.local_endpoint().port(); }

void Server::Drain() { impl_->StartDrain(); }

void Server::Run() {
  Impl& impl = *impl_;
  impl.signals.async_wait([&impl](const boost::system::error_code& ec, int) {
    if (!ec) impl.StartDrain();
  });
  asio::co_spawn(impl.acceptor.get_executor(), impl.Accept(), asio::detached);
  std::vector<std::thread> workers;
  for (int i = 0; i < impl.options.worker_threads; ++i) {
    workers.emplace_back([&impl] {
      if (impl.options.worker_init) impl.options.worker_init();
      impl.workers.run();
    });
  }
  std::vector<std::thread> threads;
  for (int i = 1; i < impl.options.threads; ++i) {
    threads.emplace_back([&impl] { impl.ioc.run(); });
  }
  impl.ioc.run();
  for (auto& t : threads) t.join();
  // Every session has ended, so no handler is running or queued.
  impl.workers_guard.reset();
  for (auto& t : workers) t.join();
}

}  // namespace reportshare::http
