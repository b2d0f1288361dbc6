// HTTPS on its own (SPEC §10): the certificate pair's checks and reload
// (TlsCredentials), and the server over TLS on real loopback sockets with
// several I/O and worker threads, so the tsan preset sees handshakes,
// reloads and the drain run at once.
#include "http/tls.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "http/server.h"
#include "support/capturing_log_sink.h"
#include "support/eventually.h"
#include "support/temp_dir.h"
#include "support/test_certificates.h"

namespace reportshare::http {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace bhttp = boost::beast::http;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new test_support::TempDir("rs_tls_pki_");
    made_ = test_support::MakeTestCertificates(pki_->path());
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(made_) << "openssl failed; see " << pki_->path() << "/openssl.log";
    // The pair the server uses, copied so a test can replace it.
    Install("good");
  }

  static std::string Pki(const std::string& name) { return pki_->path() + "/" + name; }
  std::string Cert() const { return dir_.path() + "/server.pem"; }
  std::string Key() const { return dir_.path() + "/server.key"; }
  TlsFiles Files() const { return {Cert(), Key()}; }

  // Replaces the server's pair with `name`'s, as a renewal does: each file
  // written beside and renamed over the old one.
  void Install(const std::string& cert_name, const std::string& key_name = "") {
    const std::string key = key_name.empty() ? cert_name : key_name;
    fs::copy_file(Pki(cert_name + ".pem"), Cert() + ".new", fs::copy_options::overwrite_existing);
    fs::copy_file(Pki(key + ".key"), Key() + ".new", fs::copy_options::overwrite_existing);
    ::chmod((Key() + ".new").c_str(), 0600);
    fs::rename(Cert() + ".new", Cert());
    fs::rename(Key() + ".new", Key());
  }

  static test_support::TempDir* pki_;
  static bool made_;
  test_support::TempDir dir_{"rs_tls_"};
  test_support::ScopedLogCapture log_;
};

test_support::TempDir* TlsTest::pki_ = nullptr;
bool TlsTest::made_ = false;

TEST_F(TlsTest, LoadsAPairAndDescribesItsCertificate) {
  auto tls = TlsCredentials::Load(Files());
  ASSERT_TRUE(tls) << tls.error().message();
  EXPECT_NE((*tls)->Current(), nullptr);
  EXPECT_NE((*tls)->Describe().find("CN=localhost, expires 20"), std::string::npos)
      << (*tls)->Describe();
}

TEST_F(TlsTest, RefusesAKeyReadableByGroupOrOthers) {
  for (mode_t mode : {0640, 0604, 0644, 0660}) {
    ::chmod(Key().c_str(), mode);
    auto tls = TlsCredentials::Load(Files());
    ASSERT_FALSE(tls) << "mode " << std::oct << mode;
    EXPECT_EQ(tls.error().code(), Code::kFailedPrecondition);
    EXPECT_EQ(tls.error().message(),
              "TLS key file " + Key() + " is readable by group or others; run: chmod 600 " + Key());
  }
  ::chmod(Key().c_str(), 0400);
  EXPECT_TRUE(TlsCredentials::Load(Files())) << "0400 is strict enough";
}

TEST_F(TlsTest, RefusesEveryBadPairNamingTheFileNeverItsBytes) {
  const std::string key_pem = [&] {
    std::ifstream in(Key());
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  const std::string garbage = dir_.path() + "/garbage.pem";
  std::ofstream(garbage) << "-----BEGIN CERTIFICATE-----\nnot base64 at all\n";
  ::chmod(garbage.c_str(), 0600);
  const std::string big = dir_.path() + "/big.pem";
  {
    std::ofstream out(big);
    out << std::string(kMaxTlsFileBytes + 1, 'A');
  }
  ::chmod(big.c_str(), 0600);
  const std::string encrypted = dir_.path() + "/encrypted.key";
  ASSERT_EQ(std::system(("openssl pkey -in '" + Key() + "' -aes256 -passout pass:secret -out '" +
                         encrypted + "' 2>/dev/null && chmod 600 '" + encrypted + "'")
                            .c_str()),
            0);
  struct Case {
    TlsFiles files;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{Cert(), Pki("other.key")}, "TLS key file " + Pki("other.key") + " is not"},
      {{Pki("ca.pem"), Key()}, "TLS key file " + Key() + " is not"},
      {{garbage, Key()}, "TLS certificate file " + garbage + " is not a PEM certificate chain"},
      {{Cert(), garbage}, "TLS key file " + garbage + " is not an unencrypted PEM private key"},
      {{Cert(), encrypted}, "TLS key file " + encrypted + " is not an unencrypted PEM"},
      {{big, Key()}, "TLS certificate file " + big + " is larger than 1 MiB"},
      {{Cert(), big}, "TLS key file " + big + " is larger than 1 MiB"},
      {{dir_.path() + "/missing.pem", Key()},
       "TLS certificate file " + dir_.path() + "/missing.pem cannot be opened"},
      {{Cert(), dir_.path()}, "TLS key file " + dir_.path() + " is not a regular file"},
  };
  for (const Case& c : cases) {
    auto tls = TlsCredentials::Load(c.files);
    ASSERT_FALSE(tls) << c.files.cert_file << " + " << c.files.key_file;
    EXPECT_EQ(tls.error().code(), Code::kFailedPrecondition);
    EXPECT_EQ(tls.error().message().rfind(c.message, 0), 0u) << tls.error().message();
    EXPECT_EQ(tls.error().message().find("PRIVATE KEY"), std::string::npos);
    EXPECT_EQ(tls.error().message().find(key_pem.substr(40, 20)), std::string::npos);
  }
}

TEST_F(TlsTest, PollReloadsAChangedPairAndKeepsTheOldOneWhenTheNewIsBad) {
  auto loaded = TlsCredentials::Load(Files());
  ASSERT_TRUE(loaded);
  TlsCredentials& tls = **loaded;
  auto first = tls.Current();
  EXPECT_FALSE(tls.Poll()) << "nothing changed";
  EXPECT_EQ(tls.Current(), first);

  // Half a renewal: the new certificate beside the old key.
  fs::copy_file(Pki("other.pem"), Cert(), fs::copy_options::overwrite_existing);
  EXPECT_FALSE(tls.Poll());
  EXPECT_EQ(tls.Current(), first) << "a bad pair keeps the one in force";
  auto warnings = log_->OnChannel("server");
  ASSERT_FALSE(warnings.empty());
  EXPECT_EQ(warnings.back().message, "keeping the current TLS certificate");
  EXPECT_EQ(warnings.back().level, core::LogLevel::kWarning);
  EXPECT_EQ(warnings.back().Field("cert_file"), Cert());
  EXPECT_FALSE(tls.Poll()) << "the same bad pair is not tried again";
  EXPECT_EQ(log_->OnChannel("server").size(), warnings.size()) << "nor logged again";

  Install("renewed");
  EXPECT_TRUE(tls.Poll());
  EXPECT_NE(tls.Current(), first);
  EXPECT_EQ(log_->OnChannel("server").back().message, "reloaded the TLS certificate");
  EXPECT_NE(first, nullptr) << "a connection holding the old context keeps it";
}

// A blocking HTTPS client on one keep-alive connection, trusting the test CA.
class TlsClient {
 public:
  TlsClient(uint16_t port, const std::string& ca_file, const char* alpn = nullptr)
      : ctx_(ssl::context::tls_client), stream_(ioc_, ctx_) {
    ctx_.load_verify_file(ca_file);
    ctx_.set_verify_mode(ssl::verify_peer);
    SSL_set_tlsext_host_name(stream_.native_handle(), "localhost");
    stream_.set_verify_callback(ssl::host_name_verification("localhost"));
    if (alpn != nullptr) {
      std::string wire(1, static_cast<char>(std::strlen(alpn)));
      wire += alpn;
      SSL_set_alpn_protos(stream_.native_handle(),
                          reinterpret_cast<const unsigned char*>(wire.data()),
                          static_cast<unsigned>(wire.size()));
    }
    stream_.lowest_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    stream_.handshake(ssl::stream_base::client, handshake_error_);
  }

  const boost::system::error_code& handshake_error() const { return handshake_error_; }

  // The serial number of the certificate the server presented.
  long Serial() {
    X509* cert = SSL_get1_peer_certificate(stream_.native_handle());
    if (cert == nullptr) return -1;
    long serial = ASN1_INTEGER_get(X509_get0_serialNumber(cert));
    X509_free(cert);
    return serial;
  }
  std::string Alpn() {
    const unsigned char* data = nullptr;
    unsigned len = 0;
    SSL_get0_alpn_selected(stream_.native_handle(), &data, &len);
    return std::string(reinterpret_cast<const char*>(data), len);
  }

  struct Reply {
    int status = 0;  // 0: the exchange failed
    std::string body;
    std::string hsts;
  };
  Reply Get(const std::string& target) {
    bhttp::request<bhttp::empty_body> req(bhttp::verb::get, target, 11);
    req.set(bhttp::field::host, "localhost");
    boost::system::error_code ec;
    bhttp::write(stream_, req, ec);
    bhttp::response<bhttp::string_body> res;
    if (!ec) bhttp::read(stream_, buffer_, res, ec);
    if (ec) return {};
    return {static_cast<int>(res.result_int()), res.body(),
            std::string(res["Strict-Transport-Security"])};
  }

 private:
  asio::io_context ioc_;
  ssl::context ctx_;
  ssl::stream<tcp::socket> stream_;
  boost::beast::flat_buffer buffer_;
  boost::system::error_code handshake_error_;
};

Response Echo(const Request& req) {
  Response res;
  res.route = "echo";
  res.body = req.scheme + " " + req.target;
  res.SetHeader("Content-Type", "text/plain");
  return res;
}

// A TLS server on a free port in a thread of its own; drains and joins on
// destruction.
class RunningTlsServer {
 public:
  explicit RunningTlsServer(ServerOptions options) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    options.worker_threads = 2;
    auto server = Server::Create(std::move(options), Echo);
    if (!server) throw std::runtime_error(server.error().message());
    server_ = std::move(*server);
    thread_ = std::thread([this] { server_->Run(); });
  }
  ~RunningTlsServer() {
    server_->Drain();
    thread_.join();
  }
  uint16_t port() const { return server_->port(); }
  Server& server() { return *server_; }

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

TEST_F(TlsTest, ServesHttpsWithHstsAndAlpnOnEveryConnection) {
  ServerOptions options;
  options.tls_cert_file = Cert();
  options.tls_key_file = Key();
  RunningTlsServer server(options);
  EXPECT_STREQ(server.server().scheme(), "https");

  constexpr int kClients = 6;
  constexpr int kRequests = 10;
  std::atomic<int> good{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      TlsClient client(server.port(), Pki("ca.pem"), c % 2 ? "http/1.1" : nullptr);
      if (client.handshake_error()) return;
      if (c % 2 && client.Alpn() != "http/1.1") return;
      for (int i = 0; i < kRequests; ++i) {
        const std::string target = "/" + std::to_string(c) + "/" + std::to_string(i);
        auto res = client.Get(target);
        if (res.status == 200 && res.body == "https " + target && res.hsts == "max-age=31536000") {
          good.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(good.load(), kClients * kRequests);

  TlsClient h2_only(server.port(), Pki("ca.pem"), "h2");
  EXPECT_TRUE(h2_only.handshake_error()) << "no protocol in common: no_application_protocol";
}

TEST_F(TlsTest, ARenewedPairReachesNewConnectionsWhileOpenOnesFinish) {
  ServerOptions options;
  options.tls_cert_file = Cert();
  options.tls_key_file = Key();
  options.tls_reload_interval = 20ms;
  RunningTlsServer server(options);

  TlsClient before(server.port(), Pki("ca.pem"));
  ASSERT_FALSE(before.handshake_error()) << before.handshake_error().message();
  EXPECT_EQ(before.Serial(), 2);
  ASSERT_EQ(before.Get("/before").status, 200);

  // Clients keep connecting while the pair changes under the server.
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 2; ++c) {
    clients.emplace_back([&] {
      while (!stop) {
        TlsClient client(server.port(), Pki("ca.pem"));
        if (client.handshake_error() || client.Get("/during").status != 200) failures.fetch_add(1);
      }
    });
  }
  Install("renewed");
  EXPECT_TRUE(test_support::Eventually(
      [&] { return TlsClient(server.port(), Pki("ca.pem")).Serial() == 4; }));
  // A bad pair is refused; the renewed one stays in force.
  Install("other", "renewed");
  EXPECT_TRUE(test_support::Eventually([&] {
    for (const auto& line : log_->OnChannel("server")) {
      if (line.message == "keeping the current TLS certificate") return true;
    }
    return false;
  }));
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(TlsClient(server.port(), Pki("ca.pem")).Serial(), 4);
  EXPECT_EQ(before.Get("/after").status, 200) << "the connection opened before still works";
  EXPECT_EQ(before.Serial(), 2);
}

TEST_F(TlsTest, AStalledHandshakeIsCutOffAtTheHeaderTimeout) {
  ServerOptions options;
  options.tls_cert_file = Cert();
  options.tls_key_file = Key();
  options.header_timeout = 300ms;
  RunningTlsServer server(options);
  asio::io_context ioc;
  tcp::socket silent(ioc);
  silent.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
  const auto started = std::chrono::steady_clock::now();
  char byte;
  boost::system::error_code ec;
  silent.read_some(asio::buffer(&byte, 1), ec);  // blocks until the server closes
  EXPECT_EQ(ec, asio::error::eof) << ec.message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  TlsClient after(server.port(), Pki("ca.pem"));
  EXPECT_EQ(after.Get("/ok").status, 200) << "the server keeps serving";
}

TEST_F(TlsTest, CreateRefusesABadPairAtStartUp) {
  ::chmod(Key().c_str(), 0644);
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.tls_cert_file = Cert();
  options.tls_key_file = Key();
  auto server = Server::Create(options, Echo);
  ASSERT_FALSE(server);
  EXPECT_NE(server.error().message().find("is readable by group or others"), std::string::npos);
}

}  // namespace
}  // namespace reportshare::http
