"""Behind a reverse proxy (SPEC §10): Debian's real nginx and Caddy in front of
reportshare serve --trusted-proxies, with the configurations docs/operations.md
shows (nginx-proxy.conf.in, caddy-proxy.Caddyfile.in); the audit of an open
records the client's network, and forwarding headers from a peer that is not
trusted are ignored."""

import http.client
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
OPERATIONS = os.path.join(HERE, "..", "..", "docs", "operations.md")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CADDY = shutil.which("caddy") or "/usr/bin/caddy"
CLIENT = "203.0.113.7"  # TEST-NET-3: what a real client's address looks like
# A client on another loopback address than the proxies' 127.0.0.1 (Linux
# routes all of 127/8 to lo): its network is not the proxy's.
LOOPBACK_CLIENT = "127.0.1.2"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def block(text, opener):
    """The lines of the block that the line `opener` opens, through its closing
    `}`, stripped of indentation (nginx and Caddyfile blocks alike: an opening
    line ends in `{`, a closing one is `}`)."""
    lines = [l.strip() for l in text.splitlines()]
    start = lines.index(opener)
    depth = 0
    for end in range(start, len(lines)):
        if lines[end].startswith("#"):
            continue
        if lines[end].endswith("{"):
            depth += 1
        elif lines[end] == "}":
            depth -= 1
        if depth == 0:
            return lines[start:end + 1]
    raise ValueError("block %r is not closed" % opener)


def read(path):
    with open(path) as f:
        return f.read()


def request_from(source, port, method, path, headers=None):
    """harness.request(), from the local address `source`."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=harness.SOCKET_TIMEOUT,
                                      source_address=(source, 0))
    try:
        return harness.request_on(conn, method, path, headers)
    finally:
        conn.close()


class Proxy:
    """A reverse proxy in the foreground, configured from `template` (its
    @DIR@, @PORT@ and @UPSTREAM@ filled in) in a temp dir of its own, its
    output in a file there; stop() ends it by its pid and removes the dir."""

    template = None
    conf_name = None

    def __init__(self, upstream_port):
        self.dir = tempfile.mkdtemp(prefix="rs-%s-" % self.name.lower())
        os.chmod(self.dir, 0o755)  # nginx's workers may run as another user
        self.port = free_port()
        self.proc = None
        self.output_path = os.path.join(self.dir, "output.log")
        try:
            self.conf_path = os.path.join(self.dir, self.conf_name)
            conf = (read(self.template).replace("@DIR@", self.dir).replace("@PORT@", str(self.port))
                    .replace("@UPSTREAM@", "127.0.0.1:%d" % upstream_port))
            with open(self.conf_path, "w") as f:
                f.write(conf)
            self.prepare()
            with open(self.output_path, "wb") as out:
                self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=out,
                                             stderr=subprocess.STDOUT, env=self.env(), cwd=self.dir)
            with harness._live_lock:  # killed at exit if a test run dies before stop()
                harness._live_pids.add(self.proc.pid)
            self.wait_listening()
        except BaseException:
            self.stop()
            raise

    def prepare(self):
        pass

    def env(self):
        return None

    def wait_listening(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("%s exited with %s:\n%s" % (self.name, self.proc.returncode, self.logs()))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("%s did not listen within 10 s:\n%s" % (self.name, self.logs()))

    def logs(self):
        """The end of what the proxy wrote, for a failure's message."""
        try:
            with open(self.output_path, errors="replace") as f:
                return "--- %s output ---\n%s" % (self.name, f.read()[-3000:])
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()  # SIGTERM: nginx's fast shutdown, Caddy's graceful one
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            with harness._live_lock:
                harness._live_pids.discard(self.proc.pid)
        shutil.rmtree(self.dir, ignore_errors=True)


class Nginx(Proxy):
    """nginx on its own prefix (-p) in the temp dir, -g "daemon off;"."""

    name = "nginx"
    template = os.path.join(HERE, "nginx-proxy.conf.in")
    conf_name = "nginx.conf"

    def prepare(self):
        os.makedirs(os.path.join(self.dir, "nginx-tmp"))

    def command(self):
        return [NGINX, "-p", self.dir, "-c", self.conf_path, "-e", os.path.join(self.dir, "stderr.log"),
                "-g", "daemon off;"]

    def logs(self):
        try:
            with open(os.path.join(self.dir, "nginx-error.log"), errors="replace") as f:
                error_log = "--- nginx-error.log ---\n" + f.read()[-2000:]
        except OSError:
            error_log = ""
        return super().logs() + error_log


class Caddy(Proxy):
    """`caddy run` with the Caddyfile adapter; everything Caddy writes (its
    autosaved config, storage, ~/.step) lands in the temp dir."""

    name = "Caddy"
    template = os.path.join(HERE, "caddy-proxy.Caddyfile.in")
    conf_name = "Caddyfile"

    def command(self):
        return [CADDY, "run", "--config", self.conf_path, "--adapter", "caddyfile"]

    def env(self):
        return dict(os.environ, HOME=os.path.join(self.dir, "home"),
                    XDG_CONFIG_HOME=os.path.join(self.dir, "config"),
                    XDG_DATA_HOME=os.path.join(self.dir, "data"))


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


class BehindProxy(OpensAudit):
    """reportshare, trusting 127.0.0.1 only, behind the class's `proxy_class`
    (a mixin for harness.ServerTestCase)."""

    server_args = ("--trusted-proxies", "127.0.0.1/32", "--view-flush-ms", "20")
    proxy_class = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.proxy = cls.proxy_class(cls.server.port)
        except BaseException:
            super().tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.proxy.stop()
        finally:
            super().tearDownClass()

    def via_proxy(self, method, path, headers=None, source=None):
        """A request through the proxy, from `source` if given."""
        if source is None:
            resp = harness.request(self.proxy.port, method, path, headers)
        else:
            resp = request_from(source, self.proxy.port, method, path, headers)
        self.assertStatus(resp, 200, self.proxy.logs())
        return resp

    def assertNetworks(self, link_id, expected):
        self.assertEqual(self.networks(link_id, len(expected)), expected, self.proxy.logs())

    def assertDocumented(self, opener_in_doc, opener_in_template, upstream_re, upstream):
        """The block docs/operations.md opens with `opener_in_doc` is, line for
        line, the template's block opened by `opener_in_template` (the site's
        name and the upstream aside)."""
        tested = block(read(self.proxy_class.template), opener_in_template)
        documented = block(read(OPERATIONS), opener_in_doc)
        documented = [re.sub(upstream_re, upstream, l) for l in documented]
        self.assertEqual(documented[1:], tested[1:])
        return tested


class ThroughNginxTest(BehindProxy, harness.ServerTestCase):
    proxy_class = Nginx

    def test_open_through_nginx_is_audited_with_the_clients_network(self):
        token, link_id = self.new_link()
        # The test stands for a client behind a forwarding hop nginx trusts:
        # nginx appends its peer (127.0.0.1, trusted), so the client is CLIENT.
        resp = self.via_proxy("GET", SHARED_PREFIX + token, {"X-Forwarded-For": CLIENT})
        self.assertIn("Proxy Candidate", resp.text)
        self.assertNetworks(link_id, ["203.0.113.0/24"])

    def test_spoofed_left_most_entries_and_forwarded_are_not_believed(self):
        token, link_id = self.new_link()
        # Entries left of the first untrusted one are that client's claims; a
        # Forwarded header the client sends is dropped by nginx's config.
        headers = [("X-Forwarded-For", "198.51.100.1, " + CLIENT),
                   ("Forwarded", "for=198.51.100.9")]
        self.via_proxy("GET", SHARED_PREFIX + token, headers)
        self.assertNetworks(link_id, ["203.0.113.0/24"])

    def test_client_without_forwarding_headers_is_nginxs_peer(self):
        token, link_id = self.new_link()
        self.via_proxy("GET", SHARED_PREFIX + token)
        self.assertNetworks(link_id, ["127.0.0.0/24"])

    def test_malformed_forwarding_header_falls_back_to_the_peer(self):
        token, link_id = self.new_link()
        self.via_proxy("GET", SHARED_PREFIX + token, {"X-Forwarded-For": "not an address"})
        self.assertNetworks(link_id, ["127.0.0.0/24"])

    def test_trusted_peer_sending_forwarded_directly_is_believed(self):
        # Straight to reportshare from 127.0.0.1, which this server trusts: the
        # RFC 7239 header names the client (IPv6, bracketed, with a port).
        token, link_id = self.new_link()
        resp = self.server.request("GET", SHARED_PREFIX + token,
                                   {"Forwarded": 'for="[2001:db8:cafe::17]:4711";proto=https'})
        self.assertStatus(resp, 200)
        self.assertEqual(self.networks(link_id, 1), ["2001:db8:cafe::/48"])

    def test_the_documented_configuration_is_the_tested_one(self):
        # The doc names the upstream; the template's placeholder stands for it.
        self.assertDocumented("location / {", "location / {",
                              r"^proxy_pass http://[^;]+;$", "proxy_pass http://@UPSTREAM@;")


class ThroughCaddyTest(BehindProxy, harness.ServerTestCase):
    """Caddy sets X-Forwarded-For to its own peer, replacing what the client
    sent (no trusted_proxies in its config), and the config drops Forwarded.
    The client connects from LOOPBACK_CLIENT, so only the address Caddy puts
    in its header can make the audit say 127.0.1.0/24: reportshare's own peer
    is Caddy, 127.0.0.1."""

    proxy_class = Caddy

    def test_open_through_caddy_is_audited_with_the_clients_network(self):
        token, link_id = self.new_link()
        resp = self.via_proxy("GET", SHARED_PREFIX + token, source=LOOPBACK_CLIENT)
        self.assertIn("Proxy Candidate", resp.text)
        self.assertNetworks(link_id, ["127.0.1.0/24"])

    def test_forwarding_headers_the_client_sends_through_caddy_are_not_believed(self):
        token, link_id = self.new_link()
        # Passed on as the client sent them, X-Forwarded-For would give
        # 203.0.113.0/24 (its right-most entry), Forwarded (read first)
        # 198.51.100.0/24 or 2001:db8::/48.
        forged = [[("X-Forwarded-For", "198.51.100.1, " + CLIENT)],
                  [("X-Forwarded-For", "198.51.100.1"), ("X-Forwarded-For", CLIENT)],
                  [("Forwarded", "for=198.51.100.9")],
                  [("Forwarded", 'for="[2001:db8::9]";proto=https'), ("X-Forwarded-For", CLIENT)]]
        for headers in forged:
            self.via_proxy("GET", SHARED_PREFIX + token, headers, source=LOOPBACK_CLIENT)
        self.assertNetworks(link_id, ["127.0.1.0/24"] * len(forged))

    def test_the_documented_configuration_is_the_tested_one(self):
        # The site's directives; the doc names the upstream (and the site).
        tested = self.assertDocumented("reports.example.com {", "http://127.0.0.1:@PORT@ {",
                                       r"^reverse_proxy \S+ \{$", "reverse_proxy @UPSTREAM@ {")
        self.assertIn("header_up -Forwarded", tested)


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
