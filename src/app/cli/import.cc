// import: reports from a JSON array or NDJSON file, or stdin, streamed.

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "app/cli/commands.h"
#include "app/cli/common.h"
#include "app/cli/progress.h"
#include "service/importer.h"

namespace reportshare::app::cli {
namespace {

struct ImportFlags {
  std::string db = kDefaultDatabaseUrl;
  std::string input;  // a file, or "-" for stdin
  std::string company;
  double progress_interval = 5;  // seconds between plain progress lines
};

// The size of a regular file on `fd` (a file given by name, or stdin
// redirected from one), for the percent and the time left; nullopt for a
// pipe or a terminal.
std::optional<int64_t> RegularFileSize(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return static_cast<int64_t>(st.st_size);
}

int TerminalColumns() {
  struct winsize ws;
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

void WriteStderr(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

ProgressCounts ToCounts(const service::ImportSummary& s) {
  return ProgressCounts{s.imported, s.failed, s.bytes_read};
}

// Errors name the input line; progress goes to stderr, redrawn on a terminal.
int Import(const ImportFlags& flags) {
  if (!(flags.progress_interval >= 0)) {
    return Fail(Status::InvalidArgument("--progress-interval must be 0 or more seconds"));
  }
  std::ifstream file;
  std::istream* input = &std::cin;
  std::optional<int64_t> size;
  if (flags.input == "-") {
    size = RegularFileSize(STDIN_FILENO);
  } else {
    struct stat st;
    if (::stat(flags.input.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) {
      return Fail(Status::NotFound("cannot read " + flags.input));
    }
    file.open(flags.input, std::ios::binary);
    if (!file) return Fail(Status::NotFound("cannot read " + flags.input));
    input = &file;
    if (S_ISREG(st.st_mode)) size = static_cast<int64_t>(st.st_size);
  }
  auto store = OpenCliStore(flags.db);
  if (!store) return Fail(store.error());
  auto company = (*store)->EnsureCompany(flags.company);
  if (!company) return Fail(company.error());

  SystemClock clock;
  ProgressOptions options;
  options.terminal = ::isatty(STDERR_FILENO) != 0;
  options.interval = std::chrono::microseconds{static_cast<int64_t>(flags.progress_interval * 1e6)};
  options.total_bytes = size;
  if (options.terminal) options.columns = TerminalColumns();
  ImportProgress progress(WriteStderr, clock, options);
  const Instant start = clock.Now();
  service::ImportResult result = service::ImportReports(
      **store, *company, *input, clock,
      [&](const service::ImportError& e) { progress.Error(e.line, e.message); },
      [&](const service::ImportSummary& s) { progress.Update(ToCounts(s)); });
  progress.Finish(ToCounts(result.summary));

  const service::ImportSummary& s = result.summary;
  const double seconds = std::chrono::duration<double>(clock.Now() - start).count();
  std::fprintf(stderr, "imported %lld report(s) for \"%s\"%s; %lld failed; %.1f s\n",
               static_cast<long long>(s.imported), flags.company.c_str(),
               result.status.ok() ? "" : " before the import stopped",
               static_cast<long long>(s.failed), seconds);
  if (!result.status.ok()) return Fail(result.status);
  return s.failed == 0 ? 0 : 1;
}

}  // namespace

void AddImportCommand(CLI::App& parent, Commands& commands) {
  auto flags = std::make_shared<ImportFlags>();
  CLI::App* import = parent.add_subcommand(
      "import",
      "Import reports from a JSON array or NDJSON file (- for stdin), streamed, in batches; "
      "exits 1 if any record failed, after importing the others");
  AddDbOption(*import, flags->db);
  import->add_option("FILE", flags->input, "File to read, or - for stdin")->required();
  AddCompanyOption(*import, flags->company, "Company that owns the reports (created if new)");
  import
      ->add_option("--progress-interval", flags->progress_interval,
                   "Seconds between progress lines when stderr is not a terminal "
                   "(0: after every chunk read and batch written)")
      ->capture_default_str();
  commands.Add(*import, [flags] { return Import(*flags); });
}

}  // namespace reportshare::app::cli
