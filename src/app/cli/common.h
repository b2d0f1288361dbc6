#pragma once

// What the subcommands share: the common options, one way to fail, and file
// I/O. The CLI's own output (keys, tables, progress) is plain text on stdout
// and stderr; diagnostics of the running server go through core/log.h.

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "app/config.h"
#include "core/status.h"
#include "store/store.h"

namespace reportshare::app::cli {

// Prints "reportshare: error: MESSAGE" on stderr and returns 1.
int Fail(const Status& status);

// --db, bound to `db` (REPORTSHARE_DB). Every subcommand binds its own
// target: CLI11 reads REPORTSHARE_DB for subcommands that were not chosen too,
// and a shared target would let that overwrite the chosen one's --db flag.
void AddDbOption(CLI::App& command, std::string& db);

// --signing-keys, bound to `signing_keys` (REPORTSHARE_SIGNING_KEYS).
void AddSigningKeysOption(CLI::App& command, std::string& signing_keys);

// --db and --signing-keys.
void AddDataOptions(CLI::App& command, DataFlags& flags);

// --company NAME (REPORTSHARE_COMPANY), required.
void AddCompanyOption(CLI::App& command, std::string& company, const std::string& help);

// Opens the store `db` names with one connection.
Result<std::unique_ptr<store::Store>> OpenCliStore(const std::string& db);

// The whole of `path`; kNotFound "cannot read PATH".
Result<std::string> ReadFile(const std::string& path);

// Replaces `path` with `data`; kUnavailable "cannot write PATH".
Status WriteFile(const std::string& path, std::string_view data);

}  // namespace reportshare::app::cli
