// keys rotate-signing | add-signing | activate-signing | retire-signing: the
// signing key file (docs/operations.md). Running servers reload it by
// themselves (KeyFileWatcher).

#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "app/cli/commands.h"
#include "app/cli/common.h"
#include "app/key_file.h"
#include "links/key_ring.h"

namespace reportshare::app::cli {
namespace {

struct SigningFlags {
  DataFlags data;
  uint32_t key_id = 0;  // SIGNING_KEY_ID, for the verbs that take one
};

using RingChange = std::function<Result<links::KeyRing>(const links::KeyRing&, SigningKeyId)>;

// Loads the key file, applies `change` to the ring, writes it back, and
// prints `done` (with the new active key id) on stderr.
int ChangeSigningKeys(const SigningFlags& flags, const RingChange& change, const char* done) {
  auto key_file = KeyFilePath(flags.data);
  if (!key_file) return Fail(key_file.error());
  auto ring = LoadOrCreateKeyFile(*key_file, /*database_has_links=*/true);
  if (!ring) return Fail(ring.error());
  auto next = change(*ring, SigningKeyId{flags.key_id});
  if (!next) return Fail(next.error());
  if (Status s = WriteKeyFile(*key_file, *next); !s.ok()) return Fail(s);
  std::string ids;
  for (const auto& k : next->keys()) ids += (ids.empty() ? "" : ", ") + std::to_string(k.id.value);
  std::fprintf(stderr, "%s\n%s: active key %u; keys %s (running servers reload within seconds)\n",
               done, key_file->c_str(), next->active().id.value, ids.c_str());
  return 0;
}

struct Verb {
  const char* name;
  const char* help;
  bool takes_key_id;
  RingChange change;
  const char* done;
};

}  // namespace

void AddSigningKeyCommands(CLI::App& keys, Commands& commands) {
  const Verb verbs[] = {
      {"rotate-signing", "Make a new signing key active; older keys keep verifying", false,
       [](const links::KeyRing& r, SigningKeyId) { return r.WithNewActiveKey(); },
       "a new signing key is active; links signed by older keys keep working"},
      {"add-signing", "Add a signing key that verifies but does not sign yet (cluster rollout)",
       false, [](const links::KeyRing& r, SigningKeyId) { return r.WithNewKey(); },
       "a new signing key verifies but does not sign yet; activate it once every node has it"},
      {"activate-signing", "Make a signing key in the ring the one that signs", true,
       [](const links::KeyRing& r, SigningKeyId id) { return r.WithActiveKey(id); },
       "signing key activated"},
      {"retire-signing", "Remove a signing key: links it signed stop opening", true,
       [](const links::KeyRing& r, SigningKeyId id) { return r.WithoutKey(id); },
       "signing key retired; links it signed no longer open"},
  };
  for (const Verb& verb : verbs) {
    auto flags = std::make_shared<SigningFlags>();
    CLI::App* command = keys.add_subcommand(verb.name, verb.help);
    AddDataOptions(*command, flags->data);
    if (verb.takes_key_id) {
      command->add_option("SIGNING_KEY_ID", flags->key_id, "Signing key id")->required();
    }
    commands.Add(*command, [flags, change = verb.change, done = verb.done] {
      return ChangeSigningKeys(*flags, change, done);
    });
  }
}

}  // namespace reportshare::app::cli
