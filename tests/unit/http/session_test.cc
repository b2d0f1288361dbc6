#include "http/session.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/buffers_prefix.hpp>
#include <boost/beast/http/read.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/log.h"
#include "core/mutex.h"
#include "http/forwarded.h"
#include "http/responses.h"
#include "support/capturing_log_sink.h"

namespace reportshare::http {
namespace {

using namespace std::chrono_literals;
namespace bhttp = beast::http;
using boost::system::error_code;

// beast::test::stream with what the session needs of a tcp_stream:
// expires_after (an operation pending at the deadline fails with
// beast::error::timeout and closes the stream), a write stall (writes past
// StallWritesAfter(n) bytes never complete, so the write timeout can pass),
// and Beast's fail_count for reads and for writes apart. It records whether
// anything was written after an injected failure. One operation at a time,
// as the session does.
class TestStream {
 public:
  using executor_type = beast::test::stream::executor_type;

  // `any_io`, when set, fails the inner stream's n-th operation of any kind.
  explicit TestStream(net::io_context& ioc, beast::test::fail_count* any_io = nullptr)
      : inner_(any_io ? beast::test::stream(ioc, *any_io) : beast::test::stream(ioc)),
        deadline_timer_(ioc),
        stall_timer_(ioc, std::chrono::steady_clock::time_point::max()) {}

  executor_type get_executor() noexcept { return inner_.get_executor(); }
  beast::test::stream& inner() { return inner_; }

  void expires_after(std::chrono::steady_clock::duration d) {
    deadline_ = std::chrono::steady_clock::now() + d;
  }
  void FailReads(beast::test::fail_count* fc) { read_fc_ = fc; }
  void FailWrites(beast::test::fail_count* fc) { write_fc_ = fc; }
  void StallWritesAfter(size_t bytes) { stall_after_ = bytes; }

  bool failed() const { return failed_; }  // a failure was injected
  bool wrote_after_failure() const { return wrote_after_failure_; }
  bool closed() const { return closed_; }

  template <class Buffers, class Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    return net::async_compose<Token, void(error_code, size_t)>(Op<Buffers, true>{*this, buffers},
                                                               token, inner_);
  }
  template <class Buffers, class Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    return net::async_compose<Token, void(error_code, size_t)>(Op<Buffers, false>{*this, buffers},
                                                               token, inner_);
  }

  // test::stream has no half-close; closing it tells the peer end-of-stream
  // and still lets this end read what was already sent.
  friend void ShutdownSend(TestStream& s) { s.inner_.close(); }
  friend void CloseStream(TestStream& s) { s.Close(); }
  friend std::string PeerAddress(TestStream&) { return "192.0.2.7"; }

 private:
  template <class Buffers, bool kRead>
  struct Op {
    TestStream& s;
    Buffers buffers;
    enum class Step { kStart, kIo, kRefused } step = Step::kStart;

    template <class Self>
    void operator()(Self& self, error_code ec = {}, size_t n = 0) {
      switch (step) {
        case Step::kStart: {
          if (error_code refused = s.Admit(kRead)) {
            step = Step::kRefused;
            net::post(s.inner_.get_executor(),
                      beast::bind_front_handler(std::move(self), refused, size_t{0}));
            return;
          }
          step = Step::kIo;
          s.ArmDeadline();
          if constexpr (kRead) {
            s.inner_.async_read_some(buffers, std::move(self));
          } else if (s.written_ >= s.stall_after_) {
            s.stall_timer_.async_wait(std::move(self));  // until a timeout or a close
          } else {
            s.inner_.async_write_some(beast::buffers_prefix(s.stall_after_ - s.written_, buffers),
                                      std::move(self));
          }
          return;
        }
        case Step::kIo:
          ec = s.Disarm(ec);
          if (!kRead) s.written_ += n;
          self.complete(ec, n);
          return;
        case Step::kRefused:
          self.complete(ec, n);
          return;
      }
    }
  };

  error_code Admit(bool read) {
    if (pending_) throw std::logic_error("TestStream: overlapping operations");
    if (!read && failed_) wrote_after_failure_ = true;
    error_code ec;
    if (closed_) {
      ec = net::error::bad_descriptor;
    } else if (beast::test::fail_count* fc = read ? read_fc_ : write_fc_; fc && fc->fail(ec)) {
      failed_ = true;
    }
    return ec;
  }

  void ArmDeadline() {
    pending_ = true;
    uint64_t tick = ++tick_;
    if (!deadline_) return;
    deadline_timer_.expires_at(*deadline_);
    deadline_timer_.async_wait([this, tick](error_code ec) {
      if (ec || tick != tick_ || !pending_) return;
      timed_out_ = true;
      Close();  // as tcp_stream does: the pending operation fails
    });
  }

  error_code Disarm(error_code ec) {
    pending_ = false;
    ++tick_;
    deadline_timer_.cancel();
    if (timed_out_) ec = beast::error::timeout;
    timed_out_ = false;
    if (ec == beast::test::error::test_failure) failed_ = true;
    return ec;
  }

  void Close() {
    closed_ = true;
    inner_.close();
    deadline_timer_.cancel();
    stall_timer_.cancel();
  }

  beast::test::stream inner_;
  net::steady_timer deadline_timer_;
  net::steady_timer stall_timer_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  beast::test::fail_count* read_fc_ = nullptr;
  beast::test::fail_count* write_fc_ = nullptr;
  size_t stall_after_ = SIZE_MAX;
  size_t written_ = 0;
  uint64_t tick_ = 0;
  bool pending_ = false;
  bool timed_out_ = false;
  bool closed_ = false;
  bool failed_ = false;
  bool wrote_after_failure_ = false;
};

// One connection: the session's end (`server`) and the test's (`client`),
// on an io_context of their own.
struct TestConnection {
  explicit TestConnection(beast::test::fail_count* any_io = nullptr) : server(ioc, any_io) {
    server.inner().connect(client);
  }

  void Send(std::string_view bytes) { net::write(client, net::buffer(bytes.data(), bytes.size())); }

  void Start(const SessionContext& ctx) {
    net::co_spawn(ioc, ServeConnection(server, ctx, state), [this](std::exception_ptr e) {
      ended = true;
      error = e;
    });
  }

  // Runs until the session has ended and nothing is left pending (no timer,
  // no operation). False if that takes longer than `limit`.
  bool RunToEnd(std::chrono::milliseconds limit = 10s) {
    ioc.restart();
    ioc.run_for(limit);
    return ended && !error && ioc.stopped();
  }

  // Runs what is ready now, without waiting.
  void Poll() {
    ioc.restart();
    ioc.poll();
  }

  // The bytes the session wrote.
  std::string Received() const { return std::string(client.str()); }

  net::io_context ioc;  // first: outlives the streams
  TestStream server;
  beast::test::stream client{ioc};
  ConnectionState state;
  bool ended = false;
  std::exception_ptr error;
};

// The complete responses in `bytes`, in order (a 100 Continue among them).
std::vector<bhttp::response<bhttp::string_body>> ParseResponses(std::string_view bytes) {
  net::io_context ioc;
  beast::test::stream in(ioc, bytes);
  in.close_remote();
  beast::flat_buffer buffer;
  std::vector<bhttp::response<bhttp::string_body>> out;
  for (;;) {
    bhttp::response<bhttp::string_body> res;
    error_code ec;
    bhttp::read(in, buffer, res, ec);
    if (ec) return out;
    out.push_back(std::move(res));
  }
}

constexpr std::string_view kGet = "GET /a HTTP/1.1\r\nHost: t\r\n\r\n";
constexpr std::string_view kGetClose = "GET /a HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
constexpr std::string_view kChunkedPost =
    "POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
constexpr std::string_view kContentLengthPost =
    "POST /l HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nbody";

class SessionTest : public ::testing::Test {
 protected:
  SessionTest() {
    // Long enough never to pass in a test that does not wait for them, short
    // enough that a broken test fails quickly.
    options.header_timeout = 3s;
    options.idle_timeout = 3s;
    options.body_timeout = 3s;
    options.write_timeout = 3s;
  }

  // Echoes the request; 413 for a body over the limit, as the router does.
  Response Handle(const Request& req) {
    {
      core::MutexLock lock(mu_);
      seen_.push_back(req);
    }
    if (req.target == "/throw") throw std::runtime_error("boom");
    Response res;
    if (req.body_too_large) {
      res = ErrorResponse(
          Status::PayloadTooLarge("body over " + std::to_string(req.body_limit) + " bytes"));
    } else {
      res.SetHeader("Content-Type", "text/plain");
      res.body = req.method + " " + req.target + " " + req.body + " " + req.remote_address;
      for (const Header& h : extra_headers) res.headers.push_back(h);
    }
    res.route = "echo";
    if (on_handle) on_handle();
    return res;
  }

  std::vector<Request> Seen() const {
    core::MutexLock lock(mu_);
    return seen_;
  }

  // Serves `input`, then end-of-stream from the client; returns the responses.
  std::vector<bhttp::response<bhttp::string_body>> Serve(std::string_view input,
                                                         TestConnection& c) {
    c.Send(input);
    c.client.close();
    c.Start(ctx);
    EXPECT_TRUE(c.RunToEnd());
    EXPECT_TRUE(c.server.closed());
    return ParseResponses(c.Received());
  }

  // Runs one session over `input` with the n-th read (or write, or I/O of
  // any kind) failing, for every n until every operation succeeds: the
  // session must end cleanly each time, and write nothing after a failure.
  enum class Failing { kReads, kWrites, kAnyIo };
  void FailEveryNth(Failing which) {
    const std::string input = std::string(kChunkedPost) + "POST /l HTTP/1.1\r\nHost: t\r\n" +
                              "Expect: 100-continue\r\nContent-Length: 4\r\n\r\nbody";
    for (size_t n = 1;; ++n) {
      ASSERT_LT(n, 100u) << "the exchange never succeeded";
      {
        core::MutexLock lock(mu_);
        seen_.clear();
      }
      beast::test::fail_count fc(n);
      TestConnection c(which == Failing::kAnyIo ? &fc : nullptr);
      if (which == Failing::kReads) c.server.FailReads(&fc);
      if (which == Failing::kWrites) c.server.FailWrites(&fc);
      // Small pieces, so that every step does I/O of its own.
      c.server.inner().read_size(7);
      c.server.inner().write_size(40);
      c.Send(input);
      c.client.close();
      c.Start(ctx);
      ASSERT_TRUE(c.RunToEnd()) << "n=" << n;
      EXPECT_TRUE(c.server.closed()) << "n=" << n;
      EXPECT_FALSE(c.server.wrote_after_failure()) << "n=" << n;
      auto responses = ParseResponses(c.Received());
      size_t finals = 0;
      for (const auto& r : responses) {
        if (r.result_int() != 100) {
          EXPECT_EQ(r.result_int(), 200) << "n=" << n;
          ++finals;
        }
      }
      EXPECT_LE(finals, Seen().size()) << "n=" << n;
      if (!c.server.failed()) {
        EXPECT_EQ(finals, 2u);
        RecordProperty("operations", static_cast<int>(n - 1));
        EXPECT_GT(n, 2u);  // there were failures to inject
        return;
      }
    }
  }

  test_support::ScopedLogCapture sink;
  ServerOptions options;
  std::atomic<bool> draining{false};
  std::vector<Header> extra_headers;
  std::function<void()> on_handle;
  Handler handler = [this](const Request& req) { return Handle(req); };
  SessionContext ctx{options, handler, {}, draining};

 private:
  mutable core::Mutex mu_;
  std::vector<Request> seen_ RS_GUARDED_BY(mu_);
};

using SessionProxyTest = SessionTest;

TEST_F(SessionTest, ServesARequestAndLogsItsAccessRecord) {
  TestConnection c;
  auto responses = Serve(kGetClose, c);
  ASSERT_EQ(responses.size(), 1u);
  const auto& res = responses[0];
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "GET /a  192.0.2.7");
  EXPECT_FALSE(res.keep_alive());
  std::string request_id(res["X-Request-Id"]);
  EXPECT_EQ(request_id.size(), 16u);

  auto access = sink->OnChannel("access");
  ASSERT_EQ(access.size(), 1u);
  EXPECT_EQ(access[0].level, core::LogLevel::kInfo);
  EXPECT_EQ(access[0].Field("request_id").value_or(""), request_id);
  EXPECT_EQ(access[0].Field("method").value_or(""), "GET");
  EXPECT_EQ(access[0].Field("route").value_or(""), "echo");
  EXPECT_EQ(access[0].Field("status").value_or(""), "200");
  EXPECT_EQ(access[0].Field("bytes").value_or(""), std::to_string(res.body().size()));
  EXPECT_GE(std::stod(access[0].Field("duration_ms").value_or("")), 0);
  EXPECT_FALSE(access[0].Field("target"));  // the raw path may hold a token
  EXPECT_TRUE(sink->OnChannel("server").empty());
}

// The client behind a trusted proxy is the request's remote_address; from a
// peer that is not trusted the forwarding headers change nothing.
TEST_F(SessionProxyTest, TrustedPeersForwardingHeadersNameTheClient) {
  constexpr std::string_view kForwarded =
      "GET /a HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 198.51.100.1, 203.0.113.9\r\n"
      "Connection: close\r\n\r\n";
  {
    TestConnection c;
    auto responses = Serve(kForwarded, c);
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].body(), "GET /a  192.0.2.7");  // trusting nobody: the peer
  }
  options.trusted_proxies = *ParseIpRanges("192.0.2.0/24");
  {
    TestConnection c;
    auto responses = Serve(kForwarded, c);
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].body(), "GET /a  203.0.113.9");
  }
  options.trusted_proxies = *ParseIpRanges("198.51.100.0/24");  // not the peer
  {
    TestConnection c;
    auto responses = Serve(kForwarded, c);
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].body(), "GET /a  192.0.2.7");
  }
  options.trusted_proxies = *ParseIpRanges("192.0.2.0/24");
  {
    TestConnection c;  // malformed from a trusted peer: the peer, and the request is served
    auto responses = Serve(
        "GET /a HTTP/1.1\r\nHost: t\r\nForwarded: for=\"[bad\r\nConnection: close\r\n\r\n", c);
    ASSERT_EQ(responses.size(), 1u);
    EXPECT_EQ(responses[0].result_int(), 200);
    EXPECT_EQ(responses[0].body(), "GET /a  192.0.2.7");
  }
}

TEST_F(SessionTest, OnResponseSeesEveryResponse) {
  std::vector<int> statuses;
  options.on_response = [&](const Response& res, double seconds) {
    statuses.push_back(res.status);
    EXPECT_GE(seconds, 0);
  };
  TestConnection c;
  Serve(std::string(kGet) + std::string(kGetClose), c);
  EXPECT_EQ(statuses, (std::vector<int>{200, 200}));
}

TEST_F(SessionTest, HeadGetsTheHeadersOfGetAndNoBody) {
  TestConnection c;
  c.Send("HEAD /a HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  c.client.close();
  c.Start(ctx);
  ASSERT_TRUE(c.RunToEnd());
  std::string out = c.Received();
  EXPECT_NE(out.find("Content-Length: 18\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n") << out;
  auto access = sink->OnChannel("access");
  ASSERT_EQ(access.size(), 1u);
  EXPECT_EQ(access[0].Field("method").value_or(""), "HEAD");
  EXPECT_EQ(access[0].Field("bytes").value_or(""), "0");
}

TEST_F(SessionTest, KeepAliveServesPipelinedRequestsInTurn) {
  TestConnection c;
  auto responses = Serve(std::string(kGet) + std::string(kContentLengthPost), c);
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_TRUE(responses[0].keep_alive());
  EXPECT_EQ(responses[0].body(), "GET /a  192.0.2.7");
  EXPECT_TRUE(responses[1].keep_alive());
  EXPECT_EQ(responses[1].body(), "POST /l body 192.0.2.7");
  EXPECT_NE(responses[0]["X-Request-Id"], responses[1]["X-Request-Id"]);
  EXPECT_EQ(sink->OnChannel("access").size(), 2u);
}

TEST_F(SessionTest, ConnectionCloseEndsTheSessionAfterItsResponse) {
  TestConnection c;
  auto responses = Serve(std::string(kGetClose) + std::string(kGet), c);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_FALSE(responses[0].keep_alive());
  EXPECT_EQ(Seen().size(), 1u);
}

TEST_F(SessionTest, Http10ClosesUnlessAskedToKeepAlive) {
  TestConnection c;
  auto responses = Serve("GET /a HTTP/1.0\r\n\r\nGET /b HTTP/1.0\r\n\r\n", c);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_FALSE(responses[0].keep_alive());
}

TEST_F(SessionTest, Http10WithTransferEncodingIsAnsweredThenClosed) {
  // RFC 9112 §6.1: the framing is faulty even with keep-alive; the second
  // request on the connection must never be answered.
  TestConnection c;
  auto responses = Serve(
      "GET /a HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\n",
      c);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].result_int(), 200);
  EXPECT_FALSE(responses[0].keep_alive());
  ASSERT_EQ(Seen().size(), 1u);
  EXPECT_EQ(Seen()[0].target, "/a");
}

TEST_F(SessionTest, Http10KeepAliveWithoutTransferEncodingStaysOpen) {
  TestConnection c;
  auto responses = Serve(
      "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n"
      "Connection: close\r\n\r\n",
      c);
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_TRUE(responses[0].keep_alive());
  ASSERT_EQ(Seen().size(), 2u);
  EXPECT_EQ(Seen()[1].target, "/b");
}

TEST_F(SessionTest, HeaderOverTheLimitIs431WithTheConfiguredLimit) {
  options.header_limit = 1024;
  TestConnection c;
  auto responses =
      Serve("GET /a HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(2000, 'x') + "\r\n\r\n", c);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].result_int(), 431);
  EXPECT_NE(responses[0].body().find("request header is larger than 1024 bytes"), std::string::npos)
      << responses[0].body();
  EXPECT_FALSE(responses[0].keep_alive());
  EXPECT_TRUE(Seen().empty());
  auto access = sink->OnChannel("access");
  ASSERT_EQ(access.size(), 1u);
  EXPECT_EQ(access[0].Field("method").value_or(""), "-");
  EXPECT_EQ(access[0].Field("status").value_or(""), "431");
}

TEST_F(SessionTest, LimitMessagesKeepTheirTextsForTheDefaults) {
  EXPECT_EQ(HeaderTooLargeMessage(ServerOptions{}.header_limit),
            "request header is larger than 16384 bytes");
  EXPECT_EQ(ServerOptions{}.body_limit, 65536u);
  EXPECT_EQ(Request{}.body_limit, 65536u);
}

TEST_F(SessionTest, ContentLengthOverTheLimitIsNotRead) {
  options.body_limit = 100;
  TestConnection c;
  // The body is never sent: the answer must not wait for it.
  auto responses = Serve("POST /l HTTP/1.1\r\nHost: t\r\nContent-Length: 101\r\n\r\n", c);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].result_int(), 413);
  EXPECT_NE(responses[0].body().find("body over 100 bytes"), std::string::npos);
  EXPECT_FALSE(responses[0].keep_alive());
  ASSERT_EQ(Seen().size(), 1u);
  EXPECT_TRUE(Seen()[0].body_too_large);
  EXPECT_EQ(Seen()[0].body_limit, 100u);
}

TEST_F(SessionTest, BodyAtTheLimitIsRead) {
  options.body_limit = 4;
  TestConnection c;
  auto responses = Serve(kContentLengthPost, c);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].result_int(), 200);
  EXPECT_EQ(responses[0].body(), "POST /l body 192.0.2.7");
}

TEST_F(SessionTest, ChunkedBodyOverTheLimitIs413AndCloses) {
  options.body_limit = 10;  // the chunks add up to 11
  TestConnection c;
  auto responses = Serve(std::string(kChunkedPost) + std::string(kGet), c);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].result_int(), 413);
  EXPECT_FALSE(responses[0].keep_alive());
  ASSERT_EQ(Seen().size(), 1u);
  EXPECT_TRUE(Seen()[0].body_too_large);
  EXPECT_TRUE(Seen()[0].body.empty());
}

TEST_F(SessionTest, ChunkedBodyWithinTheLimitIsDecoded) {
  TestConnection c;
  auto responses = Serve(kChunkedPost, c);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].body(), "POST /c hello world 192.0.2.7");
}

TEST_F(SessionTest, ExpectContinueIsAnsweredBeforeTheBodyIsRead) {
  TestConnection c;
  c.Send("POST /l HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  c.Start(ctx);
  for (int i = 0; i < 100 && c.Received().empty(); ++i) c.Poll();
  EXPECT_EQ(c.Received(), "HTTP/1.1 100 Continue\r\n\r\n");
  EXPECT_TRUE(Seen().empty());
  c.Send("body");
  c.client.close();
  ASSERT_TRUE(c.RunToEnd());
  auto responses = ParseResponses(c.Received());
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_EQ(responses[0].result_int(), 100);
  EXPECT_EQ(responses[1].result_int(), 200);
  EXPECT_EQ(responses[1].body(), "POST /l body 192.0.2.7");
}

TEST_F(SessionTest, ExpectContinueWithABodyOverTheLimitGets413Only) {
  options.body_limit = 3;
  TestConnection c;
  auto responses =
      Serve("POST /l HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n", c);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].result_int(), 413);
}

TEST_F(SessionTest, UnsupportedTransferCodingIs400) {
  TestConnection c;
  auto responses = Serve("POST /l HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\nxxxx", c);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].result_int(), 400);
  EXPECT_NE(responses[0].body().find("unsupported Transfer-Encoding"), std::string::npos);
  EXPECT_TRUE(Seen().empty());
}

TEST_F(SessionTest, MalformedRequestIs400) {
  TestConnection c;
  auto responses = Serve("GET /a HTTP/1.1\r\nHost t\r\n\r\n", c);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].result_int(), 400);
  EXPECT_NE(responses[0].body().find("malformed HTTP request"), std::string::npos);
}

TEST_F(SessionTest, MalformedChunkIs400) {
  TestConnection c;
  auto responses =
      Serve("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n", c);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].result_int(), 400);
  EXPECT_NE(responses[0].body().find("malformed HTTP request body"), std::string::npos);
}

TEST_F(SessionTest, ClientClosingMidBodyGetsNoAnswer) {
  TestConnection c;
  auto responses = Serve("POST /l HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc", c);
  EXPECT_TRUE(responses.empty());
  EXPECT_TRUE(c.Received().empty());
  EXPECT_TRUE(Seen().empty());
}

// The timeouts: each session below ends on its own, after the timeout and
// long before the others (3 s).
class SessionTimeoutTest : public SessionTest {
 protected:
  // Runs `c` to its end, which must come after `timeout` and long before
  // the other timeouts.
  void ExpectEndsAfter(TestConnection& c, std::chrono::milliseconds timeout) {
    auto start = std::chrono::steady_clock::now();
    c.Start(ctx);
    EXPECT_TRUE(c.RunToEnd());
    EXPECT_TRUE(c.server.closed());
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_GE(took, timeout);
    EXPECT_LT(took, 2s);
  }
};

TEST_F(SessionTimeoutTest, SilentClientIsCutOffAfterTheHeaderTimeout) {
  options.header_timeout = 30ms;
  TestConnection c;
  ExpectEndsAfter(c, 30ms);
  EXPECT_TRUE(c.Received().empty());
  EXPECT_TRUE(sink->OnChannel("access").empty());
}

TEST_F(SessionTimeoutTest, SlowHeaderIsCutOffAfterTheHeaderTimeout) {
  options.header_timeout = 30ms;
  TestConnection c;
  c.Send("GET /a HTTP/1.1\r\nHost: t\r\n");  // never finished
  ExpectEndsAfter(c, 30ms);
  EXPECT_TRUE(c.Received().empty());
  EXPECT_TRUE(Seen().empty());
}

TEST_F(SessionTimeoutTest, IdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
  options.idle_timeout = 30ms;
  TestConnection c;
  c.Send(kGet);
  ExpectEndsAfter(c, 30ms);
  auto responses = ParseResponses(c.Received());
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_TRUE(responses[0].keep_alive());
}

TEST_F(SessionTimeoutTest, SlowBodyIsCutOffAfterTheBodyTimeout) {
  options.body_timeout = 30ms;
  TestConnection c;
  c.Send("POST /l HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
  ExpectEndsAfter(c, 30ms);
  EXPECT_TRUE(c.Received().empty());
  EXPECT_TRUE(Seen().empty());
}

TEST_F(SessionTimeoutTest, StalledWriteIsCutOffAfterTheWriteTimeout) {
  options.write_timeout = 30ms;
  TestConnection c;
  c.server.StallWritesAfter(10);
  c.Send(kGet);
  ExpectEndsAfter(c, 30ms);
  EXPECT_EQ(c.Received(), "HTTP/1.1 2");  // nothing after the stall
}

TEST_F(SessionTimeoutTest, WriteTimeoutAppliesToTheResponseNotTheRead) {
  // A body slower than the write timeout but within the body timeout.
  options.write_timeout = 50ms;
  options.body_timeout = 3s;
  TestConnection c;
  c.Send("POST /l HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nbo");
  c.Start(ctx);
  c.ioc.run_for(100ms);
  c.Send("dy");
  c.client.close();
  ASSERT_TRUE(c.RunToEnd());
  auto responses = ParseResponses(c.Received());
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].body(), "POST /l body 192.0.2.7");
}

TEST_F(SessionTest, FailureAtEveryReadEndsTheSessionCleanly) { FailEveryNth(Failing::kReads); }

TEST_F(SessionTest, FailureAtEveryWriteEndsTheSessionCleanly) { FailEveryNth(Failing::kWrites); }

TEST_F(SessionTest, FailureAtEveryOperationEndsTheSessionCleanly) { FailEveryNth(Failing::kAnyIo); }

TEST_F(SessionTest, HandlerExceptionIs500WithAnErrorRecord) {
  TestConnection c;
  auto responses = Serve("GET /throw HTTP/1.1\r\nHost: t\r\n\r\n" + std::string(kGet), c);
  ASSERT_EQ(responses.size(), 2u);  // the connection survives
  EXPECT_EQ(responses[0].result_int(), 500);
  EXPECT_EQ(responses[0].body().find("boom"), std::string::npos);  // not shown to the client
  EXPECT_EQ(responses[1].result_int(), 200);
  auto errors = sink->OnChannel("server");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].level, core::LogLevel::kError);
  EXPECT_EQ(errors[0].message, "unhandled exception");
  EXPECT_EQ(errors[0].Field("error").value_or(""), "boom");
  EXPECT_EQ(errors[0].Field("request_id").value_or(""), std::string(responses[0]["X-Request-Id"]));
  auto access = sink->OnChannel("access");
  ASSERT_EQ(access.size(), 2u);
  EXPECT_EQ(access[0].Field("route").value_or(""), "error");
  EXPECT_EQ(access[0].Field("status").value_or(""), "500");
}

TEST_F(SessionTest, ExceptionInTheSessionIsLoggedAndTheConnectionClosed) {
  // Beast refuses a header name this long by throwing.
  extra_headers.push_back({std::string(70000, 'x'), "v"});
  TestConnection c;
  auto responses = Serve(kGet, c);
  EXPECT_TRUE(responses.empty());
  auto errors = sink->OnChannel("server");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "connection dropped");
}

TEST_F(SessionTest, DrainStartedDuringARequestAnswersItWithClose) {
  on_handle = [this] { draining = true; };
  TestConnection c;
  auto responses = Serve(std::string(kGet) + std::string(kGet), c);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_FALSE(responses[0].keep_alive());
  EXPECT_EQ(Seen().size(), 1u);
}

TEST_F(SessionTest, DrainingSessionReadsNothing) {
  draining = true;
  TestConnection c;
  auto responses = Serve(kGet, c);
  EXPECT_TRUE(responses.empty());
  EXPECT_TRUE(Seen().empty());
}

TEST_F(SessionTest, HandlersRunOnTheWorkersUnlessInline) {
  net::io_context workers;
  auto guard = net::make_work_guard(workers);
  std::thread worker([&] { workers.run(); });
  std::vector<std::thread::id> threads;
  on_handle = [&] { threads.push_back(std::this_thread::get_id()); };
  options.run_inline = [](const Request& req) { return req.target == "/inline"; };
  SessionContext with_workers{options, handler, workers.get_executor(), draining};
  TestConnection c;
  c.Send(std::string(kGet) + "GET /inline HTTP/1.1\r\nHost: t\r\n\r\n");
  c.client.close();
  c.Start(with_workers);
  EXPECT_TRUE(c.RunToEnd());
  auto worker_id = worker.get_id();
  guard.reset();
  worker.join();
  ASSERT_EQ(threads.size(), 2u);
  EXPECT_EQ(threads[0], worker_id);
  EXPECT_EQ(threads[1], std::this_thread::get_id());
  EXPECT_EQ(ParseResponses(c.Received()).size(), 2u);
}

// A streamed body: the chunks given, then the end, recording the thread of
// every call and of its destruction.
class TestSource final : public BodySource {
 public:
  struct Log {
    core::Mutex mu;
    std::vector<std::thread::id> calls RS_GUARDED_BY(mu);
    std::optional<std::thread::id> destroyed_on RS_GUARDED_BY(mu);
    size_t Calls() {
      core::MutexLock lock(mu);
      return calls.size();
    }
  };
  // `endless`: every call yields another chunk of 1000 bytes.
  TestSource(std::vector<std::string> chunks, std::shared_ptr<Log> log, bool endless = false)
      : chunks_(std::move(chunks)), log_(std::move(log)), endless_(endless) {}
  ~TestSource() override {
    core::MutexLock lock(log_->mu);
    log_->destroyed_on = std::this_thread::get_id();
  }
  std::optional<std::string> NextChunk() override {
    {
      core::MutexLock lock(log_->mu);
      log_->calls.push_back(std::this_thread::get_id());
    }
    if (endless_) return std::string(1000, 'x');
    if (next_ == chunks_.size()) return std::nullopt;
    return chunks_[next_++];
  }

 private:
  std::vector<std::string> chunks_;
  size_t next_ = 0;
  std::shared_ptr<Log> log_;
  bool endless_;
};

class SessionStreamTest : public SessionTest {
 protected:
  SessionStreamTest() {
    handler = [this](const Request& req) {
      if (req.target != "/stream") return Handle(req);
      Response res;
      res.SetHeader("Content-Type", "application/zip");
      res.route = "stream";
      res.body_source =
          std::make_shared<TestSource>(std::vector<std::string>{"abc", "", "defg"}, log, endless);
      return res;
    };
  }
  ~SessionStreamTest() override {
    guard.reset();
    if (worker.joinable()) worker.join();
  }

  std::shared_ptr<TestSource::Log> log = std::make_shared<TestSource::Log>();
  bool endless = false;
  net::io_context workers;
  net::executor_work_guard<net::io_context::executor_type> guard = net::make_work_guard(workers);
  std::thread worker{[this] { workers.run(); }};
  SessionContext with_workers{options, handler, workers.get_executor(), draining};
};

TEST_F(SessionStreamTest, BodySourceIsSentChunkedFromTheWorkersThenTheNextRequest) {
  TestConnection c;
  c.Send("POST /stream HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n" + std::string(kGetClose));
  c.client.close();
  c.Start(with_workers);
  ASSERT_TRUE(c.RunToEnd());
  std::string out = c.Received();
  EXPECT_NE(out.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("Content-Length"), out.rfind("Content-Length")) << "only the echo's";
  // The empty chunk is skipped: an empty chunk would end the body.
  EXPECT_NE(out.find("\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n"), std::string::npos) << out;
  auto responses = ParseResponses(out);
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_EQ(responses[0].body(), "abcdefg");
  EXPECT_TRUE(responses[0].keep_alive());
  EXPECT_EQ(responses[1].body(), "GET /a  192.0.2.7");
  {
    core::MutexLock lock(log->mu);
    ASSERT_EQ(log->calls.size(), 4u);
    for (auto id : log->calls) EXPECT_EQ(id, worker.get_id());
    EXPECT_EQ(log->destroyed_on, worker.get_id());
  }
  auto access = sink->OnChannel("access");
  ASSERT_EQ(access.size(), 2u);
  EXPECT_EQ(access[0].Field("route").value_or(""), "stream");
  EXPECT_EQ(access[0].Field("bytes").value_or(""), "7");
}

TEST_F(SessionStreamTest, Http10GetsTheStreamUnchunkedEndedByTheClose) {
  TestConnection c;
  c.Send("POST /stream HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
  c.client.close();
  c.Start(with_workers);
  ASSERT_TRUE(c.RunToEnd());
  EXPECT_TRUE(c.server.closed());
  std::string out = c.Received();
  EXPECT_EQ(out.find("Transfer-Encoding"), std::string::npos) << out;
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.substr(out.size() - 11), "\r\n\r\nabcdefg") << out;
}

TEST_F(SessionStreamTest, HeadOfAStreamedResponseSendsTheHeaderOnly) {
  TestConnection c;
  c.Send("HEAD /stream HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  c.client.close();
  c.Start(with_workers);
  ASSERT_TRUE(c.RunToEnd());
  std::string out = c.Received();
  EXPECT_NE(out.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n") << out;
  EXPECT_EQ(out.find("abc"), std::string::npos);
  EXPECT_EQ(log->Calls(), 0u);
  core::MutexLock lock(log->mu);
  EXPECT_TRUE(log->destroyed_on);
}

TEST_F(SessionStreamTest, ClientGoneMidStreamStopsPullingAndDropsTheSource) {
  endless = true;
  beast::test::fail_count fc(3);  // the header, one chunk, then the write fails
  TestConnection c;
  c.server.FailWrites(&fc);
  c.Send("POST /stream HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  c.Start(with_workers);
  ASSERT_TRUE(c.RunToEnd());
  EXPECT_TRUE(c.server.closed());
  EXPECT_FALSE(c.server.wrote_after_failure());
  EXPECT_EQ(log->Calls(), 2u);
  {
    core::MutexLock lock(log->mu);
    EXPECT_EQ(log->destroyed_on, worker.get_id());
  }
  auto access = sink->OnChannel("access");
  ASSERT_EQ(access.size(), 1u);
  EXPECT_EQ(access[0].Field("bytes").value_or(""), "1000");
}

TEST_F(SessionStreamTest, StalledReaderIsCutOffByTheWriteTimeoutPerChunk) {
  endless = true;
  options.write_timeout = 50ms;
  TestConnection c;
  c.server.StallWritesAfter(5000);
  c.Send("POST /stream HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  c.Start(with_workers);
  auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.RunToEnd());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_TRUE(c.server.closed());
  EXPECT_LE(log->Calls(), 6u);
  core::MutexLock lock(log->mu);
  EXPECT_TRUE(log->destroyed_on);
}

}  // namespace
}  // namespace reportshare::http
