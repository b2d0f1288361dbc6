"""HTTPS on its own (SPEC §10): serve --tls-cert/--tls-key with certificates
of a CA this test makes with the real openssl command (tls_certs.py), checked
with Python's ssl module (OpenSSL) and Debian's testssl.sh: TLS 1.2 and 1.3
only, forward-secret AEAD suites only, ALPN http/1.1, HSTS on every response,
a renewed pair picked up within a second while open connections finish, a bad
new pair refused and logged, a key readable by others refused at start-up, and
a stalled handshake cut off like a slow header. The rest of the suite runs
over TLS as blackbox_tls.* (harness.TLS_MODE)."""

import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import warnings

import harness
import tls_certs
from harness import SHARED_PREFIX, make_report

HSTS = "max-age=31536000"
TESTSSL = shutil.which("testssl") or shutil.which("testssl.sh")

# The suites of TLS 1.2 a client may get (with the RSA certificate of the
# tests), and some it must not: RSA key exchange (no forward secrecy), CBC.
ALLOWED_TLS12 = ("ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
                 "ECDHE-RSA-CHACHA20-POLY1305")
REFUSED_TLS12 = ("AES128-GCM-SHA256", "AES256-GCM-SHA384", "ECDHE-RSA-AES128-SHA",
                 "ECDHE-RSA-AES256-SHA384", "AES128-SHA", "DHE-RSA-AES128-GCM-SHA256")


def client_context(ca, minimum=None, maximum=None, ciphers=None, alpn=None):
    ctx = ca.client_context(alpn=alpn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLSv1 / TLSv1_1 on purpose
        if minimum is not None:
            ctx.minimum_version = minimum
        if maximum is not None:
            ctx.maximum_version = maximum
    if ciphers:
        ctx.set_ciphers(ciphers)
    return ctx


def handshake(port, ctx, timeout=10):
    """(version, cipher, alpn, peer certificate DER) of a handshake, or raises
    ssl.SSLError."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            return s.version(), s.cipher()[0], s.selected_alpn_protocol(), s.getpeercert(True)


def https_request(port, ctx, method, path, headers=None, body=None):
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=ctx)
    try:
        return harness.request_on(conn, method, path, headers, body)
    finally:
        conn.close()


def read_until_closed(sock, limit=5.0):
    """Everything the peer sends until it closes (or `limit` seconds pass:
    then raises AssertionError)."""
    sock.settimeout(limit)
    data = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return data
            data += chunk
    except ConnectionResetError:
        return data
    except socket.timeout:
        raise AssertionError("the server kept the connection open for %ss; got %r" % (limit, data[:100]))


class Pki:
    """The CA and a first server certificate, made once for the module."""
    ca = None
    cert = key = None


def setUpModule():
    # The harness's CA, which its requests trust; its files are removed at exit.
    Pki.ca, Pki.cert, Pki.key = harness.tls_material()


class TlsServingTest(harness.ServerTestCase):
    """One HTTPS server: the API and the link over TLS, and the TLS settings."""

    @classmethod
    def setUpClass(cls):
        cls.server_args = ("--tls-cert", Pki.cert, "--tls-key", Pki.key, "--header-timeout", "2")
        super().setUpClass()
        cls.ctx = Pki.ca.client_context()

    @classmethod
    def setup_data(cls):
        cls.put_report(make_report(7001, name="Zoë Okafor"))

    def assertHsts(self, resp, what):
        self.assertEqual(resp.header_values("strict-transport-security"), [HSTS],
                         "%s: exactly one HSTS header\n%s" % (what, resp))

    def test_share_open_and_download_over_https(self):
        self.assertTrue(self.server.tls)
        resp = self.call("POST", "/assessments/reports/7001/share", body={"expiration_hours": 1})
        self.assertStatus(resp, 200)
        signed_url = resp.json()["signed_url"]
        prefix = "https://127.0.0.1:%d%s" % (self.server.port, SHARED_PREFIX)
        self.assertTrue(signed_url.startswith(prefix),
                        "without --public-url a link is built on https:// + the address: %r" % signed_url)
        path = signed_url[len("https://127.0.0.1:%d" % self.server.port):]
        page = self.server.request("GET", path)
        self.assertStatus(page, 200)
        self.assertIn("text/html", page.content_type)
        self.assertIn("Zoë Okafor", page.text)
        self.assertHsts(page, "link page")
        pdf = self.server.request("GET", path + "?format=pdf")
        self.assertStatus(pdf, 200)
        self.assertTrue(pdf.body.startswith(b"%PDF-"))
        self.assertHsts(pdf, "link PDF")
        download = self.call("POST", "/assessments/reports/7001/download")
        self.assertStatus(download, 200)
        self.assertTrue(download.body.startswith(b"%PDF-"))
        self.assertIn("Zoë Okafor", harness.pdftotext(download.body))
        self.assertHsts(download, "download")

    def test_every_response_carries_hsts(self):
        checks = [
            ("healthz", self.server.request("GET", "/healthz"), 200),
            ("unknown path", self.server.request("GET", "/nope"), 404),
            ("no API key", self.call("POST", "/assessments/reports/7001/share", key=None), 401),
            ("bad JSON", self.call("POST", "/assessments/reports/7001/share", body=b"{"), 400),
            ("bad token", self.server.request("GET", SHARED_PREFIX + "AAAA"), 404),
            ("head", self.server.request("HEAD", "/healthz"), 200),
        ]
        for what, resp, status in checks:
            self.assertEqual(resp.status, status, "%s\n%s" % (what, resp))
            self.assertHsts(resp, what)
        # Answered before any request is parsed: over the header limit (431).
        big = self.server.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
        self.assertIsNotNone(big)
        self.assertEqual(big.status, 431, big)
        self.assertHsts(big, "431")
        self.assertEqual(big.json()["error"], "request header is larger than 16384 bytes")

    def test_tls_12_and_13_only(self):
        V = ssl.TLSVersion
        for version in (V.TLSv1, V.TLSv1_1):
            # The client is made willing (security level 0), so a failure is the server's.
            ctx = client_context(Pki.ca, version, version, "DEFAULT:@SECLEVEL=0")
            with self.assertRaises(ssl.SSLError, msg=str(version)) as caught:
                handshake(self.server.port, ctx)
            self.assertEqual(caught.exception.reason, "TLSV1_ALERT_PROTOCOL_VERSION", caught.exception)
        for version, name in ((V.TLSv1_2, "TLSv1.2"), (V.TLSv1_3, "TLSv1.3")):
            got, cipher, _, _ = handshake(self.server.port, client_context(Pki.ca, version, version))
            self.assertEqual(got, name)
            if version == V.TLSv1_3:
                self.assertIn(cipher, ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                       "TLS_CHACHA20_POLY1305_SHA256"))

    def test_only_forward_secret_aead_suites_in_tls_12(self):
        V = ssl.TLSVersion
        for suite in ALLOWED_TLS12:
            ctx = client_context(Pki.ca, V.TLSv1_2, V.TLSv1_2, suite)
            _, cipher, _, _ = handshake(self.server.port, ctx)
            self.assertEqual(cipher, suite)
        for suite in REFUSED_TLS12:
            ctx = client_context(Pki.ca, V.TLSv1_2, V.TLSv1_2, suite + ":@SECLEVEL=0")
            with self.assertRaises(ssl.SSLError, msg=suite) as caught:
                handshake(self.server.port, ctx)
            self.assertEqual(caught.exception.reason, "SSLV3_ALERT_HANDSHAKE_FAILURE",
                             "%s: %s" % (suite, caught.exception))
        # Offered everything, in the client's worst order, a client gets a strong suite.
        ctx = client_context(Pki.ca, V.TLSv1_2, V.TLSv1_2,
                             ":".join(REFUSED_TLS12 + ALLOWED_TLS12[::-1]) + ":@SECLEVEL=0")
        _, cipher, _, _ = handshake(self.server.port, ctx)
        self.assertIn(cipher, ALLOWED_TLS12)

    def test_alpn_is_http_1_1(self):
        for offered in (["h2", "http/1.1"], ["http/1.1"]):
            _, _, alpn, _ = handshake(self.server.port, Pki.ca.client_context(alpn=offered))
            self.assertEqual(alpn, "http/1.1", offered)
        _, _, alpn, _ = handshake(self.server.port, Pki.ca.client_context())
        self.assertIsNone(alpn, "a client offering no ALPN is served without it")
        with self.assertRaises(ssl.SSLError) as caught:
            handshake(self.server.port, Pki.ca.client_context(alpn=["h2"]))
        self.assertIn("alert no application protocol", str(caught.exception))

    def test_plain_http_on_the_https_port_gets_no_http_answer(self):
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            data = read_until_closed(s)
        finally:
            s.close()
        self.assertFalse(data.startswith(b"HTTP/"), data[:60])
        self.assertNotIn(b"ok", data)
        self.assertEqual(self.server.request("GET", "/healthz").status, 200)

    def test_a_stalled_handshake_is_cut_off_at_the_header_timeout(self):
        # A real ClientHello's first bytes, then nothing; and a connection that
        # sends nothing at all. --header-timeout is 2 s here.
        hello = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"
        for what, first in (("silent", b""), ("half a ClientHello", hello)):
            s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
            try:
                start = time.monotonic()
                if first:
                    s.sendall(first)
                read_until_closed(s, limit=6)
                took = time.monotonic() - start
            finally:
                s.close()
            self.assertGreater(took, 1.5, "%s: cut off before the header timeout" % what)
            self.assertLess(took, 5, "%s: the handshake must end at the header timeout" % what)
        self.assertEqual(self.server.request("GET", "/healthz").status, 200)

    def test_the_access_log_records_https(self):
        self.server.request("GET", "/healthz")
        records = [json.loads(l) for l in self.server.stdout().splitlines() if l.startswith("{")]
        self.assertTrue(records)
        self.assertEqual({r.get("scheme") for r in records}, {"https"})


class TlsStartupTest(harness.TempServersTestCase):
    """What serve refuses at start-up: one line on stderr, exit 1, no secret."""

    def start_failing(self, args):
        srv = harness.Server(tmpdir=self.tmp)
        self.servers.append(srv)
        srv.create_key("Acme")
        srv.start(args, wait=False)
        try:
            srv.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.fail("serve did not exit: " + srv.logs())
        srv._join_pumps()
        self.assertEqual(srv.proc.returncode, 1, srv.logs())
        self.assertNotIn("listening on", srv.stderr())
        with open(Pki.key) as f:
            key_body = f.read().splitlines()[1]
        self.assertNotIn(key_body, srv.all_logs(), "the key's bytes never reach a log")
        return srv.stderr()

    def copy_pair(self, key_mode=0o600):
        cert = os.path.join(self.tmp, "server.pem")
        key = os.path.join(self.tmp, "server.key")
        shutil.copy(Pki.cert, cert)
        shutil.copy(Pki.key, key)
        os.chmod(key, key_mode)
        return cert, key

    def test_a_key_readable_by_group_or_others_is_refused(self):
        for mode in (0o640, 0o644, 0o604):
            cert, key = self.copy_pair(mode)
            err = self.start_failing(["--tls-cert", cert, "--tls-key", key])
            self.assertIn("TLS key file %s is readable by group or others; run: chmod 600 %s" % (key, key),
                          err)

    def test_half_a_pair_and_bad_files_are_refused(self):
        cert, key = self.copy_pair()
        err = self.start_failing(["--tls-cert", cert])
        self.assertIn("--tls-cert and --tls-key go together", err)
        err = self.start_failing(["--tls-key", key])
        self.assertIn("--tls-cert and --tls-key go together", err)
        other_dir = tempfile.mkdtemp(dir=self.tmp)
        _, other_key = Pki.ca.issue(other_dir, cn="other")
        err = self.start_failing(["--tls-cert", cert, "--tls-key", other_key])
        self.assertIn("TLS key file %s is not" % other_key, err)
        err = self.start_failing(["--tls-cert", key, "--tls-key", key])
        self.assertIn("TLS certificate file %s is not a PEM certificate chain" % key, err)
        missing = os.path.join(self.tmp, "missing.pem")
        err = self.start_failing(["--tls-cert", missing, "--tls-key", key])
        self.assertIn("TLS certificate file %s cannot be opened" % missing, err)

    def test_the_configuration_file_and_environment_give_the_pair(self):
        cert, key = self.copy_pair()
        config = os.path.join(self.tmp, "reportshare.toml")
        with open(config, "w") as f:
            f.write('tls-cert = "%s"\ntls-key = "%s"\n' % (cert, key))
        for args, env in ((["--config", config], None),
                          ([], {"REPORTSHARE_TLS_CERT": cert, "REPORTSHARE_TLS_KEY": key})):
            srv = harness.Server(tmpdir=tempfile.mkdtemp(dir=self.tmp))
            self.servers.append(srv)
            srv.create_key("Acme")
            srv.start(args, env=env)
            self.assertEqual(srv.scheme, "https", srv.logs())
            resp = https_request(srv.port, Pki.ca.client_context(), "GET", "/healthz")
            self.assertEqual(resp.status, 200)
            self.assertEqual(resp.header_values("strict-transport-security"), [HSTS])
            srv.stop()


class TlsConnectionLimitTest(harness.TempServersTestCase):
    """Over --max-connections a TLS client is still handshaken, so it can read
    its 503 (with HSTS); the connections within the limit keep working."""

    def test_over_the_limit_is_503_over_tls(self):
        srv = harness.Server(tmpdir=self.tmp)
        self.servers.append(srv)
        srv.create_key("Acme")
        srv.start(["--tls-cert", Pki.cert, "--tls-key", Pki.key, "--max-connections", "2"])
        held = [harness.connect(srv.port, tls=True) for _ in range(2)]
        try:
            for s in held:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertEqual(harness.RawReader(s).read_response().status, 200)
            over = harness.raw_exchange(srv.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", tls=True)
            self.assertIsNotNone(over, "the client over the limit gets an answer, not a reset")
            self.assertEqual(over.status, 503, over)
            self.assertEqual(over.json()["error"], "too many connections")
            self.assertEqual(over.header_values("strict-transport-security"), [HSTS])
            held[0].sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(harness.RawReader(held[0]).read_response().status, 200)
        finally:
            for s in held:
                s.close()


class TlsReloadTest(harness.TempServersTestCase):
    """A renewal under a running server: within a second for new connections,
    never for the ones already open; a bad pair refused and logged."""

    def install(self, cert_src, key_src):
        """Writes the pair as a renewal tool does: beside, then renamed over."""
        for src, dst, mode in ((cert_src, self.cert, 0o644), (key_src, self.key, 0o600)):
            tmp = dst + ".new"
            shutil.copy(src, tmp)
            os.chmod(tmp, mode)
            os.rename(tmp, dst)

    def serial_seen(self):
        _, _, _, der = handshake(self.srv.port, Pki.ca.client_context())
        return tls_certs.serial_of(der)

    def wait_for_serial(self, serial, limit):
        start = time.monotonic()
        while time.monotonic() - start < limit:
            if self.serial_seen() == serial:
                return time.monotonic() - start
            time.sleep(0.05)
        self.fail("serial %d not presented within %ss (still %d)\n%s"
                  % (serial, limit, self.serial_seen(), self.srv.logs()))

    def test_a_renewed_pair_is_picked_up_and_a_bad_one_refused(self):
        self.cert = os.path.join(self.tmp, "server.pem")
        self.key = os.path.join(self.tmp, "server.key")
        self.install(Pki.cert, Pki.key)
        first_serial = tls_certs.serial_of_file(Pki.cert)
        self.srv = harness.Server(tmpdir=self.tmp)
        self.servers.append(self.srv)
        self.srv.create_key("Acme")
        self.srv.start(["--tls-cert", self.cert, "--tls-key", self.key])
        self.assertEqual(self.serial_seen(), first_serial)

        # A keep-alive connection opened before the renewal.
        ctx = Pki.ca.client_context()
        open_conn = http.client.HTTPSConnection("127.0.0.1", self.srv.port, timeout=10, context=ctx)
        self.addCleanup(open_conn.close)
        self.assertEqual(harness.request_on(open_conn, "GET", "/healthz").status, 200)
        open_serial = tls_certs.serial_of(open_conn.sock.getpeercert(True))

        renewed_dir = tempfile.mkdtemp(dir=self.tmp)
        renewed_cert, renewed_key = Pki.ca.issue(renewed_dir)
        renewed_serial = tls_certs.serial_of_file(renewed_cert)
        self.assertNotEqual(renewed_serial, first_serial)
        self.install(renewed_cert, renewed_key)
        took = self.wait_for_serial(renewed_serial, limit=3)
        # Polled every second; the margin is for a loaded machine.
        self.assertLess(took, 2.0, "a renewal must be picked up within about a second")
        self.assertIn("reloaded the TLS certificate", self.srv.stderr())

        # The connection opened before still works, with its certificate.
        self.assertEqual(harness.request_on(open_conn, "GET", "/healthz").status, 200)
        self.assertEqual(tls_certs.serial_of(open_conn.sock.getpeercert(True)), open_serial)

        # A bad pair (a certificate with another's key): refused, logged, the
        # renewed pair stays in force.
        bad_dir = tempfile.mkdtemp(dir=self.tmp)
        bad_cert, _ = Pki.ca.issue(bad_dir, cn="bad")
        self.install(bad_cert, renewed_key)
        harness.wait_until(lambda: "keeping the current TLS certificate" in self.srv.stderr(), 3)
        self.assertIn("keeping the current TLS certificate", self.srv.stderr())
        self.assertEqual(self.serial_seen(), renewed_serial)
        self.assertEqual(https_request(self.srv.port, ctx, "GET", "/healthz").status, 200)

        # Fixed: picked up again.
        self.install(Pki.cert, Pki.key)
        self.wait_for_serial(first_serial, limit=3)


@unittest.skipUnless(TESTSSL, "testssl.sh is installed by scripts/setup")
class TestsslTest(harness.ServerTestCase):
    """Debian's testssl.sh against the running server: no finding of severity
    HIGH or CRITICAL (certificate checks included: the CA is the test's)."""

    @classmethod
    def setUpClass(cls):
        cls.server_args = ("--tls-cert", Pki.cert, "--tls-key", Pki.key)
        super().setUpClass()

    def test_no_high_or_critical_finding(self):
        out = os.path.join(self.server.tmpdir, "testssl.json")
        proc = subprocess.run(
            [TESTSSL, "--quiet", "--color", "0", "--warnings", "batch", "--add-ca", Pki.ca.cert,
             "--jsonfile", out, "127.0.0.1:%d" % self.server.port],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=400)
        text = proc.stdout.decode("utf-8", "replace")
        self.assertTrue(os.path.exists(out), "testssl wrote no JSON (exit %s):\n%s" % (proc.returncode, text[-3000:]))
        with open(out) as f:
            findings = json.load(f)
        self.assertGreater(len(findings), 50, "testssl ran its checks")
        counts = {}
        for f in findings:
            counts[f["severity"]] = counts.get(f["severity"], 0) + 1
        bad = ["%s %s: %s" % (f["severity"], f["id"], f["finding"]) for f in findings
               if f["severity"] in ("HIGH", "CRITICAL")]
        print("\ntestssl.sh findings by severity: %s" % json.dumps(counts, sort_keys=True))
        for f in findings:
            if f["severity"] in ("MEDIUM", "LOW"):
                print("  %s %s: %s" % (f["severity"], f["id"], f["finding"]))
        self.assertEqual(bad, [], text[-3000:])
        ids = {f["id"]: f for f in findings}
        self.assertIn("HSTS_time", ids)
        self.assertEqual(ids["HSTS_time"]["severity"], "OK", ids["HSTS_time"])


if __name__ == "__main__":
    unittest.main()
