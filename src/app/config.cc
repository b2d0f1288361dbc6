#include "app/config.h"

#include <charconv>

namespace reportshare::app {

Result<DatabaseUrl> ParseDatabaseUrl(const std::string& text) {
  if (text.rfind("sqlite:", 0) == 0) {
    std::string path = text.substr(7);
    if (path.rfind("//", 0) == 0) path = path.substr(2);  // sqlite://PATH also accepted
    if (path.empty()) return Status::InvalidArgument("--db sqlite: needs a file path");
    return DatabaseUrl{DatabaseUrl::Kind::kSqlite, path};
  }
  if (text.rfind("postgresql://", 0) == 0 || text.rfind("postgres://", 0) == 0) {
    return DatabaseUrl{DatabaseUrl::Kind::kPostgres, text};
  }
  return Status::InvalidArgument("--db must be sqlite:PATH or postgresql://USER@HOST:PORT/DB");
}

Result<ListenAddress> ParseListenAddress(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return Status::InvalidArgument("--listen must be HOST:PORT, e.g. 127.0.0.1:8080");
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
    return Status::InvalidArgument("--listen port must be a number from 0 to 65535");
  }
  return ListenAddress{host, static_cast<uint16_t>(port)};
}

Result<std::string> NormalizePublicUrl(const std::string& text) {
  if (text.rfind("http://", 0) != 0 && text.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("--public-url must start with http:// or https://");
  }
  if (text.find_first_of("?# \t\r\n") != std::string::npos) {
    return Status::InvalidArgument("--public-url must not contain a query, fragment or spaces");
  }
  std::string url = text;
  while (!url.empty() && url.back() == '/') url.pop_back();
  size_t host = text.find("://") + 3;  // the scheme check above guarantees "://"
  if (host >= text.size() || text[host] == '/') {
    return Status::InvalidArgument("--public-url needs a host");
  }
  return url;
}

}  // namespace reportshare::app
