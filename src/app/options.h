#pragma once

// The options of the subcommands, bound to CLI11 with their environment
// variables, and the configuration file laid under them (SPEC §9). Each value
// comes from the first of: its flag, its environment variable (REPORTSHARE_…),
// the configuration file (--config FILE or REPORTSHARE_CONFIG; TOML, the keys
// being the long option names without the dashes), its default (the field's
// initializer in config.h).
//
// CLI11 takes the flags and the variables as it parses the command line;
// ApplyConfigFile then gives the file's value to each option neither set,
// through that option's own conversion and check. (CLI11's own config-file
// support reads the file before the environment, so a variable could not beat
// the file, and it would take "4" for a number.)
//
// The keys a file may hold are serve's options, whichever subcommand reads it:
// every subcommand that takes --db takes --config too, checks the whole file
// (unknown keys and the kinds of values) and uses the keys it has options for
// (db, signing-keys), checking their values as it does a flag's.

#include <CLI/CLI.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/config.h"
#include "app/config_file.h"
#include "core/status.h"

namespace reportshare::app {

// --db, bound to `db` (REPORTSHARE_DB), and --config (REPORTSHARE_CONFIG):
// a subcommand that reads the database reads the configuration file too.
// Every subcommand binds its own target: CLI11 reads REPORTSHARE_DB for
// subcommands that were not chosen too, and a shared target would let that
// overwrite the chosen one's --db flag.
void AddDbOption(CLI::App& command, std::string& db);

// --signing-keys, bound to `signing_keys` (REPORTSHARE_SIGNING_KEYS).
void AddSigningKeysOption(CLI::App& command, std::string& signing_keys);

// --db (with --config) and --signing-keys.
void AddDataOptions(CLI::App& command, DataFlags& flags);

// Every option of serve, bound to `flags`, with --config. The numbers' ranges
// are checked as they are parsed (or read from the file); config.cc checks
// the rest.
void AddServeOptions(CLI::App& command, ServeFlags& flags);

// The kind of value `option` takes, from the type CLI11 converts it to: a
// flag takes true or false; an int an integer; a double a number; anything
// else a string.
ValueKind KindOf(const CLI::Option& option);

// Every key a configuration file may hold, with the kind of its value: serve's
// options (but --help and --config), in the order serve declares them.
const std::vector<std::pair<std::string, ValueKind>>& ConfigKeys();

// Where an option's value came from.
enum class Source { kDefault, kFile, kEnvironment, kFlag };

struct Setting {
  std::string key;                // the long option name without the dashes
  CLI::Option* option = nullptr;  // owned by the command
  Source source = Source::kDefault;
  int file_line = 0;  // the key's line in the file, whatever the source; 0: not there
};

// What ApplyConfigFile did to a command.
struct AppliedConfig {
  std::string file;                       // the configuration file read; empty: none
  Source file_source = Source::kDefault;  // how it was named: kFlag or kEnvironment
  std::vector<Setting> settings;          // the command's options a file may set, in its order

  // The setting of `key`, or nullptr if the command has no such option.
  const Setting* Find(std::string_view key) const;
};

// After CLI11 has parsed `command` (flags and environment variables): reads
// the file its --config names, if it has the option and it was given, and
// gives each of its options that neither a flag nor a variable set the file's
// value. Returns every such option's source. Fails with a one-line message
// naming the file, the line and the key, never quoting a value:
// kNotFound if the file cannot be read; kInvalidArgument for a TOML syntax
// error, an unknown key (anywhere in the file), a value of the wrong kind (a
// string or 1.5 for an integer; anywhere in the file) or a bad value (out of
// range, or a listen address without a port: the check the flag gets; for the
// keys `command` has options for). On failure `command`'s targets may hold
// some of the file's values. Call once, after parsing.
Result<AppliedConfig> ApplyConfigFile(CLI::App& command);

}  // namespace reportshare::app
