#pragma once

// The subcommands of the binary. Each Add*Command registers its CLI11
// subcommand(s) and options on `parent` and, in `commands`, what runs when it
// is the one chosen; main() only calls these and dispatches.

#include <CLI/CLI.hpp>

#include <functional>
#include <utility>
#include <vector>

namespace reportshare::app::cli {

class Commands {
 public:
  // `run` returns the exit code. `command` is owned by its CLI::App parent.
  void Add(CLI::App& command, std::function<int()> run);

  // Runs the subcommand the command line chose; 2 if none was (CLI11's
  // require_subcommand makes that a parse error first).
  int RunChosen() const;

 private:
  std::vector<std::pair<CLI::App*, std::function<int()>>> commands_;
};

void AddServeCommand(CLI::App& parent, Commands& commands);         // serve.cc
void AddApiKeyCommands(CLI::App& keys, Commands& commands);         // keys.cc
void AddSigningKeyCommands(CLI::App& keys, Commands& commands);     // signing_keys.cc
void AddLinkInspectCommand(CLI::App& link, Commands& commands);     // link_inspect.cc
void AddRenderCommand(CLI::App& parent, Commands& commands);        // render.cc
void AddRenderWorkerCommand(CLI::App& parent, Commands& commands);  // render.cc
void AddImportCommand(CLI::App& parent, Commands& commands);        // import.cc

}  // namespace reportshare::app::cli
