// reportshare: the one binary (SPEC §3). Wires the concrete store, renderer,
// key ring and HTTP server together; nothing below app/ names a database.
#include <CLI/CLI.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "app/config.h"
#include "app/demo.h"
#include "app/key_file.h"
#include "core/rfc3339.h"
#include "http/api.h"
#include "http/server.h"
#include "links/token.h"
#include "render/renderer.h"
#include "service/api_keys.h"
#include "service/importer.h"
#include "service/report_service.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"

namespace reportshare::app {
namespace {

struct Options {
  std::string db = "sqlite:reportshare.db";
  std::string listen = "127.0.0.1:8080";
  std::string public_url;
  std::string signing_keys;
  int threads = 0;
  bool demo = false;
  double rate_limit = 50;
  double rate_burst = 200;
  int max_connections = 1024;
  int pdf_cache_mb = 64;
  int view_flush_ms = 1000;
  int header_timeout_s = 10;
  int idle_timeout_s = 60;
  std::string company;
  std::string key_id;
  int64_t report_id = 0;
  std::string output;
  std::string html_output;
  std::string input;
  std::string link;
  std::string at;
  uint32_t signing_key_id = 0;
};

int Fail(const Status& status) {
  std::fprintf(stderr, "reportshare: error: %s\n", status.message().c_str());
  return 1;
}

Result<std::unique_ptr<store::Store>> OpenStore(const std::string& db_text, int pool_size) {
  auto url = ParseDatabaseUrl(db_text);
  if (!url) return url.error();
  if (url->kind == DatabaseUrl::Kind::kPostgres) {
    auto opened = store::PostgresStore::Open(url->location, pool_size);
    if (!opened) return opened.error();
    return std::unique_ptr<store::Store>(std::move(*opened));
  }
  auto opened = store::SqliteStore::Open(url->location, pool_size);
  if (!opened) return opened.error();
  return std::unique_ptr<store::Store>(std::move(*opened));
}

// The signing key file: --signing-keys, or beside an SQLite database. With
// PostgreSQL the nodes of a cluster must share one file, so it is required.
Result<std::string> KeyFilePath(const Options& o) {
  if (!o.signing_keys.empty()) return o.signing_keys;
  auto url = ParseDatabaseUrl(o.db);
  if (!url) return url.error();
  if (url->kind == DatabaseUrl::Kind::kPostgres) {
    return Status::InvalidArgument(
        "with PostgreSQL, give --signing-keys FILE (or REPORTSHARE_SIGNING_KEYS): one key file "
        "shared by every node");
  }
  return url->location + ".signing-keys";
}

std::string ShellQuote(const std::string& s) { return "'" + s + "'"; }

Status WriteFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) return Status::Unavailable("cannot write " + path);
  return Status::Ok();
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

#define RS_CHECK_WRITE(expr)                     \
  do {                                           \
    ::reportshare::Status rs_write_ = (expr);    \
    if (!rs_write_.ok()) return Fail(rs_write_); \
  } while (0)

// Reloads the signing key file when it changes (rotation by `keys
// rotate-signing`, or a new file rolled out to every node), polling once a
// second: a cheap stat, and no signal handling to get wrong.
class KeyFileWatcher {
 public:
  KeyFileWatcher(std::string path, service::KeyRingHolder& keys)
      : path_(std::move(path)), keys_(keys), last_(Stamp()) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~KeyFileWatcher() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::string Stamp() const {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) return "";
    return std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
           std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  }

  void Loop() {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; })) {
      std::string now = Stamp();
      if (now.empty() || now == last_) continue;
      auto ring = LoadOrCreateKeyFile(path_, /*database_has_links=*/true);
      if (!ring) {
        std::fprintf(stderr, "reportshare: keeping the current signing keys: %s\n",
                     ring.error().message().c_str());
      } else {
        std::fprintf(stderr,
                     "reportshare: reloaded signing keys (active key %u, %zu in the ring)\n",
                     ring->active().id.value, ring->keys().size());
        keys_.Set(std::move(*ring));
      }
      last_ = now;
    }
  }

  const std::string path_;
  service::KeyRingHolder& keys_;
  std::string last_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

int Serve(const Options& o) {
  auto listen = ParseListenAddress(o.listen);
  if (!listen) return Fail(listen.error());
  int threads = o.threads > 0 ? o.threads
                              : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto store = OpenStore(o.db, threads + 2);
  if (!store) return Fail(store.error());
  auto has_links = (*store)->HasLinks();
  if (!has_links) return Fail(has_links.error());
  auto key_file = KeyFilePath(o);
  if (!key_file) return Fail(key_file.error());
  auto ring = LoadOrCreateKeyFile(*key_file, *has_links);
  if (!ring) return Fail(ring.error());
  service::KeyRingHolder keys(std::move(*ring));
  KeyFileWatcher watcher(*key_file, keys);
  SystemClock clock;
  auto renderer = render::MakeBasicRenderer();

  std::unique_ptr<http::Api> api;
  http::HttpMetrics metrics;
  http::RateLimiter limiter(o.rate_limit, o.rate_burst, clock);
  std::atomic<bool> draining{false};
  http::ServerOptions server_options;
  server_options.max_connections = static_cast<size_t>(o.max_connections);
  // Each worker loads its own Pango font map before its first request.
  server_options.worker_init = [] { render::WarmUpRenderThread(); };
  server_options.run_inline = &http::Api::NeverBlocks;
  server_options.on_response = [&metrics](const http::Response& res, double seconds) {
    metrics.Record(res.route, res.status, seconds);
  };
  server_options.on_drain = [&draining] {
    draining = true;
    std::fprintf(stderr, "reportshare: draining: no new connections, finishing requests\n");
  };
  server_options.host = listen->host;
  server_options.port = listen->port;
  server_options.threads = threads;
  server_options.worker_threads = threads;
  server_options.header_timeout = std::chrono::seconds(o.header_timeout_s);
  server_options.idle_timeout = std::chrono::seconds(o.idle_timeout_s);
  auto server = http::Server::Create(server_options,
                                     [&api](const http::Request& req) { return api->Handle(req); });
  if (!server) return Fail(server.error());

  std::string host_for_url =
      listen->host.find(':') != std::string::npos ? "[" + listen->host + "]" : listen->host;
  std::string bound = host_for_url + ":" + std::to_string((*server)->port());
  std::string public_url = "http://" + bound;
  if (!o.public_url.empty()) {
    auto normalized = NormalizePublicUrl(o.public_url);
    if (!normalized) return Fail(normalized.error());
    public_url = *normalized;
  }
  service::PdfCache pdf_cache(static_cast<size_t>(o.pdf_cache_mb) * 1024 * 1024);
  service::OpenRecorder opens(**store, std::chrono::milliseconds(o.view_flush_ms));
  service::ReportService reports(**store, *renderer, keys, clock, public_url, &pdf_cache, &opens);
  api = std::make_unique<http::Api>(
      reports, http::ApiOptions{&metrics, limiter.enabled() ? &limiter : nullptr, &draining});

  if (o.demo) {
    auto company = (*store)->EnsureCompany(kDemoCompany);
    if (!company) return Fail(company.error());
    std::string ids;
    for (const Report& r : DemoReports(clock.Now())) {
      auto put = (*store)->PutReport(*company, r, clock.Now());
      if (!put) return Fail(put.error());
      ids += (ids.empty() ? "" : ", ") + std::to_string(r.report_id.value);
    }
    auto key = service::CreateApiKey(**store, kDemoCompany, clock);
    if (!key) return Fail(key.error());
    std::fprintf(stderr,
                 "\nreportshare demo: company \"%s\" with reports %s\n"
                 "  (318: report 318 of assessment 138; 319: Devanagari name; 320: Arabic name;\n"
                 "   321: 40 sections x 10 skills; 322: Pending)\n"
                 "API key: %s   (key id %s; shown once)\n\n"
                 "Try it:\n"
                 "  curl -s -X POST -H %s -H 'Content-Type: application/json' "
                 "-d '{\"expiration_hours\": 2}' %s/assessments/reports/318/share\n\n",
                 kDemoCompany, ids.c_str(), key->key.c_str(), key->key_id.c_str(),
                 ShellQuote("apiKey: " + key->key).c_str(), public_url.c_str());
  }
  std::fprintf(stderr, "reportshare: listening on http://%s (links on %s, %d threads)\n",
               bound.c_str(), public_url.c_str(), threads);
  std::fflush(stderr);
  (*server)->Run();
  std::fprintf(stderr, "reportshare: stopped\n");
  return 0;
}

int KeysCreate(const Options& o) {
  auto store = OpenStore(o.db, 1);
  if (!store) return Fail(store.error());
  SystemClock clock;
  auto key = service::CreateApiKey(**store, o.company, clock);
  if (!key) return Fail(key.error());
  std::cout << key->key << std::endl;
  std::fprintf(stderr, "created key id %s for company \"%s\" (the key is shown only once)\n",
               key->key_id.c_str(), key->company_name.c_str());
  return 0;
}

int KeysList(const Options& o) {
  auto store = OpenStore(o.db, 1);
  if (!store) return Fail(store.error());
  auto keys = (*store)->ListApiKeys();
  if (!keys) return Fail(keys.error());
  for (const auto& k : *keys) {
    std::cout << k.key_id << "\t" << k.company_name << "\t"
              << core::FormatRfc3339Seconds(k.created_at) << "\t"
              << (k.revoked_at ? "revoked" : "active") << "\n";
  }
  return 0;
}

int KeysRevoke(const Options& o) {
  auto store = OpenStore(o.db, 1);
  if (!store) return Fail(store.error());
  auto revoked = (*store)->RevokeApiKey(o.key_id, SystemClock().Now());
  if (!revoked) return Fail(revoked.error());
  std::fprintf(stderr, *revoked ? "revoked key %s\n" : "key %s was already revoked\n",
               o.key_id.c_str());
  return 0;
}

int Render(const Options& o) {
  auto store = OpenStore(o.db, 1);
  if (!store) return Fail(store.error());
  auto found = (*store)->GetReport(ReportId{o.report_id});
  if (!found) return Fail(found.error());
  if (!*found) return Fail(Status::NotFound("no report " + std::to_string(o.report_id)));
  if (!(*found)->report.completed()) {
    return Fail(
        Status::FailedPrecondition("report " + std::to_string(o.report_id) + " is not Completed"));
  }
  auto renderer = render::MakeBasicRenderer();
  Instant now = SystemClock().Now();
  auto pdf = renderer->RenderPdf(**found, now);
  if (!pdf) return Fail(pdf.error());
  RS_CHECK_WRITE(WriteFile(o.output, *pdf));
  if (!o.html_output.empty()) {
    RS_CHECK_WRITE(WriteFile(o.html_output, renderer->RenderHtml(**found, now, "#")));
  }
  std::fprintf(stderr, "wrote %s (%zu bytes)\n", o.output.c_str(), pdf->size());
  return 0;
}

int Import(const Options& o) {
  std::string text;
  if (o.input == "-") {
    std::stringstream buf;
    buf << std::cin.rdbuf();
    text = buf.str();
  } else {
    auto read = ReadFile(o.input);
    if (!read) return Fail(read.error());
    text = std::move(*read);
  }
  auto store = OpenStore(o.db, 1);
  if (!store) return Fail(store.error());
  auto company = (*store)->EnsureCompany(o.company);
  if (!company) return Fail(company.error());
  bool tty = ::isatty(STDERR_FILENO) != 0;
  SystemClock clock;
  auto summary = service::ImportReports(
      **store, *company, text, clock,
      [&](const service::ImportError& e) {
        std::fprintf(stderr, "%sline %lld: %s\n", tty ? "\r\033[K" : "",
                     static_cast<long long>(e.line), e.message.c_str());
      },
      [&](const service::ImportSummary& s) {
        if (tty) {
          std::fprintf(stderr, "\r\033[Kimported %lld, failed %lld",
                       static_cast<long long>(s.imported), static_cast<long long>(s.failed));
        }
      });
  if (tty) std::fprintf(stderr, "\n");
  if (!summary) return Fail(summary.error());
  std::fprintf(stderr, "imported %lld report(s) for \"%s\"; %lld failed\n",
               static_cast<long long>(summary->imported), o.company.c_str(),
               static_cast<long long>(summary->failed));
  return summary->failed == 0 ? 0 : 1;
}

// The token of a link URL (the last path segment, without query or
// fragment), or the argument itself.
std::string_view TokenOf(std::string_view link) {
  size_t end = link.find_first_of("?#");
  link = link.substr(0, end);
  size_t slash = link.rfind('/');
  return slash == std::string_view::npos ? link : link.substr(slash + 1);
}

int LinkInspect(const Options& o) {
  std::string_view token = TokenOf(o.link);
  auto claims = links::DecodeTokenUnverified(token);
  if (!claims) {
    std::printf("status:     malformed\n");
    std::fprintf(stderr,
                 "reportshare: not a reportshare link token (wrong length, characters "
                 "or version)\n");
    return 2;
  }
  Instant at = SystemClock().Now();
  if (!o.at.empty()) {
    auto parsed = core::ParseRfc3339(o.at);
    if (!parsed) return Fail(Status::InvalidArgument("--at must be an RFC 3339 date-time")), 2;
    at = *parsed;
  }
  std::printf("report_id:  %lld\nlink_id:    %s\nkey_id:     %u\nexpires_at: %s\n",
              static_cast<long long>(claims->report_id.value), claims->link_id.ToString().c_str(),
              claims->key_id.value, core::FormatRfc3339Micros(claims->expires_at).c_str());
  auto key_file = KeyFilePath(o);
  if (!key_file) return Fail(key_file.error()), 2;
  auto ring = LoadOrCreateKeyFile(*key_file, /*database_has_links=*/true);
  if (!ring) return Fail(ring.error()), 2;
  if (!links::VerifyToken(*ring, token)) {
    std::printf("status:     bad signature%s\n",
                ring->Find(claims->key_id) ? "" : " (key id not in the key ring)");
    return 2;
  }
  if (links::IsExpired(*claims, at)) {
    std::printf("status:     expired\n");
    return 1;
  }
  auto store = OpenStore(o.db, 1);
  if (!store) return Fail(store.error()), 2;
  auto link = (*store)->GetLink(claims->link_id);
  if (!link) return Fail(link.error()), 2;
  if (!*link) {
    std::printf("status:     bad signature (signed, but unknown to this database)\n");
    return 2;
  }
  if ((*link)->revoked_at) {
    std::printf("status:     revoked (at %s)\n",
                core::FormatRfc3339Micros(*(*link)->revoked_at).c_str());
    return 1;
  }
  std::printf("status:     valid\n");
  return 0;
}

// Loads the key file, applies `change` to the ring, writes it back, and
// prints `done` (with the new active key id) on stderr.
int ChangeSigningKeys(const Options& o,
                      const std::function<Result<links::KeyRing>(const links::KeyRing&)>& change,
                      const char* done) {
  auto key_file = KeyFilePath(o);
  if (!key_file) return Fail(key_file.error());
  auto ring = LoadOrCreateKeyFile(*key_file, /*database_has_links=*/true);
  if (!ring) return Fail(ring.error());
  auto next = change(*ring);
  if (!next) return Fail(next.error());
  if (Status s = WriteKeyFile(*key_file, *next); !s.ok()) return Fail(s);
  std::string ids;
  for (const auto& k : next->keys()) ids += (ids.empty() ? "" : ", ") + std::to_string(k.id.value);
  std::fprintf(stderr, "%s\n%s: active key %u; keys %s (running servers reload within seconds)\n",
               done, key_file->c_str(), next->active().id.value, ids.c_str());
  return 0;
}

int RotateSigning(const Options& o) {
  return ChangeSigningKeys(
      o, [](const links::KeyRing& r) { return r.WithNewActiveKey(); },
      "a new signing key is active; links signed by older keys keep working");
}

int AddSigning(const Options& o) {
  return ChangeSigningKeys(
      o, [](const links::KeyRing& r) { return r.WithNewKey(); },
      "a new signing key verifies but does not sign yet; activate it once every node has it");
}

int ActivateSigning(const Options& o) {
  return ChangeSigningKeys(
      o, [&o](const links::KeyRing& r) { return r.WithActiveKey(SigningKeyId{o.signing_key_id}); },
      "signing key activated");
}

int RetireSigning(const Options& o) {
  return ChangeSigningKeys(
      o, [&o](const links::KeyRing& r) { return r.WithoutKey(SigningKeyId{o.signing_key_id}); },
      "signing key retired; links it signed no longer open");
}

// Each subcommand gets its own --db target: CLI11 reads REPORTSHARE_DB for
// subcommands that were not chosen too, and a shared target would let that
// overwrite the chosen subcommand's --db flag.
void AddDbOption(CLI::App& cmd, std::string& db) {
  cmd.add_option("--db", db, "Database: sqlite:PATH or postgresql://USER@HOST:PORT/DB")
      ->envname("REPORTSHARE_DB")
      ->capture_default_str();
}

}  // namespace

int Main(int argc, char** argv) {
  Options o;
  std::string serve_db = o.db, create_db = o.db, list_db = o.db, revoke_db = o.db, rotate_db = o.db,
              retire_db = o.db, add_db = o.db, activate_db = o.db, inspect_db = o.db,
              render_db = o.db, import_db = o.db;
  CLI::App app{"reportshare: signed, time-limited links to candidates' assessment reports"};
  app.require_subcommand(1);

  CLI::App* serve = app.add_subcommand("serve", "Run the HTTP API");
  AddDbOption(*serve, serve_db);
  serve->add_option("--listen", o.listen, "HOST:PORT to listen on (port 0: any free port)")
      ->envname("REPORTSHARE_LISTEN")
      ->capture_default_str();
  serve
      ->add_option("--public-url", o.public_url,
                   "Scheme, host and optional path prefix links are built on "
                   "(default: http:// + the listen address)")
      ->envname("REPORTSHARE_PUBLIC_URL");
  serve
      ->add_option("--threads", o.threads,
                   "I/O threads, and as many request workers (default: one per core)")
      ->envname("REPORTSHARE_THREADS")
      ->check(CLI::Range(0, 256));
  serve
      ->add_option("--signing-keys", o.signing_keys,
                   "Signing key file (default: the SQLite file + .signing-keys)")
      ->envname("REPORTSHARE_SIGNING_KEYS");
  serve
      ->add_option("--header-timeout", o.header_timeout_s,
                   "Seconds a client has to send a whole request header")
      ->envname("REPORTSHARE_HEADER_TIMEOUT")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  serve
      ->add_option("--idle-timeout", o.idle_timeout_s,
                   "Seconds an idle keep-alive connection is kept open")
      ->envname("REPORTSHARE_IDLE_TIMEOUT")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  serve
      ->add_option("--rate-limit", o.rate_limit,
                   "Requests per second allowed per API key (token bucket); 0 turns it off")
      ->envname("REPORTSHARE_RATE_LIMIT")
      ->check(CLI::Range(0.0, 1e9))
      ->capture_default_str();
  serve->add_option("--rate-burst", o.rate_burst, "Burst size of the per-key token bucket")
      ->envname("REPORTSHARE_RATE_BURST")
      ->check(CLI::Range(1.0, 1e9))
      ->capture_default_str();
  serve
      ->add_option("--max-connections", o.max_connections,
                   "Open connections beyond this are answered 503 and closed")
      ->envname("REPORTSHARE_MAX_CONNECTIONS")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  serve
      ->add_option("--pdf-cache-mb", o.pdf_cache_mb,
                   "Memory for rendered PDFs, in MiB (least recently used evicted); 0 turns "
                   "the cache off")
      ->envname("REPORTSHARE_PDF_CACHE_MB")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
  serve
      ->add_option("--view-flush-ms", o.view_flush_ms,
                   "Link opens are written to the database in batches at most this many "
                   "milliseconds after they happen")
      ->envname("REPORTSHARE_VIEW_FLUSH_MS")
      ->check(CLI::Range(1, 60000))
      ->capture_default_str();
  serve->add_flag("--demo", o.demo, "Load demo reports and print a fresh API key")
      ->envname("REPORTSHARE_DEMO");

  CLI::App* keys = app.add_subcommand("keys", "Manage API keys");
  keys->require_subcommand(1);
  CLI::App* create = keys->add_subcommand("create", "Create an API key for a company");
  AddDbOption(*create, create_db);
  create->add_option("--company", o.company, "Company name (created if new)")
      ->envname("REPORTSHARE_COMPANY")
      ->required();
  CLI::App* list = keys->add_subcommand("list", "List API keys");
  AddDbOption(*list, list_db);
  CLI::App* revoke = keys->add_subcommand("revoke", "Revoke an API key");
  AddDbOption(*revoke, revoke_db);
  revoke->add_option("KEY_ID", o.key_id, "Key id as shown by keys list")->required();

  auto add_signing_keys = [&o](CLI::App& cmd) {
    cmd.add_option("--signing-keys", o.signing_keys,
                   "Signing key file (default: the SQLite file + .signing-keys)")
        ->envname("REPORTSHARE_SIGNING_KEYS");
  };
  CLI::App* rotate = keys->add_subcommand(
      "rotate-signing", "Make a new signing key active; older keys keep verifying");
  AddDbOption(*rotate, rotate_db);
  add_signing_keys(*rotate);
  CLI::App* add = keys->add_subcommand(
      "add-signing", "Add a signing key that verifies but does not sign yet (cluster rollout)");
  AddDbOption(*add, add_db);
  add_signing_keys(*add);
  CLI::App* activate =
      keys->add_subcommand("activate-signing", "Make a signing key in the ring the one that signs");
  AddDbOption(*activate, activate_db);
  add_signing_keys(*activate);
  activate->add_option("SIGNING_KEY_ID", o.signing_key_id, "Signing key id")->required();
  CLI::App* retire =
      keys->add_subcommand("retire-signing", "Remove a signing key: links it signed stop opening");
  AddDbOption(*retire, retire_db);
  add_signing_keys(*retire);
  retire->add_option("SIGNING_KEY_ID", o.signing_key_id, "Signing key id")->required();

  CLI::App* link = app.add_subcommand("link", "Work with shared links");
  link->require_subcommand(1);
  CLI::App* inspect = link->add_subcommand(
      "inspect",
      "Decode and verify a link: exit 0 valid, 1 expired or revoked, 2 malformed or "
      "bad signature");
  AddDbOption(*inspect, inspect_db);
  add_signing_keys(*inspect);
  inspect->add_option("LINK", o.link, "The link URL or its token")->required();
  inspect->add_option("--at", o.at, "Judge expiry at this RFC 3339 instant instead of now");

  CLI::App* render = app.add_subcommand("render", "Render a report's PDF without a server");
  AddDbOption(*render, render_db);
  render->add_option("REPORT_ID", o.report_id, "Report id")
      ->required()
      ->check(CLI::Range(int64_t{1}, INT64_MAX));
  render->add_option("-o,--output", o.output, "PDF file to write")->required();
  render->add_option("--html", o.html_output, "Also write the HTML page to this file");

  CLI::App* import =
      app.add_subcommand("import", "Import reports from a JSON array or NDJSON file (- for stdin)");
  AddDbOption(*import, import_db);
  import->add_option("FILE", o.input, "File to read, or - for stdin")->required();
  import->add_option("--company", o.company, "Company that owns the reports (created if new)")
      ->envname("REPORTSHARE_COMPANY")
      ->required();

  CLI11_PARSE(app, argc, argv);

  if (serve->parsed()) return o.db = serve_db, Serve(o);
  if (create->parsed()) return o.db = create_db, KeysCreate(o);
  if (list->parsed()) return o.db = list_db, KeysList(o);
  if (revoke->parsed()) return o.db = revoke_db, KeysRevoke(o);
  if (rotate->parsed()) return o.db = rotate_db, RotateSigning(o);
  if (retire->parsed()) return o.db = retire_db, RetireSigning(o);
  if (add->parsed()) return o.db = add_db, AddSigning(o);
  if (activate->parsed()) return o.db = activate_db, ActivateSigning(o);
  if (inspect->parsed()) return o.db = inspect_db, LinkInspect(o);
  if (render->parsed()) return o.db = render_db, Render(o);
  if (import->parsed()) return o.db = import_db, Import(o);
  return 2;
}

}  // namespace reportshare::app

int main(int argc, char** argv) { return reportshare::app::Main(argc, argv); }
