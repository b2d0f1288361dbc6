#include "http/metrics.h"

#include <charconv>

namespace reportshare::http {
namespace {

std::string Number(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

void Counter(std::string& out, std::string_view name, std::string_view help, uint64_t value) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += " counter\n";
  out += name;
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

}  // namespace

void HttpMetrics::Record(std::string_view route, int status, double seconds) {
  size_t bucket = 0;
  while (bucket < kBuckets.size() && seconds > kBuckets[bucket]) ++bucket;
  core::MutexLock lock(mu_);
  ++requests_[{std::string(route), status}];
  Histogram& h = latency_[std::string(route)];
  if (bucket < kBuckets.size()) ++h.buckets[bucket];
  ++h.count;
  h.sum += seconds;
}

std::string HttpMetrics::Render(const service::ServiceCounters& counters) const {
  std::string out;
  {
    core::MutexLock lock(mu_);
    out += "# HELP reportshare_http_requests_total HTTP requests by route and status.\n";
    out += "# TYPE reportshare_http_requests_total counter\n";
    for (const auto& [key, n] : requests_) {
      out += "reportshare_http_requests_total{route=\"" + key.first + "\",status=\"" +
             std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
    }
    out +=
        "# HELP reportshare_http_request_duration_seconds Time from the first byte of a "
        "request to its response written.\n";
    out += "# TYPE reportshare_http_request_duration_seconds histogram\n";
    for (const auto& [route, h] : latency_) {
      std::string labels = "route=\"" + route + "\"";
      uint64_t cumulative = 0;
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        cumulative += h.buckets[i];
        out += "reportshare_http_request_duration_seconds_bucket{" + labels + ",le=\"" +
               Number(kBuckets[i]) + "\"} " + std::to_string(cumulative) + "\n";
      }
      out += "reportshare_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
             std::to_string(h.count) + "\n";
      out +=
          "reportshare_http_request_duration_seconds_sum{" + labels + "} " + Number(h.sum) + "\n";
      out += "reportshare_http_request_duration_seconds_count{" + labels + "} " +
             std::to_string(h.count) + "\n";
    }
  }
  Counter(out, "reportshare_links_minted_total", "Links minted by share.",
          counters.links_minted.load(std::memory_order_relaxed));
  Counter(out, "reportshare_links_opened_total", "Link opens that served the report.",
          counters.links_opened.load(std::memory_order_relaxed));
  Counter(out, "reportshare_pdfs_rendered_total", "PDFs rendered (cache misses).",
          counters.pdfs_rendered.load(std::memory_order_relaxed));
  Counter(out, "reportshare_pdf_cache_hits_total", "PDFs served from the cache.",
          counters.pdf_cache_hits.load(std::memory_order_relaxed));
  return out;
}

}  // namespace reportshare::http
