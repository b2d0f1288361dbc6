#include "app/config.h"

#include <algorithm>
#include <charconv>
#include <thread>

#include "domain/branding.h"
#include "http/forwarded.h"

namespace reportshare::app {

namespace {

Status Invalid(std::string_view name, std::string_view problem) {
  std::string message(name);
  message += ' ';
  message += problem;
  return Status::InvalidArgument(std::move(message));
}

bool IsPostgresUrl(std::string_view text) {
  return text.rfind("postgresql://", 0) == 0 || text.rfind("postgres://", 0) == 0;
}

}  // namespace

Result<DatabaseUrl> ParseDatabaseUrl(const std::string& text, std::string_view name) {
  if (text.rfind("sqlite:", 0) == 0) {
    std::string path = text.substr(7);
    if (path.rfind("//", 0) == 0) path = path.substr(2);  // sqlite://PATH also accepted
    if (path.empty()) return Invalid(name, "sqlite: needs a file path");
    return DatabaseUrl{DatabaseUrl::Kind::kSqlite, path};
  }
  if (IsPostgresUrl(text)) return DatabaseUrl{DatabaseUrl::Kind::kPostgres, text};
  return Invalid(name, "must be sqlite:PATH or postgresql://USER@HOST:PORT/DB");
}

std::string MaskDatabaseUrl(std::string_view url) {
  if (!IsPostgresUrl(url)) return std::string(url);
  std::string masked(url);
  // libpq ends the user info at the first '@' before the first '/'; masking
  // up to the last one hides whatever it could take for the password.
  const size_t authority = masked.find("://") + 3;
  const size_t authority_end = std::min(masked.find('/', authority), masked.size());
  const size_t at = masked.rfind('@', authority_end);
  if (at != std::string::npos && at >= authority) {
    const size_t colon = masked.find(':', authority);
    if (colon < at) masked.replace(colon + 1, at - colon - 1, "***");
  }
  // libpq also takes the password as a query parameter.
  const size_t query = masked.find('?');
  if (query == std::string::npos) return masked;
  const size_t fragment = std::min(masked.find('#', query), masked.size());
  std::string params;
  for (size_t begin = query + 1; begin <= fragment;) {
    const size_t end = std::min(masked.find('&', begin), fragment);
    std::string_view param = std::string_view(masked).substr(begin, end - begin);
    if (!params.empty()) params += '&';
    params += param.rfind("password=", 0) == 0 ? std::string_view("password=***") : param;
    begin = end + 1;
  }
  return masked.substr(0, query + 1) + params + masked.substr(fragment);
}

std::string MaskSetting(std::string_view key, std::string_view value) {
  if (key == "db") return MaskDatabaseUrl(value);
  for (std::string_view secret : {"password", "secret", "token"}) {
    if (key.find(secret) != std::string_view::npos) return value.empty() ? "" : "***";
  }
  return std::string(value);
}

Result<ListenAddress> ParseListenAddress(const std::string& text, std::string_view name) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return Invalid(name, "must be HOST:PORT, e.g. 127.0.0.1:8080");
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") host = "127.0.0.1";
  unsigned port = 0;
  const char* begin = text.data() + colon + 1;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, port);
  if (ec != std::errc{} || ptr != end || port > 65535) {
    return Invalid(name, "port must be a number from 0 to 65535");
  }
  return ListenAddress{host, static_cast<uint16_t>(port)};
}

std::string FormatListenAddress(const std::string& host, uint16_t port) {
  std::string bracketed = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return bracketed + ":" + std::to_string(port);
}

Status CheckSettingValue(std::string_view key, const std::string& value, std::string_view name) {
  if (key == "db") {
    if (auto db = ParseDatabaseUrl(value, name); !db) return db.error();
  } else if (key == "listen") {
    if (auto listen = ParseListenAddress(value, name); !listen) return listen.error();
  } else if (key == "public-url" && !value.empty()) {  // empty: the default, http:// + listen
    if (auto url = domain::NormalizePublicUrl(value, name); !url) return url.error();
  } else if (key == "trusted-proxies") {
    if (auto ranges = http::ParseIpRanges(value, name); !ranges) return ranges.error();
  }
  return Status::Ok();
}

Result<std::string> KeyFilePath(const DataFlags& flags) {
  if (!flags.signing_keys.empty()) return flags.signing_keys;
  auto db = ParseDatabaseUrl(flags.db);
  if (!db) return db.error();
  if (db->kind == DatabaseUrl::Kind::kPostgres) {
    return Status::InvalidArgument(
        "with PostgreSQL, give --signing-keys FILE (REPORTSHARE_SIGNING_KEYS, or signing-keys in "
        "the configuration file): one key file shared by every node");
  }
  return db->location + ".signing-keys";
}

int CoreCount() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

Result<ServeConfig> MakeServeConfig(const ServeFlags& flags) {
  ServeConfig config;
  auto listen = ParseListenAddress(flags.listen);
  if (!listen) return listen.error();
  auto db = ParseDatabaseUrl(flags.data.db);
  if (!db) return db.error();
  config.db = std::move(*db);
  auto key_file = KeyFilePath(flags.data);
  if (!key_file) return key_file.error();
  config.key_file = std::move(*key_file);
  if (!flags.public_url.empty()) {
    auto public_url = domain::NormalizePublicUrl(flags.public_url, "--public-url");
    if (!public_url) return public_url.error();
    config.public_url = std::move(*public_url);
  }
  config.demo = flags.demo;
  config.rate_limit = flags.rate_limit;
  config.rate_burst = flags.rate_burst;
  config.pdf_cache_bytes = static_cast<size_t>(flags.pdf_cache_mb) * 1024 * 1024;
  config.view_flush = std::chrono::milliseconds(flags.view_flush_ms);
  config.render_workers = flags.render_workers;
  config.render_timeout = std::chrono::seconds(flags.render_timeout_s);
  config.webhook_retry_base =
      std::chrono::microseconds(static_cast<int64_t>(flags.webhook_retry_base_s * 1e6));
  config.webhook_allow_private = flags.webhook_allow_private;
  config.webhook_ca_file = flags.webhook_ca_file;

  auto trusted_proxies = http::ParseIpRanges(flags.trusted_proxies);
  if (!trusted_proxies) return trusted_proxies.error();

  if (flags.tls_cert.empty() != flags.tls_key.empty()) {
    return Status::InvalidArgument(
        "--tls-cert and --tls-key go together: give both (HTTPS) or neither (HTTP)");
  }

  http::ServerOptions& server = config.server;
  server.trusted_proxies = std::move(*trusted_proxies);
  server.tls_cert_file = flags.tls_cert;
  server.tls_key_file = flags.tls_key;
  server.host = listen->host;
  server.port = listen->port;
  server.threads = flags.threads > 0 ? flags.threads : CoreCount();
  server.worker_threads = server.threads;
  server.max_connections = static_cast<size_t>(flags.max_connections);
  server.header_timeout = std::chrono::seconds(flags.header_timeout_s);
  server.idle_timeout = std::chrono::seconds(flags.idle_timeout_s);
  server.write_timeout = std::chrono::seconds(flags.write_timeout_s);
  return config;
}

}  // namespace reportshare::app
