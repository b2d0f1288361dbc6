#pragma once

// The session's stream over TLS: Beast's ssl_stream over a tcp_stream, with
// the members and free functions session.h asks of a stream (the timeout of
// the tcp_stream below, ShutdownSend, CloseStream, PeerAddress, EndSending,
// IsSecure). Internal to src/http: only server.cc and the tests include it.

#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "http/session.h"

namespace reportshare::http {

class TlsStream {
 public:
  using executor_type = beast::tcp_stream::executor_type;

  // `context` is kept alive by the stream: a certificate reload replaces the
  // server's context, never the one an open connection uses.
  TlsStream(net::ip::tcp::socket socket, std::shared_ptr<net::ssl::context> context)
      : context_(std::move(context)), stream_(beast::tcp_stream(std::move(socket)), *context_) {}

  executor_type get_executor() { return stream_.get_executor(); }
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }
  beast::ssl_stream<beast::tcp_stream>& ssl() { return stream_; }

  // The deadline of the operations that follow, as tcp_stream's.
  void expires_after(std::chrono::steady_clock::duration d) { tcp().expires_after(d); }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return stream_.async_read_some(buffers, std::forward<Token>(token));
  }
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return stream_.async_write_some(buffers, std::forward<Token>(token));
  }

 private:
  std::shared_ptr<net::ssl::context> context_;
  beast::ssl_stream<beast::tcp_stream> stream_;
};

// The server side of the handshake, within `timeout` (a client that stalls
// in it is cut off like one that stalls in its header). False if it failed.
inline net::awaitable<bool> Handshake(TlsStream& stream, std::chrono::milliseconds timeout) {
  boost::system::error_code ec;
  stream.expires_after(timeout);
  co_await stream.ssl().async_handshake(net::ssl::stream_base::server,
                                        net::redirect_error(net::use_awaitable, ec));
  co_return !ec;
}

inline void ShutdownSend(TlsStream& stream) { ShutdownSend(stream.tcp()); }
// Also keeps the TLS session resumable: OpenSSL drops from its cache every
// session whose connection ends without a shutdown, which is how most clients
// leave a keep-alive connection (they close the socket).
inline void CloseStream(TlsStream& stream) {
  SSL* ssl = stream.ssl().native_handle();
  SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_SENT_SHUTDOWN);
  CloseStream(stream.tcp());
}
inline std::string PeerAddress(TlsStream& stream) { return PeerAddress(stream.tcp()); }
inline bool IsSecure(const TlsStream&) { return true; }

// close_notify first, so the client can tell the end of a response framed by
// the close from a truncation; then, as LingeringClose does for plain HTTP,
// whatever the client still sends (a body that was not read: a 413) is
// swallowed, raw, below TLS (the shutdown ends TLS reads), so it does not
// turn into a reset that destroys the response before the client reads it.
// Both steps are bounded: 2 s each, 1 MiB.
inline net::awaitable<void> EndSending(TlsStream& stream) {
  boost::system::error_code ec;
  stream.expires_after(std::chrono::seconds(2));
  co_await stream.ssl().async_shutdown(net::redirect_error(net::use_awaitable, ec));
  ShutdownSend(stream);
  char sink[16384];
  size_t total = 0;
  ec = {};
  stream.expires_after(std::chrono::seconds(2));
  while (!ec && total < (1u << 20)) {
    total += co_await stream.tcp().async_read_some(net::buffer(sink),
                                                   net::redirect_error(net::use_awaitable, ec));
  }
}

}  // namespace reportshare::http
