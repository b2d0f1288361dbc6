#pragma once

// The subcommands of the binary. Each Add*Command registers its CLI11
// subcommand(s) and options on `parent` and, in `commands`, what runs when it
// is the one chosen; main() only calls these and dispatches.

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <vector>

#include "app/options.h"

namespace reportshare::app::cli {

class Commands {
 public:
  // Runs a command with what the configuration file gave it; returns the exit
  // code.
  using Run = std::function<int(const AppliedConfig&)>;

  // `command` is owned by its CLI::App parent. `run` returns the exit code.
  void Add(CLI::App& command, std::function<int()> run);

  // As Add, with what the configuration file gave `command`; a usage error on
  // it (a bad flag or environment variable) exits with `usage_error_exit`
  // rather than CLI11's own code, unless that is 0.
  void Add(CLI::App& command, Run run, int usage_error_exit = 0);

  // Parses the command line into `app`. On a usage error, --help or
  // --version, prints what CLI11 prints and returns the exit code; else
  // nullopt.
  std::optional<int> Parse(CLI::App& app, int argc, char** argv) const;

  // Applies the configuration file to the subcommand the command line chose
  // (ApplyConfigFile; its error is printed and gives exit code 1), then runs
  // it. 2 if none was chosen (CLI11's require_subcommand makes that a parse
  // error first).
  int RunChosen() const;

 private:
  struct Entry {
    CLI::App* command;
    Run run;
    int usage_error_exit;  // 0: CLI11's own code
  };
  std::vector<Entry> commands_;
};

void AddServeCommand(CLI::App& parent, Commands& commands);         // serve.cc
void AddApiKeyCommands(CLI::App& keys, Commands& commands);         // keys.cc
void AddSigningKeyCommands(CLI::App& keys, Commands& commands);     // signing_keys.cc
void AddLinkInspectCommand(CLI::App& link, Commands& commands);     // link_inspect.cc
void AddRenderCommand(CLI::App& parent, Commands& commands);        // render.cc
void AddRenderWorkerCommand(CLI::App& parent, Commands& commands);  // render.cc
void AddImportCommand(CLI::App& parent, Commands& commands);        // import.cc
void AddConfigCheckCommand(CLI::App& config, Commands& commands);   // config_check.cc

}  // namespace reportshare::app::cli
