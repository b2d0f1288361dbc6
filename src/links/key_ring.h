#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "domain/ids.h"

namespace reportshare::links {

// One HMAC-SHA256 signing key. `secret` is 32 random bytes.
struct SigningKey {
  SigningKeyId id;
  Bytes secret;
};

// An immutable set of signing keys: exactly one active key signs new tokens,
// every key in the ring verifies. Rotation builds a new ring (WithNewActiveKey)
// and swaps it in; links signed by older keys keep verifying while their key
// stays in the ring. Thread-safe (immutable).
class KeyRing {
 public:
  static constexpr size_t kSecretSize = 32;

  // Returns kInvalidArgument if `keys` is empty, ids repeat, a secret is not
  // kSecretSize bytes, or `active` is not among them.
  static Result<KeyRing> Create(std::vector<SigningKey> keys, SigningKeyId active);

  // A ring with one freshly generated key (id 1). kInternal if the CSPRNG fails.
  static Result<KeyRing> Generate();

  // A copy of this ring plus a new random key (id = max id + 1) made active.
  Result<KeyRing> WithNewActiveKey() const;

  // A copy plus a new random key (id = max id + 1) that verifies but does not
  // sign yet: the first step of a rollout across nodes (docs/operations.md).
  Result<KeyRing> WithNewKey() const;

  // A copy in which key `id` signs. kNotFound if it is not in the ring.
  Result<KeyRing> WithActiveKey(SigningKeyId id) const;

  // A copy without key `id`: links it signed stop verifying. kFailedPrecondition
  // for the active key, kNotFound for an id not in the ring.
  Result<KeyRing> WithoutKey(SigningKeyId id) const;

  const SigningKey& active() const { return keys_[active_index_]; }
  // nullptr if no key has this id.
  const SigningKey* Find(SigningKeyId id) const;
  const std::vector<SigningKey>& keys() const { return keys_; }

  // The key file format (documented in docs/tokens.md): one line per key,
  // "<id> <base64url secret>", the active key marked "<id> <secret> active".
  std::string Serialize() const;
  // Parses Serialize()'s format; kInvalidArgument with a message that never
  // quotes a secret.
  static Result<KeyRing> Parse(std::string_view text);

 private:
  KeyRing(std::vector<SigningKey> keys, size_t active_index)
      : keys_(std::move(keys)), active_index_(active_index) {}

  std::vector<SigningKey> keys_;
  size_t active_index_ = 0;
};

}  // namespace reportshare::links
