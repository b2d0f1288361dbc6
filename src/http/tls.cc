#include "http/tls.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "core/file_stamp.h"
#include "core/log.h"

namespace reportshare::http {
namespace {

namespace ssl = boost::asio::ssl;

// TLS 1.2's forward-secret AEAD suites of the "intermediate" profile (ECDHE
// only: the DHE ones need parameters of their own and add nothing a current
// client lacks). TLS 1.3's suites are all AEAD and forward secret: OpenSSL's
// default list is kept.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kGroups = "X25519:prime256v1:secp384r1";

// The only application protocol: "http/1.1" in ALPN's wire format.
constexpr unsigned char kAlpnHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

int SelectAlpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_len,
               const unsigned char* offered, unsigned int offered_len, void* /*arg*/) {
  unsigned char* selected = nullptr;
  unsigned char selected_len = 0;
  if (SSL_select_next_proto(&selected, &selected_len, kAlpnHttp11, sizeof kAlpnHttp11, offered,
                            offered_len) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;  // no_application_protocol (RFC 7301 §3.2)
  }
  *out = selected;
  *out_len = selected_len;
  return SSL_TLSEXT_ERR_OK;
}

Status Problem(const std::string& what, const std::string& path, const std::string& why) {
  return Status::FailedPrecondition("TLS " + what + " file " + path + " " + why);
}

// The file's bytes, after the checks of TlsCredentials::Load.
Result<std::string> ReadPemFile(const std::string& what, const std::string& path,
                                bool private_key) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return Problem(what, path, std::string("cannot be opened: ") + std::strerror(errno));
  struct stat st {};
  std::string text;
  Status problem;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    problem = Problem(what, path, "is not a regular file");
  } else if (private_key && (st.st_mode & 077) != 0) {
    problem = Problem(what, path, "is readable by group or others; run: chmod 600 " + path);
  } else if (static_cast<uintmax_t>(st.st_size) > kMaxTlsFileBytes) {
    problem = Problem(what, path, "is larger than 1 MiB");
  } else {
    char buf[8192];
    ssize_t n;
    // Capped again while reading: the file may grow after the fstat.
    while ((n = ::read(fd, buf, sizeof buf)) > 0 && text.size() <= kMaxTlsFileBytes) {
      text.append(buf, static_cast<size_t>(n));
    }
    if (n < 0)
      problem = Problem(what, path, std::string("cannot be read: ") + std::strerror(errno));
    if (text.size() > kMaxTlsFileBytes) problem = Problem(what, path, "is larger than 1 MiB");
  }
  ::close(fd);
  if (!problem.ok()) return problem;
  return text;
}

// "CN=reports.example.com, expires 2027-03-01T12:00:00Z" for the log.
std::string DescribeCertificate(SSL_CTX* ctx) {
  X509* cert = SSL_CTX_get0_certificate(ctx);
  if (cert == nullptr) return "";
  std::string subject;
  if (BIO* bio = BIO_new(BIO_s_mem())) {
    X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    if (len > 0) subject.assign(data, static_cast<size_t>(len));
    BIO_free(bio);
  }
  std::string expires;
  struct tm tm {};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1) {
    char buf[32];
    if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0) expires = buf;
  }
  return subject + ", expires " + expires;
}

// The OpenSSL context for the pair, or why not.
Result<std::shared_ptr<ssl::context>> MakeContext(const TlsFiles& files) {
  auto cert_pem = ReadPemFile("certificate", files.cert_file, /*private_key=*/false);
  if (!cert_pem) return cert_pem.error();
  auto key_pem = ReadPemFile("key", files.key_file, /*private_key=*/true);
  if (!key_pem) return key_pem.error();

  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  boost::system::error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                       ec);
  // Resumption from the server's own session cache, not from tickets sealed
  // with one long-lived key (which would undo forward secrecy). The server's
  // order of suites (all strong; ChaCha20 first for a client that puts it
  // first, one without AES instructions).
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET |
                               SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_PRIORITIZE_CHACHA);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);  // idle connections hold no buffers
  SSL_CTX_set_num_tickets(ctx, 1);                  // TLS 1.3: one (stateful) ticket, not two
  if (ec || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1 ||
      SSL_CTX_set1_groups_list(ctx, kGroups) != 1) {
    const char* reason = ERR_reason_error_string(ERR_get_error());
    ERR_clear_error();
    return Status::Internal(std::string("cannot configure TLS: ") + (reason ? reason : "unknown"));
  }
  static constexpr unsigned char kSessionContext[] = "reportshare";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  SSL_CTX_set_alpn_select_cb(ctx, SelectAlpn, nullptr);

  // An encrypted key must fail, not prompt on the terminal for a passphrase.
  context->set_password_callback(
      [](std::size_t, ssl::context::password_purpose) { return std::string(); }, ec);
  context->use_certificate_chain(boost::asio::buffer(*cert_pem), ec);
  if (ec) return Problem("certificate", files.cert_file, "is not a PEM certificate chain");
  context->use_private_key(boost::asio::buffer(*key_pem), ssl::context::pem, ec);
  ERR_clear_error();
  if (ec) {
    return Problem("key", files.key_file,
                   "is not an unencrypted PEM private key, or not the certificate's key");
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return Problem("key", files.key_file,
                   "is not the key of the certificate in " + files.cert_file);
  }
  return context;
}

std::string StampOf(const TlsFiles& files) {
  return core::FileStamp(files.cert_file) + "|" + core::FileStamp(files.key_file);
}

}  // namespace

TlsCredentials::TlsCredentials(TlsFiles files, std::string stamp,
                               std::shared_ptr<ssl::context> context, std::string description)
    : files_(std::move(files)),
      stamp_(std::move(stamp)),
      context_(std::move(context)),
      description_(std::move(description)) {}

TlsCredentials::~TlsCredentials() = default;

Result<std::unique_ptr<TlsCredentials>> TlsCredentials::Load(TlsFiles files) {
  std::string stamp = StampOf(files);
  auto context = MakeContext(files);
  if (!context) return context.error();
  std::string description = DescribeCertificate((*context)->native_handle());
  return std::unique_ptr<TlsCredentials>(new TlsCredentials(
      std::move(files), std::move(stamp), std::move(*context), std::move(description)));
}

std::shared_ptr<ssl::context> TlsCredentials::Current() const {
  core::MutexLock lock(mu_);
  return context_;
}

std::string TlsCredentials::Describe() const {
  core::MutexLock lock(mu_);
  return description_;
}

bool TlsCredentials::Poll() {
  std::string stamp = StampOf(files_);
  if (stamp == stamp_) return false;
  stamp_ = std::move(stamp);
  auto context = MakeContext(files_);
  if (!context) {
    core::LogWarning("server", "keeping the current TLS certificate",
                     {{"cert_file", files_.cert_file},
                      {"key_file", files_.key_file},
                      {"error", context.error().message()}});
    return false;
  }
  std::string description = DescribeCertificate((*context)->native_handle());
  core::LogInfo("server", "reloaded the TLS certificate",
                {{"cert_file", files_.cert_file}, {"certificate", description}});
  core::MutexLock lock(mu_);
  context_ = std::move(*context);
  description_ = std::move(description);
  return true;
}

}  // namespace reportshare::http
