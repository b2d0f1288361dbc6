#pragma once

// Builds the running program from a configuration. The one place that names
// the concrete stores (SQLite, PostgreSQL) and the concrete renderer.

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "app/config.h"
#include "app/key_file_watcher.h"
#include "core/clock.h"
#include "core/status.h"
#include "http/api.h"
#include "http/metrics.h"
#include "http/rate_limit.h"
#include "http/server.h"
#include "render/renderer.h"
#include "service/key_ring_holder.h"
#include "service/open_recorder.h"
#include "service/pdf_cache.h"
#include "service/report_service.h"
#include "service/webhook_service.h"
#include "store/store.h"
#include "webhooks/deliverer.h"

namespace reportshare::app {

// Opens (and migrates) the store `url` names with `pool_size` connections.
// kUnavailable (with the reason, never a password) if it cannot.
Result<std::unique_ptr<store::Store>> OpenStore(const DatabaseUrl& url, int pool_size);

// Everything `serve` runs, owned in dependency order: the store, the signing
// keys and their watcher, the renderer, the services, the API and the server
// bound to its port. Destroyed in reverse: pending link opens are written
// before the store closes.
class ServeApp {
 public:
  // Opens the store, loads (or on a database without links creates) the key
  // file, and binds the listening socket. Returns the first failure's Status,
  // whose message names what failed (never a secret).
  static Result<std::unique_ptr<ServeApp>> Create(const ServeConfig& config);

  ServeApp(const ServeApp&) = delete;
  ServeApp& operator=(const ServeApp&) = delete;

  // Serves until SIGTERM/SIGINT, then drains (logging "draining") and returns.
  void Run();

  // The bound address, HOST:PORT (the real port when the config said 0).
  const std::string& bound_address() const { return bound_address_; }
  // "https" when it serves TLS (--tls-cert), else "http".
  const char* scheme() const { return server_->scheme(); }
  // The base URL links are built on.
  const std::string& public_url() const { return public_url_; }
  int threads() const { return config_.server.threads; }
  store::Store& store() { return *store_; }
  const Clock& clock() const { return clock_; }

 private:
  explicit ServeApp(ServeConfig config);
  Status Start();

  const ServeConfig config_;
  SystemClock clock_;
  std::unique_ptr<store::Store> store_;
  std::optional<service::KeyRingHolder> keys_;
  std::optional<KeyFileWatcher> key_file_watcher_;
  std::unique_ptr<render::ReportRenderer> renderer_;
  http::HttpMetrics metrics_;
  http::RateLimiter limiter_;
  std::atomic<bool> draining_{false};
  std::unique_ptr<http::Server> server_;
  std::string bound_address_;
  std::string public_url_;
  service::PdfCache pdf_cache_;
  // The link pages (HTML) of report versions, a quarter of the PDF cache's budget.
  service::PdfCache html_cache_;
  // Sends the outbox (SPEC §7); before the services, which wake it.
  std::unique_ptr<webhooks::Deliverer> deliverer_;
  // The store's OutboxCommits() when the deliverer was last woken.
  std::atomic<uint64_t> outbox_seen_{0};
  std::optional<service::OpenRecorder> opens_;
  std::optional<service::ReportService> reports_;
  std::optional<service::WebhookService> webhooks_;
  std::optional<service::BrandingService> brandings_;
  std::optional<http::Api> api_;  // set before Run(): the server's handler calls it
};

}  // namespace reportshare::app
