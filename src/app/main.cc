// reportshare: the one binary (SPEC §3). Wires the concrete store, renderer,
// key ring and HTTP server together; nothing below app/ names a database.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

#include "app/config.h"
#include "app/demo.h"
#include "app/key_file.h"
#include "core/rfc3339.h"
#include "http/api.h"
#include "http/server.h"
#include "render/renderer.h"
#include "service/api_keys.h"
#include "service/report_service.h"
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
  int header_timeout_s = 10;
  int idle_timeout_s = 60;
  std::string company;
  std::string key_id;
};

int Fail(const Status& status) {
  std::fprintf(stderr, "reportshare: error: %s\n", status.message().c_str());
  return 1;
}

Result<std::unique_ptr<store::Store>> OpenStore(const std::string& db_text, int pool_size) {
  auto url = ParseDatabaseUrl(db_text);
  if (!url) return url.error();
  if (url->kind == DatabaseUrl::Kind::kPostgres) {
    return Status::InvalidArgument(
        "PostgreSQL is not supported by this build yet; use sqlite:PATH");
  }
  auto opened = store::SqliteStore::Open(url->location, pool_size);
  if (!opened) return opened.error();
  return std::unique_ptr<store::Store>(std::move(*opened));
}

// The key file beside an SQLite database, unless --signing-keys names one.
std::string KeyFilePath(const Options& o) {
  if (!o.signing_keys.empty()) return o.signing_keys;
  auto url = ParseDatabaseUrl(o.db);
  return (url ? url->location : std::string("reportshare.db")) + ".signing-keys";
}

std::string ShellQuote(const std::string& s) { return "'" + s + "'"; }

int Serve(const Options& o) {
  auto listen = ParseListenAddress(o.listen);
  if (!listen) return Fail(listen.error());
  int threads = o.threads > 0 ? o.threads
                              : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto store = OpenStore(o.db, threads + 2);
  if (!store) return Fail(store.error());
  auto has_links = (*store)->HasLinks();
  if (!has_links) return Fail(has_links.error());
  auto ring = LoadOrCreateKeyFile(KeyFilePath(o), *has_links);
  if (!ring) return Fail(ring.error());
  service::KeyRingHolder keys(std::move(*ring));
  SystemClock clock;
  auto renderer = render::MakeBasicRenderer();

  std::unique_ptr<http::Api> api;
  http::ServerOptions server_options;
  server_options.host = listen->host;
  server_options.port = listen->port;
  server_options.threads = threads;
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
  service::ReportService reports(**store, *renderer, keys, clock, public_url);
  api = std::make_unique<http::Api>(reports);

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
    std::cout << k.key_id << "\t" << k.company_name << "\t" << FormatRfc3339Seconds(k.created_at)
              << "\t" << (k.revoked_at ? "revoked" : "active") << "\n";
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
  std::string serve_db = o.db, create_db = o.db, list_db = o.db, revoke_db = o.db;
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
  serve->add_option("--threads", o.threads, "I/O threads (default: one per core)")
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

  CLI11_PARSE(app, argc, argv);

  if (serve->parsed()) return o.db = serve_db, Serve(o);
  if (create->parsed()) return o.db = create_db, KeysCreate(o);
  if (list->parsed()) return o.db = list_db, KeysList(o);
  if (revoke->parsed()) return o.db = revoke_db, KeysRevoke(o);
  return 2;
}

}  // namespace reportshare::app

int main(int argc, char** argv) { return reportshare::app::Main(argc, argv); }
