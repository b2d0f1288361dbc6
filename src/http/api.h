#pragma once

#include <atomic>
#include <functional>
#include <span>
#include <string>

#include "http/message.h"
#include "http/metrics.h"
#include "http/rate_limit.h"
#include "service/branding_service.h"
#include "service/report_service.h"
#include "service/webhook_service.h"

namespace reportshare::http {

// The OpenAPI 3.1 description of this API (docs/openapi.json, embedded at
// build time), served at GET /openapi.json.
std::string_view OpenApiDocument();

// Routes a request to its handler and turns the outcome into a response.
// Check order (SPEC §2): route (404/405), authentication (401), the request's
// own shape (400/413), the report (404), its state (409).
// Thread-safe; holds no per-request state.
struct ApiOptions {
  HttpMetrics* metrics = nullptr;                      // serves /metrics when set
  RateLimiter* rate_limiter = nullptr;                 // per-API-key limit when set
  const std::atomic<bool>* draining = nullptr;         // /readyz answers 503 while true
  const service::WebhookService* webhooks = nullptr;   // the webhook endpoints when set
  const service::BrandingService* branding = nullptr;  // the branding endpoints when set
  std::function<std::string()> more_metrics;           // appended to /metrics when set
};

class Api {
 public:
  // `service` and everything `options` points to must outlive the Api.
  explicit Api(const service::ReportService& service, ApiOptions options = {})
      : service_(service), options_(options) {}

  // Never throws for client input; every error becomes a JSON (or, on the
  // link path, HTML) response.
  Response Handle(const Request& request) const;

  // True for the routes that touch no database and never block (/healthz,
  // /metrics): the server may run them on an I/O thread.
  static bool NeverBlocks(const Request& request);

  // The body cap of a request (ServerOptions::body_limit_for):
  // kBrandingBodyLimit for PUT /assessments/branding, else kDefaultBodyLimit.
  static size_t BodyLimit(std::string_view method, std::string_view target);

 private:
  using Principal = store::Principal;
  // Authenticates and rate-limits `req`, then runs `handler` with the caller.
  template <class Handler>
  Response Authenticated(const Request& req, Handler&& handler) const;

  Response Share(const Request& req, const Principal& who, std::string_view id,
                 std::string_view option) const;
  Response BulkShare(const Request& req, const Principal& who) const;
  Response BulkDownload(const Request& req, const Principal& who) const;
  Response GetReport(const Request& req, const Principal& who, std::string_view id) const;
  Response PutReport(const Request& req, const Principal& who, std::string_view id) const;
  Response ListLinks(const Request& req, const Principal& who, std::string_view id) const;
  Response RevokeLinks(const Request& req, const Principal& who, std::string_view id,
                       std::optional<std::string_view> link_id) const;
  Response ListOpens(const Request& req, const Principal& who, std::string_view id,
                     std::string_view link_id) const;
  Response OpenLink(const Request& req, std::string_view token) const;
  // The webhook endpoints (SPEC §7); `segs` is the path from "webhooks" on.
  Response Webhooks(const Request& req, std::span<const std::string_view> segs,
                    std::string& route) const;
  Response RegisterWebhook(const Request& req, const Principal& who) const;
  // GET and PUT /assessments/branding (SPEC §8).
  Response Branding(const Request& req) const;
  Response Health(std::string_view which) const;

  const service::ReportService& service_;
  const ApiOptions options_;
};

// True when the Accept header ranks application/json above text/html.
bool PrefersJson(std::string_view accept);

}  // namespace reportshare::http
