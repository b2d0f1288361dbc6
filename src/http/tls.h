#pragma once

// HTTPS on its own (SPEC §10, "On its own"): the certificate chain and key
// the server presents, as an OpenSSL context that new connections take, and
// that is replaced when the files change (certificate renewal). No Asio or
// OpenSSL header here: the context is only named.

#include <memory>
#include <string>

#include "core/mutex.h"
#include "core/status.h"
#include "core/thread_annotations.h"

namespace boost::asio::ssl {
class context;
}

namespace reportshare::http {

struct TlsFiles {
  std::string cert_file;  // PEM: the certificate, then any intermediates
  std::string key_file;   // PEM: its private key; mode 0600 or stricter
};

// The most either file may be: a chain of a few certificates is a few KiB.
inline constexpr size_t kMaxTlsFileBytes = 1024 * 1024;

// The server's TLS settings: TLS 1.2 and 1.3 only; ECDHE key exchange with
// AEAD ciphers only (the "intermediate" profile without its DHE suites);
// the groups X25519, P-256, P-384; no renegotiation, no compression; ALPN
// http/1.1 (a client offering only other protocols is refused).
//
// Thread-safe.
class TlsCredentials {
 public:
  // Loads and checks the pair: each file regular and at most
  // kMaxTlsFileBytes, the key not readable by group or others, the PEM
  // parseable, the key the certificate's. kFailedPrecondition naming the file
  // and the problem (never the key's bytes) otherwise.
  static Result<std::unique_ptr<TlsCredentials>> Load(TlsFiles files);
  ~TlsCredentials();

  // The context a new connection uses. A connection keeps the one it started
  // with for its whole life, so a reload never touches open connections.
  std::shared_ptr<boost::asio::ssl::context> Current() const RS_EXCLUDES(mu_);

  // Reloads the pair when either file changed since the last look. A pair
  // that no longer loads keeps the one in force and logs a warning (channel
  // "server") naming the file and the problem; it is tried again when a file
  // changes again. A successful reload is logged (info) with the new
  // certificate's subject and expiry. Returns true when the context changed.
  bool Poll() RS_EXCLUDES(mu_);

  // The subject and the notAfter date of the certificate in force, for the
  // start-up log line.
  std::string Describe() const RS_EXCLUDES(mu_);

 private:
  TlsCredentials(TlsFiles files, std::string stamp,
                 std::shared_ptr<boost::asio::ssl::context> context, std::string description);

  const TlsFiles files_;
  std::string stamp_;  // only Poll() touches it; Poll() runs on one thread at a time
  mutable core::Mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> context_ RS_GUARDED_BY(mu_);
  std::string description_ RS_GUARDED_BY(mu_);
};

}  // namespace reportshare::http
