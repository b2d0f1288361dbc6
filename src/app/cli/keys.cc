// keys create | list | revoke: the API keys companies call the API with.

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "app/cli/commands.h"
#include "app/cli/common.h"
#include "core/rfc3339.h"
#include "service/api_keys.h"

namespace reportshare::app::cli {
namespace {

struct CreateFlags {
  std::string db = kDefaultDatabaseUrl;
  std::string company;
};

struct RevokeFlags {
  std::string db = kDefaultDatabaseUrl;
  std::string key_id;
};

// The key alone on stdout's first line (for scripts); the rest on stderr.
int Create(const CreateFlags& flags) {
  auto store = OpenCliStore(flags.db);
  if (!store) return Fail(store.error());
  SystemClock clock;
  auto key = service::CreateApiKey(**store, flags.company, clock);
  if (!key) return Fail(key.error());
  std::cout << key->key << std::endl;
  std::fprintf(stderr, "created key id %s for company \"%s\" (the key is shown only once)\n",
               key->key_id.c_str(), key->company_name.c_str());
  return 0;
}

int List(const std::string& db) {
  auto store = OpenCliStore(db);
  if (!store) return Fail(store.error());
  auto keys = (*store)->ListApiKeys();
  if (!keys) return Fail(keys.error());
  for (const auto& k : *keys) {
    std::cout << k.key_id << "\t" << k.company_name << "\t"
              << core::FormatRfc3339Seconds(k.created_at) << "\t"
              << (k.revoked_at ? "revoked" : "active") << "\n";
  }
  return 0;
}

int Revoke(const RevokeFlags& flags) {
  auto store = OpenCliStore(flags.db);
  if (!store) return Fail(store.error());
  auto revoked = (*store)->RevokeApiKey(flags.key_id, SystemClock().Now());
  if (!revoked) return Fail(revoked.error());
  std::fprintf(stderr, *revoked ? "revoked key %s\n" : "key %s was already revoked\n",
               flags.key_id.c_str());
  return 0;
}

}  // namespace

void AddApiKeyCommands(CLI::App& keys, Commands& commands) {
  auto create_flags = std::make_shared<CreateFlags>();
  CLI::App* create = keys.add_subcommand("create", "Create an API key for a company");
  AddDbOption(*create, create_flags->db);
  AddCompanyOption(*create, create_flags->company, "Company name (created if new)");
  commands.Add(*create, [create_flags] { return Create(*create_flags); });

  auto list_db = std::make_shared<std::string>(kDefaultDatabaseUrl);
  CLI::App* list = keys.add_subcommand("list", "List API keys");
  AddDbOption(*list, *list_db);
  commands.Add(*list, [list_db] { return List(*list_db); });

  auto revoke_flags = std::make_shared<RevokeFlags>();
  CLI::App* revoke = keys.add_subcommand("revoke", "Revoke an API key");
  AddDbOption(*revoke, revoke_flags->db);
  revoke->add_option("KEY_ID", revoke_flags->key_id, "Key id as shown by keys list")->required();
  commands.Add(*revoke, [revoke_flags] { return Revoke(*revoke_flags); });
}

}  // namespace reportshare::app::cli
