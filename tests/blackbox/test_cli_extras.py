"""SPEC §3 / §2.5 items beyond the lead's brief: `link inspect`, `render`,
`import`, and the per-key rate limit (default 50/s, burst 200, 429 +
Retry-After; `--rate-limit 0` turns it off). Kept in their own file so that
they show up as one separate ctest entry."""

import json
import os
import pty
import re
import shutil
import subprocess
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
    """SPEC §9 import: streamed in constant memory, progress on a terminal and
    plain lines otherwise, every bad record with its line, exit 1 after
    importing the rest."""

    PLAIN_LINE_RE = re.compile(r"^imported (\d+), failed (\d+), \d+/s(, (\d+)%(, [\d:]+ left)?)?$")

    def get(self, key, report_id):
        if not hasattr(self, "_srv"):
            self._srv = self.server()
        self._srv.secrets.add(key)
        return request(self._srv.port, "GET", "/assessments/report/%d" % report_id, {"apiKey": key})

    def test_import_ndjson_with_bad_record(self):
        db = harness.database_for(self.tmp)   # what Server(self.tmp) uses
        key, _ = create_key(db, "ImportCo")
        lines = [json.dumps(make_report(801)), '{"report_id": 802, "name": "no assessment"}',
                 json.dumps(make_report(803, name="Third"))]
        path = os.path.join(self.tmp, "reports.ndjson")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        p = run_cli(["import", path, "--company", "ImportCo", "--db", db])
        err = p.stderr.decode()
        self.assertEqual(p.returncode, 1, "a bad record means exit 1: " + cli_describe(p))
        self.assertRegex(err, r"(?m)^line 2: \S", "the bad record's line number (2) should be reported")
        self.assertIn('imported 2 report(s) for "ImportCo"; 1 failed', err)
        self.assertEqual(self.get(key, 801).status, 200)
        self.assertEqual(self.get(key, 803).status, 200, "a bad record must not stop the rest")
        self.assertEqual(self.get(key, 802).status, 404)

    def test_import_json_array_from_stdin(self):
        db = harness.database_for(self.tmp)   # what Server(self.tmp) uses
        key, _ = create_key(db, "ImportCo")
        data = json.dumps([make_report(811), make_report(812, status="Pending")]).encode()
        p = run_cli(["import", "-", "--company", "ImportCo", "--db", db], input=data)
        self.assertEqual(p.returncode, 0, cli_describe(p))
        self.assertIn('imported 2 report(s) for "ImportCo"; 0 failed', p.stderr.decode())
        self.assertEqual(self.get(key, 811).status, 200)
        self.assertEqual(self.get(key, 812).json()["invite_status"], "Pending")

    def test_every_bad_record_has_its_line_and_the_rest_is_imported(self):
        db = harness.database_for(self.tmp)
        key, _ = create_key(db, "ImportCo")
        create_key(db, "OtherCo")
        p = run_cli(["import", "-", "--company", "OtherCo", "--db", db],
                    input=json.dumps(make_report(830)).encode())
        self.assertEqual(p.returncode, 0, cli_describe(p))
        huge = make_report(833, name="x" * (1 << 20))   # over the 1 MiB record limit
        text = "[\n" + ",\n".join([
            json.dumps(make_report(831)),                         # line 2
            '{"report_id": 832, "name": "no assessment"}',        # line 3
            json.dumps(huge),                                     # line 4
            json.dumps(make_report(830)),                         # line 5: OtherCo's id
            '{"report_id": "834"}',                               # line 6
            '{"report_id": 835 "no comma": 1}',                   # line 7: not JSON
            json.dumps(make_report(836, name="[Brackets], \"quotes\" and \\ {braces}")),
        ]) + "\n]\n"
        path = os.path.join(self.tmp, "reports.json")
        with open(path, "w") as f:
            f.write(text)
        p = run_cli(["import", path, "--company", "ImportCo", "--db", db, "--progress-interval", "0"])
        err = p.stderr.decode()
        self.assertEqual(p.returncode, 1, cli_describe(p))
        bad = re.findall(r"(?m)^line (\d+): (.+)$", err)
        self.assertEqual([int(n) for n, _ in bad], [3, 4, 5, 6, 7], err[-3000:])
        reasons = dict((int(n), r) for n, r in bad)
        self.assertEqual(reasons[4], "the record is longer than 1048576 bytes")
        self.assertEqual(reasons[5], "report_id belongs to another company")
        self.assertEqual(reasons[6], "report_id is required: an integer from 1 to 9223372036854775807")
        self.assertEqual(reasons[7], "not valid JSON")
        self.assertIn('imported 2 report(s) for "ImportCo"; 5 failed', err)
        self.assertEqual(self.get(key, 831).status, 200)
        self.assertEqual(self.get(key, 836).json()["name"], "[Brackets], \"quotes\" and \\ {braces}")
        for missing in (832, 833, 834, 835):
            self.assertEqual(self.get(key, missing).status, 404, missing)

    def test_an_unterminated_array_imports_what_came_before_and_exits_1(self):
        db = harness.database_for(self.tmp)
        key, _ = create_key(db, "ImportCo")
        data = ("[" + json.dumps(make_report(841)) + ",\n" + json.dumps(make_report(842))[:-5]).encode()
        p = run_cli(["import", "-", "--company", "ImportCo", "--db", db], input=data)
        err = p.stderr.decode()
        self.assertEqual(p.returncode, 1, cli_describe(p))
        self.assertRegex(err, r"(?m)^line 2: the JSON array is not terminated$")
        self.assertIn("imported 1 report(s)", err)
        self.assertEqual(self.get(key, 841).status, 200)

    def test_missing_file_is_an_error(self):
        db = harness.database_for(self.tmp)
        for path in (os.path.join(self.tmp, "nope.ndjson"), self.tmp):
            p = run_cli(["import", path, "--company", "ImportCo", "--db", db])
            self.assertEqual(p.returncode, 1, cli_describe(p))
            self.assertIn("cannot read " + path, p.stderr.decode())

    def test_a_negative_progress_interval_is_refused(self):
        db = harness.database_for(self.tmp)
        path = os.path.join(self.tmp, "one.ndjson")
        with open(path, "w") as f:
            f.write(json.dumps(make_report(851)) + "\n")
        p = run_cli(["import", path, "--company", "ImportCo", "--db", db, "--progress-interval=-1"])
        self.assertNotEqual(p.returncode, 0, cli_describe(p))
        self.assertIn("--progress-interval must be 0 or more seconds", p.stderr.decode())

    def test_big_ndjson_is_streamed_in_bounded_memory_with_plain_progress_lines(self):
        db = harness.database_for(self.tmp)
        key, _ = create_key(db, "BigCo")
        count = 20000
        # ~3.2 KB a report: a 64 MB file, which a whole-file read alone would
        # take beyond the bound.
        template = json.dumps(make_report(999999999, sections=6))
        path = os.path.join(self.tmp, "big.ndjson")
        with open(path, "w") as f:
            for i in range(1, count + 1):
                f.write(template.replace("999999999", str(i), 1) + "\n")
        size = os.path.getsize(path)
        # The bound is on what the import adds to the binary's own footprint
        # (a one-record import of the same binary), so it holds for a
        # sanitizer build too; ASan's quarantine of freed memory, which grows
        # with every allocation ever freed, is turned off for both runs (an
        # ASAN_OPTIONS a plain build ignores).
        bound_kib = 40 * 1024
        self.assertGreater(size, 1.5 * bound_kib * 1024)
        asan = os.environ.get("ASAN_OPTIONS", "")
        env = {"ASAN_OPTIONS": (asan + ":" if asan else "") +
               "quarantine_size_mb=0:thread_local_quarantine_size_kb=0"}
        one = os.path.join(self.tmp, "one.ndjson")
        with open(one, "w") as f:
            f.write(template.replace("999999999", "1", 1) + "\n")
        base, base_kib = harness.run_cli_measured(
            ["import", one, "--company", "BigCo", "--db", db, "--progress-interval", "0.05"],
            self.tmp, env=env, timeout=600)
        self.assertEqual(base.returncode, 0, cli_describe(base))
        p, peak_kib = harness.run_cli_measured(
            ["import", path, "--company", "BigCo", "--db", db, "--progress-interval", "0.05"],
            self.tmp, env=env, timeout=600)
        err = p.stderr.decode()
        self.assertEqual(p.returncode, 0, cli_describe(p))
        self.assertLess(peak_kib - base_kib, bound_kib,
                        "peak RSS %d KiB (a one-record import: %d KiB) for a %d-byte input"
                        % (peak_kib, base_kib, size))
        self.assertRegex(err, r'(?m)^imported %d report\(s\) for "BigCo"; 0 failed; [\d.]+ s$' % count)
        self.assertNotIn("\r", err, "no terminal control when stderr is a file")
        self.assertNotIn("\033", err)
        progress = [self.PLAIN_LINE_RE.match(l) for l in err.splitlines() if l.startswith("imported ")
                    and "report(s)" not in l]
        self.assertTrue(all(progress), err[:2000])
        self.assertGreaterEqual(len(progress), 2, err[:2000])
        counts = [int(m.group(1)) for m in progress]
        percents = [int(m.group(4)) for m in progress]
        self.assertEqual(counts, sorted(counts))
        self.assertEqual(percents, sorted(percents))
        self.assertLessEqual(counts[-1], count)
        self.assertTrue(any(m.group(5) for m in progress), "a known size gives the time left")
        self.assertEqual(self.get(key, 1).status, 200)
        self.assertEqual(self.get(key, count).status, 200)

    def test_plain_lines_from_a_pipe_have_no_percent(self):
        db = harness.database_for(self.tmp)
        create_key(db, "PipeCo")
        data = "".join(json.dumps(make_report(i)) + "\n" for i in range(1, 1201)).encode()
        p = run_cli(["import", "-", "--company", "PipeCo", "--db", db, "--progress-interval", "0"],
                    input=data)
        err = p.stderr.decode()
        self.assertEqual(p.returncode, 0, cli_describe(p))
        progress = [l for l in err.splitlines() if l.startswith("imported ") and "report(s)" not in l]
        self.assertTrue(progress, err)
        for line in progress:
            m = self.PLAIN_LINE_RE.match(line)
            self.assertTrue(m, line)
            self.assertIsNone(m.group(3), "a pipe's size is not known: " + line)

    def test_terminal_progress_is_one_redrawn_bar(self):
        db = harness.database_for(self.tmp)
        create_key(db, "TtyCo")
        path = os.path.join(self.tmp, "tty.ndjson")
        with open(path, "w") as f:
            for i in range(1, 301):
                f.write(json.dumps(make_report(i, sections=6)) + "\n")
            f.write("not json\n")
        master, slave = pty.openpty()
        proc = subprocess.Popen([harness.BIN, "import", path, "--company", "TtyCo", "--db", db],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
                                env=harness._cli_env(["--db", db], None), cwd=tempfile.gettempdir())
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:   # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        os.close(master)
        code = proc.wait(timeout=harness.CLI_TIMEOUT)
        proc.stdout.close()
        out = b"".join(chunks).decode()
        self.assertEqual(code, 1, out[-2000:])
        self.assertIn("\r\033[K[", out, "the bar is redrawn in place")
        bars = re.findall(r"\r\033\[K\[([#.]{24})\] imported (\d+), failed (\d+), \d+/s, (\d+)%", out)
        self.assertTrue(bars, out[-2000:])
        self.assertEqual(bars[-1][1:], ("300", "1", "100"), "the last bar is the end")
        self.assertEqual(bars[-1][0], "#" * 24)
        self.assertRegex(out, r"\r\033\[Kline 301: not valid JSON\r?\n")
        self.assertRegex(out, r'imported 300 report\(s\) for "TtyCo"; 1 failed')
        # Every redraw fits the terminal's width (80 columns without a size).
        for line in re.split(r"\r\033\[K", out):
            self.assertLess(len(line.split("\n")[0].rstrip("\r")), 80, line)


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
