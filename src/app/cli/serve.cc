// serve: run the HTTP API (SPEC §3).

#include <sys/resource.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "app/cli/commands.h"
#include "app/cli/common.h"
#include "app/config.h"
#include "app/demo.h"
#include "app/options.h"
#include "app/version.h"
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

// Every connection is a descriptor, and service managers start a process with
// a soft RLIMIT_NOFILE of 1,024 whatever its hard limit: raise the soft one to
// the hard one (unlimited: as far as the kernel takes it), before the
// database, the render workers and the listener take theirs. The server keeps
// a reserve under the limit in force (http::ServerOptions::descriptor_reserve).
// Returns that limit (0: unknown).
uint64_t RaiseOpenFilesLimit() {
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) != 0) return 0;
  if (files.rlim_cur != RLIM_INFINITY && files.rlim_cur < files.rlim_max) {
    // No hard limit: the kernel's own cap (fs.nr_open) is 2^20 by default.
    const rlim_t want = files.rlim_max == RLIM_INFINITY ? rlim_t{1} << 20 : files.rlim_max;
    if (want > files.rlim_cur) {
      const rlimit raised{want, files.rlim_max};
      if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) files.rlim_cur = want;
    }
  }
  return files.rlim_cur == RLIM_INFINITY ? 0 : static_cast<uint64_t>(files.rlim_cur);
}

// Whatever stops the server from starting (a flag, the database, the key
// file, the port) fails like every other command: one plain line, exit 1.
int RunServe(const ServeFlags& flags, const AppliedConfig& applied) {
  auto config = MakeServeConfig(flags);
  if (!config) return Fail(config.error());
  const uint64_t open_files_limit = RaiseOpenFilesLimit();
  auto app = ServeApp::Create(*config);
  if (!app) return Fail(app.error());
  if (config->demo) {
    if (Status loaded = LoadDemo(**app); !loaded.ok()) return Fail(loaded);
  }
  // The black-box harness waits for "listening on http(s)://HOST:PORT".
  // The configuration file by its path (empty: none), never its content.
  const std::string version = Version();
  core::LogInfo("server",
                "listening on " + std::string((*app)->scheme()) + "://" + (*app)->bound_address(),
                {{"public_url", (*app)->public_url()},
                 {"threads", (*app)->threads()},
                 {"version", version},
                 {"config", applied.file},
                 {"open_files_limit", open_files_limit}});
  (*app)->Run();
  core::LogInfo("server", "stopped");
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App& parent, Commands& commands) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* serve = parent.add_subcommand("serve", "Run the HTTP API");
  AddServeOptions(*serve, *flags);
  commands.Add(*serve, [flags](const AppliedConfig& applied) { return RunServe(*flags, applied); });
}

}  // namespace reportshare::app::cli
