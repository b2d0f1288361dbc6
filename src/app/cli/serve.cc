// serve: run the HTTP API (SPEC §3).

#include <cstdio>
#include <memory>
#include <string>

#include "app/cli/commands.h"
#include "app/cli/common.h"
#include "app/config.h"
#include "app/demo.h"
#include "app/wiring.h"
#include "core/log.h"
#include "service/api_keys.h"

namespace reportshare::app::cli {
namespace {

std::string ShellQuote(const std::string& s) { return "'" + s + "'"; }

// Loads the demo reports and prints a fresh API key with a curl line to try.
// The key is the CLI's own output, on stderr, never a log record.
Status LoadDemo(ServeApp& app) {
  store::Store& store = app.store();
  const Clock& clock = app.clock();
  auto company = store.EnsureCompany(kDemoCompany);
  if (!company) return company.error();
  std::string ids;
  for (const Report& r : DemoReports(clock.Now())) {
    auto put = store.PutReport(*company, r, clock.Now());
    if (!put) return put.error();
    ids += (ids.empty() ? "" : ", ") + std::to_string(r.report_id.value);
  }
  auto key = service::CreateApiKey(store, kDemoCompany, clock);
  if (!key) return key.error();
  std::fprintf(stderr,
               "\nreportshare demo: company \"%s\" with reports %s\n"
               "  (318: report 318 of assessment 138; 319: Devanagari name; 320: Arabic name;\n"
               "   321: 40 sections x 10 skills; 322: Pending)\n"
               "API key: %s   (key id %s; shown once)\n\n"
               "Try it:\n"
               "  curl -s -X POST -H %s -H 'Content-Type: application/json' "
               "-d '{\"expiration_hours\": 2}' %s/assessments/reports/318/share\n\n",
               kDemoCompany, ids.c_str(), key->key.c_str(), key->key_id.c_str(),
               ShellQuote("apiKey: " + key->key).c_str(), app.public_url().c_str());
  return Status::Ok();
}

// Whatever stops the server from starting (a flag, the database, the key
// file, the port) fails like every other command: one plain line, exit 1.
int RunServe(const ServeFlags& flags) {
  auto config = MakeServeConfig(flags);
  if (!config) return Fail(config.error());
  auto app = ServeApp::Create(*config);
  if (!app) return Fail(app.error());
  if (config->demo) {
    if (Status loaded = LoadDemo(**app); !loaded.ok()) return Fail(loaded);
  }
  // The black-box harness waits for "listening on http://HOST:PORT".
  core::LogInfo("server", "listening on http://" + (*app)->bound_address(),
                {{"public_url", (*app)->public_url()}, {"threads", (*app)->threads()}});
  (*app)->Run();
  core::LogInfo("server", "stopped");
  return 0;
}

// A number flag with its environment variable and its range, checked as the
// command line is parsed.
template <class T>
CLI::Option* AddNumberOption(CLI::App& command, const char* flag, T& target, const char* env, T min,
                             T max, const char* help) {
  return command.add_option(flag, target, help)->envname(env)->check(CLI::Range(min, max));
}

}  // namespace

void AddServeCommand(CLI::App& parent, Commands& commands) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* serve = parent.add_subcommand("serve", "Run the HTTP API");
  AddDbOption(*serve, flags->data.db);
  serve->add_option("--listen", flags->listen, "HOST:PORT to listen on (port 0: any free port)")
      ->envname("REPORTSHARE_LISTEN")
      ->capture_default_str();
  serve
      ->add_option("--public-url", flags->public_url,
                   "Scheme, host and optional path prefix links are built on "
                   "(default: http:// + the listen address)")
      ->envname("REPORTSHARE_PUBLIC_URL");
  AddNumberOption(*serve, "--threads", flags->threads, "REPORTSHARE_THREADS", 0, 256,
                  "I/O threads, and as many request workers (default: one per core)");
  AddSigningKeysOption(*serve, flags->data.signing_keys);
  AddNumberOption(*serve, "--header-timeout", flags->header_timeout_s, "REPORTSHARE_HEADER_TIMEOUT",
                  1, 3600, "Seconds a client has to send a whole request header")
      ->capture_default_str();
  AddNumberOption(*serve, "--idle-timeout", flags->idle_timeout_s, "REPORTSHARE_IDLE_TIMEOUT", 1,
                  3600, "Seconds an idle keep-alive connection is kept open")
      ->capture_default_str();
  AddNumberOption(*serve, "--write-timeout", flags->write_timeout_s, "REPORTSHARE_WRITE_TIMEOUT", 1,
                  3600, "Seconds a client has to take in a whole response")
      ->capture_default_str();
  AddNumberOption(*serve, "--rate-limit", flags->rate_limit, "REPORTSHARE_RATE_LIMIT", 0.0, 1e9,
                  "Requests per second allowed per API key (token bucket); 0 turns it off")
      ->capture_default_str();
  AddNumberOption(*serve, "--rate-burst", flags->rate_burst, "REPORTSHARE_RATE_BURST", 1.0, 1e9,
                  "Burst size of the per-key token bucket")
      ->capture_default_str();
  AddNumberOption(*serve, "--max-connections", flags->max_connections,
                  "REPORTSHARE_MAX_CONNECTIONS", 1, 1000000,
                  "Open connections beyond this are answered 503 and closed")
      ->capture_default_str();
  AddNumberOption(*serve, "--pdf-cache-mb", flags->pdf_cache_mb, "REPORTSHARE_PDF_CACHE_MB", 0,
                  1 << 20,
                  "Memory for rendered PDFs, in MiB (least recently used evicted); 0 turns "
                  "the cache off")
      ->capture_default_str();
  AddNumberOption(*serve, "--view-flush-ms", flags->view_flush_ms, "REPORTSHARE_VIEW_FLUSH_MS", 1,
                  60000,
                  "Link opens are written to the database in batches at most this many "
                  "milliseconds after they happen")
      ->capture_default_str();
  AddNumberOption(*serve, "--render-workers", flags->render_workers, "REPORTSHARE_RENDER_WORKERS",
                  0, 256,
                  "Processes that render PDFs, one PDF each at a time (default: one per core); "
                  "0 renders in the server process")
      ->capture_default_str();
  AddNumberOption(*serve, "--render-timeout", flags->render_timeout_s, "REPORTSHARE_RENDER_TIMEOUT",
                  1, 3600,
                  "Seconds a PDF render may take before its worker is killed and the request "
                  "answered 503")
      ->capture_default_str();
  serve->add_flag("--demo", flags->demo, "Load demo reports and print a fresh API key")
      ->envname("REPORTSHARE_DEMO");
  commands.Add(*serve, [flags] { return RunServe(*flags); });
}

}  // namespace reportshare::app::cli
