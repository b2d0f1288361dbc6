// The server over real loopback sockets, with several I/O and worker threads:
// the concurrency the tsan preset checks (accept, per-connection strands, the
// worker pool, the connection registry, the drain).
#include "http/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/mutex.h"
#include "support/capturing_log_sink.h"
#include "support/eventually.h"

namespace reportshare::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// A blocking HTTP/1.1 client on one keep-alive connection.
class Client {
 public:
  explicit Client(uint16_t port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }

  struct Reply {
    int status = 0;  // 0: the exchange failed (connection closed or reset)
    std::string body;
  };

  // Sends GET `target` and reads the response.
  Reply Get(const std::string& target) {
    bhttp::request<bhttp::empty_body> req(bhttp::verb::get, target, 11);
    req.set(bhttp::field::host, "test");
    boost::system::error_code ec;
    bhttp::write(socket_, req, ec);
    bhttp::response<bhttp::string_body> res;
    if (!ec) bhttp::read(socket_, buffer_, res, ec);
    if (ec) return {};
    return {static_cast<int>(res.result_int()), res.body()};
  }

 private:
  asio::io_context ioc_;
  tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

// Runs a server on a free port in a thread of its own; drains and joins on
// destruction.
class RunningServer {
 public:
  RunningServer(ServerOptions options, Handler handler) {
    options.host = "127.0.0.1";
    options.port = 0;
    auto server = Server::Create(std::move(options), std::move(handler));
    if (!server) throw std::runtime_error(server.error().message());
    server_ = std::move(*server);
    thread_ = std::thread([this] { server_->Run(); });
  }
  ~RunningServer() {
    server_->Drain();
    if (thread_.joinable()) thread_.join();
  }
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;

  uint16_t port() const { return server_->port(); }
  Server& server() { return *server_; }
  // Waits for Run() to return after a drain.
  void Join() { thread_.join(); }

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

Response Echo(const Request& req) {
  Response res;
  res.route = "echo";
  res.body = req.target;
  res.SetHeader("Content-Type", "text/plain");
  return res;
}

ServerOptions TwoByTwo() {
  ServerOptions options;
  options.threads = 2;
  options.worker_threads = 2;
  return options;
}

// Keeps the access log of each test out of the output, and lets it assert.
class ServerTest : public ::testing::Test {
 protected:
  test_support::ScopedLogCapture log_;
};

TEST_F(ServerTest, ManyClientsOnBothPathsAreAllAnsweredExactlyOnce) {
  std::atomic<int> handled{0};
  std::atomic<int> inline_handled{0};
  std::atomic<int> responses{0};
  ServerOptions options = TwoByTwo();
  options.run_inline = [](const Request& req) { return req.target.starts_with("/inline"); };
  options.on_response = [&](const Response&, double) { responses.fetch_add(1); };
  RunningServer server(options, [&](const Request& req) {
    (req.target.starts_with("/inline") ? inline_handled : handled).fetch_add(1);
    return Echo(req);
  });

  constexpr int kClients = 8;
  constexpr int kRequests = 40;
  std::atomic<int> good{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      Client client(server.port());
      for (int i = 0; i < kRequests; ++i) {
        std::string target =
            (i % 2 ? "/inline/" : "/worker/") + std::to_string(c) + "/" + std::to_string(i);
        auto res = client.Get(target);
        if (res.status == 200 && res.body == target) good.fetch_add(1);
      }
    });
  }
  for (auto& t : clients) t.join();

  EXPECT_EQ(good.load(), kClients * kRequests);
  EXPECT_EQ(handled.load(), kClients * kRequests / 2);
  EXPECT_EQ(inline_handled.load(), kClients * kRequests / 2);
  // on_response runs after the write, so the last ones may trail the reads.
  EXPECT_TRUE(test_support::Eventually([&] { return responses.load() >= kClients * kRequests; }));
  EXPECT_EQ(responses.load(), kClients * kRequests);
  EXPECT_EQ(log_->OnChannel("access").size(), size_t{kClients * kRequests});
}

TEST_F(ServerTest, DrainFinishesTheRequestInFlightThenRunReturns) {
  core::Mutex mu;
  core::CondVar cv;
  bool started = false;
  std::atomic<int> drains{0};
  ServerOptions options = TwoByTwo();
  options.on_drain = [&] { drains.fetch_add(1); };
  RunningServer server(options, [&](const Request& req) {
    if (req.target == "/slow") {
      {
        core::MutexLock lock(mu);
        started = true;
      }
      cv.NotifyAll();
      std::this_thread::sleep_for(300ms);
    }
    return Echo(req);
  });

  Client idle(server.port());
  ASSERT_EQ(idle.Get("/warm").status, 200);  // an idle keep-alive connection

  Client::Reply slow;
  std::thread request([&] { slow = Client(server.port()).Get("/slow"); });
  {
    core::MutexLock lock(mu);
    while (!started) cv.Wait(mu);
  }
  std::thread drainer([&] { server.server().Drain(); });
  request.join();
  drainer.join();
  server.Join();

  EXPECT_EQ(slow.status, 200) << "the request in flight must complete";
  EXPECT_EQ(slow.body, "/slow");
  EXPECT_EQ(drains.load(), 1);
  EXPECT_EQ(idle.Get("/after").status, 0) << "idle connections are closed by the drain";
  boost::system::error_code ec;
  asio::io_context ioc;
  tcp::socket late(ioc);
  late.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()), ec);
  EXPECT_TRUE(ec) << "the listener is closed after a drain";
}

TEST_F(ServerTest, ConnectionsBeyondTheLimitGet503) {
  ServerOptions options = TwoByTwo();
  options.max_connections = 2;
  RunningServer server(options, Echo);

  Client a(server.port());
  Client b(server.port());
  ASSERT_EQ(a.Get("/a").status, 200);
  ASSERT_EQ(b.Get("/b").status, 200);
  Client c(server.port());
  auto res = c.Get("/c");
  EXPECT_EQ(res.status, 503);
  // The access record follows the write, so it may trail the client's read.
  auto logged_503 = [&] {
    for (const auto& line : log_->OnChannel("access")) {
      if (line.Field("status") == "503") return true;
    }
    return false;
  };
  EXPECT_TRUE(test_support::Eventually(logged_503));
  EXPECT_EQ(a.Get("/a2").status, 200) << "connections within the limit keep working";
}

}  // namespace
}  // namespace reportshare::http
