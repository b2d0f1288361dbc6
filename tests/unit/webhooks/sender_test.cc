// The sender against real servers over loopback: a small HTTP(S) server in
// this file, on a thread of its own, that records what it received and
// answers with bytes the test chooses (or never answers). The TLS
// certificates are made per suite with the openssl command line.
#include "webhooks/sender.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/mutex.h"
#include "support/capturing_log_sink.h"
#include "support/eventually.h"
#include "support/temp_dir.h"
#include "support/test_certificates.h"
#include "webhooks/address_guard.h"

namespace reportshare::webhooks {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using boost::system::error_code;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kTestTimeout = 300ms;
// How long a test waits for something that should happen at once.
constexpr auto kPatience = 10s;

std::string RawResponse(int status, std::string_view reason, std::string_view extra = "") {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n" +
         std::string(extra) + "Content-Length: 2\r\nConnection: close\r\n\r\nok";
}

// One request as the server parsed it.
struct SeenRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // in order, as sent
  std::string body;
  std::string sni;  // the TLS server name the client sent, "" for none or plain HTTP

  // The values of every header called `name` (case-insensitive).
  std::vector<std::string> Values(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [n, v] : headers) {
      if (n.size() == name.size() &&
          std::equal(n.begin(), n.end(), name.begin(), [](unsigned char a, unsigned char b) {
            return std::tolower(a) == std::tolower(b);
          })) {
        out.push_back(v);
      }
    }
    return out;
  }
};

enum class Behaviour {
  kAnswer,  // read one request, write the response, close
  kHang,    // accept, then neither read a request nor answer (nor do TLS)
};

// A server on 127.0.0.1 and a free port, with one thread. With `tls`, it does
// the TLS handshake first (unless it hangs).
class TestServer {
 public:
  explicit TestServer(Behaviour behaviour, std::string response = RawResponse(200, "OK"),
                      ssl::context* tls = nullptr)
      : behaviour_(behaviour),
        response_(std::move(response)),
        tls_(tls),
        acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        port_(acceptor_.local_endpoint().port()) {
    asio::co_spawn(ioc_, Accept(), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~TestServer() {
    ioc_.stop();
    thread_.join();
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  uint16_t port() const { return port_; }

  int connections() const {
    core::MutexLock lock(mu_);
    return connections_;
  }

  std::vector<SeenRequest> requests() const {
    core::MutexLock lock(mu_);
    return requests_;
  }

  // The connections accepted before this call. Connects once more and waits
  // until that connection is counted: the listen queue is first in, first
  // out, so every earlier connection has been counted by then.
  int ConnectionsSoFar() {
    int before = connections();
    asio::io_context ioc;
    tcp::socket probe(ioc);
    error_code ec;
    probe.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_TRUE(test_support::Eventually([&] { return connections() > before; }, kPatience));
    int counted = connections() - 1;
    // The probe is not counted again by the next call.
    core::MutexLock lock(mu_);
    --connections_;
    return counted;
  }

 private:
  awaitable<void> Accept() {
    for (;;) {
      error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
      {
        core::MutexLock lock(mu_);
        ++connections_;
      }
      asio::co_spawn(ioc_, Serve(std::move(socket)), asio::detached);
    }
  }

  awaitable<void> Serve(tcp::socket socket) {
    error_code ec;
    if (behaviour_ == Behaviour::kHang) {
      // Hold the connection until the client gives up.
      char sink[4096];
      for (;;) {
        co_await socket.async_read_some(asio::buffer(sink),
                                        asio::redirect_error(use_awaitable, ec));
        if (ec) co_return;
      }
    }
    if (tls_ == nullptr) {
      co_await Answer(socket, "");
      co_return;
    }
    ssl::stream<tcp::socket> stream(std::move(socket), *tls_);
    co_await stream.async_handshake(ssl::stream_base::server,
                                    asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    const char* sni = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
    co_await Answer(stream, sni ? sni : "");
  }

  template <class Stream>
  awaitable<void> Answer(Stream& stream, std::string sni) {
    boost::beast::flat_buffer buffer;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(8 * 1024 * 1024);
    error_code ec;
    co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    const auto& req = parser.get();
    SeenRequest seen{std::string(req.method_string()),
                     std::string(req.target()),
                     {},
                     req.body(),
                     std::move(sni)};
    for (const auto& field : req) {
      seen.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    {
      core::MutexLock lock(mu_);
      requests_.push_back(std::move(seen));
    }
    co_await asio::async_write(stream, asio::buffer(response_),
                               asio::redirect_error(use_awaitable, ec));
  }

  // Constant after construction.
  const Behaviour behaviour_;
  const std::string response_;
  ssl::context* const tls_;

  asio::io_context ioc_;
  tcp::acceptor acceptor_;  // touched only on the server's thread once running
  const uint16_t port_;

  mutable core::Mutex mu_;
  int connections_ RS_GUARDED_BY(mu_) = 0;
  std::vector<SeenRequest> requests_ RS_GUARDED_BY(mu_);

  std::thread thread_;
};

// Collects the outcomes the sender's callbacks deliver, from its thread.
class Outcomes {
 public:
  // A callback that records its outcome under `tag`.
  std::function<void(Outcome)> Callback(int tag = 0) {
    return [this, tag](Outcome outcome) {
      core::MutexLock lock(mu_);
      got_.emplace_back(tag, std::move(outcome));
      cv_.NotifyAll();
    };
  }

  // Waits until `n` outcomes arrived (at most kPatience) and returns them
  // all, by arrival.
  std::vector<std::pair<int, Outcome>> Wait(size_t n) {
    const auto deadline = Clock::now() + kPatience;
    core::MutexLock lock(mu_);
    while (got_.size() < n && Clock::now() < deadline) cv_.WaitUntil(mu_, deadline);
    return got_;
  }

  size_t count() {
    core::MutexLock lock(mu_);
    return got_.size();
  }

 private:
  core::Mutex mu_;
  core::CondVar cv_;
  std::vector<std::pair<int, Outcome>> got_ RS_GUARDED_BY(mu_);
};

std::unique_ptr<Sender> MakeSender(SenderOptions options) {
  auto sender = Sender::Create(std::move(options));
  EXPECT_TRUE(sender) << (sender ? "" : sender.error().message());
  return sender ? std::move(*sender) : nullptr;
}

SenderOptions TestOptions(bool allow_private = true) {
  SenderOptions options;
  options.allow_private = allow_private;
  options.timeout = kTestTimeout;
  options.user_agent = "reportshare/test";
  return options;
}

Outgoing Request(std::string_view url_text, std::string body = R"({"type":"webhook.test"})") {
  auto url = ParseWebhookUrl(url_text);
  EXPECT_TRUE(url) << url_text;
  Outgoing out;
  if (url) out.url = *url;
  out.body = std::move(body);
  return out;
}

std::string LocalUrl(const TestServer& server, std::string_view path = "/hook",
                     std::string_view scheme = "http", std::string_view host = "127.0.0.1") {
  return std::string(scheme) + "://" + std::string(host) + ":" + std::to_string(server.port()) +
         std::string(path);
}

// Posts one request and waits for its outcome.
Outcome Send(Sender& sender, Outgoing request) {
  auto outcomes = std::make_shared<Outcomes>();  // outlives a callback that comes too late
  sender.Post(std::move(request), [outcomes](Outcome o) { outcomes->Callback()(std::move(o)); });
  auto got = outcomes->Wait(1);
  EXPECT_EQ(got.size(), 1u) << "no callback within " << kPatience.count() << " s";
  if (got.empty()) return Outcome{std::nullopt, "(no callback)"};
  return got[0].second;
}

TEST(SenderTest, PostsExactlyWhatItIsGiven) {
  TestServer server(Behaviour::kAnswer, RawResponse(200, "OK"));
  auto sender = MakeSender(TestOptions());
  ASSERT_TRUE(sender);
  Outgoing request = Request(LocalUrl(server, "/in/hook?key=v%20al&x"),
                             R"({"type":"link.viewed","data":{"n":1}})");
  request.headers = {{"webhook-id", "msg_1"},
                     {"webhook-timestamp", "1700000000"},
                     {"webhook-signature", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="}};
  auto outcome = Send(*sender, request);
  EXPECT_TRUE(outcome.ok()) << outcome.error;
  EXPECT_EQ(outcome.status, 200);
  EXPECT_EQ(outcome.error, "");

  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  const SeenRequest& r = seen[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/in/hook?key=v%20al&x");
  EXPECT_EQ(r.Values("Host"),
            std::vector<std::string>{"127.0.0.1:" + std::to_string(server.port())});
  EXPECT_EQ(r.Values("User-Agent"), std::vector<std::string>{"reportshare/test"});
  EXPECT_EQ(r.Values("Content-Type"), std::vector<std::string>{"application/json"});
  EXPECT_EQ(r.Values("Content-Length"),
            std::vector<std::string>{std::to_string(request.body.size())});
  EXPECT_EQ(r.Values("webhook-id"), std::vector<std::string>{"msg_1"});
  EXPECT_EQ(r.Values("webhook-timestamp"), std::vector<std::string>{"1700000000"});
  EXPECT_EQ(r.Values("webhook-signature"),
            std::vector<std::string>{"v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="});
  EXPECT_EQ(r.body, request.body);
  // Nothing else but the connection's own framing.
  for (const auto& [name, value] : r.headers) {
    EXPECT_TRUE(name == "Host" || name == "User-Agent" || name == "Content-Type" ||
                name == "Content-Length" || name == "Connection" || name.rfind("webhook-", 0) == 0)
        << name;
  }
  EXPECT_EQ(server.ConnectionsSoFar(), 1);
}

TEST(SenderTest, SendsALargeBodyWhole) {
  TestServer server(Behaviour::kAnswer, RawResponse(204, "No Content"));
  auto sender = MakeSender(TestOptions());
  ASSERT_TRUE(sender);
  std::string body = "[\"" + std::string(300 * 1024, 'x') + "\"]";
  auto outcome = Send(*sender, Request(LocalUrl(server), body));
  EXPECT_TRUE(outcome.ok()) << outcome.error;
  EXPECT_EQ(outcome.status, 204);
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].body, body);
}

TEST(SenderTest, AGivenUserAgentOrContentTypeReplacesTheDefault) {
  TestServer server(Behaviour::kAnswer);
  auto sender = MakeSender(TestOptions());
  ASSERT_TRUE(sender);
  Outgoing request = Request(LocalUrl(server));
  request.headers = {{"User-Agent", "custom/1"},
                     {"content-type", "application/json; charset=utf-8"}};
  ASSERT_TRUE(Send(*sender, request).ok());
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].Values("user-agent"), std::vector<std::string>{"custom/1"});
  EXPECT_EQ(seen[0].Values("content-type"),
            std::vector<std::string>{"application/json; charset=utf-8"});
}

TEST(SenderTest, AServerErrorIsItsStatus) {
  TestServer server(Behaviour::kAnswer, RawResponse(500, "Internal Server Error"));
  auto sender = MakeSender(TestOptions());
  ASSERT_TRUE(sender);
  auto outcome = Send(*sender, Request(LocalUrl(server)));
  EXPECT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status, 500);
  EXPECT_EQ(outcome.error, "HTTP 500");
}

TEST(SenderTest, GoneAndClientErrorsAreTheirStatus) {
  for (int status : {400, 404, 410, 429}) {
    TestServer server(Behaviour::kAnswer, RawResponse(status, "X"));
    auto sender = MakeSender(TestOptions());
    ASSERT_TRUE(sender);
    auto outcome = Send(*sender, Request(LocalUrl(server)));
    EXPECT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.status, status);
    EXPECT_EQ(outcome.error, "HTTP " + std::to_string(status));
  }
}

TEST(SenderTest, DoesNotFollowARedirect) {
  // The redirect points back at the same server: following it would show.
  TestServer server(Behaviour::kAnswer, "");
  TestServer redirecting(
      Behaviour::kAnswer,
      RawResponse(302, "Found", "Location: " + LocalUrl(server, "/next") + "\r\n"));
  auto sender = MakeSender(TestOptions());
  ASSERT_TRUE(sender);
  auto outcome = Send(*sender, Request(LocalUrl(redirecting)));
  EXPECT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status, 302);
  EXPECT_EQ(outcome.error, "redirect not followed (HTTP 302)");
  EXPECT_EQ(redirecting.requests().size(), 1u);
  EXPECT_EQ(server.ConnectionsSoFar(), 0);
  EXPECT_EQ(redirecting.ConnectionsSoFar(), 1);
}

TEST(SenderTest, EveryRedirectStatusIsAFailure) {
  for (int status : {301, 303, 307, 308, 304}) {
    TestServer server(Behaviour::kAnswer, RawResponse(status, "R", "Location: /x\r\n"));
    auto sender = MakeSender(TestOptions());
    ASSERT_TRUE(sender);
    auto outcome = Send(*sender, Request(LocalUrl(server)));
    EXPECT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.status, status);
    EXPECT_EQ(outcome.error, "redirect not followed (HTTP " + std::to_string(status) + ")");
    EXPECT_EQ(server.requests().size(), 1u);
  }
}

TEST(SenderTest, SkipsInterimResponses) {
  TestServer server(Behaviour::kAnswer,
                    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" +
                        RawResponse(202, "Accepted"));
  auto sender = MakeSender(TestOptions());
  ASSERT_TRUE(sender);
  auto outcome = Send(*sender, Request(LocalUrl(server)));
  EXPECT_TRUE(outcome.ok()) << outcome.error;
  EXPECT_EQ(outcome.status, 202);
}

TEST(SenderTest, ASwitchingProtocolsAnswerIsAFailure) {
  TestServer server(Behaviour::kAnswer, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n");
  auto sender = MakeSender(TestOptions());
  ASSERT_TRUE(sender);
  auto outcome = Send(*sender, Request(LocalUrl(server)));
  EXPECT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status, 101);
  EXPECT_EQ(outcome.error, "HTTP 101");
}

TEST(SenderTest, ReadsOnlyTheHeadOfTheResponse) {
  // The body is announced as 1 GB and never sent: the outcome is the head's.
  TestServer server(Behaviour::kAnswer,
                    "HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\npartial");
  auto sender = MakeSender(TestOptions());
  ASSERT_TRUE(sender);
  auto outcome = Send(*sender, Request(LocalUrl(server)));
  EXPECT_TRUE(outcome.ok()) << outcome.error;
}

TEST(SenderTest, RefusesAnOversizedResponseHead) {
  std::string big =
      "HTTP/1.1 200 OK\r\nX-Big: " + std::string(17 * 1024, 'a') + "\r\nContent-Length: 0\r\n\r\n";
  TestServer server(Behaviour::kAnswer, big);
  auto sender = MakeSender(TestOptions());
  ASSERT_TRUE(sender);
  auto outcome = Send(*sender, Request(LocalUrl(server)));
  EXPECT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status, std::nullopt);
  EXPECT_EQ(outcome.error, "response header too large");
}

TEST(SenderTest, TakesAResponseHeadJustUnderTheLimit) {
  std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Big: ";
  head += std::string(16 * 1024 - head.size() - 4 - 100, 'a') + "\r\n\r\n";
  TestServer server(Behaviour::kAnswer, head);
  auto sender = MakeSender(TestOptions());
  ASSERT_TRUE(sender);
  auto outcome = Send(*sender, Request(LocalUrl(server)));
  EXPECT_TRUE(outcome.ok()) << outcome.error;
}

TEST(SenderTest, ReportsGarbageAndAnEarlyClose) {
  {
    TestServer server(Behaviour::kAnswer, "SMTP ready\r\n\r\n");
    auto sender = MakeSender(TestOptions());
    ASSERT_TRUE(sender);
    auto outcome = Send(*sender, Request(LocalUrl(server)));
    EXPECT_EQ(outcome.status, std::nullopt);
    EXPECT_EQ(outcome.error, "invalid HTTP response");
  }
  {
    TestServer server(Behaviour::kAnswer, "");  // reads the request, closes
    auto sender = MakeSender(TestOptions());
    ASSERT_TRUE(sender);
    auto outcome = Send(*sender, Request(LocalUrl(server)));
    EXPECT_EQ(outcome.status, std::nullopt);
    EXPECT_EQ(outcome.error, "connection closed before the response");
  }
  {
    TestServer server(Behaviour::kAnswer, "HTTP/1.1 200 OK\r\nContent-");  // cut in the head
    auto sender = MakeSender(TestOptions());
    ASSERT_TRUE(sender);
    auto outcome = Send(*sender, Request(LocalUrl(server)));
    EXPECT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.status, std::nullopt);
    EXPECT_EQ(outcome.error, "connection closed before the response");
  }
}

TEST(SenderTest, TimesOutOnAServerThatNeverAnswers) {
  TestServer server(Behaviour::kHang);
  auto sender = MakeSender(TestOptions());
  ASSERT_TRUE(sender);
  auto start = Clock::now();
  auto outcome = Send(*sender, Request(LocalUrl(server)));
  auto elapsed = Clock::now() - start;
  EXPECT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status, std::nullopt);
  EXPECT_EQ(outcome.error, "timed out after 300 ms");
  EXPECT_GE(elapsed, kTestTimeout);  // not before the deadline
  EXPECT_LT(elapsed, 5s);
  EXPECT_EQ(server.ConnectionsSoFar(), 1);
}

TEST(SenderTest, SaysTheTimeoutInSecondsWhenWhole) {
  TestServer server(Behaviour::kHang);
  SenderOptions options = TestOptions();
  options.timeout = 1s;
  auto sender = MakeSender(options);
  ASSERT_TRUE(sender);
  auto outcome = Send(*sender, Request(LocalUrl(server)));
  EXPECT_EQ(outcome.error, "timed out after 1 s");
}

TEST(SenderTest, ReportsAConnectionRefused) {
  uint16_t port = 0;
  {
    asio::io_context ioc;
    tcp::acceptor unused(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = unused.local_endpoint().port();
  }  // closed: nothing listens there now
  auto sender = MakeSender(TestOptions());
  ASSERT_TRUE(sender);
  auto outcome = Send(*sender, Request("http://127.0.0.1:" + std::to_string(port) + "/"));
  EXPECT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status, std::nullopt);
  EXPECT_EQ(outcome.error, "connection refused");
}

TEST(SenderTest, RefusesAPrivateAddressWithoutConnecting) {
  TestServer server(Behaviour::kAnswer);
  auto sender = MakeSender(TestOptions(/*allow_private=*/false));
  ASSERT_TRUE(sender);
  for (std::string_view host : {"127.0.0.1", "localhost"}) {
    auto outcome = Send(*sender, Request(LocalUrl(server, "/hook", "http", host)));
    EXPECT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.status, std::nullopt);
    EXPECT_EQ(outcome.error, "address not allowed (private)") << host;
  }
  EXPECT_EQ(server.ConnectionsSoFar(), 0);
  EXPECT_TRUE(server.requests().empty());
}

TEST(SenderTest, ResolvesANameWhenPrivateIsAllowed) {
  TestServer server(Behaviour::kAnswer);
  auto sender = MakeSender(TestOptions());
  ASSERT_TRUE(sender);
  auto outcome = Send(*sender, Request(LocalUrl(server, "/hook", "http", "localhost")));
  EXPECT_TRUE(outcome.ok()) << outcome.error;
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].Values("Host"),
            std::vector<std::string>{"localhost:" + std::to_string(server.port())});
}

TEST(SenderTest, ReportsAHostThatDoesNotResolve) {
  auto sender = MakeSender(TestOptions(/*allow_private=*/false));
  ASSERT_TRUE(sender);
  auto outcome = Send(*sender, Request("https://no-such-host.invalid/hook"));
  EXPECT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status, std::nullopt);
  EXPECT_EQ(outcome.error, "host does not resolve");
}

TEST(SenderTest, RefusesHeadersThatWouldBreakTheMessage) {
  TestServer server(Behaviour::kAnswer);
  auto sender = MakeSender(TestOptions());
  ASSERT_TRUE(sender);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"webhook-id", "a\r\nX-Injected: 1"},
      {"webhook-id", "a\nb"},
      {"bad name", "x"},
      {"", "x"},
      {"x:y", "z"},
      {"Host", "evil.example"},
      {"content-length", "1"},
      {"Transfer-Encoding", "chunked"},
      {"Connection", "keep-alive"},
      {"x", "caf\xc3\xa9"},
      {"x", std::string("a\0b", 3)}};
  for (const auto& header : bad) {
    Outgoing request = Request(LocalUrl(server));
    request.headers = {{"webhook-id", "ok"}, header};
    auto outcome = Send(*sender, request);
    EXPECT_EQ(outcome.status, std::nullopt);
    EXPECT_EQ(outcome.error, "invalid header") << header.first;
  }
  EXPECT_EQ(server.ConnectionsSoFar(), 0);
  // A tab inside a value is fine.
  Outgoing request = Request(LocalUrl(server));
  request.headers = {{"x-note", "a\tb"}};
  EXPECT_TRUE(Send(*sender, request).ok());
}

TEST(SenderTest, ErrorsNeverQuoteTheUrlHeadersOrBody) {
  TestServer hang(Behaviour::kHang);
  TestServer fail(Behaviour::kAnswer, RawResponse(500, "s3cret"));
  auto sender = MakeSender(TestOptions());
  ASSERT_TRUE(sender);
  for (const TestServer* server : {&hang, &fail}) {
    Outgoing request = Request(LocalUrl(*server, "/s3cret?token=s3cret"), R"({"s3cret":1})");
    request.headers = {{"webhook-signature", "v1,s3cret"}};
    auto outcome = Send(*sender, request);
    EXPECT_FALSE(outcome.error.empty());
    EXPECT_EQ(outcome.error.find("s3cret"), std::string::npos) << outcome.error;
  }
}

TEST(SenderTest, CompletesManyConcurrentPostsExactlyOnce) {
  TestServer server(Behaviour::kAnswer);
  SenderOptions options = TestOptions();
  options.timeout = 10s;  // 50 at once on a loaded machine: no timeouts wanted here
  auto sender = MakeSender(options);
  ASSERT_TRUE(sender);
  constexpr int kThreads = 5;
  constexpr int kEach = 10;
  Outcomes outcomes;
  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t) {
    posters.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        int id = t * kEach + i;
        Outgoing request = Request(LocalUrl(server));
        request.headers = {{"webhook-id", "msg_" + std::to_string(id)}};
        sender->Post(std::move(request), outcomes.Callback(id));
      }
    });
  }
  for (auto& p : posters) p.join();
  auto got = outcomes.Wait(kThreads * kEach);
  ASSERT_EQ(got.size(), static_cast<size_t>(kThreads * kEach));
  std::map<int, int> calls;
  for (const auto& [id, outcome] : got) {
    ++calls[id];
    EXPECT_TRUE(outcome.ok()) << id << ": " << outcome.error;
  }
  EXPECT_EQ(calls.size(), static_cast<size_t>(kThreads * kEach));
  for (const auto& [id, n] : calls) EXPECT_EQ(n, 1) << id;
  std::map<std::string, int> ids;
  for (const SeenRequest& r : server.requests()) ++ids[r.Values("webhook-id").at(0)];
  EXPECT_EQ(ids.size(), static_cast<size_t>(kThreads * kEach));
  // No callback comes twice, even later.
  sender.reset();
  EXPECT_EQ(outcomes.count(), static_cast<size_t>(kThreads * kEach));
}

TEST(SenderTest, ACallbackMayPostAgain) {
  TestServer server(Behaviour::kAnswer);
  auto sender = MakeSender(TestOptions());
  ASSERT_TRUE(sender);
  Outcomes outcomes;
  auto second = outcomes.Callback(2);
  sender->Post(Request(LocalUrl(server)), [&, second](Outcome first) {
    outcomes.Callback(1)(std::move(first));
    sender->Post(Request(LocalUrl(server)), second);
  });
  auto got = outcomes.Wait(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, 1);
  EXPECT_EQ(got[1].first, 2);
  EXPECT_TRUE(got[1].second.ok()) << got[1].second.error;
}

TEST(SenderTest, ACallbackThatThrowsIsLoggedAndTheSenderGoesOn) {
  test_support::ScopedLogCapture log;
  TestServer server(Behaviour::kAnswer);
  auto sender = MakeSender(TestOptions());
  ASSERT_TRUE(sender);
  std::atomic<bool> called{false};
  sender->Post(Request(LocalUrl(server)), [&](Outcome) {
    called = true;
    throw std::runtime_error("boom");
  });
  EXPECT_TRUE(test_support::Eventually([&] { return called.load(); }, kPatience));
  auto outcome = Send(*sender, Request(LocalUrl(server)));
  EXPECT_TRUE(outcome.ok()) << outcome.error;
  EXPECT_EQ(log->Matching("webhooks", core::LogLevel::kError, "callback threw").size(), 1u);
}

TEST(SenderTest, DestroyingItCancelsWhatIsInFlightAndCallsNothing) {
  TestServer server(Behaviour::kHang);
  SenderOptions options = TestOptions();
  options.timeout = 30s;
  auto sender = MakeSender(options);
  ASSERT_TRUE(sender);
  constexpr int kInFlight = 10;
  std::atomic<int> calls{0};
  auto token = std::make_shared<int>(0);  // held by every callback
  for (int i = 0; i < kInFlight; ++i) {
    sender->Post(Request(LocalUrl(server)), [&calls, token](Outcome) { ++calls; });
  }
  // And one still resolving a name (it resolves at once here, but may not
  // have by the time the Sender goes).
  sender->Post(Request(LocalUrl(server, "/hook", "http", "localhost")),
               [&calls, token](Outcome) { ++calls; });
  ASSERT_TRUE(
      test_support::Eventually([&] { return server.connections() >= kInFlight; }, kPatience));
  auto start = Clock::now();
  sender.reset();
  EXPECT_LT(Clock::now() - start, 2s);
  EXPECT_EQ(calls.load(), 0);
  // Every callback was destroyed with its attempt, none kept alive.
  EXPECT_EQ(token.use_count(), 1);
}

TEST(SenderTest, CreateRefusesABadTimeout) {
  SenderOptions options;
  options.timeout = 0ms;
  auto sender = Sender::Create(options);
  ASSERT_FALSE(sender);
  EXPECT_EQ(sender.error().code(), Code::kInvalidArgument);
}

TEST(SenderTest, CreateRefusesACaFileThatCannotBeLoaded) {
  test_support::TempDir dir;
  SenderOptions missing;
  missing.ca_file = dir.path() + "/does-not-exist.pem";
  auto sender = Sender::Create(missing);
  ASSERT_FALSE(sender);
  EXPECT_EQ(sender.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(sender.error().message(), "--webhook-ca-file: no such file");

  SenderOptions garbage;
  garbage.ca_file = dir.path() + "/garbage.pem";
  std::ofstream(garbage.ca_file) << "this is not a certificate\n";
  sender = Sender::Create(garbage);
  ASSERT_FALSE(sender);
  EXPECT_EQ(sender.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(sender.error().message().rfind("--webhook-ca-file: cannot load CA certificates", 0), 0u)
      << sender.error().message();

  SenderOptions directory;
  directory.ca_file = dir.path();
  EXPECT_FALSE(Sender::Create(directory));
}

// The test CA and its server certificates (support/test_certificates.h),
// made once for the suite.
class SenderTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test_support::TempDir("rs_webhook_tls_");
    made_ = test_support::MakeTestCertificates(dir_->path());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(made_) << "openssl failed; see " << dir_->path() << "/openssl.log";
  }

  static std::string Path(const std::string& name) { return dir_->path() + "/" + name; }

  // A server context presenting `name`.pem.
  static std::unique_ptr<ssl::context> ServerContext(const std::string& name) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    ctx->use_certificate_chain_file(Path(name + ".pem"));
    ctx->use_private_key_file(Path(name + ".key"), ssl::context::pem);
    return ctx;
  }

  static SenderOptions WithCa() {
    SenderOptions options = TestOptions();
    options.ca_file = Path("ca.pem");
    return options;
  }

  static test_support::TempDir* dir_;
  static bool made_;
};

test_support::TempDir* SenderTlsTest::dir_ = nullptr;
bool SenderTlsTest::made_ = false;

TEST_F(SenderTlsTest, DeliversOverHttpsWithTheCaFile) {
  auto tls = ServerContext("good");
  TestServer server(Behaviour::kAnswer, RawResponse(200, "OK"), tls.get());
  auto sender = MakeSender(WithCa());
  ASSERT_TRUE(sender);
  Outgoing request = Request(LocalUrl(server, "/tls?x=1", "https", "localhost"));
  request.headers = {{"webhook-id", "msg_tls"}};
  auto outcome = Send(*sender, request);
  EXPECT_TRUE(outcome.ok()) << outcome.error;
  EXPECT_EQ(outcome.status, 200);
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].target, "/tls?x=1");
  EXPECT_EQ(seen[0].body, request.body);
  EXPECT_EQ(seen[0].Values("webhook-id"), std::vector<std::string>{"msg_tls"});
  EXPECT_EQ(seen[0].Values("Host"),
            std::vector<std::string>{"localhost:" + std::to_string(server.port())});
  EXPECT_EQ(seen[0].sni, "localhost");  // SNI for a DNS name
}

TEST_F(SenderTlsTest, VerifiesAnIpAddressAgainstTheCertificate) {
  auto tls = ServerContext("good");
  TestServer server(Behaviour::kAnswer, RawResponse(200, "OK"), tls.get());
  auto sender = MakeSender(WithCa());
  ASSERT_TRUE(sender);
  auto outcome = Send(*sender, Request(LocalUrl(server, "/hook", "https")));
  EXPECT_TRUE(outcome.ok()) << outcome.error;
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].sni, "");  // no SNI for an IP address
}

TEST_F(SenderTlsTest, FailsVerificationWithoutTheCa) {
  auto tls = ServerContext("good");
  TestServer server(Behaviour::kAnswer, RawResponse(200, "OK"), tls.get());
  auto sender = MakeSender(TestOptions());  // the system store only
  ASSERT_TRUE(sender);
  auto outcome = Send(*sender, Request(LocalUrl(server, "/hook", "https", "localhost")));
  EXPECT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status, std::nullopt);
  EXPECT_EQ(outcome.error,
            "TLS: certificate verify failed (unable to get local issuer certificate)");
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(SenderTlsTest, FailsOnAHostNameMismatch) {
  auto tls = ServerContext("other");
  TestServer server(Behaviour::kAnswer, RawResponse(200, "OK"), tls.get());
  auto sender = MakeSender(WithCa());
  ASSERT_TRUE(sender);
  for (std::string_view host : {"localhost", "127.0.0.1"}) {
    auto outcome = Send(*sender, Request(LocalUrl(server, "/hook", "https", host)));
    EXPECT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.status, std::nullopt);
    EXPECT_EQ(outcome.error, "TLS: certificate does not match the host name") << host;
  }
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(SenderTlsTest, TimesOutOnAServerThatNeverDoesTheHandshake) {
  TestServer server(Behaviour::kHang);
  auto sender = MakeSender(WithCa());
  ASSERT_TRUE(sender);
  auto start = Clock::now();
  auto outcome = Send(*sender, Request(LocalUrl(server, "/hook", "https")));
  EXPECT_EQ(outcome.status, std::nullopt);
  EXPECT_EQ(outcome.error, "timed out after 300 ms");
  EXPECT_GE(Clock::now() - start, kTestTimeout);
  EXPECT_EQ(server.ConnectionsSoFar(), 1);
}

TEST_F(SenderTlsTest, FailsAgainstAPlainHttpServer) {
  TestServer server(Behaviour::kAnswer, RawResponse(200, "OK"));
  auto sender = MakeSender(WithCa());
  ASSERT_TRUE(sender);
  auto outcome = Send(*sender, Request(LocalUrl(server, "/hook", "https")));
  EXPECT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status, std::nullopt);
  EXPECT_EQ(outcome.error, "TLS: connection closed during the handshake");
}

TEST_F(SenderTlsTest, RefusesTlsBelow12) {
  auto tls = ServerContext("good");
  SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(tls->native_handle(), TLS1_1_VERSION);
  SSL_CTX_set_security_level(tls->native_handle(), 0);  // OpenSSL 3 would refuse 1.1 itself
  TestServer server(Behaviour::kAnswer, RawResponse(200, "OK"), tls.get());
  {
    // The server does speak TLS 1.1, to a client that accepts it.
    asio::io_context ioc;
    ssl::context lax(ssl::context::tls_client);
    SSL_CTX_set_security_level(lax.native_handle(), 0);
    SSL_CTX_set_min_proto_version(lax.native_handle(), TLS1_VERSION);
    ssl::stream<tcp::socket> client(ioc, lax);
    client.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
    error_code ec;
    client.handshake(ssl::stream_base::client, ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(SSL_version(client.native_handle()), TLS1_1_VERSION);
  }
  auto sender = MakeSender(WithCa());
  ASSERT_TRUE(sender);
  auto outcome = Send(*sender, Request(LocalUrl(server, "/hook", "https", "localhost")));
  EXPECT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error, "TLS: tlsv1 alert protocol version");
  EXPECT_TRUE(server.requests().empty());
}

}  // namespace
}  // namespace reportshare::webhooks
