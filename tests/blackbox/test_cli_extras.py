"""SPEC §3 / §2.5 items beyond the lead's brief: `link inspect`, `render`,
`import`, and the per-key rate limit (default 50/s, burst 200, 429 +
Retry-After; `--rate-limit 0` turns it off). Kept in their own file so that
they show up as one separate ctest entry."""

import json
import os
import shutil
import tempfile
import unittest
import urllib.parse

import harness
from harness import (Server, cli_describe, create_key, make_report, request, run_cli,
                     token_of)


class ExtrasBase(harness.TempServersTestCase):

    tmp_prefix = "rs-extras-"

    def server(self, args=(), with_rate_limit_default=False):
        srv = Server(self.tmp)
        self.servers.append(srv)
        if with_rate_limit_default:
            # start without the harness's automatic --rate-limit 0
            orig = harness.serve_supports
            harness.serve_supports = lambda flag: False
            try:
                srv.start(args)
            finally:
                harness.serve_supports = orig
        else:
            srv.start(args)
        return srv


class LinkInspectTest(ExtrasBase):

    def _mint(self):
        srv = self.server()
        key = srv.create_key("InspectCo")
        self.assertEqual(request(srv.port, "PUT", "/assessments/report/318", {"apiKey": key},
                                 make_report(318)).status, 201)
        r1 = request(srv.port, "POST", "/assessments/reports/318/share", {"apiKey": key}, {"expiration_hours": 2})
        r2 = request(srv.port, "POST", "/assessments/reports/318/share", {"apiKey": key})
        srv.note_tokens(r1.body + r2.body)
        return srv, key, r1.json()["signed_url"], r2.json()["signed_url"]

    def inspect(self, srv, what, *extra):
        return run_cli(["link", "inspect", what, "--db", srv.db] + list(extra))

    def test_inspect_valid_expired_revoked_bad(self):
        srv, key, url1, url2 = self._mint()
        # valid, by URL and by token
        for what in (url1, token_of(url1)):
            p = self.inspect(srv, what)
            out = (p.stdout + p.stderr).decode()
            self.assertEqual(p.returncode, 0, cli_describe(p))
            self.assertIn("318", out)
            self.assertRegex(out.lower(), r"\bvalid\b")
        # expired: --at after the expiry
        p = self.inspect(srv, token_of(url1), "--at", harness.rfc3339(harness.utcnow() + harness.datetime.timedelta(hours=3)))
        self.assertEqual(p.returncode, 1, cli_describe(p))
        self.assertIn("expired", (p.stdout + p.stderr).decode().lower())
        # revoked
        links = request(srv.port, "GET", "/assessments/reports/318/links", {"apiKey": key}).json()["links"]
        newest = links[0]["link_id"]
        request(srv.port, "DELETE", "/assessments/reports/318/links/" + newest, {"apiKey": key})
        p = self.inspect(srv, url2)
        self.assertEqual(p.returncode, 1, cli_describe(p))
        self.assertIn("revoked", (p.stdout + p.stderr).decode().lower())
        self.assertIn(newest, (p.stdout + p.stderr).decode(), "link id should be shown")
        # out of views: a one-view link, opened once
        r3 = request(srv.port, "POST", "/assessments/reports/318/share", {"apiKey": key}, {"max_views": 1})
        srv.note_tokens(r3.body)
        url3 = r3.json()["signed_url"]
        p = self.inspect(srv, url3)
        self.assertEqual(p.returncode, 0, cli_describe(p))
        self.assertEqual(request(srv.port, "GET", urllib.parse.urlsplit(url3).path, {}).status, 200)
        p = self.inspect(srv, url3)
        self.assertEqual(p.returncode, 1, cli_describe(p))
        self.assertIn("expired (view limit of 1 reached)", (p.stdout + p.stderr).decode())
        # bad signature / malformed
        tok = token_of(url1)
        tampered = tok[:-3] + ("AAA" if tok[-3:] != "AAA" else "BBB")
        for bad in (tampered, "garbage", "A" * 300):
            with self.subTest(token=bad[:20]):
                p = self.inspect(srv, bad)
                self.assertEqual(p.returncode, 2, cli_describe(p))


class RenderTest(ExtrasBase):

    def test_render_pdf_without_server(self):
        db = harness.database_for(self.tmp)   # what Server(self.tmp) uses
        srv = self.server()
        key = srv.create_key("RenderCo")
        request(srv.port, "PUT", "/assessments/report/318", {"apiKey": key}, make_report(318, name="Render Person"))
        self.assertEqual(srv.stop(), 0)
        out = os.path.join(self.tmp, "out.pdf")
        p = run_cli(["render", "318", "-o", out, "--db", db])
        self.assertEqual(p.returncode, 0, cli_describe(p))
        with open(out, "rb") as f:
            data = f.read()
        self.assertTrue(data.startswith(b"%PDF-"), data[:20])
        text = harness.pdftotext(data)
        if text is not None:
            self.assertIn("Render Person", " ".join(text.split()))
        p = run_cli(["render", "999", "-o", os.path.join(self.tmp, "x.pdf"), "--db", db])
        self.assertNotEqual(p.returncode, 0, cli_describe(p))


class ImportTest(ExtrasBase):

    def test_import_ndjson_with_bad_record(self):
        db = harness.database_for(self.tmp)   # what Server(self.tmp) uses
        key, _ = create_key(db, "ImportCo")
        lines = [json.dumps(make_report(801)), '{"report_id": 802, "name": "no assessment"}',
                 json.dumps(make_report(803, name="Third"))]
        path = os.path.join(self.tmp, "reports.ndjson")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        p = run_cli(["import", path, "--company", "ImportCo", "--db", db])
        out = (p.stdout + p.stderr).decode()
        self.assertRegex(out, r"\b2\b", "the bad record's line number (2) should be reported: " + out)
        srv = self.server()
        srv.secrets.add(key)
        self.assertEqual(request(srv.port, "GET", "/assessments/report/801", {"apiKey": key}).status, 200)
        self.assertEqual(request(srv.port, "GET", "/assessments/report/803", {"apiKey": key}).status, 200,
                         "a bad record must not stop the rest")
        self.assertEqual(request(srv.port, "GET", "/assessments/report/802", {"apiKey": key}).status, 404)

    def test_import_json_array_from_stdin(self):
        db = harness.database_for(self.tmp)   # what Server(self.tmp) uses
        key, _ = create_key(db, "ImportCo")
        data = json.dumps([make_report(811), make_report(812, status="Pending")]).encode()
        p = run_cli(["import", "-", "--company", "ImportCo", "--db", db], input=data)
        self.assertEqual(p.returncode, 0, cli_describe(p))
        srv = self.server()
        srv.secrets.add(key)
        self.assertEqual(request(srv.port, "GET", "/assessments/report/811", {"apiKey": key}).status, 200)
        self.assertEqual(request(srv.port, "GET", "/assessments/report/812", {"apiKey": key}).json()["invite_status"],
                         "Pending")


class RateLimitTest(ExtrasBase):

    def test_default_rate_limit_429_with_retry_after(self):
        srv = self.server(with_rate_limit_default=True)
        key = srv.create_key("BurstCo")
        other = srv.create_key("CalmCo")
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        statuses = []
        limited = None
        try:
            for _ in range(300):
                r = harness.request_on(conn, "GET", "/assessments/report/999", [("apiKey", key)])
                statuses.append(r.status)
                if r.status == 429 and limited is None:
                    limited = r
        finally:
            conn.close()
        self.assertIsNotNone(limited, "300 requests in a burst never got 429: %r" % sorted(set(statuses)))
        self.assertGreaterEqual(statuses.index(429), 150, "limited too early (burst should be 200)")
        self.assertIn("retry-after", limited.headers, limited)
        self.assertEqual(list(limited.json().keys()), ["error"])
        # per key: another key is unaffected
        self.assertEqual(request(srv.port, "GET", "/assessments/report/999", {"apiKey": other}).status, 404)

    def test_rate_limit_zero_disables(self):
        srv = self.server(["--rate-limit", "0"], with_rate_limit_default=True)
        key = srv.create_key("BurstCo")
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        try:
            statuses = {harness.request_on(conn, "GET", "/assessments/report/999", [("apiKey", key)]).status
                        for _ in range(300)}
        finally:
            conn.close()
        self.assertEqual(statuses, {404})


class TimeoutsTest(ExtrasBase):
    """SPEC §2.5: slow/idle clients are cut off (configurable; flag names as in `serve --help`)."""

    def test_header_and_idle_timeouts_configurable(self):
        srv = self.server(["--header-timeout", "1", "--idle-timeout", "1"])
        # incomplete header → cut off after ~1 s
        s = harness.connect(srv.port, timeout=6)
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
            t0 = harness.time.monotonic()
            try:
                while s.recv(4096):
                    pass
            except ConnectionResetError:
                pass
            except OSError:
                self.fail("incomplete header not cut off within 6 s with --header-timeout 1")
            self.assertLess(harness.time.monotonic() - t0, 4)
        finally:
            s.close()
        # idle keep-alive connection → closed after ~1 s
        s = harness.connect(srv.port, timeout=6)
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            reader = harness.RawReader(s)
            self.assertEqual(reader.read_response().status, 200)
            t0 = harness.time.monotonic()
            try:
                while s.recv(4096):
                    pass
            except ConnectionResetError:
                pass
            except OSError:
                self.fail("idle keep-alive connection not closed within 6 s with --idle-timeout 1")
            self.assertLess(harness.time.monotonic() - t0, 4)
        finally:
            s.close()
        self.assertEqual(request(srv.port, "GET", "/healthz").status, 200)


if __name__ == "__main__":
    unittest.main()
