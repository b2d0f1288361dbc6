#include "http/session.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>

#include "core/bytes.h"
#include "core/log.h"
#include "http/forwarded.h"
#include "http/responses.h"

namespace reportshare::http {
namespace {

Response InternalError() {
  Response res = ErrorResponse(Status::Internal("unhandled exception"));
  res.route = "error";
  return res;
}

Response CallHandler(const Handler& handler, const Request& request,
                     const std::string& request_id) {
  try {
    return handler(request);
  } catch (const std::exception& e) {
    // One catch for the whole data plane: a bug becomes a 500 and a log
    // record, never a dead server.
    core::LogError("server", "unhandled exception",
                   {{"request_id", request_id}, {"error", e.what()}});
    return InternalError();
  } catch (...) {
    core::LogError("server", "unhandled exception",
                   {{"request_id", request_id}, {"error", "non-standard exception"}});
    return InternalError();
  }
}

}  // namespace

std::string HeaderTooLargeMessage(size_t header_limit) {
  return "request header is larger than " + std::to_string(header_limit) + " bytes";
}

std::string NewRequestId() {
  uint8_t bytes[8];
  core::RandomBytes(bytes);
  return core::HexEncode(bytes);
}

net::awaitable<Response> Dispatch(const SessionContext& ctx, const Request& request,
                                  const std::string& request_id) {
  const ServerOptions& options = ctx.options;
  if (!ctx.workers || (options.run_inline && options.run_inline(request))) {
    // Cheap, database-free routes (liveness, metrics) answer even when every
    // worker is stuck on an unreachable database.
    co_return CallHandler(ctx.handler, request, request_id);
  }
  // The handler may block on the database or render a PDF: it runs on the
  // worker pool, and the session resumes on its own executor afterwards.
  co_return co_await net::co_spawn(
      ctx.workers,
      [&]() -> net::awaitable<Response> {
        co_return CallHandler(ctx.handler, request, request_id);
      },
      net::use_awaitable);
}

net::awaitable<std::optional<std::string>> PullChunk(const SessionContext& ctx, BodySource& source,
                                                     const std::string& request_id, bool& failed) {
  auto pull = [&]() -> std::optional<std::string> {
    try {
      return source.NextChunk();
    } catch (const std::exception& e) {
      core::LogError("server", "body source threw",
                     {{"request_id", request_id}, {"error", e.what()}});
    } catch (...) {
      core::LogError("server", "body source threw",
                     {{"request_id", request_id}, {"error", "non-standard exception"}});
    }
    failed = true;
    return std::nullopt;
  };
  if (!ctx.workers) co_return pull();
  co_return co_await net::co_spawn(
      ctx.workers, [&]() -> net::awaitable<std::optional<std::string>> { co_return pull(); },
      net::use_awaitable);
}

net::awaitable<void> ReleaseSource(const SessionContext& ctx, std::shared_ptr<BodySource> source) {
  if (!ctx.workers) co_return;  // dropped here, with the last reference
  co_await net::co_spawn(
      ctx.workers,
      [&source]() -> net::awaitable<void> {
        source.reset();
        co_return;
      },
      net::use_awaitable);
}

void FinishExchange(const ServerOptions& options, const Exchange& exchange, const Response& res,
                    size_t bytes) {
  auto took = std::chrono::steady_clock::now() - exchange.started;
  std::string_view method = exchange.method;
  core::LogInfo("access", "request",
                {{"request_id", exchange.request_id},
                 {"method", method.substr(0, 16)},
                 {"scheme", exchange.scheme},
                 {"route", res.route},
                 {"status", res.status},
                 {"bytes", bytes},
                 {"duration_ms", std::chrono::duration<double, std::milli>(took).count()}});
  if (options.on_response) options.on_response(res, std::chrono::duration<double>(took).count());
}

void LogConnectionDropped(const std::exception& e) {
  core::LogError("server", "connection dropped", {{"error", e.what()}});
}

ClientAddress ClientAddressOf(const Request& request, std::string peer,
                              const std::vector<IpRange>& trusted_proxies) {
  if (trusted_proxies.empty()) return {std::move(peer), ""};
  ForwardingHeaders headers{request.HeaderValues("Forwarded"),
                            request.HeaderValues("X-Forwarded-For"),
                            request.HeaderValues("X-Forwarded-Proto")};
  return ResolveClient(peer, trusted_proxies, headers);
}

bool IsParseError(const boost::system::error_code& ec) {
  return ec.category() ==
         beast::http::make_error_code(beast::http::error::end_of_stream).category();
}

bool HasObsFold(std::string_view header) {
  for (size_t lf = header.find('\n'); lf != std::string_view::npos && lf + 1 < header.size();
       lf = header.find('\n', lf + 1)) {
    if (header[lf + 1] == ' ' || header[lf + 1] == '\t') return true;
  }
  return false;
}

std::string_view FramingError(const beast::http::fields& fields) {
  namespace bhttp = beast::http;
  size_t lengths = 0;
  size_t codings = 0;
  for (const auto& field : fields) {
    if (field.name() == bhttp::field::content_length) {
      ++lengths;
      std::string_view value = field.value();
      if (value.empty() ||
          !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return "invalid Content-Length";
      }
    } else if (field.name() == bhttp::field::transfer_encoding) {
      ++codings;
      if (!beast::iequals(field.value(), "chunked")) return "unsupported Transfer-Encoding";
    }
  }
  if (lengths > 1) return "more than one Content-Length";
  if (codings > 1) return "more than one Transfer-Encoding";
  if (lengths > 0 && codings > 0) return "both Content-Length and Transfer-Encoding";
  return {};
}

size_t ReadBufferLimit(const ServerOptions& options) { return options.header_limit + 64 * 1024; }

}  // namespace reportshare::http
