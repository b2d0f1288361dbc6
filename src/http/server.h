#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "http/forwarded.h"
#include "http/message.h"

namespace reportshare::http {

struct ServerOptions {
  std::string host = "127.0.0.1";  // an IP address literal
  uint16_t port = 8080;            // 0 picks a free port; see Server::port()
  int threads = 0;                 // I/O threads; 0 = one per core
  // Threads that run the handler (database work, rendering), so no I/O thread
  // ever blocks; 0 = one per core.
  int worker_threads = 0;
  // True for requests cheap enough to answer on the I/O thread, without the
  // worker pool (they must never block).
  std::function<bool(const Request&)> run_inline;
  // Runs once on each worker thread before it takes work (e.g. font warm-up).
  std::function<void()> worker_init;
  // Connections beyond this are answered 503 and closed.
  size_t max_connections = 1024;
  // Descriptors kept free under RLIMIT_NOFILE (its soft limit when the server
  // is created) for the database, fonts, render workers and key-file reloads:
  // a new connection that would leave fewer free is answered 503 and closed
  // at once, never left waiting in the listen backlog. 0: a tenth of the
  // limit, at least 64 (at most half of it either way).
  size_t descriptor_reserve = 0;
  // Called after each response is written, with its time since the first byte.
  std::function<void(const Response&, double seconds)> on_response;
  // Called once when a drain starts (SIGTERM, SIGINT or Drain()).
  std::function<void()> on_drain;
  // Larger request headers are answered 431. Default: 16 KiB.
  size_t header_limit = 16 * 1024;
  // Larger request bodies are answered 413. Default: 64 KiB.
  size_t body_limit = kDefaultBodyLimit;
  // When set, decides the cap of each request from its method and target
  // instead (a route that takes larger bodies: Api::BodyLimit).
  size_t (*body_limit_for)(std::string_view method, std::string_view target) = nullptr;
  // The whole request header must arrive within this. Default: 10 s.
  std::chrono::milliseconds header_timeout = std::chrono::seconds(10);
  // A keep-alive connection waits this long for its next request. Default: 60 s.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
  // The whole request body must arrive within this. Default: 30 s.
  std::chrono::milliseconds body_timeout = std::chrono::seconds(30);
  // The whole response must be written within this, else the connection is
  // closed. Default: 60 s.
  std::chrono::milliseconds write_timeout = std::chrono::seconds(60);
  // Peers whose Forwarded / X-Forwarded-For headers name the client
  // (http/forwarded.h); Request::remote_address is that client. Default: none,
  // every request's client is its peer.
  std::vector<IpRange> trusted_proxies;
  // HTTPS on its own (SPEC §10): both set, the listener speaks only TLS with
  // this pair (http/tls.h), reloaded when a file changes; both empty, plain
  // HTTP. The handshake must finish within header_timeout.
  std::string tls_cert_file;
  std::string tls_key_file;
  // How often the pair's files are looked at. Default: 1 s.
  std::chrono::milliseconds tls_reload_interval = std::chrono::seconds(1);
};

using Handler = std::function<Response(const Request&)>;

// An asynchronous HTTP/1.1 server (Boost.Beast) that hands every request to a
// Handler and writes the response with an X-Request-Id, and logs one record
// per request on the "access" channel (core/log.h). Beast stays inside
// server.cc and session.h.
class Server {
 public:
  // Binds the listening socket. kUnavailable (with the reason) if it cannot.
  static Result<std::unique_ptr<Server>> Create(ServerOptions options, Handler handler);
  ~Server();

  // The bound port (useful with port 0).
  uint16_t port() const;

  // "https" when it serves TLS, else "http".
  const char* scheme() const;

  // Serves until SIGTERM/SIGINT or Drain(): then stops accepting, closes idle
  // connections, lets requests in flight finish, and returns.
  void Run();

  // Starts a drain from any thread.
  void Drain();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace reportshare::http
