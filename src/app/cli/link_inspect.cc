// link inspect: decode and verify a shared link offline. Exit 0 valid, 1
// expired or revoked, 2 malformed or bad signature (or it could not tell).

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "app/cli/commands.h"
#include "app/cli/common.h"
#include "app/key_file.h"
#include "core/rfc3339.h"
#include "links/token.h"

namespace reportshare::app::cli {
namespace {

struct InspectFlags {
  DataFlags data;
  std::string link;
  std::string at;  // RFC 3339; empty: now
};

// The token of a link URL (the last path segment, without query or
// fragment), or the argument itself.
std::string_view TokenOf(std::string_view link) {
  size_t end = link.find_first_of("?#");
  link = link.substr(0, end);
  size_t slash = link.rfind('/');
  return slash == std::string_view::npos ? link : link.substr(slash + 1);
}

// An error that keeps the verdict from being known: exit 2.
int Undecided(const Status& status) { return Fail(status), 2; }

int Inspect(const InspectFlags& flags) {
  std::string_view token = TokenOf(flags.link);
  auto claims = links::DecodeTokenUnverified(token);
  if (!claims) {
    std::printf("status:     malformed\n");
    std::fprintf(stderr,
                 "reportshare: not a reportshare link token (wrong length, characters "
                 "or version)\n");
    return 2;
  }
  Instant at = SystemClock().Now();
  if (!flags.at.empty()) {
    auto parsed = core::ParseRfc3339(flags.at);
    if (!parsed) return Undecided(Status::InvalidArgument("--at must be an RFC 3339 date-time"));
    at = *parsed;
  }
  std::printf("report_id:  %lld\nlink_id:    %s\nkey_id:     %u\nexpires_at: %s\n",
              static_cast<long long>(claims->report_id.value), claims->link_id.ToString().c_str(),
              claims->key_id.value, core::FormatRfc3339Micros(claims->expires_at).c_str());
  auto key_file = KeyFilePath(flags.data);
  if (!key_file) return Undecided(key_file.error());
  auto ring = LoadOrCreateKeyFile(*key_file, /*database_has_links=*/true);
  if (!ring) return Undecided(ring.error());
  if (!links::VerifyToken(*ring, token)) {
    std::printf("status:     bad signature%s\n",
                ring->Find(claims->key_id) ? "" : " (key id not in the key ring)");
    return 2;
  }
  if (links::IsExpired(*claims, at)) {
    std::printf("status:     expired\n");
    return 1;
  }
  auto store = OpenCliStore(flags.data.db);
  if (!store) return Undecided(store.error());
  auto link = (*store)->GetLink(claims->link_id);
  if (!link) return Undecided(link.error());
  if (!*link) {
    std::printf("status:     bad signature (signed, but unknown to this database)\n");
    return 2;
  }
  std::printf("base_url:   %s\n", (*link)->base_url
                                      ? (*link)->base_url->c_str()
                                      : "(not recorded: minted before links kept it)");
  if ((*link)->revoked_at) {
    std::printf("status:     revoked (at %s)\n",
                core::FormatRfc3339Micros(*(*link)->revoked_at).c_str());
    return 1;
  }
  if ((*link)->views_exhausted()) {
    std::printf("status:     expired (view limit of %d reached)\n", *(*link)->options.max_views);
    return 1;
  }
  std::printf("status:     valid\n");
  return 0;
}

}  // namespace

void AddLinkInspectCommand(CLI::App& link, Commands& commands) {
  auto flags = std::make_shared<InspectFlags>();
  CLI::App* inspect = link.add_subcommand(
      "inspect",
      "Decode and verify a link: exit 0 valid, 1 expired or revoked, 2 malformed or "
      "bad signature");
  AddDataOptions(*inspect, flags->data);
  inspect->add_option("LINK", flags->link, "The link URL or its token")->required();
  inspect->add_option("--at", flags->at, "Judge expiry at this RFC 3339 instant instead of now");
  commands.Add(*inspect, [flags] { return Inspect(*flags); });
}

}  // namespace reportshare::app::cli
