#include "http/server.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <cstdint>
#include <list>
#include <optional>
#include <thread>
#include <vector>

#include "core/log.h"
#include "core/mutex.h"
#include "http/session.h"
#include "http/tls.h"
#include "http/tls_stream.h"

namespace reportshare::http {
namespace {

using tcp = net::ip::tcp;
using net::awaitable;
using net::use_awaitable;

// A connection refused for lack of descriptors holds one of the reserve: it
// lingers this long at most for what its client still sends.
constexpr std::chrono::milliseconds kRefusalLinger{250};

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
  // Set by Create() when options.tls_cert_file is; then every connection is TLS.
  std::unique_ptr<TlsCredentials> tls;
  net::steady_timer tls_reload_timer;

  core::Mutex mu;
  std::list<std::shared_ptr<Connection>> connections RS_GUARDED_BY(mu);

  // The descriptor budget (ServerOptions::descriptor_reserve), constant once
  // Create() returns. Linux hands out the lowest free descriptor, so an
  // accepted socket numbered `descriptor_budget` or more means at least that
  // many are open: it is refused. No limit known: no budget.
  size_t open_files_limit = 0;
  size_t descriptor_reserve = 0;
  size_t descriptor_budget = SIZE_MAX;
  // Touched only on the acceptor's strand. `refusing` from the one warning
  // until the one "accepting connections again" line; `refused` counts the
  // connections turned away meanwhile.
  bool refusing = false;
  uint64_t refused = 0;
  // Kept open to be given up when accept() itself fails with EMFILE: then
  // one waiting connection is taken with it and closed, so that no client
  // hangs in the listen backlog while the server retries.
  int spare_fd = -1;

  Impl(ServerOptions opts, Handler h)
      : options(std::move(opts)),
        handler(std::move(h)),
        ioc(options.threads),
        workers(options.worker_threads),
        workers_guard(workers.get_executor()),
        acceptor(net::make_strand(ioc)),  // Accept() and the drain's close() never overlap
        signals(ioc, SIGTERM, SIGINT),
        session_context{options, handler, workers.get_executor(), draining},
        tls_reload_timer(net::make_strand(ioc)) {}

  ~Impl() {
    if (spare_fd >= 0) ::close(spare_fd);
  }

  awaitable<void> Accept() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(net::make_strand(ioc),
                                                          net::redirect_error(use_awaitable, ec));
      if (ec) {
        if (!acceptor.is_open() || draining) co_return;
        if (ec == net::error::no_descriptors ||
            ec == boost::system::errc::too_many_files_open_in_system) {
          // Linux fails accept() so even with no connection waiting.
          const Shed shed = ShedWithSpare();
          if (shed == Shed::kClosedOne) {
            NoteRefused(1);
            continue;
          }
          if (shed == Shed::kNoneWaiting) {
            // Until the next connection arrives: then shed it or, with
            // descriptors back, accept it.
            co_await acceptor.async_wait(tcp::acceptor::wait_read,
                                         net::redirect_error(use_awaitable, ec));
            continue;
          }
          NoteRefused(0);  // no spare: connections wait in the backlog meanwhile
        }
        // Keep serving the connections we have, retry shortly.
        net::steady_timer pause(ioc, std::chrono::milliseconds(50));
        co_await pause.async_wait(net::redirect_error(use_awaitable, ec));
        continue;
      }
      const auto fd = static_cast<size_t>(socket.native_handle());
      if (fd >= descriptor_budget) {
        // 503 while the refusals in flight hold at most half the reserve
        // (over TLS no answer: a handshake would hold it for seconds); past
        // that, closed unanswered.
        NoteRefused(1);
        if (!tls && fd < descriptor_budget + descriptor_reserve / 2) {
          auto executor = socket.get_executor();
          net::co_spawn(executor, RefuseForDescriptors(std::move(socket)), net::detached);
        } else {
          socket.close(ec);
        }
        continue;
      }
      if (refusing && fd + descriptor_reserve / 2 < descriptor_budget) NoteRecovered();
      if (spare_fd < 0) spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);  // lost to a race
      // Responses go out in more than one write (a TLS handshake's flights
      // and its ticket, a streamed body's chunks): no Nagle delay between them.
      socket.set_option(tcp::no_delay(true), ec);
      auto executor = socket.get_executor();
      if (tls) {
        net::co_spawn(executor, TlsSession(std::move(socket)), net::detached);
      } else {
        net::co_spawn(executor, PlainSession(std::move(socket)), net::detached);
      }
    }
  }

  size_t ConnectionCount() RS_EXCLUDES(mu) {
    core::MutexLock lock(mu);
    return connections.size();
  }

  // On the acceptor's strand: `count` more connections refused; one warning
  // when refusals start.
  void NoteRefused(uint64_t count) {
    refused += count;
    if (refusing) return;
    refusing = true;
    core::LogWarning("server", "out of file descriptors: refusing new connections",
                     {{"open_files_limit", open_files_limit},
                      {"descriptor_reserve", descriptor_reserve},
                      {"connections", ConnectionCount()}});
  }

  // On the acceptor's strand: one line when descriptors are back, with the
  // count of connections refused meanwhile.
  void NoteRecovered() {
    core::LogInfo("server", "accepting connections again",
                  {{"refused", refused}, {"connections", ConnectionCount()}});
    refusing = false;
    refused = 0;
  }

  enum class Shed { kClosedOne, kNoneWaiting, kNoSpare };

  // After accept() failed with EMFILE or ENFILE: frees the spare descriptor,
  // takes the oldest waiting connection with it and closes it (the client
  // reads the close instead of waiting), then takes the spare back. The
  // acceptor's socket is non-blocking (Asio made it so for async_accept), so
  // this never waits.
  Shed ShedWithSpare() {
    if (spare_fd < 0) return Shed::kNoSpare;
    ::close(spare_fd);
    const int fd = ::accept4(acceptor.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
    const int error = errno;
    if (fd >= 0) ::close(fd);
    spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) return Shed::kClosedOne;
    return error == EAGAIN || error == EWOULDBLOCK ? Shed::kNoneWaiting : Shed::kNoSpare;
  }

  // A connection over the descriptor budget: 503 at once, a short linger.
  // Not in the registry: it holds its descriptor for kRefusalLinger at most
  // (and the write of a small response into an empty socket buffer).
  awaitable<void> RefuseForDescriptors(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    co_await Reject(stream, options, Status::Unavailable("server is out of file descriptors"),
                    kRefusalLinger);
  }

  // Looks at the TLS files every options.tls_reload_interval until the drain.
  awaitable<void> ReloadTls() {
    while (!draining) {
      boost::system::error_code ec;
      tls_reload_timer.expires_after(options.tls_reload_interval);
      co_await tls_reload_timer.async_wait(net::redirect_error(use_awaitable, ec));
      if (ec || draining) co_return;
      tls->Poll();
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
    net::post(tls_reload_timer.get_executor(), [this] { tls_reload_timer.cancel(); });
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

  awaitable<void> PlainSession(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    co_await Session(stream, stream);
  }

  awaitable<void> TlsSession(tcp::socket socket) {
    TlsStream stream(std::move(socket), tls->Current());
    co_await Session(stream, stream.tcp());
  }

  template <class Stream>
  awaitable<bool> HandshakeIfTls(Stream& stream) {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      co_return co_await Handshake(stream, options.header_timeout);
    } else {
      co_return true;
    }
  }

  // The connection's life on `stream`, whose lowest layer is `tcp`. Over TLS
  // the handshake comes first, within the header timeout, even for the 503 of
  // a full server: a client can read nothing before it.
  template <class Stream>
  awaitable<void> Session(Stream& stream, beast::tcp_stream& tcp) {
    auto conn = std::make_shared<Connection>(tcp, tcp.get_executor());
    auto self = Register(conn);
    if (!self) {
      if (co_await HandshakeIfTls(stream)) {
        co_await Reject(stream, options, Status::Unavailable("too many connections"));
      }
      CloseStream(stream);
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
    if (!co_await HandshakeIfTls(stream)) {
      CloseStream(stream);
      co_return;
    }
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
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
    const auto limit = static_cast<size_t>(files.rlim_cur);
    size_t reserve = impl->options.descriptor_reserve > 0 ? impl->options.descriptor_reserve
                                                          : std::max<size_t>(64, limit / 10);
    reserve = std::min(reserve, limit / 2);
    impl->open_files_limit = limit;
    impl->descriptor_reserve = reserve;
    impl->descriptor_budget = limit - reserve;
  }
  impl->spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (!impl->options.tls_cert_file.empty() || !impl->options.tls_key_file.empty()) {
    auto tls = TlsCredentials::Load({impl->options.tls_cert_file, impl->options.tls_key_file});
    if (!tls) return tls.error();
    core::LogInfo(
        "server", "serving HTTPS",
        {{"cert_file", impl->options.tls_cert_file}, {"certificate", (*tls)->Describe()}});
    impl->tls = std::move(*tls);
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

uint16_t Server::port() const { return impl_->port; }

const char* Server::scheme() const { return impl_->tls ? "https" : "http"; }

void Server::Drain() { impl_->StartDrain(); }

void Server::Run() {
  Impl& impl = *impl_;
  impl.signals.async_wait([&impl](const boost::system::error_code& ec, int) {
    if (!ec) impl.StartDrain();
  });
  net::co_spawn(impl.acceptor.get_executor(), impl.Accept(), net::detached);
  if (impl.tls)
    net::co_spawn(impl.tls_reload_timer.get_executor(), impl.ReloadTls(), net::detached);
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
