// config check: the configuration serve would run with, every setting with
// where its value came from, secrets masked (SPEC §9). It takes serve's
// options, so flags and environment variables count as they would for serve;
// it connects to nothing and writes no file. Exit 0, or 1 naming the key on
// any error (a usage error included).

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "app/cli/commands.h"
#include "app/cli/common.h"
#include "app/config.h"
#include "app/options.h"

namespace reportshare::app::cli {
namespace {

// A TOML basic string.
std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", u);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string FormatNumber(double value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc{} ? std::string(buf, end) : std::to_string(value);
}

// The option's value as TOML, secrets masked. The options were checked as
// they were parsed and applied, so they convert; a flag not given is off.
std::string ValueOf(const Setting& setting) {
  const CLI::Option& option = *setting.option;
  try {
    switch (KindOf(option)) {
      case ValueKind::kBoolean:
        return option.count() > 0 && option.as<bool>() ? "true" : "false";
      case ValueKind::kInteger:
        return std::to_string(option.as<long long>());
      case ValueKind::kFloat:
        return FormatNumber(option.as<double>());
      case ValueKind::kString:
      case ValueKind::kOther:
        break;
    }
    return Quote(MaskSetting(setting.key, option.as<std::string>()));
  } catch (const CLI::Error&) {
    return "(unreadable)";
  }
}

std::string SourceOf(const Setting& setting, const AppliedConfig& applied) {
  const std::string in_file = applied.file + ":" + std::to_string(setting.file_line);
  std::string source;
  switch (setting.source) {
    case Source::kFlag:
      source = "flag --" + setting.key;
      break;
    case Source::kEnvironment:
      source = "env " + setting.option->get_envname();
      break;
    case Source::kFile:
      return "file " + in_file;
    case Source::kDefault:
      return "default";
  }
  if (setting.file_line > 0) source += ", over " + in_file;
  return source;
}

// What a value means when it stands for something else.
std::string NoteOn(const std::string& key, const ServeFlags& flags, const ServeConfig& config) {
  if (key == "signing-keys" && flags.data.signing_keys.empty()) {
    return "the key file: " + config.key_file;
  }
  if (key == "public-url" && flags.public_url.empty()) return "http:// + the listen address";
  if (key == "threads" && flags.threads == 0) {
    return "0: one per core, " + std::to_string(config.server.threads) + " here";
  }
  return "";
}

int Check(const ServeFlags& flags, const AppliedConfig& applied) {
  auto config = MakeServeConfig(flags);
  if (!config) return Fail(config.error());
  std::string header = "# reportshare configuration in force; ";
  if (applied.file.empty()) {
    header += "no configuration file (--config FILE or REPORTSHARE_CONFIG)";
  } else {
    header += "configuration file " + applied.file +
              (applied.file_source == Source::kFlag ? " (--config)" : " (REPORTSHARE_CONFIG)");
  }
  std::printf("%s\n", header.c_str());

  struct Line {
    std::string key, value, comment;
  };
  std::vector<Line> lines;
  size_t key_width = 0;
  size_t value_width = 0;
  for (const Setting& setting : applied.settings) {
    Line line{setting.key, ValueOf(setting), SourceOf(setting, applied)};
    if (std::string note = NoteOn(setting.key, flags, *config); !note.empty()) {
      line.comment += "; " + note;
    }
    key_width = std::max(key_width, line.key.size());
    value_width = std::max(value_width, std::min<size_t>(line.value.size(), 40));
    lines.push_back(std::move(line));
  }
  for (const Line& line : lines) {
    std::printf("%-*s = %-*s  # %s\n", static_cast<int>(key_width), line.key.c_str(),
                static_cast<int>(value_width), line.value.c_str(), line.comment.c_str());
  }
  std::printf("# valid; the database, the port and the signing key file are only tried by serve\n");
  return 0;
}

}  // namespace

void AddConfigCheckCommand(CLI::App& config, Commands& commands) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* check = config.add_subcommand(
      "check",
      "Print the configuration serve would run with (flags, environment, --config file, "
      "defaults), secrets masked, without connecting to anything; exit 1 naming the key on "
      "any error");
  AddServeOptions(*check, *flags);
  commands.Add(
      *check, [flags](const AppliedConfig& applied) { return Check(*flags, applied); },
      /*usage_error_exit=*/1);
}

}  // namespace reportshare::app::cli
