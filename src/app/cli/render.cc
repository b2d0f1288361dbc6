// render: a report's PDF (and optionally its HTML page) without a server;
// render-worker: the child process a server renders its PDFs in.

#include <cstdio>
#include <memory>
#include <string>

#include "app/cli/commands.h"
#include "app/cli/common.h"
#include "render/renderer.h"
#include "render/worker/child.h"

namespace reportshare::app::cli {
namespace {

struct RenderFlags {
  std::string db = kDefaultDatabaseUrl;
  int64_t report_id = 0;
  std::string output;       // the PDF
  std::string html_output;  // empty: no HTML
};

int Render(const RenderFlags& flags) {
  auto store = OpenCliStore(flags.db);
  if (!store) return Fail(store.error());
  auto found = (*store)->GetReport(ReportId{flags.report_id});
  if (!found) return Fail(found.error());
  const std::string report = "report " + std::to_string(flags.report_id);
  if (!*found) return Fail(Status::NotFound("no " + report));
  if (!(*found)->report.completed()) {
    return Fail(Status::FailedPrecondition(report + " is not Completed"));
  }
  // In the company's branding, as its links and downloads show it.
  render::RenderOptions options;
  if ((*found)->branding_version > 0) {
    auto branding = (*store)->GetBranding((*found)->company_id);
    if (!branding) return Fail(branding.error());
    options.branding = std::make_shared<const Branding>(std::move(*branding));
  }
  auto renderer = render::MakeBasicRenderer();
  Instant now = SystemClock().Now();
  auto pdf = renderer->RenderPdf(**found, now, options);
  if (!pdf) return Fail(pdf.error());
  if (Status s = WriteFile(flags.output, *pdf); !s.ok()) return Fail(s);
  if (!flags.html_output.empty()) {
    render::RenderOptions page = render::PageOptions("#");
    page.branding = options.branding;
    Status s = WriteFile(flags.html_output, renderer->RenderHtml(**found, now, page));
    if (!s.ok()) return Fail(s);
  }
  std::fprintf(stderr, "wrote %s (%zu bytes)\n", flags.output.c_str(), pdf->size());
  return 0;
}

}  // namespace

void AddRenderCommand(CLI::App& parent, Commands& commands) {
  auto flags = std::make_shared<RenderFlags>();
  CLI::App* render = parent.add_subcommand("render", "Render a report's PDF without a server");
  AddDbOption(*render, flags->db);
  render->add_option("REPORT_ID", flags->report_id, "Report id")
      ->required()
      ->check(CLI::Range(int64_t{1}, INT64_MAX));
  render->add_option("-o,--output", flags->output, "PDF file to write")->required();
  render->add_option("--html", flags->html_output, "Also write the HTML page to this file");
  commands.Add(*render, [flags] { return Render(*flags); });
}

void AddRenderWorkerCommand(CLI::App& parent, Commands& commands) {
  // Started by serve's render worker pool (render/worker/pool.h) with its
  // socket on fd 3; not for people, so it is not listed in --help.
  CLI::App* worker = parent.add_subcommand("render-worker", "Render PDFs for a server (internal)");
  worker->group("");
  commands.Add(*worker, [] { return render::worker::RunRenderWorker(); });
}

}  // namespace reportshare::app::cli
