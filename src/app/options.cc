#include "app/options.h"

#include <algorithm>

namespace reportshare::app {
namespace {

// A number option with its environment variable and its range, checked as
// the command line is parsed (and as the file is applied). The default is
// captured for --help and for config check.
template <class T>
CLI::Option* AddNumberOption(CLI::App& command, const char* flag, T& target, const char* env, T min,
                             T max, const char* help) {
  return command.add_option(flag, target, help)
      ->envname(env)
      ->check(CLI::Range(min, max))
      ->capture_default_str();
}

// --config: read through the option itself (ApplyConfigFile), so it binds
// no target.
void AddConfigOption(CLI::App& command) {
  command
      .add_option("--config",
                  "Configuration file (TOML; keys are serve's long options without the "
                  "dashes); flags and environment variables beat it")
      ->envname("REPORTSHARE_CONFIG")
      ->type_name("FILE");
}

// The option's long name without the dashes, or "" for a positional one.
std::string KeyOf(const CLI::Option& option) {
  return option.get_lnames().empty() ? std::string() : option.get_lnames().front();
}

// CLI11 records the options the command line gave in the order it met them;
// a variable's value is added afterwards, and only to an option still empty.
Source SourceOf(const CLI::App& command, const CLI::Option& option) {
  const auto& given = command.parse_order();
  if (std::find(given.begin(), given.end(), &option) != given.end()) return Source::kFlag;
  return option.count() > 0 ? Source::kEnvironment : Source::kDefault;
}

// Whether an option taking `want` accepts a file value of kind `got`: a
// number also takes an integer (rate-limit = 0); nothing else converts.
bool Accepts(ValueKind want, ValueKind got) {
  return want == got || (want == ValueKind::kFloat && got == ValueKind::kInteger);
}

// CLI11's message without its "--name: " prefix.
std::string Problem(const CLI::Error& error, const std::string& key) {
  std::string message = error.what();
  const std::string prefix = "--" + key + ": ";
  if (message.rfind(prefix, 0) == 0) message.erase(0, prefix.size());
  return message;
}

}  // namespace

void AddDbOption(CLI::App& command, std::string& db) {
  command.add_option("--db", db, "Database: sqlite:PATH or postgresql://USER@HOST:PORT/DB")
      ->envname("REPORTSHARE_DB")
      ->capture_default_str();
  AddConfigOption(command);
}

void AddSigningKeysOption(CLI::App& command, std::string& signing_keys) {
  command
      .add_option("--signing-keys", signing_keys,
                  "Signing key file (default: the SQLite file + .signing-keys)")
      ->envname("REPORTSHARE_SIGNING_KEYS")
      ->capture_default_str();
}

void AddDataOptions(CLI::App& command, DataFlags& flags) {
  AddDbOption(command, flags.db);
  AddSigningKeysOption(command, flags.signing_keys);
}

void AddServeOptions(CLI::App& serve, ServeFlags& flags) {
  AddDbOption(serve, flags.data.db);
  serve.add_option("--listen", flags.listen, "HOST:PORT to listen on (port 0: any free port)")
      ->envname("REPORTSHARE_LISTEN")
      ->capture_default_str();
  serve
      .add_option("--public-url", flags.public_url,
                  "Scheme, host and optional path prefix links are built on "
                  "(default: http:// + the listen address)")
      ->envname("REPORTSHARE_PUBLIC_URL")
      ->capture_default_str();
  serve
      .add_option("--trusted-proxies", flags.trusted_proxies,
                  "CIDR[,CIDR...] of reverse proxies whose Forwarded / X-Forwarded-For headers "
                  "name the client (default: none, the peer is the client)")
      ->envname("REPORTSHARE_TRUSTED_PROXIES")
      ->capture_default_str();
  serve
      .add_option("--tls-cert", flags.tls_cert,
                  "PEM certificate chain: serve HTTPS on the listen address (with --tls-key; "
                  "reloaded within a second when it changes)")
      ->envname("REPORTSHARE_TLS_CERT")
      ->capture_default_str();
  serve
      .add_option("--tls-key", flags.tls_key,
                  "PEM private key of --tls-cert, readable by its owner only")
      ->envname("REPORTSHARE_TLS_KEY")
      ->capture_default_str();
  AddNumberOption(serve, "--threads", flags.threads, "REPORTSHARE_THREADS", 0, 256,
                  "I/O threads, and as many request workers (0: one per core)");
  AddSigningKeysOption(serve, flags.data.signing_keys);
  AddNumberOption(serve, "--header-timeout", flags.header_timeout_s, "REPORTSHARE_HEADER_TIMEOUT",
                  1, 3600, "Seconds a client has to send a whole request header");
  AddNumberOption(serve, "--idle-timeout", flags.idle_timeout_s, "REPORTSHARE_IDLE_TIMEOUT", 1,
                  3600, "Seconds an idle keep-alive connection is kept open");
  AddNumberOption(serve, "--write-timeout", flags.write_timeout_s, "REPORTSHARE_WRITE_TIMEOUT", 1,
                  3600, "Seconds a client has to take in a whole response");
  AddNumberOption(serve, "--rate-limit", flags.rate_limit, "REPORTSHARE_RATE_LIMIT", 0.0, 1e9,
                  "Requests per second allowed per API key (token bucket); 0 turns it off");
  AddNumberOption(serve, "--rate-burst", flags.rate_burst, "REPORTSHARE_RATE_BURST", 1.0, 1e9,
                  "Burst size of the per-key token bucket");
  AddNumberOption(serve, "--max-connections", flags.max_connections, "REPORTSHARE_MAX_CONNECTIONS",
                  1, 1000000, "Open connections beyond this are answered 503 and closed");
  AddNumberOption(serve, "--pdf-cache-mb", flags.pdf_cache_mb, "REPORTSHARE_PDF_CACHE_MB", 0,
                  1 << 20,
                  "Memory for rendered PDFs, in MiB (least recently used evicted); 0 turns "
                  "the cache off");
  AddNumberOption(serve, "--view-flush-ms", flags.view_flush_ms, "REPORTSHARE_VIEW_FLUSH_MS", 1,
                  60000,
                  "Link opens are written to the database in batches at most this many "
                  "milliseconds after they happen");
  AddNumberOption(serve, "--render-workers", flags.render_workers, "REPORTSHARE_RENDER_WORKERS", 0,
                  256,
                  "Processes that render PDFs, one PDF each at a time (default: one per core); "
                  "0 renders in the server process");
  AddNumberOption(serve, "--render-timeout", flags.render_timeout_s, "REPORTSHARE_RENDER_TIMEOUT",
                  1, 3600,
                  "Seconds a PDF render may take before its worker is killed and the request "
                  "answered 503");
  AddNumberOption(serve, "--webhook-retry-base", flags.webhook_retry_base_s,
                  "REPORTSHARE_WEBHOOK_RETRY_BASE", 0.001, 3600.0,
                  "Seconds before a failed webhook delivery's first retry; the rest of the "
                  "schedule (30 s, 2 min, ... 12 h) scales with it");
  serve
      .add_flag("--webhook-allow-private", flags.webhook_allow_private,
                "Allow webhook URLs whose host resolves to a loopback, private or link-local "
                "address")
      ->envname("REPORTSHARE_WEBHOOK_ALLOW_PRIVATE");
  serve
      .add_option("--webhook-ca-file", flags.webhook_ca_file,
                  "A PEM file of CA certificates trusted for HTTPS webhooks, besides the "
                  "system's")
      ->envname("REPORTSHARE_WEBHOOK_CA_FILE")
      ->capture_default_str();
  serve.add_flag("--demo", flags.demo, "Load demo reports and print a fresh API key")
      ->envname("REPORTSHARE_DEMO");
}

ValueKind KindOf(const CLI::Option& option) {
  if (option.get_expected_min() == 0) return ValueKind::kBoolean;  // a flag
  // CLI11 names the type it converts to ("INT", "UINT", "FLOAT", "TEXT"),
  // then ":" and each check's description.
  const std::string type = option.get_type_name();
  const std::string base = type.substr(0, type.find(':'));
  if (base == "INT" || base == "UINT") return ValueKind::kInteger;
  if (base == "FLOAT") return ValueKind::kFloat;
  if (base == "BOOLEAN") return ValueKind::kBoolean;
  return ValueKind::kString;
}

const std::vector<std::pair<std::string, ValueKind>>& ConfigKeys() {
  static const std::vector<std::pair<std::string, ValueKind>> keys = [] {
    CLI::App serve;
    ServeFlags flags;
    AddServeOptions(serve, flags);
    std::vector<std::pair<std::string, ValueKind>> found;
    for (const CLI::Option* option : serve.get_options()) {
      const std::string key = KeyOf(*option);
      if (key.empty() || key == "help" || key == "config") continue;
      found.emplace_back(key, KindOf(*option));
    }
    return found;
  }();
  return keys;
}

const Setting* AppliedConfig::Find(std::string_view key) const {
  for (const Setting& setting : settings) {
    if (setting.key == key) return &setting;
  }
  return nullptr;
}

Result<AppliedConfig> ApplyConfigFile(CLI::App& command) {
  const auto& keys = ConfigKeys();
  auto known = [&keys](std::string_view key) {
    return std::find_if(keys.begin(), keys.end(), [key](const auto& k) { return k.first == key; });
  };
  AppliedConfig applied;
  for (CLI::Option* option : command.get_options()) {
    std::string key = KeyOf(*option);
    if (key.empty() || known(key) == keys.end()) continue;  // help, config, company, …
    applied.settings.push_back({std::move(key), option, SourceOf(command, *option)});
  }

  const CLI::Option* config = command.get_option_no_throw("--config");
  if (config == nullptr || config->count() == 0) return applied;
  applied.file = config->as<std::string>();
  if (applied.file.empty()) return applied;  // REPORTSHARE_CONFIG= or --config '': none
  applied.file_source = SourceOf(command, *config);
  auto file = ReadConfigFile(applied.file);
  if (!file) return file.error();

  // The whole file is checked, whatever this command uses of it.
  for (const ConfigEntry& entry : file->entries) {
    const std::string at = applied.file + ":" + std::to_string(entry.line) + ": ";
    auto key = known(entry.key);
    if (key == keys.end()) {
      return Status::InvalidArgument(at + "unknown key \"" + entry.key +
                                     "\" (the keys are serve's long options without the dashes: "
                                     "reportshare serve --help)");
    }
    if (!Accepts(key->second, entry.kind)) {
      return Status::InvalidArgument(at + entry.key + " must be " + KindName(key->second) +
                                     ", not " + entry.kind_name);
    }
  }
  for (const ConfigEntry& entry : file->entries) {
    auto setting = std::find_if(applied.settings.begin(), applied.settings.end(),
                                [&entry](const Setting& s) { return s.key == entry.key; });
    if (setting == applied.settings.end()) continue;  // not an option of this command
    setting->file_line = entry.line;
    if (setting->source != Source::kDefault) continue;  // a flag or a variable beat it
    const std::string name = applied.file + ":" + std::to_string(entry.line) + ": " + entry.key;
    try {
      setting->option->add_result(entry.text);
      setting->option->run_callback();  // converts, checks the range, sets the target
    } catch (const CLI::Error& error) {
      return Status::InvalidArgument(name + ": " + Problem(error, entry.key));
    }
    if (Status s = CheckSettingValue(entry.key, entry.text, name); !s.ok()) return s;
    setting->source = Source::kFile;
  }
  return applied;
}

}  // namespace reportshare::app
