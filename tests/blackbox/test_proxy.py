"""Behind a reverse proxy (SPEC §10): Debian's real nginx in front of reportshare
serve --trusted-proxies, with the configuration docs/operations.md shows
(nginx-proxy.conf.in); the audit of an open records the client's network, and
forwarding headers from a peer that is not trusted are ignored."""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

import harness
from harness import SHARED_PREFIX, make_report

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE = os.path.join(HERE, "nginx-proxy.conf.in")
OPERATIONS = os.path.join(HERE, "..", "..", "docs", "operations.md")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CLIENT = "203.0.113.7"  # TEST-NET-3: what a real client's address looks like


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def location_block(text):
    """The lines of the `location / { … }` block, stripped of indentation."""
    lines = [l.strip() for l in text.splitlines()]
    start = lines.index("location / {")
    end = lines.index("}", start)
    return lines[start:end + 1]


class Nginx:
    """nginx in the foreground on its own prefix and config in a temp dir."""

    def __init__(self, upstream_port):
        self.dir = tempfile.mkdtemp(prefix="rs-nginx-")
        os.chmod(self.dir, 0o755)  # the workers may run as another user
        os.makedirs(os.path.join(self.dir, "nginx-tmp"))
        self.port = free_port()
        with open(TEMPLATE) as f:
            conf = f.read()
        conf = (conf.replace("@DIR@", self.dir).replace("@PORT@", str(self.port))
                .replace("@UPSTREAM@", "127.0.0.1:%d" % upstream_port))
        self.conf_path = os.path.join(self.dir, "nginx.conf")
        with open(self.conf_path, "w") as f:
            f.write(conf)
        self.proc = subprocess.Popen(
            [NGINX, "-p", self.dir, "-c", self.conf_path, "-e", os.path.join(self.dir, "stderr.log"),
             "-g", "daemon off;"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace")
                self.stop()
                raise AssertionError("nginx exited with %s: %s%s"
                                     % (self.proc.returncode, err, self.error_log()))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise AssertionError("nginx did not listen within 10 s: " + self.error_log())

    def error_log(self):
        try:
            with open(os.path.join(self.dir, "nginx-error.log")) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: nginx's fast shutdown
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class OpensAudit:
    """Shares report 900 and reads the networks its link's opens were audited with."""

    @classmethod
    def setup_data(cls):
        cls.put_report(make_report(900, name="Proxy Candidate"))

    def new_link(self):
        token = self.share_token(900)
        links = self.call("GET", "/assessments/reports/900/links").json()["links"]
        link_id = max(links, key=lambda l: l["created_at"])["link_id"]
        return token, link_id

    def networks(self, link_id, count):
        """The networks of the link's opens, oldest first, once `count` are written."""
        deadline = time.monotonic() + 10
        while True:
            resp = self.call("GET", "/assessments/reports/900/links/%s/opens" % link_id)
            self.assertStatus(resp, 200)
            opens = resp.json()["opens"]
            if len(opens) >= count or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(len(opens), count, opens)
        for o in opens:
            self.assertEqual(o["status"], 200, o)
        return [o["network"] for o in reversed(opens)]


class ThroughNginxTest(OpensAudit, harness.ServerTestCase):
    server_args = ("--trusted-proxies", "127.0.0.1/32", "--view-flush-ms", "20")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.nginx = Nginx(cls.server.port)
        except BaseException:
            super().tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.nginx.stop()
        finally:
            super().tearDownClass()

    def via_nginx(self, method, path, headers=None):
        return harness.request(self.nginx.port, method, path, headers)

    def test_open_through_nginx_is_audited_with_the_clients_network(self):
        token, link_id = self.new_link()
        # The test stands for a client behind a forwarding hop nginx trusts:
        # nginx appends its peer (127.0.0.1, trusted), so the client is CLIENT.
        resp = self.via_nginx("GET", SHARED_PREFIX + token, {"X-Forwarded-For": CLIENT})
        self.assertStatus(resp, 200)
        self.assertIn("Proxy Candidate", resp.text)
        self.assertEqual(self.networks(link_id, 1), ["203.0.113.0/24"])

    def test_spoofed_left_most_entries_and_forwarded_are_not_believed(self):
        token, link_id = self.new_link()
        # Entries left of the first untrusted one are that client's claims; a
        # Forwarded header the client sends is dropped by nginx's config.
        headers = [("X-Forwarded-For", "198.51.100.1, " + CLIENT),
                   ("Forwarded", "for=198.51.100.9")]
        self.assertStatus(self.via_nginx("GET", SHARED_PREFIX + token, headers), 200)
        self.assertEqual(self.networks(link_id, 1), ["203.0.113.0/24"])

    def test_client_without_forwarding_headers_is_nginxs_peer(self):
        token, link_id = self.new_link()
        self.assertStatus(self.via_nginx("GET", SHARED_PREFIX + token), 200)
        self.assertEqual(self.networks(link_id, 1), ["127.0.0.0/24"])

    def test_malformed_forwarding_header_falls_back_to_the_peer(self):
        token, link_id = self.new_link()
        resp = self.via_nginx("GET", SHARED_PREFIX + token, {"X-Forwarded-For": "not an address"})
        self.assertStatus(resp, 200)
        self.assertEqual(self.networks(link_id, 1), ["127.0.0.0/24"])

    def test_trusted_peer_sending_forwarded_directly_is_believed(self):
        # Straight to reportshare from 127.0.0.1, which this server trusts: the
        # RFC 7239 header names the client (IPv6, bracketed, with a port).
        token, link_id = self.new_link()
        resp = self.server.request("GET", SHARED_PREFIX + token,
                                   {"Forwarded": 'for="[2001:db8:cafe::17]:4711";proto=https'})
        self.assertStatus(resp, 200)
        self.assertEqual(self.networks(link_id, 1), ["2001:db8:cafe::/48"])

    def test_the_documented_configuration_is_the_tested_one(self):
        with open(TEMPLATE) as f:
            tested = location_block(f.read())
        with open(OPERATIONS) as f:
            doc = [l.strip() for l in f.read().splitlines()]
        start = doc.index("location / {")
        documented = doc[start:start + len(tested)]
        # The doc names the upstream; the template's placeholder stands for it.
        documented = [re.sub(r"proxy_pass http://[^;]+;", "proxy_pass http://@UPSTREAM@;", l)
                      for l in documented]
        self.assertEqual(documented, tested)


class UntrustedPeerTest(OpensAudit, harness.ServerTestCase):
    """A forged X-Forwarded-For sent straight to reportshare is ignored: by
    default no peer is trusted, and a range must hold the peer itself."""

    server_args = ("--view-flush-ms", "20")

    def test_forged_headers_straight_to_reportshare_are_ignored(self):
        token, link_id = self.new_link()
        for headers in ({"X-Forwarded-For": CLIENT}, {"Forwarded": "for=" + CLIENT}):
            self.assertStatus(self.server.request("GET", SHARED_PREFIX + token, headers), 200)
        self.assertEqual(self.networks(link_id, 2), ["127.0.0.0/24"] * 2)


class PeerOutsideTheRangeTest(OpensAudit, harness.ServerTestCase):
    server_args = ("--view-flush-ms", "20")
    server_env = {"REPORTSHARE_TRUSTED_PROXIES": "10.0.0.0/8, ::1"}

    def test_forged_headers_from_a_peer_outside_the_trusted_ranges_are_ignored(self):
        token, link_id = self.new_link()
        resp = self.server.request("GET", SHARED_PREFIX + token, {"X-Forwarded-For": CLIENT})
        self.assertStatus(resp, 200)
        self.assertEqual(self.networks(link_id, 1), ["127.0.0.0/24"])


class TrustedProxiesFlagTest(unittest.TestCase):

    def test_a_bad_range_exits_naming_the_flag(self):
        for args, env in ((["--trusted-proxies", "127.0.0.1,proxy.example"], {}),
                          (["--trusted-proxies", "10.1.2.3/8"], {}),
                          ([], {"REPORTSHARE_TRUSTED_PROXIES": "::1/129"})):
            tmp = tempfile.mkdtemp(prefix="rs-proxy-flag-")
            try:
                proc = subprocess.run(
                    [harness.BIN, "serve", "--listen", "127.0.0.1:0",
                     "--db", "sqlite:" + os.path.join(tmp, "rs.db")] + args,
                    env=harness.clean_env(env), cwd=tmp, stdin=subprocess.DEVNULL,
                    capture_output=True, timeout=30)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            err = proc.stderr.decode(errors="replace")
            self.assertNotEqual(proc.returncode, 0, err)
            self.assertIn("--trusted-proxies", err, (args, env))
            self.assertNotIn("listening on", err)


if __name__ == "__main__":
    unittest.main()
