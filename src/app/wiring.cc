#include "app/wiring.h"

#include "app/key_file.h"
#include "app/version.h"
#include "core/log.h"
#include "render/worker/pool.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"

namespace reportshare::app {
namespace {

template <class ConcreteStore>
Result<std::unique_ptr<store::Store>> Upcast(Result<std::unique_ptr<ConcreteStore>> opened) {
  if (!opened) return opened.error();
  return std::unique_ptr<store::Store>(std::move(*opened));
}

}  // namespace

Result<std::unique_ptr<store::Store>> OpenStore(const DatabaseUrl& url, int pool_size) {
  switch (url.kind) {
    case DatabaseUrl::Kind::kPostgres:
      return Upcast(store::PostgresStore::Open(url.location, pool_size));
    case DatabaseUrl::Kind::kSqlite:
      break;
  }
  return Upcast(store::SqliteStore::Open(url.location, pool_size));
}

ServeApp::ServeApp(ServeConfig config)
    : config_(std::move(config)),
      limiter_(config_.rate_limit, config_.rate_burst, clock_),
      pdf_cache_(config_.pdf_cache_bytes),
      html_cache_(config_.pdf_cache_bytes / 4) {}

Result<std::unique_ptr<ServeApp>> ServeApp::Create(const ServeConfig& config) {
  std::unique_ptr<ServeApp> app(new ServeApp(config));
  if (Status started = app->Start(); !started.ok()) return started;
  return app;
}

Status ServeApp::Start() {
  // A connection per request worker, and two more (the open recorder's thread among them).
  auto store = OpenStore(config_.db, config_.server.worker_threads + 2);
  if (!store) return store.error();
  store_ = std::move(*store);
  auto has_links = store_->HasLinks();
  if (!has_links) return has_links.error();
  auto ring = LoadOrCreateKeyFile(config_.key_file, *has_links);
  if (!ring) return ring.error();
  keys_.emplace(std::move(*ring));
  key_file_watcher_.emplace(config_.key_file, *keys_);
  http::ServerOptions options = config_.server;
  if (config_.render_workers > 0) {
    // Fonts, Pango and Cairo live only in the worker processes.
    render::worker::WorkerPoolOptions pool;
    pool.workers = config_.render_workers;
    pool.timeout = config_.render_timeout;
    auto renderer = render::worker::MakeWorkerPoolRenderer(std::move(pool));
    if (!renderer) return renderer.error();
    renderer_ = std::move(*renderer);
  } else {
    renderer_ = render::MakeBasicRenderer();
    // Each request worker loads its own Pango font map before its first request.
    options.worker_init = [] { render::WarmUpRenderThread(); };
  }
  options.run_inline = &http::Api::NeverBlocks;
  options.body_limit_for = &http::Api::BodyLimit;
  options.on_response = [this](const http::Response& res, double seconds) {
    metrics_.Record(res.route, res.status, seconds);
  };
  options.on_drain = [this] {
    draining_ = true;
    core::LogInfo("server", "draining: no new connections, finishing requests");
  };
  auto server = http::Server::Create(
      std::move(options), [this](const http::Request& req) { return api_->Handle(req); });
  if (!server) return server.error();
  server_ = std::move(*server);
  bound_address_ = FormatListenAddress(config_.server.host, server_->port());
  public_url_ = config_.public_url.empty() ? std::string(server_->scheme()) + "://" + bound_address_
                                           : config_.public_url;

  webhooks::SenderOptions sender_options;
  sender_options.allow_private = config_.webhook_allow_private;
  sender_options.ca_file = config_.webhook_ca_file;
  sender_options.user_agent = "reportshare/" + Version();
  auto sender = webhooks::Sender::Create(std::move(sender_options));
  if (!sender) return sender.error();
  webhooks::DelivererOptions delivery;
  delivery.retry_base = config_.webhook_retry_base;
  deliverer_ = std::make_unique<webhooks::Deliverer>(*store_, clock_, std::move(*sender), delivery);
  // A use case calls this after each write that may carry events; the
  // deliverer is woken only when a commit queued a delivery since the last
  // wake (whichever thread saw it first), not after every share (it would
  // then look for due deliveries thousands of times a second for none).
  auto wake = [this] {
    const uint64_t commits = store_->OutboxCommits();
    if (outbox_seen_.exchange(commits, std::memory_order_acq_rel) != commits) deliverer_->Wake();
  };

  opens_.emplace(*store_, config_.view_flush, service::OpenRecorder::kDefaultMaxBatch,
                 service::OpenRecorder::kDefaultMaxPending, wake);
  reports_.emplace(*store_, *renderer_, *keys_, clock_, public_url_, &pdf_cache_, &*opens_,
                   &html_cache_, wake);
  webhooks_.emplace(*store_, clock_, config_.webhook_allow_private, wake);
  brandings_.emplace(*store_, clock_);
  http::ApiOptions api;
  api.metrics = &metrics_;
  api.rate_limiter = limiter_.enabled() ? &limiter_ : nullptr;
  api.draining = &draining_;
  api.webhooks = &*webhooks_;
  api.branding = &*brandings_;
  api.more_metrics = [this] { return deliverer_->MetricsText(); };
  api_.emplace(*reports_, std::move(api));
  return Status::Ok();
}

void ServeApp::Run() { server_->Run(); }

}  // namespace reportshare::app
