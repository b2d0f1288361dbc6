#pragma once

#include "http/message.h"
#include "service/report_service.h"

namespace reportshare::http {

// Routes a request to its handler and turns the outcome into a response.
// Check order (SPEC §2): route (404/405), authentication (401), the request's
// own shape (400/413), the report (404), its state (409).
// Thread-safe; holds no per-request state.
class Api {
 public:
  explicit Api(const service::ReportService& service) : service_(service) {}

  // Never throws for client input; every error becomes a JSON (or, on the
  // link path, HTML) response.
  Response Handle(const Request& request) const;

 private:
  Response Share(const Request& req, std::string_view id, std::string_view option) const;
  Response GetReport(const Request& req, std::string_view id) const;
  Response PutReport(const Request& req, std::string_view id) const;
  Response ListLinks(const Request& req, std::string_view id) const;
  Response RevokeLinks(const Request& req, std::string_view id,
                       std::optional<std::string_view> link_id) const;
  Response OpenLink(const Request& req, std::string_view token) const;

  const service::ReportService& service_;
};

// True when the Accept header ranks application/json above text/html.
bool PrefersJson(std::string_view accept);

}  // namespace reportshare::http
