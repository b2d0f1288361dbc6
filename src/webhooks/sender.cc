#include "webhooks/sender.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <exception>
#include <filesystem>
#include <string_view>
#include <thread>

#include "core/log.h"
#include "core/mutex.h"
#include "webhooks/address_guard.h"

namespace reportshare::webhooks {
namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using net::awaitable;
using net::use_awaitable;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

constexpr std::string_view kLogChannel = "webhooks";
// The response head may be at most this long; the body is never read.
constexpr uint32_t kHeaderLimit = 16 * 1024;
// 1xx interim responses (100 Continue, 103 Early Hints) skipped before the
// final one; a server sending more is not worth waiting for.
constexpr int kMaxInterimResponses = 4;

// Lets a resolver thread, which may outlive the Sender, post its result only
// while the I/O context is alive: the Sender clears `ioc` under the lock
// before stopping it.
struct Gate {
  core::Mutex mu;
  net::io_context* ioc RS_GUARDED_BY(mu) = nullptr;
};

// Where one DNS lookup meets its attempt. Owned by the attempt and touched
// only on the I/O thread; the resolver thread holds a weak_ptr and completes
// it by a post, so an attempt that gave up (timed out, or destroyed with the
// Sender) is simply not found.
struct Lookup {
  explicit Lookup(const net::any_io_executor& executor) : wake(executor) {}
  net::steady_timer wake;  // expires at the deadline, cancelled by the result
  std::optional<Result<std::vector<std::string>>> result;
};

Outcome Failure(std::string error) { return Outcome{std::nullopt, std::move(error)}; }

Outcome FromStatus(int status) {
  if (status >= 200 && status < 300) return Outcome{status, ""};
  std::string code = "HTTP " + std::to_string(status);
  if (status >= 300 && status < 400) return Outcome{status, "redirect not followed (" + code + ")"};
  return Outcome{status, code};
}

std::string DurationText(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
  return std::to_string(d.count()) + " ms";
}

bool IsIpLiteral(const std::string& host) {
  error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// A header the caller may give: an HTTP token for a name, a value without
// control characters (which could end the header early: CR LF), and not one
// of the headers that frame the message, which the sender sets itself.
bool IsAllowedHeader(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!IsTokenChar(c)) return false;
  }
  for (std::string_view framing : {"host", "content-length", "transfer-encoding", "connection"}) {
    if (EqualsNoCase(name, framing)) return false;
  }
  for (char c : value) {
    if ((c < 0x20 && c != '\t') || c > 0x7e) return false;
  }
  return true;
}

bool IsClosedEarly(const error_code& ec) {
  return ec == net::error::eof || ec == http::error::end_of_stream ||
         ec == ssl::error::stream_truncated || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == http::error::partial_message;
}

std::string ConnectError(const error_code& ec) {
  if (ec == net::error::connection_refused) return "connection refused";
  if (ec == net::error::host_unreachable) return "host unreachable";
  if (ec == net::error::network_unreachable) return "network unreachable";
  return "connection failed (" + ec.message() + ")";
}

std::string ExchangeError(const error_code& ec) {
  if (ec == http::error::header_limit) return "response header too large";
  if (IsClosedEarly(ec)) return "connection closed before the response";
  if (ec.category() == error_code(http::error::end_of_stream).category())
    return "invalid HTTP response";
  return "connection failed (" + ec.message() + ")";
}

std::string HandshakeError(const error_code& ec, SSL* ssl, bool name_mismatch) {
  if (name_mismatch) return "TLS: certificate does not match the host name";
  if (IsClosedEarly(ec)) return "TLS: connection closed during the handshake";
  if (ec.category() != net::error::get_ssl_category()) {
    return "TLS: handshake failed (" + ec.message() + ")";
  }
  auto packed = static_cast<unsigned long>(static_cast<unsigned int>(ec.value()));
  if (ERR_GET_REASON(packed) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
    long verify = SSL_get_verify_result(ssl);
    std::string text = "TLS: certificate verify failed";
    if (verify != X509_V_OK)
      text += " (" + std::string(X509_verify_cert_error_string(verify)) + ")";
    return text;
  }
  const char* reason = ERR_reason_error_string(packed);
  return std::string("TLS: ") + (reason ? reason : "handshake failed");
}

}  // namespace

struct Sender::Impl {
  // Constant after construction. Declared before `ioc`, whose destruction
  // destroys the coroutine frames that refer to them.
  SenderOptions options;
  std::string timed_out;  // "timed out after 10 s"
  ssl::context tls;
  std::shared_ptr<Gate> gate = std::make_shared<Gate>();

  net::io_context ioc{1};
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  std::thread thread;

  Impl(SenderOptions opts, ssl::context context)
      : options(std::move(opts)),
        timed_out("timed out after " + DurationText(options.timeout)),
        tls(std::move(context)) {
    core::MutexLock lock(gate->mu);
    gate->ioc = &ioc;
  }

  ~Impl() {
    {
      core::MutexLock lock(gate->mu);
      gate->ioc = nullptr;  // resolver threads still running post nothing more
    }
    ioc.stop();
    if (thread.joinable()) thread.join();
    // `ioc` goes next: it destroys every unfinished attempt's frame and
    // completion handler (with its `done`) without calling it.
  }

  void Run() {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {  // a bug: keep the other attempts going
        core::LogError(kLogChannel, "unexpected exception on the webhook I/O thread",
                       {{"error", e.what()}});
      }
    }
  }

  void Start(Outgoing request, std::function<void(Outcome)> done) {
    net::co_spawn(ioc, Attempt(std::move(request)),
                  [done = std::move(done)](std::exception_ptr e, Outcome outcome) {
                    if (e) outcome = Failure("internal error");
                    try {
                      done(std::move(outcome));
                    } catch (...) {  // not its what(): the caller's text may hold anything
                      core::LogError(kLogChannel, "webhook callback threw");
                    }
                  });
  }

  // Resolves `host` on a thread of its own (getaddrinfo cannot be cancelled,
  // and Asio's resolver runs every lookup of an io_context on one thread, so
  // one stalled DNS server would hold up every other webhook). nullopt when
  // `deadline` passes first; the thread then finishes on its own.
  awaitable<std::optional<Result<std::vector<std::string>>>> Resolve(const std::string& host,
                                                                     Clock::time_point deadline) {
    auto lookup = std::make_shared<Lookup>(co_await net::this_coro::executor);
    lookup->wake.expires_at(deadline);
    try {
      std::thread([gate = gate, weak = std::weak_ptr<Lookup>(lookup), host] {
        auto result = ResolveHost(host);
        core::MutexLock lock(gate->mu);
        if (gate->ioc == nullptr) return;
        net::post(*gate->ioc, [weak, result = std::move(result)]() mutable {
          if (auto found = weak.lock()) {
            found->result = std::move(result);
            found->wake.cancel();
          }
        });
      }).detach();
    } catch (const std::system_error&) {
      co_return Result<std::vector<std::string>>(Status::Unavailable("cannot start a lookup"));
    }
    error_code ec;
    co_await lookup->wake.async_wait(net::redirect_error(use_awaitable, ec));
    co_return std::move(lookup->result);
  }

  // Writes the request and reads the response head within the stream's
  // expiry.
  template <class Stream>
  awaitable<Outcome> Exchange(Stream& stream, const Outgoing& request) {
    http::request<http::string_body> message(http::verb::post, request.url.target, 11);
    message.set(http::field::host, request.url.HostHeader());
    message.set(http::field::user_agent, options.user_agent);
    message.set(http::field::content_type, "application/json");
    message.set(http::field::connection, "close");
    for (const auto& [name, value] : request.headers) message.set(name, value);
    message.body() = request.body;
    message.prepare_payload();
    error_code ec;
    co_await http::async_write(stream, message, net::redirect_error(use_awaitable, ec));
    if (ec) co_return Failure(IsTimeout(ec) ? timed_out : ExchangeError(ec));
    beast::flat_buffer buffer;
    for (int interim = 0;; ++interim) {
      http::response_parser<http::empty_body> parser;
      parser.header_limit(kHeaderLimit);
      parser.body_limit(boost::none);  // the body is never read: any Content-Length will do
      co_await http::async_read_header(stream, buffer, parser,
                                       net::redirect_error(use_awaitable, ec));
      if (ec) co_return Failure(IsTimeout(ec) ? timed_out : ExchangeError(ec));
      int status = static_cast<int>(parser.get().result_int());
      if (status >= 100 && status < 200 && status != 101 && interim < kMaxInterimResponses) {
        continue;
      }
      co_return FromStatus(status);
    }
  }

  // Our deadline, not the kernel's (a connect's ETIMEDOUT says so itself).
  static bool IsTimeout(const error_code& ec) { return ec == beast::error::timeout; }

  awaitable<Outcome> Attempt(Outgoing request) {
    const Clock::time_point deadline = Clock::now() + options.timeout;
    for (const auto& [name, value] : request.headers) {
      if (!IsAllowedHeader(name, value)) co_return Failure("invalid header");
    }
    const WebhookUrl& url = request.url;

    std::vector<std::string> addresses;
    if (IsIpLiteral(url.host)) {
      addresses.push_back(url.host);
    } else {
      auto resolved = co_await Resolve(url.host, deadline);
      if (!resolved) co_return Failure(timed_out);
      if (!*resolved) {
        co_return Failure((*resolved).error().code() == Code::kUnavailable
                              ? "cannot start a DNS lookup"
                              : "host does not resolve");
      }
      addresses = std::move(**resolved);
    }
    // Checked at every attempt, not only at registration: the name may
    // resolve elsewhere now (DNS rebinding). Connect only to what was checked.
    std::vector<tcp::endpoint> endpoints;
    for (const std::string& a : addresses) {
      if (!options.allow_private && !IsPublicAddress(a)) {
        co_return Failure("address not allowed (private)");
      }
      error_code ec;
      auto address = net::ip::make_address(a, ec);
      if (!ec) endpoints.emplace_back(address, url.port);
    }
    if (endpoints.empty()) co_return Failure("host does not resolve");

    // The expiry covers every operation from here on, the TLS handshake's
    // reads and writes included: one deadline for the whole attempt.
    beast::tcp_stream tcp(co_await net::this_coro::executor);
    tcp.expires_at(deadline);
    error_code ec;
    co_await tcp.async_connect(endpoints, net::redirect_error(use_awaitable, ec));
    if (ec) co_return Failure(IsTimeout(ec) ? timed_out : ConnectError(ec));
    if (!url.https) co_return co_await Exchange(tcp, request);

    ssl::stream<beast::tcp_stream> stream(std::move(tcp), tls);
    beast::get_lowest_layer(stream).expires_at(deadline);
    bool name_mismatch = false;
    stream.set_verify_mode(ssl::verify_peer);
    stream.set_verify_callback([&name_mismatch, check = ssl::host_name_verification(url.host)](
                                   bool preverified, ssl::verify_context& context) mutable {
      bool ok = check(preverified, context);
      if (preverified && !ok) name_mismatch = true;  // the chain was fine, the name not
      return ok;
    });
    if (!IsIpLiteral(url.host) &&
        !SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
      co_return Failure("TLS: cannot set the server name");
    }
    co_await stream.async_handshake(ssl::stream_base::client,
                                    net::redirect_error(use_awaitable, ec));
    if (ec) {
      co_return Failure(IsTimeout(ec) ? timed_out
                                      : HandshakeError(ec, stream.native_handle(), name_mismatch));
    }
    // No TLS close_notify: the connection is dropped once the head is read,
    // and a peer that never answers a shutdown must not hold the attempt.
    co_return co_await Exchange(stream, request);
  }
};

Sender::Sender(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Sender::~Sender() = default;

Result<std::unique_ptr<Sender>> Sender::Create(SenderOptions options) {
  if (options.timeout <= std::chrono::milliseconds::zero()) {
    return Status::InvalidArgument("webhook timeout must be positive");
  }
  if (!options.ca_file.empty()) {
    std::error_code fs_ec;
    if (!std::filesystem::is_regular_file(options.ca_file, fs_ec)) {
      return Status::InvalidArgument("--webhook-ca-file: no such file");
    }
  }
  try {  // only out of memory, or no thread to be had, throws here
    ssl::context tls(ssl::context::tls_client);
    if (SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION) != 1) {
      return Status::Internal("cannot require TLS 1.2");
    }
    error_code ec;
    // Without a system store (a minimal container) only ca_file is trusted.
    tls.set_default_verify_paths(ec);
    if (!options.ca_file.empty()) {
      tls.load_verify_file(options.ca_file, ec);
      if (ec) {
        return Status::InvalidArgument("--webhook-ca-file: cannot load CA certificates from it (" +
                                       ec.message() + ")");
      }
    }
    tls.set_verify_mode(ssl::verify_peer);
    auto impl = std::make_unique<Impl>(std::move(options), std::move(tls));
    Impl* raw = impl.get();
    raw->thread = std::thread([raw] { raw->Run(); });
    return std::unique_ptr<Sender>(new Sender(std::move(impl)));
  } catch (const std::exception& e) {
    core::LogError(kLogChannel, "cannot start the webhook sender", {{"error", e.what()}});
    return Status::Internal("cannot start the webhook sender");
  }
}

void Sender::Post(Outgoing request, std::function<void(Outcome)> done) {
  // Started on the I/O thread, so each attempt's state is touched there alone.
  Impl* impl = impl_.get();
  net::post(impl->ioc, [impl, request = std::move(request), done = std::move(done)]() mutable {
    impl->Start(std::move(request), std::move(done));
  });
}

}  // namespace reportshare::webhooks
