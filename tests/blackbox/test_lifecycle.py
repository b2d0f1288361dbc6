"""Link lifecycle and operations: signing-key rotation and retirement while
the server runs, /metrics counters, the PDF cache, idle sockets, and the
drain on SIGTERM."""

import re
import socket
import threading
import time
import unittest

import harness
from harness import SHARED_PREFIX, ServerTestCase, make_report, run_cli, cli_describe, token_of


def metric(text, name):
    """Value of an unlabelled counter in Prometheus text, or None."""
    m = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
    return int(m.group(1)) if m else None


def wait_until(predicate, timeout=8.0, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


class KeyCommands:
    """The signing-key subcommands and `link inspect` on the server's database."""

    def cli(self, *args):
        proc = run_cli(list(args) + ["--db", self.server.db])
        self.assertEqual(proc.returncode, 0, cli_describe(proc))
        return proc

    def key_id_of(self, token):
        return int(self.run_inspect(token)[1]["key_id"])

    def run_inspect(self, token):
        proc = run_cli(["link", "inspect", token, "--db", self.server.db])
        fields = dict(re.findall(r"^(\w+):\s+(.*)$", proc.stdout.decode(), re.M))
        return proc.returncode, fields


class RotationTest(KeyCommands, ServerTestCase):
    """keys rotate-signing / retire-signing against a running server."""

    @classmethod
    def setup_data(cls):
        cls.put_report(make_report(501))

    def test_rotation_keeps_old_links_and_retire_kills_them(self):
        old = self.share_token(501)
        self.assertEqual(self.key_id_of(old), 1)

        self.cli("keys", "rotate-signing")
        # The server picks up the new key file by itself.
        self.assertTrue(wait_until(lambda: self.key_id_of(self.share_token(501)) == 2),
                        "new links are not signed by key 2 after rotation:\n" + self.server.stderr())
        new = self.share_token(501)
        self.assertStatus(self.open_link(old), 200, "old link after rotation")
        self.assertStatus(self.open_link(new), 200, "new link after rotation")

        # The active key cannot be retired.
        proc = run_cli(["keys", "retire-signing", "2", "--db", self.server.db])
        self.assertNotEqual(proc.returncode, 0, cli_describe(proc))

        self.cli("keys", "retire-signing", "1")
        self.assertTrue(wait_until(lambda: self.open_link(old).status == 404),
                        "a retired key's link still opens")
        self.assertStatus(self.open_link(new), 200, "current key's link after retiring key 1")
        code, fields = self.run_inspect(old)
        self.assertEqual(code, 2)
        self.assertIn("bad signature", fields.get("status", ""))


class RotationUnderLoadTest(KeyCommands, ServerTestCase):
    """Key-file reloads while shares and opens run on every worker thread (in
    the tsan preset, against the instrumented server: the ring's swap)."""

    @classmethod
    def setup_data(cls):
        for rid in (511, 512):
            cls.put_report(make_report(rid))

    def test_rotations_under_concurrent_shares_and_opens(self):
        stop = threading.Event()
        failures, tokens = [], []
        lock = threading.Lock()

        def client(rid):
            try:
                while not stop.is_set():
                    token = self.share_token(rid)
                    resp = self.open_link(token)
                    with lock:
                        tokens.append(token)
                        if resp.status != 200:
                            failures.append("open %s: %s" % (rid, resp))
            except Exception as e:  # noqa: BLE001 -- reported below
                with lock:
                    failures.append("client %s: %r" % (rid, e))

        threads = [threading.Thread(target=client, args=(511 + i % 2,)) for i in range(4)]
        for t in threads:
            t.start()
        try:
            for expected in (2, 3, 4):
                self.cli("keys", "rotate-signing")
                self.assertTrue(
                    wait_until(lambda: self.key_id_of(self.share_token(511)) == expected, 15),
                    "links are not signed by key %d after rotation:\n%s"
                    % (expected, self.server.stderr()[-3000:]))
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=30)
        self.assertEqual(failures, [])
        self.assertGreater(len(tokens), 20, "the clients made too few requests")
        # Every link minted under every key still opens.
        keys = {self.key_id_of(t) for t in tokens[:: max(1, len(tokens) // 12)] + tokens[-1:]}
        self.assertGreaterEqual(len(keys), 2, keys)
        for token in tokens[:: max(1, len(tokens) // 40)]:
            self.assertStatus(self.open_link(token), 200)


class MetricsAndCacheTest(ServerTestCase):

    @classmethod
    def setup_data(cls):
        cls.put_report(make_report(601, name="Cache Person"))

    def metrics(self):
        resp = self.server.request("GET", "/metrics")
        self.assertStatus(resp, 200)
        self.assertTrue(resp.content_type.startswith("text/plain"), resp.content_type)
        return resp.text

    def test_counters_move_and_cache_serves_repeats(self):
        before = self.metrics()
        self.assertIn("# TYPE reportshare_http_requests_total counter", before)
        self.assertIn("# TYPE reportshare_http_request_duration_seconds histogram", before)
        minted0 = metric(before, "reportshare_links_minted_total")
        opened0 = metric(before, "reportshare_links_opened_total")
        rendered0 = metric(before, "reportshare_pdfs_rendered_total")
        hits0 = metric(before, "reportshare_pdf_cache_hits_total")

        token = self.share_token(601)
        self.assertStatus(self.open_link(token), 200)
        first = self.open_link(token, query="?format=pdf")
        second = self.call("POST", "/assessments/reports/601/download")
        self.assertStatus(first, 200)
        self.assertStatus(second, 200)
        self.assertEqual(first.body, second.body, "a repeated download should be the cached PDF")

        after = self.metrics()
        self.assertEqual(metric(after, "reportshare_links_minted_total"), minted0 + 1)
        self.assertEqual(metric(after, "reportshare_links_opened_total"), opened0 + 2)
        self.assertEqual(metric(after, "reportshare_pdfs_rendered_total"), rendered0 + 1)
        self.assertEqual(metric(after, "reportshare_pdf_cache_hits_total"), hits0 + 1)
        self.assertRegex(after, r'reportshare_http_requests_total\{route="/assessments/reports/'
                                r'\{report_id\}/\{option\}",status="200"\} \d+')
        self.assertNotIn(token, after, "a token leaked into /metrics")

        # A replaced report is never served from the stale cache entry.
        self.put_report(make_report(601, name="Renamed Person"))
        fresh = self.call("POST", "/assessments/reports/601/download")
        self.assertStatus(fresh, 200)
        self.assertNotEqual(fresh.body, first.body)
        text = harness.pdftotext(fresh.body)
        if text is not None:
            self.assertIn("Renamed Person", " ".join(text.split()))
        self.assertEqual(metric(self.metrics(), "reportshare_pdfs_rendered_total"), rendered0 + 2)


class AuditTest(ServerTestCase):
    """Every open of a known link is audited; only a person's GET counts."""

    @classmethod
    def setup_data(cls):
        cls.put_report(make_report(701))

    def links(self):
        resp = self.call("GET", "/assessments/reports/701/links")
        self.assertStatus(resp, 200)
        return {l["link_id"]: l for l in resp.json()["links"]}

    def test_views_heads_scanners_and_the_opens_list(self):
        token = self.share_token(701)
        link_id = max(self.links().values(), key=lambda l: l["created_at"])["link_id"]
        chrome = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/120.0 Safari/537.36")
        self.assertStatus(self.server.request("GET", SHARED_PREFIX + token, {"User-Agent": chrome}), 200)
        self.assertStatus(self.server.request("GET", SHARED_PREFIX + token + "?format=pdf",
                                              {"User-Agent": chrome}), 200)
        self.assertStatus(self.server.request("HEAD", SHARED_PREFIX + token, {"User-Agent": chrome}), 200)
        for scanner in ("Mozilla/5.0 (compatible; Slackbot-LinkExpanding 1.0)",
                        "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0)",
                        "facebookexternalhit/1.1"):
            self.assertStatus(self.server.request("GET", SHARED_PREFIX + token,
                                                  {"User-Agent": scanner}), 200)
        link = self.links()[link_id]
        self.assertEqual(link["views"], 2, "only the person's page and PDF count: %r" % link)
        self.assertIsNotNone(link["last_viewed_at"])

        resp = self.call("GET", "/assessments/reports/701/links/%s/opens" % link_id)
        self.assertStatus(resp, 200)
        opens = resp.json()["opens"]
        self.assertEqual(len(opens), 6, opens)
        self.assertEqual(sum(1 for o in opens if o["counted"]), 2, opens)
        clients = [o["client"] for o in opens]
        self.assertIn("Chrome", clients)
        self.assertIn("Slack link preview", clients)
        self.assertIn("Microsoft Office link check", clients)
        for o in opens:
            self.assertEqual(o["status"], 200)
            self.assertEqual(o["network"], "127.0.0.0/24", "IP must be truncated: %r" % o)
            self.assertRegex(o["at"], harness.EXPIRES_AT_RE.pattern)
        self.assertEqual(opens, sorted(opens, key=lambda o: o["at"], reverse=True))

        # Another company sees neither the link nor its audit.
        other = self.call("GET", "/assessments/reports/701/links/%s/opens" % link_id, key="B")
        self.assertStatus(other, 404)
        bad = self.call("GET", "/assessments/reports/701/links/nope/opens")
        self.assertStatus(bad, 400)

    def test_revoked_open_is_audited_but_not_a_view(self):
        token = self.share_token(701)
        link_id = max(self.links().values(), key=lambda l: l["created_at"])["link_id"]
        self.assertStatus(self.call("DELETE", "/assessments/reports/701/links/" + link_id), 200)
        self.assertStatus(self.open_link(token), 410)
        opens = self.call("GET", "/assessments/reports/701/links/%s/opens" % link_id).json()["opens"]
        self.assertEqual([(o["status"], o["counted"]) for o in opens], [(410, False)])
        self.assertEqual(self.links()[link_id]["views"], 0)


class IdleSocketsTest(ServerTestCase):

    def test_twenty_idle_sockets_do_not_starve_others(self):
        idle = []
        try:
            for _ in range(20):
                s = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
                idle.append(s)
            half = []
            for _ in range(5):  # and a few that sent half a request
                s = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                half.append(s)
            idle.extend(half)
            started = time.monotonic()
            for _ in range(10):
                self.assertStatus(self.server.request("GET", "/healthz"), 200)
            self.assertStatus(self.call("GET", "/assessments/report/1"), 404)
            self.assertLess(time.monotonic() - started, 5.0, "requests were starved by idle sockets")
        finally:
            for s in idle:
                s.close()


class FramingTest(ServerTestCase):

    def test_unknown_transfer_coding_is_rejected_not_smuggled(self):
        for te in ("gzip", "chunked, gzip", "xchunked"):
            with self.subTest(te=te):
                raw = ("POST /assessments/reports/1/share HTTP/1.1\r\nHost: x\r\n"
                       "Transfer-Encoding: %s\r\n\r\n"
                       "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" % te).encode()
                resp = self.server.raw(raw)
                self.assertEqual(resp.status, 400, resp.body)
                self.assertIn(b"Transfer-Encoding", resp.body)
        self.assertStatus(self.server.request("GET", "/healthz"), 200)


class DrainTest(unittest.TestCase):

    def test_readyz_503_and_idle_connections_closed_on_sigterm(self):
        srv = harness.Server()
        try:
            srv.start()
            self.assertEqual(srv.request("GET", "/readyz").status, 200)
            # A slow client holds a request open while the drain starts.
            slow = harness.connect(srv.port)
            slow.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\n")
            time.sleep(0.2)
            srv.proc.send_signal(15)
            time.sleep(0.3)
            slow.sendall(b"\r\n")
            reader = harness.RawReader(slow)
            resp = reader.read_response()
            self.assertEqual(resp.status, 503, resp.body)
            self.assertIn(b"shutting down", resp.body)
            slow.close()
            self.assertEqual(srv.proc.wait(timeout=10), 0)
            self.assertIn("draining", srv.stderr())
        finally:
            srv.kill()
            srv.cleanup()


if __name__ == "__main__":
    unittest.main()
