#include "http/server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <list>
#include <optional>
#include <thread>
#include <vector>

#include "core/mutex.h"
#include "http/session.h"

namespace reportshare::http {
namespace {

using tcp = net::ip::tcp;
using net::awaitable;
using net::use_awaitable;

// What the drain needs to know about one open connection. `stream` lives in
// the session's coroutine frame: it, `state` and `closed` may be touched only
// on the connection's strand, and `stream` only while `closed` is false.
struct Connection {
  Connection(beast::tcp_stream& s, net::any_io_executor ex) : stream(s), executor(ex) {}
  beast::tcp_stream& stream;
  net::any_io_executor executor;
  ConnectionState state;
  bool closed = false;
};

}  // namespace

struct Server::Impl {
  // Constant after construction.
  ServerOptions options;
  Handler handler;

  net::io_context ioc;      // the I/O threads'
  net::io_context workers;  // the handlers'
  net::executor_work_guard<net::io_context::executor_type> workers_guard;
  // Touched only on the acceptor's strand once Run() started.
  tcp::acceptor acceptor;
  net::signal_set signals;
  std::atomic<bool> draining{false};
  // The bound port, kept so port() never touches the acceptor (which the
  // drain closes on its strand). Constant once Create() returns.
  uint16_t port = 0;

  // Constant after construction; refers to the members above.
  SessionContext session_context;

  core::Mutex mu;
  std::list<std::shared_ptr<Connection>> connections RS_GUARDED_BY(mu);

  Impl(ServerOptions opts, Handler h)
      : options(std::move(opts)),
        handler(std::move(h)),
        ioc(options.threads),
        workers(options.worker_threads),
        workers_guard(workers.get_executor()),
        acceptor(net::make_strand(ioc)),  // Accept() and the drain's close() never overlap
        signals(ioc, SIGTERM, SIGINT),
        session_context{options, handler, workers.get_executor(), draining} {}

  awaitable<void> Accept() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(net::make_strand(ioc),
                                                          net::redirect_error(use_awaitable, ec));
      if (ec) {
        if (!acceptor.is_open() || draining) co_return;
        // e.g. EMFILE: keep serving the connections we have, retry shortly.
        net::steady_timer pause(ioc, std::chrono::milliseconds(50));
        co_await pause.async_wait(net::redirect_error(use_awaitable, ec));
        continue;
      }
      auto executor = socket.get_executor();
      net::co_spawn(executor, Session(std::move(socket)), net::detached);
    }
  }

  void StartDrain() {
    if (draining.exchange(true)) return;
    if (options.on_drain) options.on_drain();
    net::post(acceptor.get_executor(), [this] {
      boost::system::error_code ec;
      acceptor.close(ec);
      signals.cancel(ec);
    });
    core::MutexLock lock(mu);
    for (auto& conn : connections) {
      net::post(conn->executor, [conn] {
        if (!conn->closed && !conn->state.busy) conn->stream.cancel();
      });
    }
  }

  // Adds `conn` to the registry unless it is full. Returns its place, or
  // nullopt when the server is at options.max_connections.
  std::optional<std::list<std::shared_ptr<Connection>>::iterator> Register(
      std::shared_ptr<Connection> conn) RS_EXCLUDES(mu) {
    core::MutexLock lock(mu);
    if (connections.size() >= options.max_connections) return std::nullopt;
    return connections.insert(connections.end(), std::move(conn));
  }

  void Unregister(std::list<std::shared_ptr<Connection>>::iterator self) RS_EXCLUDES(mu) {
    core::MutexLock lock(mu);
    connections.erase(self);
  }

  awaitable<void> Session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    auto conn = std::make_shared<Connection>(stream, stream.get_executor());
    auto self = Register(conn);
    if (!self) {
      co_await Reject(stream, options, Status::Unavailable("too many connections"));
      co_return;
    }
    // However the session ends (even by an exception that destroys this
    // frame), the connection leaves the registry, on the strand, before
    // `stream` dies.
    struct Unregisterer {
      Impl& impl;
      Connection& conn;
      std::list<std::shared_ptr<Connection>>::iterator self;
      ~Unregisterer() {
        conn.closed = true;  // a posted drain will not touch `stream`
        impl.Unregister(self);
      }
    } unregister{*this, *conn, *self};
    co_await ServeConnection(stream, session_context, conn->state);
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
  auto address = net::ip::make_address(impl->options.host, ec);
  if (ec)
    return Status::InvalidArgument("listen host must be an IP address: " + impl->options.host);
  tcp::endpoint endpoint(address, impl->options.port);
  auto& acc = impl->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(net::socket_base::max_listen_connections, ec);
  if (!ec) impl->port = acc.local_endpoint(ec).port();
  if (ec) {
    return Status::Unavailable("cannot listen on " + impl->options.host + ":" +
                               std::to_string(impl->options.port) + ": " + ec.message());
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

uint16_t Server::port() const { return impl_->port; }

void Server::Drain() { impl_->StartDrain(); }

void Server::Run() {
  Impl& impl = *impl_;
  impl.signals.async_wait([&impl](const boost::system::error_code& ec, int) {
    if (!ec) impl.StartDrain();
  });
  net::co_spawn(impl.acceptor.get_executor(), impl.Accept(), net::detached);
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
