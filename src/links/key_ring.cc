#include "links/key_ring.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <set>
#include <utility>

namespace reportshare::links {
namespace {

constexpr std::string_view kActiveMarker = "active";

// Messages name the line and the problem only: the text of a key file is
// secret, so no part of it is ever quoted back.
Status LineError(size_t line_no, std::string_view what) {
  return Status::InvalidArgument("key file line " + std::to_string(line_no) + ": " +
                                 std::string(what));
}

// A canonical decimal uint32: digits only, no sign, no leading zero (except "0").
std::optional<uint32_t> ParseKeyId(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  uint32_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

Result<SigningKey> NewRandomKey(SigningKeyId id) {
  SigningKey key{id, Bytes(KeyRing::kSecretSize)};
  if (!core::RandomBytes(key.secret)) return Status::Internal("random generator failed");
  return key;
}

}  // namespace

Result<KeyRing> KeyRing::Create(std::vector<SigningKey> keys, SigningKeyId active) {
  if (keys.empty()) return Status::InvalidArgument("key ring must hold at least one key");
  std::set<uint32_t> seen;
  std::optional<size_t> active_index;
  for (size_t i = 0; i < keys.size(); ++i) {
    const SigningKey& key = keys[i];
    if (!seen.insert(key.id.value).second) {
      return Status::InvalidArgument("key id " + std::to_string(key.id.value) +
                                     " appears more than once");
    }
    if (key.secret.size() != kSecretSize) {
      return Status::InvalidArgument("key " + std::to_string(key.id.value) + " secret must be " +
                                     std::to_string(kSecretSize) + " bytes");
    }
    if (key.id == active) active_index = i;
  }
  if (!active_index) {
    return Status::InvalidArgument("active key id " + std::to_string(active.value) +
                                   " is not in the key ring");
  }
  return KeyRing(std::move(keys), *active_index);
}

Result<KeyRing> KeyRing::Generate() {
  auto key = NewRandomKey(SigningKeyId{1});
  if (!key) return key.error();
  std::vector<SigningKey> keys;
  keys.push_back(std::move(*key));
  return Create(std::move(keys), SigningKeyId{1});
}

Result<KeyRing> KeyRing::WithNewKey() const {
  uint32_t max_id = 0;
  for (const SigningKey& k : keys_) max_id = std::max(max_id, k.id.value);
  if (max_id == std::numeric_limits<uint32_t>::max()) {
    return Status::FailedPrecondition("no signing key id left");
  }
  auto key = NewRandomKey(SigningKeyId{max_id + 1});
  if (!key) return key.error();
  std::vector<SigningKey> keys = keys_;
  keys.push_back(std::move(*key));
  return Create(std::move(keys), active().id);
}

Result<KeyRing> KeyRing::WithActiveKey(SigningKeyId id) const {
  if (Find(id) == nullptr) return Status::NotFound("no signing key with this id");
  return Create(keys_, id);
}

Result<KeyRing> KeyRing::WithNewActiveKey() const {
  auto staged = WithNewKey();
  if (!staged) return staged;
  return staged->WithActiveKey(staged->keys().back().id);
}

Result<KeyRing> KeyRing::WithoutKey(SigningKeyId id) const {
  if (id == active().id) {
    return Status::FailedPrecondition("the active signing key cannot be retired; rotate first");
  }
  if (Find(id) == nullptr) return Status::NotFound("no signing key with this id");
  std::vector<SigningKey> keys;
  for (const SigningKey& k : keys_) {
    if (k.id != id) keys.push_back(k);
  }
  return Create(std::move(keys), active().id);
}

const SigningKey* KeyRing::Find(SigningKeyId id) const {
  for (const SigningKey& k : keys_) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

std::string KeyRing::Serialize() const {
  std::string out;
  for (size_t i = 0; i < keys_.size(); ++i) {
    out += std::to_string(keys_[i].id.value);
    out += ' ';
    out += core::Base64UrlEncode(keys_[i].secret);
    if (i == active_index_) {
      out += ' ';
      out += kActiveMarker;
    }
    out += '\n';
  }
  return out;
}

Result<KeyRing> KeyRing::Parse(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("key file is empty");
  if (text.back() != '\n') return Status::InvalidArgument("key file must end with a newline");
  std::vector<SigningKey> keys;
  std::optional<SigningKeyId> active;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');  // always found: the text ends with '\n'
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);

    // Fields are separated by exactly one space; anything else is malformed.
    std::vector<std::string_view> fields;
    size_t start = 0;
    while (true) {
      size_t sp = line.find(' ', start);
      fields.push_back(line.substr(start, sp == std::string_view::npos ? sp : sp - start));
      if (sp == std::string_view::npos) break;
      start = sp + 1;
    }
    if (fields.size() < 2 || fields.size() > 3) {
      return LineError(line_no, "expected \"<id> <secret>\" or \"<id> <secret> active\"");
    }
    auto id = ParseKeyId(fields[0]);
    if (!id) return LineError(line_no, "key id must be a decimal number from 0 to 4294967295");
    auto secret = core::Base64UrlDecode(fields[1]);
    if (!secret || secret->size() != kSecretSize) {
      return LineError(line_no, "secret must be 32 bytes in unpadded base64url");
    }
    if (fields.size() == 3) {
      if (fields[2] != kActiveMarker) {
        return LineError(line_no, "the third field may only be \"active\"");
      }
      if (active) return LineError(line_no, "more than one key is marked active");
      active = SigningKeyId{*id};
    }
    keys.push_back(SigningKey{SigningKeyId{*id}, std::move(*secret)});
  }
  if (!active) return Status::InvalidArgument("key file marks no key active");
  return Create(std::move(keys), *active);
}

}  // namespace reportshare::links
