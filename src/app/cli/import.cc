// import: reports from a JSON array or NDJSON file, or stdin.

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "app/cli/commands.h"
#include "app/cli/common.h"
#include "service/importer.h"

namespace reportshare::app::cli {
namespace {

struct ImportFlags {
  std::string db = kDefaultDatabaseUrl;
  std::string input;  // a file, or "-" for stdin
  std::string company;
};

Result<std::string> ReadInput(const std::string& input) {
  if (input != "-") return ReadFile(input);
  std::stringstream buf;
  buf << std::cin.rdbuf();
  return buf.str();
}

// Errors name the input line; on a terminal a progress line is redrawn too.
int Import(const ImportFlags& flags) {
  auto text = ReadInput(flags.input);
  if (!text) return Fail(text.error());
  auto store = OpenCliStore(flags.db);
  if (!store) return Fail(store.error());
  auto company = (*store)->EnsureCompany(flags.company);
  if (!company) return Fail(company.error());
  bool tty = ::isatty(STDERR_FILENO) != 0;
  SystemClock clock;
  auto summary = service::ImportReports(
      **store, *company, *text, clock,
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
               static_cast<long long>(summary->imported), flags.company.c_str(),
               static_cast<long long>(summary->failed));
  return summary->failed == 0 ? 0 : 1;
}

}  // namespace

void AddImportCommand(CLI::App& parent, Commands& commands) {
  auto flags = std::make_shared<ImportFlags>();
  CLI::App* import = parent.add_subcommand(
      "import", "Import reports from a JSON array or NDJSON file (- for stdin)");
  AddDbOption(*import, flags->db);
  import->add_option("FILE", flags->input, "File to read, or - for stdin")->required();
  AddCompanyOption(*import, flags->company, "Company that owns the reports (created if new)");
  commands.Add(*import, [flags] { return Import(*flags); });
}

}  // namespace reportshare::app::cli
