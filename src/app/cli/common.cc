#include "app/cli/common.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "app/cli/commands.h"
#include "app/wiring.h"

namespace reportshare::app::cli {

void Commands::Add(CLI::App& command, std::function<int()> run) {
  commands_.push_back(
      {&command, [run = std::move(run)](const AppliedConfig&) { return run(); }, 0});
}

void Commands::Add(CLI::App& command, Run run, int usage_error_exit) {
  commands_.push_back({&command, std::move(run), usage_error_exit});
}

std::optional<int> Commands::Parse(CLI::App& app, int argc, char** argv) const {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);  // prints the message, or the help or version
    if (code == 0) return code;
    for (const Entry& entry : commands_) {
      if (entry.command->parsed() && entry.usage_error_exit != 0) return entry.usage_error_exit;
    }
    return code;
  }
}

int Commands::RunChosen() const {
  for (const Entry& entry : commands_) {
    if (!entry.command->parsed()) continue;
    auto applied = ApplyConfigFile(*entry.command);
    if (!applied) return Fail(applied.error());
    return entry.run(*applied);
  }
  return 2;
}

int Fail(const Status& status) {
  std::fprintf(stderr, "reportshare: error: %s\n", status.message().c_str());
  return 1;
}

void AddCompanyOption(CLI::App& command, std::string& company, const std::string& help) {
  command.add_option("--company", company, help)->envname("REPORTSHARE_COMPANY")->required();
}

Result<std::unique_ptr<store::Store>> OpenCliStore(const std::string& db) {
  auto url = ParseDatabaseUrl(db);
  if (!url) return url.error();
  return OpenStore(*url, /*pool_size=*/1);
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

Status WriteFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) return Status::Unavailable("cannot write " + path);
  return Status::Ok();
}

}  // namespace reportshare::app::cli
