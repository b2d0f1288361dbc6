"""Certificates for the HTTPS tests, made with the real `openssl` command: a
CA of the test's own and server certificates it signs (RSA 2048, so that the
non-forward-secret and CBC suites a server must refuse could otherwise be
negotiated), valid for a year for 127.0.0.1 and localhost."""

import os
import ssl
import subprocess
import tempfile

OPENSSL = "openssl"


def _run(args, cwd):
    proc = subprocess.run([OPENSSL] + args, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (" ".join(args),
                                                      proc.stderr.decode(errors="replace")))
    return proc.stdout


class CertificateAuthority:
    """A CA in `directory` (ca.pem, ca.key)."""

    def __init__(self, directory=None, name="reportshare test CA"):
        self.dir = directory or tempfile.mkdtemp(prefix="rs-ca-")
        self.cert = os.path.join(self.dir, "ca.pem")
        self.key = os.path.join(self.dir, "ca.key")
        self._serial = 0
        _run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
              "-subj", "/CN=" + name, "-keyout", self.key, "-out", self.cert,
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign"], self.dir)

    def issue(self, directory, cn="localhost", days=365, key_type="rsa:2048"):
        """A server certificate and key in `directory`: returns (cert, key)
        paths, the key mode 0600. The certificate file holds the chain (the
        server certificate, then the CA's)."""
        self._serial += 1
        name = "%s-%d" % (cn, self._serial)
        key = os.path.join(directory, name + ".key")
        csr = os.path.join(directory, name + ".csr")
        leaf = os.path.join(directory, name + ".leaf.pem")
        chain = os.path.join(directory, name + ".pem")
        ext = os.path.join(directory, name + ".ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                    "basicConstraints=critical,CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=serverAuth\n"
                    "crlDistributionPoints=URI:http://127.0.0.1/test-ca.crl\n")
        _run(["req", "-new", "-newkey", key_type, "-nodes", "-subj", "/CN=" + cn,
              "-keyout", key, "-out", csr], directory)
        os.chmod(key, 0o600)
        _run(["x509", "-req", "-in", csr, "-CA", self.cert, "-CAkey", self.key,
              "-set_serial", str(1000 + self._serial), "-days", str(days), "-sha256",
              "-extfile", ext, "-out", leaf], directory)
        with open(chain, "w") as out:
            for part in (leaf, self.cert):
                with open(part) as f:
                    out.write(f.read())
        return chain, key

    def client_context(self, alpn=None):
        """An ssl.SSLContext that trusts only this CA and checks the host."""
        ctx = ssl.create_default_context(cafile=self.cert)
        if alpn:
            ctx.set_alpn_protocols(alpn)
        return ctx


def serial_of(der_cert):
    """The serial number of a DER certificate (as the server presented it)."""
    pem = ssl.DER_cert_to_PEM_cert(der_cert)
    out = subprocess.run([OPENSSL, "x509", "-noout", "-serial"], input=pem.encode(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30, check=True)
    return int(out.stdout.decode().strip().split("=", 1)[1], 16)


def serial_of_file(path):
    """The serial number of the first certificate of a PEM file."""
    with open(path) as f:
        return serial_of(ssl.PEM_cert_to_DER_cert(f.read()))
