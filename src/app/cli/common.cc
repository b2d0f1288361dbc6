#include "app/cli/common.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "app/cli/commands.h"
#include "app/wiring.h"

namespace reportshare::app::cli {

void Commands::Add(CLI::App& command, std::function<int()> run) {
  commands_.emplace_back(&command, std::move(run));
}

int Commands::RunChosen() const {
  for (const auto& [command, run] : commands_) {
    if (command->parsed()) return run();
  }
  return 2;
}

int Fail(const Status& status) {
  std::fprintf(stderr, "reportshare: error: %s\n", status.message().c_str());
  return 1;
}

void AddDbOption(CLI::App& command, std::string& db) {
  command.add_option("--db", db, "Database: sqlite:PATH or postgresql://USER@HOST:PORT/DB")
      ->envname("REPORTSHARE_DB")
      ->capture_default_str();
}

void AddSigningKeysOption(CLI::App& command, std::string& signing_keys) {
  command
      .add_option("--signing-keys", signing_keys,
                  "Signing key file (default: the SQLite file + .signing-keys)")
      ->envname("REPORTSHARE_SIGNING_KEYS");
}

void AddDataOptions(CLI::App& command, DataFlags& flags) {
  AddDbOption(command, flags.db);
  AddSigningKeysOption(command, flags.signing_keys);
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
