"""The command line (SPEC §3): keys, serve flags and env vars, --demo, the
signing-key file, SIGTERM."""

import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time
import unittest

import harness
from harness import (BIN, SHARED_PREFIX, Server, cli_describe, create_key, key_id_for_company,
                     list_keys, make_report, request, run_cli, token_of)


class CliBase(unittest.TestCase):
    """Tests that manage their own servers; every server is stopped in tearDown."""

    def setUp(self):
        harness.check_binary()
        self.servers = []
        self.tmp = tempfile.mkdtemp(prefix="rs-cli-")
        self.db = harness.database_for(self.tmp)   # SQLite file, or a fresh PostgreSQL database
        self.secrets = set()

    def tearDown(self):
        try:
            for srv in self.servers:
                code = srv.stop()
                if code is not None and code != 0 and getattr(srv, "expect_clean_exit", True):
                    self.fail("server exited %r on SIGTERM\n%s" % (code, srv.all_logs()[-3000:]))
                leaked = srv.leaked_secrets()
                if leaked:
                    self.fail("secrets in server logs:\n" + harness.describe_leaks(srv.all_logs(), leaked))
        finally:
            for srv in self.servers:
                srv.kill()
                if srv.tmpdir != self.tmp:
                    shutil.rmtree(srv.tmpdir, ignore_errors=True)
            shutil.rmtree(self.tmp, ignore_errors=True)
            harness.release_database(self.tmp)

    def new_server(self, tmpdir=None):
        srv = Server(tmpdir or self.tmp)
        self.servers.append(srv)
        return srv


class KeysCliTest(CliBase):

    def test_keys_create_prints_key_alone_on_first_line(self):
        proc = run_cli(["keys", "create", "--company", "Initech", "--db", self.db])
        self.assertEqual(proc.returncode, 0, cli_describe(proc))
        out = proc.stdout.decode("utf-8")
        lines = out.splitlines()
        self.assertTrue(lines, cli_describe(proc))
        key = lines[0]
        self.assertEqual(key, key.strip(), "key line has surrounding whitespace")
        self.assertRegex(key, r"^\S{20,}$", "first line should be the key alone")
        self.assertEqual([l for l in lines[1:] if l.strip()], [], "stdout must hold only the key")
        err = proc.stderr.decode("utf-8")
        self.assertIn("Initech", err, "company should be on stderr")
        self.assertNotIn(key, err, "key must not be repeated on stderr")
        key_id = key_id_for_company(self.db, "Initech")
        self.assertIn(key_id, err, "key id %r should be on stderr: %r" % (key_id, err))

    def test_keys_list_and_revoke(self):
        key1, _ = create_key(self.db, "Initech")
        key2, _ = create_key(self.db, "Initech")   # same company gets another key
        self.assertNotEqual(key1, key2)
        key3, _ = create_key(self.db, "Hooli")
        listing = list_keys(self.db)
        rows = [l for l in listing.splitlines() if l.strip()]
        self.assertGreaterEqual(len(rows), 3, listing)
        for k in (key1, key2, key3):
            self.assertNotIn(k, listing, "keys list must not show the secret key")
        initech = [l for l in rows if "Initech" in l]
        self.assertEqual(len(initech), 2, listing)
        for l in rows:
            if "Initech" in l or "Hooli" in l:
                self.assertRegex(l, r"\bactive\b", l)
                self.assertRegex(l, r"\d{4}-\d\d-\d\d", "created date missing: %r" % l)
        hooli_id = key_id_for_company(self.db, "Hooli")
        proc = run_cli(["keys", "revoke", hooli_id, "--db", self.db])
        self.assertEqual(proc.returncode, 0, cli_describe(proc))
        listing = list_keys(self.db)
        hooli = [l for l in listing.splitlines() if "Hooli" in l]
        self.assertEqual(len(hooli), 1, listing)
        self.assertRegex(hooli[0], r"\brevoked\b", listing)
        for l in listing.splitlines():
            if "Initech" in l:
                self.assertRegex(l, r"\bactive\b", "revoking Hooli's key changed Initech's: %r" % l)

    def test_revoked_key_rejected_by_server_and_other_key_of_company_works(self):
        key1, _ = create_key(self.db, "Initech")
        srv = self.new_server()
        srv.secrets.add(key1)
        srv.start()
        resp = request(srv.port, "PUT", "/assessments/report/900", {"apiKey": key1}, make_report(900))
        self.assertEqual(resp.status, 201, resp)
        key2 = srv.create_key("Initech")   # while serving
        resp = request(srv.port, "POST", "/assessments/reports/900/share", {"apiKey": key2})
        self.assertEqual(resp.status, 200, "second key of the same company sees its reports: %s" % resp)
        srv.note_tokens(resp.body)
        rows = [l for l in list_keys(self.db).splitlines() if "Initech" in l]
        first_id = rows[0].split()[0]
        proc = run_cli(["keys", "revoke", first_id, "--db", self.db])
        self.assertEqual(proc.returncode, 0, cli_describe(proc))
        r1 = request(srv.port, "POST", "/assessments/reports/900/share", {"apiKey": key1})
        r2 = request(srv.port, "POST", "/assessments/reports/900/share", {"apiKey": key2})
        srv.note_tokens(r2.body)
        self.assertEqual(r1.status, 401, "revoked key still accepted: %s" % r1)
        self.assertEqual(r2.status, 200, r2)

    def test_keys_revoke_unknown_id_fails(self):
        create_key(self.db, "Initech")
        proc = run_cli(["keys", "revoke", "999999", "--db", self.db])
        self.assertNotEqual(proc.returncode, 0, cli_describe(proc))

    def test_keys_create_via_env_db(self):
        proc = run_cli(["keys", "create", "--company", "EnvCo"], env={"REPORTSHARE_DB": self.db})
        self.assertEqual(proc.returncode, 0, cli_describe(proc))
        self.assertIn("EnvCo", list_keys(self.db))

    def test_help_exits_zero(self):
        for args in (["--help"], ["serve", "--help"], ["keys", "--help"], ["keys", "create", "--help"]):
            with self.subTest(args=args):
                proc = run_cli(args, timeout=10)
                self.assertEqual(proc.returncode, 0, cli_describe(proc))
                text = (proc.stdout + proc.stderr).decode("utf-8", "replace")
                self.assertTrue(text.strip(), "help printed nothing")
        text = (run_cli(["serve", "--help"]).stdout + run_cli(["serve", "--help"]).stderr).decode()
        for flag in ("--listen", "--db", "--public-url", "--threads", "--demo"):
            self.assertIn(flag, text, "serve --help should document %s" % flag)

    def test_render_worker_is_internal(self):
        # Not listed in --help; run by hand (no socket on fd 3) it says who
        # starts it and fails, instead of waiting or rendering.
        top = run_cli(["--help"], timeout=10)
        self.assertNotIn("render-worker", (top.stdout + top.stderr).decode())
        proc = run_cli(["render-worker"], timeout=10)
        self.assertEqual(proc.returncode, 2, cli_describe(proc))
        self.assertIn("reportshare serve", proc.stderr.decode())
        text = (run_cli(["serve", "--help"]).stdout).decode()
        for flag in ("--render-workers", "--render-timeout"):
            self.assertIn(flag, text, "serve --help should document %s" % flag)

    def test_unknown_subcommand_and_option_fail(self):
        for args in (["frobnicate"], ["serve", "--no-such-flag"], ["keys", "create"]):
            with self.subTest(args=args):
                proc = run_cli(args + ["--db", self.db] if args[0] != "frobnicate" else args, timeout=10)
                self.assertNotEqual(proc.returncode, 0, cli_describe(proc))


class ServeCliTest(CliBase):

    def test_listening_line_sigterm_exit_zero(self):
        srv = self.new_server()
        srv.start()
        self.assertGreater(srv.port, 0)
        self.assertRegex(srv.stderr(), r"listening on http://127\.0\.0\.1:%d" % srv.port)
        self.assertEqual(request(srv.port, "GET", "/healthz").status, 200)
        self.assertEqual(srv.stop(), 0, srv.logs())

    def test_sigterm_finishes_in_flight_request(self):
        """SIGTERM while a download is in flight: the whole PDF still arrives
        and the process exits 0. A reset or a short response fails."""
        key, _ = create_key(self.db, "Initech")
        srv = self.new_server()
        srv.secrets.add(key)
        srv.start()
        put = request(srv.port, "PUT", "/assessments/report/901", {"apiKey": key},
                      make_report(901, sections=40))
        self.assertIn(put.status, (200, 201), put)
        body = b"{}"
        head = ("POST /assessments/reports/901/download HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "apiKey: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                "Expect: 100-continue\r\n\r\n" % (key, len(body))).encode()
        sock = harness.connect(srv.port)
        try:
            reader = harness.RawReader(sock)
            sock.sendall(head)
            # 100 Continue: the server has read the header and waits for the
            # body, so the request is in flight for certain when the signal
            # comes; the render and the whole response happen in the drain.
            interim = reader.read_response()
            self.assertEqual(interim.status, 100, interim)
            srv.proc.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            self.assertTrue(srv.alive(), "exited with a request in flight:\n" + srv.all_logs()[-2000:])
            sock.sendall(body)
            try:
                resp = reader.read_response()
            except (harness.ConnectionClosed, ConnectionResetError) as e:
                self.fail("the drain cut the download off: %r\n%s" % (e, srv.all_logs()[-2000:]))
            # Nothing after the response: the drain closes the connection.
            # Bytes the reader took in with the response count too.
            self.assertEqual(reader.buf, b"", "more after the response: %r" % reader.buf[:200])
            try:
                rest = sock.recv(1)
            except ConnectionResetError:
                rest = b"<reset>"
            self.assertEqual(rest, b"", "more after the response: %r" % rest)
        finally:
            sock.close()
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.content_type, "application/pdf", resp)
        # RawReader read exactly Content-Length bytes or raised: check the count anyway.
        self.assertEqual(len(resp.body), int(resp.header_values("Content-Length")[0]))
        self.assertGreater(len(resp.body), 10000, "a 40-section PDF is not this small")
        self.assertTrue(resp.body.startswith(b"%PDF-"), resp.body[:40])
        self.assertTrue(resp.body.rstrip().endswith(b"%%EOF"), resp.body[-40:])
        try:
            code = srv.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            code = "still running 15 s after SIGTERM"
        self.assertEqual(code, 0, srv.all_logs()[-2000:])

    def test_signing_key_file_created_0600(self):
        srv = self.new_server()
        srv.start()
        path = srv.signing_keys_path   # beside the SQLite file, or --signing-keys on PostgreSQL
        self.assertTrue(os.path.exists(path), "no signing key file at %s; dir has %r" % (path, os.listdir(self.tmp)))
        mode = stat.S_IMODE(os.stat(path).st_mode)
        self.assertEqual(mode, 0o600, "signing key file mode is %o" % mode)

    def test_links_survive_restart(self):
        key, _ = create_key(self.db, "Initech")
        srv = self.new_server()
        srv.secrets.add(key)
        srv.start()
        request(srv.port, "PUT", "/assessments/report/902", {"apiKey": key}, make_report(902))
        resp = request(srv.port, "POST", "/assessments/reports/902/share", {"apiKey": key})
        srv.note_tokens(resp.body)
        token = token_of(resp.json()["signed_url"])
        self.assertEqual(srv.stop(), 0)
        srv.start()
        page = request(srv.port, "GET", SHARED_PREFIX + token)
        self.assertEqual(page.status, 200, "link minted before restart: %s" % page)

    def test_missing_signing_key_file_with_existing_links_refuses_to_start(self):
        key, _ = create_key(self.db, "Initech")
        srv = self.new_server()
        srv.secrets.add(key)
        srv.start()
        request(srv.port, "PUT", "/assessments/report/903", {"apiKey": key}, make_report(903))
        resp = request(srv.port, "POST", "/assessments/reports/903/share", {"apiKey": key})
        srv.note_tokens(resp.body)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(srv.stop(), 0)
        keyfile = srv.signing_keys_path
        os.unlink(keyfile)
        # SQLite: the default path beside the database; PostgreSQL: the same --signing-keys.
        keys_args = ["--signing-keys", keyfile] if srv.db_path is None else []
        proc = subprocess.run([BIN, "serve", "--listen", "127.0.0.1:0", "--db", self.db] + keys_args,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=15,
                              env=harness.clean_env(), cwd=self.tmp)
        err = proc.stderr.decode("utf-8", "replace")
        self.assertNotEqual(proc.returncode, 0, "serve started without its signing keys:\n" + cli_describe(proc))
        self.assertRegex(err.lower(), r"signing[- ]?key|key file|\.signing-keys",
                         "message should mention the key file: %r" % err)
        self.assertFalse(os.path.exists(keyfile), "a new signing key file was generated")
        self.assertNotIn(key, err)

    def test_public_url_flag(self):
        key, _ = create_key(self.db, "Initech")
        srv = self.new_server()
        srv.secrets.add(key)
        srv.start(["--public-url", "https://reports.example.com/rs"])
        request(srv.port, "PUT", "/assessments/report/904", {"apiKey": key}, make_report(904))
        resp = request(srv.port, "POST", "/assessments/reports/904/share", {"apiKey": key})
        srv.note_tokens(resp.body)
        self.assertEqual(resp.status, 200, resp)
        url = resp.json()["signed_url"]
        self.assertTrue(url.startswith("https://reports.example.com/rs/assessments/bp/reports/shared/"), url)
        # the page on this server still answers at the unprefixed path
        self.assertEqual(request(srv.port, "GET", SHARED_PREFIX + token_of(url)).status, 200)

    def test_env_vars(self):
        key, _ = create_key(self.db, "Initech")
        srv = self.new_server()
        srv.secrets.add(key)
        srv.start(listen=False, db=False, env={
            "REPORTSHARE_DB": self.db,
            "REPORTSHARE_LISTEN": "127.0.0.1:0",
            "REPORTSHARE_PUBLIC_URL": "https://env.example.org",
            "REPORTSHARE_THREADS": "3",
        })
        request(srv.port, "PUT", "/assessments/report/905", {"apiKey": key}, make_report(905))
        resp = request(srv.port, "POST", "/assessments/reports/905/share", {"apiKey": key})
        srv.note_tokens(resp.body)
        self.assertEqual(resp.status, 200, resp)
        self.assertTrue(resp.json()["signed_url"].startswith("https://env.example.org/assessments/bp/reports/shared/"),
                        resp.json()["signed_url"])

    def test_flag_overrides_env(self):
        srv = self.new_server()
        other_db = "sqlite:" + os.path.join(self.tmp, "other.db")
        srv.start(env={"REPORTSHARE_DB": other_db, "REPORTSHARE_PUBLIC_URL": "https://env.example.org"})
        key = srv.create_key("Initech")   # in self.db, the --db flag
        request(srv.port, "PUT", "/assessments/report/906", {"apiKey": key}, make_report(906))
        resp = request(srv.port, "POST", "/assessments/reports/906/share", {"apiKey": key})
        srv.note_tokens(resp.body)
        self.assertEqual(resp.status, 200, "--db flag should win over REPORTSHARE_DB: %s" % resp)

    def test_demo(self):
        srv = self.new_server()
        srv.start(["--demo"])
        err = srv.stderr()
        deadline = time.time() + 5
        while "curl" not in err and time.time() < deadline:
            time.sleep(0.05)
            err = srv.stderr()
        m = re.search(r"API key: (\S+)", err)
        self.assertIsNotNone(m, "no 'API key: <key>' on stderr:\n" + err)
        key = m.group(1)
        curl = [l for l in err.splitlines() if "curl" in l]
        self.assertTrue(curl, "no curl line on stderr:\n" + err)
        self.assertIn("127.0.0.1:%d" % srv.port, curl[0], "curl line should target the running server")
        resp = request(srv.port, "GET", "/assessments/report/318", {"apiKey": key})
        self.assertEqual(resp.status, 200, resp)
        data = resp.json()
        self.assertEqual(data["assessment_id"], 138)
        self.assertEqual(data["invite_status"], "Completed")
        resp = request(srv.port, "POST", "/assessments/reports/318/share", {"apiKey": key},
                       {"expiration_hours": 2})
        self.assertEqual(resp.status, 200, resp)
        srv.note_tokens(resp.body)
        page = request(srv.port, "GET", SHARED_PREFIX + token_of(resp.json()["signed_url"]))
        self.assertEqual(page.status, 200, page)
        pdf = request(srv.port, "POST", "/assessments/reports/318/download", {"apiKey": key})
        self.assertEqual(pdf.status, 200, pdf)
        self.assertTrue(pdf.body.startswith(b"%PDF-"))
        # the demo key is printed on stderr by design; everything else stays secret
        srv.secrets.discard(key)


if __name__ == "__main__":
    unittest.main()
