#include "app/config_file.h"

// Parse errors come back as a value, not an exception: nothing throws across
// this file's header.
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace reportshare::app {
namespace {

std::string At(const std::string& path, const toml::source_region& where) {
  return path + ":" + std::to_string(where.begin.line);
}

// The shortest text that std::strtod reads back as `value`.
std::string FormatDouble(double value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc{} ? std::string(buf, end) : std::to_string(value);
}

Result<ConfigEntry> Entry(const std::string& path, const toml::key& key, const toml::node& node) {
  ConfigEntry entry;
  entry.key = std::string(key.str());
  // A key's own position: a table's value may start lines later.
  entry.line = static_cast<int>(key.source().begin.line);
  switch (node.type()) {
    case toml::node_type::string:
      entry.kind = ValueKind::kString;
      entry.kind_name = "a string";
      entry.text = std::string(node.as_string()->get());
      break;
    case toml::node_type::integer:
      entry.kind = ValueKind::kInteger;
      entry.kind_name = "an integer";
      entry.text = std::to_string(node.as_integer()->get());
      break;
    case toml::node_type::floating_point: {
      const double value = node.as_floating_point()->get();
      if (!std::isfinite(value)) {
        return Status::InvalidArgument(At(path, key.source()) + ": " + entry.key +
                                       " must be a finite number");
      }
      entry.kind = ValueKind::kFloat;
      entry.kind_name = "a float";
      entry.text = FormatDouble(value);
      break;
    }
    case toml::node_type::boolean:
      entry.kind = ValueKind::kBoolean;
      entry.kind_name = "a boolean";
      entry.text = node.as_boolean()->get() ? "true" : "false";
      break;
    case toml::node_type::table:
      entry.kind_name = "a table";
      break;
    case toml::node_type::array:
      entry.kind_name = "an array";
      break;
    default:  // date, time, date-time
      entry.kind_name = "a date or time";
      break;
  }
  return entry;
}

}  // namespace

const char* KindName(ValueKind kind) {
  switch (kind) {
    case ValueKind::kString:
      return "a string";
    case ValueKind::kInteger:
      return "an integer";
    case ValueKind::kFloat:
      return "a number";
    case ValueKind::kBoolean:
      return "true or false";
    case ValueKind::kOther:
      break;
  }
  return "a string, number or boolean";
}

const ConfigEntry* ConfigFile::Find(std::string_view key) const {
  for (const ConfigEntry& entry : entries) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

Result<ConfigFile> ParseConfigFile(std::string_view text, const std::string& path) {
  toml::parse_result parsed = toml::parse(text, path);
  if (!parsed) {
    const toml::parse_error& error = parsed.error();
    return Status::InvalidArgument(At(path, error.source()) + ":" +
                                   std::to_string(error.source().begin.column) + ": " +
                                   std::string(error.description()));
  }
  ConfigFile file;
  file.path = path;
  for (auto&& [key, node] : parsed.table()) {
    auto entry = Entry(path, key, node);
    if (!entry) return entry.error();
    file.entries.push_back(std::move(*entry));
  }
  // toml::table is ordered by key; messages and config check follow the file.
  std::stable_sort(file.entries.begin(), file.entries.end(),
                   [](const ConfigEntry& a, const ConfigEntry& b) { return a.line < b.line; });
  return file;
}

Result<ConfigFile> ReadConfigFile(const std::string& path) {
  // A directory opens as a stream that reads nothing: not an empty file.
  std::error_code ec;
  std::ifstream in;
  if (std::filesystem::is_regular_file(path, ec)) in.open(path, std::ios::binary);
  if (!in.is_open()) return Status::NotFound("cannot read configuration file " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::NotFound("cannot read configuration file " + path);
  return ParseConfigFile(text, path);
}

}  // namespace reportshare::app
