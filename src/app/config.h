#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace reportshare::app {

// Where the data lives, from --db / REPORTSHARE_DB.
struct DatabaseUrl {
  enum class Kind { kSqlite, kPostgres } kind = Kind::kSqlite;
  std::string location;  // file path for SQLite, the URL for PostgreSQL
};

// Parses "sqlite:PATH" or "postgresql://…" / "postgres://…".
Result<DatabaseUrl> ParseDatabaseUrl(const std::string& text);

struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};

// Parses "HOST:PORT" or "[IPv6]:PORT"; port 0 lets the system choose.
Result<ListenAddress> ParseListenAddress(const std::string& text);

// Validates a public base URL (http or https, no query or fragment) and
// returns it without a trailing slash.
Result<std::string> NormalizePublicUrl(const std::string& text);

}  // namespace reportshare::app
