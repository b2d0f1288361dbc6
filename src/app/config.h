#pragma once

// The configuration of the binary: what the flags, environment variables and
// configuration file give (the *Flags structs, whose initializers are the
// defaults) and what serve runs with once that is validated (ServeConfig).
// Every default lives here once, or in http::ServerOptions for the server's
// own settings, which the flags take their defaults from. options.h binds the
// flags to these fields and lays the file under them: a flag, then its
// environment variable, then the file, then the default.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "http/server.h"

namespace reportshare::app {

// Where the data lives, from --db / REPORTSHARE_DB.
struct DatabaseUrl {
  enum class Kind { kSqlite, kPostgres } kind = Kind::kSqlite;
  std::string location;  // file path for SQLite, the URL for PostgreSQL
};

// Each Parse/Normalize function below fails with kInvalidArgument, a one-line
// message that starts with `name` (the flag by default; a configuration file's
// "FILE:LINE: key" when the value came from there) and never quotes the value.

// Parses "sqlite:PATH" or "postgresql://…" / "postgres://…".
Result<DatabaseUrl> ParseDatabaseUrl(const std::string& text, std::string_view name = "--db");

// `url` with its password replaced by "***": the one in the user info
// (postgresql://user:***@host/db) and any `password=` query parameter. What
// config check prints; anything that is not a PostgreSQL URL is returned as is.
std::string MaskDatabaseUrl(std::string_view url);

struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};

// `value` of the setting `key` as config check may show it: the database
// URL through MaskDatabaseUrl, "***" for any key naming a password, secret or
// token, every other value as is.
std::string MaskSetting(std::string_view key, std::string_view value);

// Parses "HOST:PORT" or "[IPv6]:PORT"; port 0 lets the system choose.
Result<ListenAddress> ParseListenAddress(const std::string& text,
                                         std::string_view name = "--listen");

// "HOST:PORT", with an IPv6 host in brackets.
std::string FormatListenAddress(const std::string& host, uint16_t port);

// Checks `value` as the setting `key` (a long option name without the
// dashes) takes it, beyond its type and range: db, listen and public-url as
// the functions above and domain::NormalizePublicUrl parse them, trusted-proxies as
// http::ParseIpRanges. Ok for every other key. Errors start with `name`.
Status CheckSettingValue(std::string_view key, const std::string& value, std::string_view name);

// The defaults that are not the HTTP server's.
inline constexpr const char* kDefaultDatabaseUrl = "sqlite:reportshare.db";
inline constexpr double kDefaultRateLimit = 50;         // requests per second per API key
inline constexpr double kDefaultRateBurst = 200;        // tokens in each key's bucket
inline constexpr int kDefaultPdfCacheMb = 64;           // MiB of rendered PDFs
inline constexpr int kDefaultViewFlushMs = 1000;        // longest wait before opens are written
inline constexpr int kDefaultRenderTimeoutS = 10;       // longest a PDF render may take
inline constexpr double kDefaultWebhookRetryBaseS = 5;  // the first retry's delay (SPEC §7)

// The number of cores, at least 1: what --threads 0 and --render-workers
// default to.
int CoreCount();

// What every subcommand that reads data is given: --db, and for those that
// use the signing keys, --signing-keys.
struct DataFlags {
  std::string db = kDefaultDatabaseUrl;
  std::string signing_keys;  // empty: beside the SQLite file
};

// The signing key file: `flags.signing_keys` if given (the database URL is
// then not looked at), else the SQLite file + ".signing-keys". With PostgreSQL
// the nodes of a cluster must share one file, so it must be given:
// kInvalidArgument naming --signing-keys otherwise.
Result<std::string> KeyFilePath(const DataFlags& flags);

// A server timeout as the whole seconds its flag takes.
inline int WholeSeconds(std::chrono::milliseconds d) {
  return static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(d).count());
}

// serve's flags as given, before validation.
struct ServeFlags {
  DataFlags data;
  std::string listen = FormatListenAddress(http::ServerOptions{}.host, http::ServerOptions{}.port);
  std::string public_url;       // empty: http:// + the bound address
  std::string trusted_proxies;  // CIDR[,CIDR…]; empty: trust no peer
  std::string tls_cert;         // both set: HTTPS on its own (SPEC §10)
  std::string tls_key;
  int threads = http::ServerOptions{}.threads;  // 0: one per core
  bool demo = false;
  double rate_limit = kDefaultRateLimit;  // 0 turns the limit off
  double rate_burst = kDefaultRateBurst;
  int max_connections = static_cast<int>(http::ServerOptions{}.max_connections);
  int pdf_cache_mb = kDefaultPdfCacheMb;  // 0 turns the cache off
  int view_flush_ms = kDefaultViewFlushMs;
  int header_timeout_s = WholeSeconds(http::ServerOptions{}.header_timeout);
  int idle_timeout_s = WholeSeconds(http::ServerOptions{}.idle_timeout);
  int write_timeout_s = WholeSeconds(http::ServerOptions{}.write_timeout);
  int render_workers = CoreCount();  // 0: render in the server process
  int render_timeout_s = kDefaultRenderTimeoutS;
  double webhook_retry_base_s = kDefaultWebhookRetryBaseS;
  bool webhook_allow_private = false;
  std::string webhook_ca_file;  // empty: the system's CA store only
};

// What serve runs with: every value checked and resolved.
struct ServeConfig {
  DatabaseUrl db;
  std::string key_file;    // see KeyFilePath
  std::string public_url;  // normalized; empty: http(s):// + the bound address
  bool demo = false;
  double rate_limit = 0;  // <= 0: no limit
  double rate_burst = 0;
  size_t pdf_cache_bytes = 0;
  std::chrono::milliseconds view_flush{0};
  int render_workers = 0;  // 0: PDFs are rendered in the server process
  std::chrono::milliseconds render_timeout{0};
  std::chrono::microseconds webhook_retry_base{0};
  bool webhook_allow_private = false;
  std::string webhook_ca_file;
  // host, port, threads and worker_threads (both > 0), max_connections and
  // the timeouts as the flags say; the callbacks are left to the wiring.
  http::ServerOptions server;
};

// Validates the addresses, URLs and key file of `flags` (the numbers' ranges
// are checked as the flags are parsed, cli/serve.cc). Returns kInvalidArgument
// with a one-line message naming the flag at fault. `--threads 0` becomes one
// thread per core.
Result<ServeConfig> MakeServeConfig(const ServeFlags& flags);

}  // namespace reportshare::app
