// reportshare: the one binary (SPEC §3). main only lays out the subcommands
// and dispatches: each lives in cli/, the configuration in config.h and
// options.h, and the wiring of stores, services and server (the only code
// naming a database) in wiring.h.
#include <CLI/CLI.hpp>

#include "app/cli/commands.h"
#include "app/version.h"

int main(int argc, char** argv) {
  namespace cli = reportshare::app::cli;
  CLI::App app{"reportshare: signed, time-limited links to candidates' assessment reports"};
  app.set_version_flag("-V,--version", reportshare::app::VersionLine(),
                       "Print the version and exit");
  app.require_subcommand(1);
  cli::Commands commands;

  cli::AddServeCommand(app, commands);

  CLI::App* keys = app.add_subcommand("keys", "Manage API keys");
  keys->require_subcommand(1);
  cli::AddApiKeyCommands(*keys, commands);
  cli::AddSigningKeyCommands(*keys, commands);

  CLI::App* link = app.add_subcommand("link", "Work with shared links");
  link->require_subcommand(1);
  cli::AddLinkInspectCommand(*link, commands);

  cli::AddRenderCommand(app, commands);
  cli::AddRenderWorkerCommand(app, commands);
  cli::AddImportCommand(app, commands);

  CLI::App* config = app.add_subcommand("config", "Check the configuration");
  config->require_subcommand(1);
  cli::AddConfigCheckCommand(*config, commands);

  if (auto exit_code = commands.Parse(app, argc, argv)) return *exit_code;
  return commands.RunChosen();
}
