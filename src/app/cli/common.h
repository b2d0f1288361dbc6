#pragma once

// What the subcommands share: the common options (the ones a configuration
// file can set are in app/options.h), one way to fail, and file I/O. The CLI's own output (keys,
// tables, progress) is plain text on stdout and stderr; diagnostics of the running server go
// through core/log.h.

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "app/config.h"
#include "app/options.h"
#include "core/status.h"
#include "store/store.h"

namespace reportshare::app::cli {

// Prints "reportshare: error: MESSAGE" on stderr and returns 1.
int Fail(const Status& status);

// --company NAME (REPORTSHARE_COMPANY), required.
void AddCompanyOption(CLI::App& command, std::string& company, const std::string& help);

// Opens the store `db` names with one connection.
Result<std::unique_ptr<store::Store>> OpenCliStore(const std::string& db);

// The whole of `path`; kNotFound "cannot read PATH".
Result<std::string> ReadFile(const std::string& path);

// Replaces `path` with `data`; kUnavailable "cannot write PATH".
Status WriteFile(const std::string& path, std::string_view data);

}  // namespace reportshare::app::cli
