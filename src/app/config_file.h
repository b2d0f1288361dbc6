#pragma once

// A configuration file (SPEC §9): TOML whose top-level keys are the long
// option names without the dashes (`listen = "127.0.0.1:8080"`). This file
// knows TOML, not the options: which keys exist and what kind of value each
// takes is options.h's business. The only code that includes toml++.

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace reportshare::app {

// The kind of a value in the file, and of the value an option takes.
enum class ValueKind { kString, kInteger, kFloat, kBoolean, kOther };

// "a string", "an integer", "a number", "true or false", or for kOther (a
// table, an array, a date) "a string, number or boolean".
const char* KindName(ValueKind kind);

struct ConfigEntry {
  std::string key;
  ValueKind kind = ValueKind::kOther;
  std::string kind_name;  // what TOML calls it: "a string", "a float", "a table", "an array", …
  // The value as a command line would give it: the string itself, decimal
  // digits, the shortest decimal that reads back as the same double, "true"
  // or "false". Empty for kOther.
  std::string text;
  int line = 0;  // 1-based
};

struct ConfigFile {
  std::string path;
  std::vector<ConfigEntry> entries;  // in the order of the file

  // The entry of `key`, or nullptr.
  const ConfigEntry* Find(std::string_view key) const;
};

// Parses `text` as the file `path` (which only names it in messages).
// kInvalidArgument "PATH:LINE:COLUMN: <what TOML says is wrong>" for a syntax
// error (a key given twice among them), or "PATH:LINE: KEY must be a finite
// number" for inf or nan. Never quotes a value.
Result<ConfigFile> ParseConfigFile(std::string_view text, const std::string& path);

// Reads and parses the file `path`: kNotFound "cannot read configuration
// file PATH", or ParseConfigFile's errors.
Result<ConfigFile> ReadConfigFile(const std::string& path);

}  // namespace reportshare::app
