#pragma once

// A test CA and server certificates it signed (P-256 keys, mode 0600), made
// with the openssl command line in a directory:
//   ca.pem / ca.key            the CA
//   good.pem / good.key        localhost and 127.0.0.1, serial 2
//   other.pem / other.key      other.example only, serial 3
//   renewed.pem / renewed.key  localhost and 127.0.0.1, serial 4 (a renewal)
// Valid for two days. Shared by the TLS tests of the webhook sender and of
// the server.

#include <cstdlib>
#include <fstream>
#include <string>

namespace reportshare::test_support {

// True when every file was made; the openssl output is in dir/openssl.log.
inline bool MakeTestCertificates(const std::string& d) {
  std::ofstream(d + "/ca.cnf") << "[req]\ndistinguished_name = dn\nprompt = no\n"
                                  "x509_extensions = v3_ca\n[dn]\nCN = reportshare test CA\n"
                                  "[v3_ca]\nbasicConstraints = critical,CA:TRUE\n"
                                  "keyUsage = critical,keyCertSign,cRLSign\n"
                                  "subjectKeyIdentifier = hash\n";
  std::ofstream(d + "/good.ext") << "basicConstraints = CA:FALSE\n"
                                    "subjectAltName = DNS:localhost, IP:127.0.0.1\n"
                                    "extendedKeyUsage = serverAuth\n";
  std::ofstream(d + "/other.ext") << "basicConstraints = CA:FALSE\n"
                                     "subjectAltName = DNS:other.example\n"
                                     "extendedKeyUsage = serverAuth\n";
  const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  auto leaf = [&](const std::string& name, const std::string& cn, const std::string& ext,
                  int serial) {
    return "openssl req -new -subj /CN=" + cn + key + " -keyout " + name + ".key -out " + name +
           ".csr && openssl x509 -req -in " + name + ".csr -CA ca.pem -CAkey ca.key -set_serial " +
           std::to_string(serial) + " -days 2 -extfile " + ext + " -out " + name +
           ".pem && chmod 600 " + name + ".key";
  };
  std::string script = "cd '" + d + "' && (openssl req -x509 -new -config ca.cnf" + key +
                       " -keyout ca.key -out ca.pem -days 2 && " +
                       leaf("good", "localhost", "good.ext", 2) + " && " +
                       leaf("other", "other.example", "other.ext", 3) + " && " +
                       leaf("renewed", "localhost", "good.ext", 4) + ") > openssl.log 2>&1";
  return std::system(script.c_str()) == 0;
}

}  // namespace reportshare::test_support
