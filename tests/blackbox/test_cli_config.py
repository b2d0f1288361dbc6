"""SPEC §9, first half: `reportshare --version`, the TOML configuration file
(`--config FILE` / REPORTSHARE_CONFIG; flags, then environment, then the file,
then defaults) and `reportshare config check` (the configuration in force,
secrets masked, nothing connected to or written; exit 1 naming the key)."""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import unittest

import harness
from harness import (BIN, CLI_TIMEOUT, LISTEN_RE, Server, cli_describe, clean_env, make_report,
                     request, run_cli)

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PACKAGED_CONFIG = os.path.join(REPO, "packaging", "reportshare.toml")

# "key = value  # source" as config check prints each setting.
SETTING_RE = re.compile(r"^([a-z][a-z-]*)\s+= (.*?)\s+# (.*)$")


def toml_string(text):
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_binary(args, env=None, cwd=None):
    """The binary with exactly `env` added to a clean environment (no
    REPORTSHARE_* of the caller, none of run_cli's additions)."""
    return subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=clean_env(env), timeout=CLI_TIMEOUT, cwd=cwd or tempfile.gettempdir())


def settings_of(proc):
    """config check's settings: key -> (value, source comment)."""
    found = {}
    for line in proc.stdout.decode("utf-8").splitlines():
        m = SETTING_RE.match(line)
        if m:
            found[m.group(1)] = (m.group(2), m.group(3))
    return found


def listening_record(srv):
    """The JSON log record of the server's "listening on" line."""
    for line in srv.stderr().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and str(record.get("msg", "")).startswith("listening on "):
            return record
    raise AssertionError("no listening record:\n" + srv.logs())


class ConfigBase(harness.TempServersTestCase):

    tmp_prefix = "rs-config-"

    def setUp(self):
        super().setUp()
        self.db = harness.database_for(self.tmp)   # SQLite file, or a fresh PostgreSQL database
        self.signing_keys = harness.signing_keys_for(self.db)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def data_lines(self):
        """db and signing-keys of this test's database, as a file gives them."""
        return "db = %s\nsigning-keys = %s\n" % (toml_string(self.db), toml_string(self.signing_keys))

    def check(self, args=(), env=None, cwd=None):
        return run_binary(["config", "check"] + list(args), env=env, cwd=cwd)

    def assertCheckFails(self, proc, *needles):
        self.assertEqual(proc.returncode, 1, cli_describe(proc))
        err = proc.stderr.decode("utf-8", "replace")
        # One message (CLI11 adds "Run with --help for more information."),
        # never an exception's trace.
        self.assertLessEqual(len(err.strip().splitlines()), 2, "one clear message: %r" % err)
        self.assertNotIn("terminate called", err)
        self.assertNotIn("what():", err)
        for needle in needles:
            self.assertIn(needle, err, cli_describe(proc))


class VersionTest(ConfigBase):

    def test_version_prints_the_project_version_and_commit(self):
        with open(os.path.join(REPO, "CMakeLists.txt")) as f:
            version = re.search(r"project\(reportshare VERSION (\d+\.\d+\.\d+)", f.read()).group(1)
        outputs = set()
        for flag in ("--version", "-V"):
            proc = run_binary([flag])
            self.assertEqual(proc.returncode, 0, cli_describe(proc))
            self.assertEqual(proc.stderr, b"", cli_describe(proc))
            out = proc.stdout.decode("utf-8")
            m = re.match(r"^reportshare (\d+\.\d+\.\d+)(?: \(git ([0-9a-f]{7,40})\))?\n$", out)
            self.assertIsNotNone(m, "version line: %r" % out)
            self.assertEqual(m.group(1), version)
            outputs.add(out)
            git = shutil.which("git")
            if os.path.exists(os.path.join(REPO, ".git")) and git:
                # Built from this checkout: the commit must be one of its own.
                self.assertIsNotNone(m.group(2), "built from a checkout, the commit is shown: %r" % out)
                known = subprocess.run([git, "-C", REPO, "cat-file", "-e", m.group(2) + "^{commit}"],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                self.assertEqual(known.returncode, 0, "unknown commit %s" % m.group(2))
        self.assertEqual(len(outputs), 1, outputs)


class ServeConfigTest(ConfigBase):

    def start(self, config, extra_args=(), env=None):
        srv = Server(self.tmp)
        self.servers.append(srv)
        srv.start(["--config", config] + list(extra_args), env=env, listen=False, db=False)
        return srv

    def test_serve_listens_where_the_file_says_and_links_use_its_public_url(self):
        port = free_port()
        config = self.write("rs.toml", "# reportshare\n" + self.data_lines() +
                            'listen = "127.0.0.1:%d"\n' % port +
                            'public-url = "https://file.example/rs/"\n'
                            "threads = 2\n"
                            "rate-limit = 0\n")
        # keys create reads the same file for its database.
        created = run_cli(["keys", "create", "--company", "FileCo", "--config", config])
        self.assertEqual(created.returncode, 0, cli_describe(created))
        key = created.stdout.decode("utf-8").splitlines()[0].strip()
        srv = self.start(config)
        srv.secrets.add(key)
        self.assertEqual(srv.port, port, srv.logs())
        self.assertEqual(srv.request("GET", "/healthz").status, 200)
        record = listening_record(srv)
        self.assertEqual(record.get("public_url"), "https://file.example/rs")
        self.assertEqual(record.get("threads"), 2)
        self.assertEqual(record.get("config"), config)
        version = run_binary(["--version"]).stdout.decode("utf-8").split()[1]
        self.assertEqual(record.get("version"), version)
        put = srv.request("PUT", "/assessments/report/318", {"apiKey": key}, make_report(318))
        self.assertIn(put.status, (200, 201), put.describe())
        share = srv.request("POST", "/assessments/reports/318/share", {"apiKey": key})
        self.assertEqual(share.status, 200, share.describe())
        self.assertTrue(share.json()["signed_url"].startswith(
            "https://file.example/rs/assessments/bp/reports/shared/"), share.describe())

    def test_the_environment_beats_the_file_and_a_flag_beats_both(self):
        file_port, env_port = free_port(), free_port()
        config = self.write("rs.toml", self.data_lines() +
                            'listen = "127.0.0.1:%d"\n' % file_port +
                            'public-url = "https://file.example"\n')
        env = {"REPORTSHARE_LISTEN": "127.0.0.1:%d" % env_port,
               "REPORTSHARE_PUBLIC_URL": "https://env.example"}
        srv = self.start(config, env=env)
        self.assertEqual(srv.port, env_port, srv.logs())
        self.assertEqual(listening_record(srv).get("public_url"), "https://env.example")
        self.assertEqual(srv.request("GET", "/healthz").status, 200)
        self.assertEqual(srv.stop(), 0)

        srv = self.start(config, ["--listen", "127.0.0.1:0", "--public-url", "https://flag.example"],
                         env=env)
        self.assertNotIn(srv.port, (file_port, env_port))
        self.assertEqual(listening_record(srv).get("public_url"), "https://flag.example")
        self.assertEqual(srv.request("GET", "/healthz").status, 200)

    def test_the_file_can_be_named_by_reportshare_config(self):
        port = free_port()
        config = self.write("rs.toml", self.data_lines() + 'listen = "127.0.0.1:%d"\n' % port)
        srv = Server(self.tmp)
        self.servers.append(srv)
        srv.start(env={"REPORTSHARE_CONFIG": config}, listen=False, db=False)
        self.assertEqual(srv.port, port, srv.logs())
        self.assertEqual(srv.request("GET", "/healthz").status, 200)

    def test_serve_refuses_a_bad_file_naming_the_key(self):
        for text, needles in (
                ("thread = 4\n", ['unknown key "thread"']),
                ('threads = "4"\n', ["threads must be an integer, not a string"]),
                ('listen = "8080"\n', ["listen must be HOST:PORT"])):
            config = self.write("bad.toml", self.data_lines() + text)
            proc = run_binary(["serve", "--config", config], cwd=self.tmp)
            self.assertCheckFails(proc, config + ":3: ", *needles)

    def test_other_subcommands_refuse_a_bad_file_too(self):
        config = self.write("bad.toml", self.data_lines() + "lisen = \"127.0.0.1:1\"\n")
        for args in (["keys", "list"], ["render", "318", "-o", os.path.join(self.tmp, "x.pdf")],
                     ["link", "inspect", "x"]):
            proc = run_binary(args + ["--config", config], cwd=self.tmp)
            self.assertCheckFails(proc, config + ":3: ", 'unknown key "lisen"')


class ConfigCheckTest(ConfigBase):

    def test_prints_every_setting_with_its_source(self):
        config = self.write("rs.toml", "# first\n"
                            'listen = "127.0.0.1:9001"\n'
                            "threads = 4\n"
                            "rate-limit = 2.5\n"
                            "demo = true\n")
        proc = self.check(["--config", config, "--threads", "6"],
                          env={"REPORTSHARE_LISTEN": "127.0.0.1:9002"})
        self.assertEqual(proc.returncode, 0, cli_describe(proc))
        settings = settings_of(proc)
        for key in ("db", "listen", "public-url", "threads", "signing-keys", "rate-limit",
                    "rate-burst", "max-connections", "header-timeout", "idle-timeout",
                    "write-timeout", "pdf-cache-mb", "view-flush-ms", "render-workers",
                    "render-timeout", "demo"):
            self.assertIn(key, settings, cli_describe(proc))
        self.assertEqual(settings["threads"][0], "6")
        self.assertTrue(settings["threads"][1].startswith("flag --threads, over %s:3" % config),
                        settings["threads"])
        self.assertEqual(settings["listen"][0], '"127.0.0.1:9002"')
        self.assertTrue(settings["listen"][1].startswith("env REPORTSHARE_LISTEN, over %s:2" % config))
        self.assertEqual(settings["rate-limit"], ("2.5", "file %s:4" % config))
        self.assertEqual(settings["demo"], ("true", "file %s:5" % config))
        self.assertEqual(settings["idle-timeout"], ("60", "default"))
        self.assertEqual(settings["db"][0], '"sqlite:reportshare.db"')
        self.assertIn(config, proc.stdout.decode("utf-8").splitlines()[0])

    def test_masks_the_database_password_and_connects_to_nothing(self):
        # A database that would notice a connection.
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(8)
            listener.settimeout(0.5)
            port = listener.getsockname()[1]
            secret = "Sup3r-S3cret-pw"
            url = "postgresql://rs_user:%s@127.0.0.1:%d/rs" % (secret, port)
            config = self.write("rs.toml", "db = %s\nsigning-keys = \"/etc/reportshare/keys\"\n"
                                % toml_string(url))
            from_file = self.check(["--config", config])
            from_env = self.check(env={"REPORTSHARE_DB": url + "?password=" + secret,
                                       "REPORTSHARE_SIGNING_KEYS": "/etc/reportshare/keys"})
            for proc in (from_file, from_env):
                self.assertEqual(proc.returncode, 0, cli_describe(proc))
                self.assertNotIn(secret.encode(), proc.stdout + proc.stderr)
            self.assertEqual(settings_of(from_file)["db"],
                             ('"postgresql://rs_user:***@127.0.0.1:%d/rs"' % port,
                              "file %s:1" % config))
            self.assertEqual(settings_of(from_env)["db"],
                             ('"postgresql://rs_user:***@127.0.0.1:%d/rs?password=***"' % port,
                              "env REPORTSHARE_DB"))
            # The signing key file's path is shown, never what is in it.
            self.assertEqual(settings_of(from_file)["signing-keys"][0], '"/etc/reportshare/keys"')
            with self.assertRaises(socket.timeout):
                conn, _ = listener.accept()
                conn.close()

    def test_exits_1_naming_the_key_on_any_error(self):
        cases = (
            ("thread = 4\n", ['unknown key "thread"']),
            ("[serve]\nthreads = 4\n", ['unknown key "serve"']),
            ('threads = "4"\n', ["threads must be an integer, not a string"]),
            ("threads = 1.5\n", ["threads must be an integer, not a float"]),
            ('demo = "yes"\n', ["demo must be true or false"]),
            ("threads = 999\n", ["threads: Value 999 not in range"]),
            ('listen = "9999"\n', ["listen must be HOST:PORT"]),
            ('public-url = "ftp://x.example"\n', ["public-url must start with http:// or https://"]),
            ('db = "mysql://x"\n', ["db must be sqlite:PATH or postgresql://"]),
            ("threads = \n", [":1:"]),
        )
        for text, needles in cases:
            config = self.write("bad.toml", text)
            proc = self.check(["--config", config])
            self.assertCheckFails(proc, config + ":", *needles)
            self.assertEqual(proc.stdout, b"", "nothing printed as if valid: " + cli_describe(proc))
        # A file that is not there, a bad variable, a bad flag: exit 1 as well.
        self.assertCheckFails(self.check(["--config", os.path.join(self.tmp, "none.toml")]),
                              "cannot read configuration file")
        self.assertCheckFails(self.check(env={"REPORTSHARE_THREADS": "many"}), "--threads")
        self.assertCheckFails(self.check(["--listen", "8080"]), "--listen")
        self.assertCheckFails(self.check(["--db", "postgresql://u@127.0.0.1/rs"]), "--signing-keys")
        self.assertCheckFails(self.check(["--no-such-flag"]), "--no-such-flag")

    def test_creates_no_file(self):
        cwd = os.path.join(self.tmp, "cwd")
        os.mkdir(cwd)
        config = self.write("rs.toml", 'listen = "127.0.0.1:9001"\n')
        for args in ([], ["--config", config], ["--db", "sqlite:sub/dir/rs.db"]):
            proc = self.check(args, cwd=cwd)
            self.assertEqual(proc.returncode, 0, cli_describe(proc))
            self.assertEqual(os.listdir(cwd), [], "config check %r wrote into its directory" % args)

    def test_the_packaged_file_passes_and_changes_nothing(self):
        proc = self.check(["--config", PACKAGED_CONFIG])
        self.assertEqual(proc.returncode, 0, cli_describe(proc))
        settings = settings_of(proc)
        self.assertGreaterEqual(len(settings), 16, cli_describe(proc))
        for key, (value, source) in settings.items():
            self.assertTrue(source.startswith("default"), "%s from %s" % (key, source))
        self.assertIn("# valid", proc.stdout.decode("utf-8"))

    def test_the_documented_examples_pass(self):
        for doc in ("README.md", os.path.join("docs", "operations.md")):
            with open(os.path.join(REPO, doc)) as f:
                blocks = re.findall(r"```toml\n(.*?)```", f.read(), re.S)
            self.assertTrue(blocks, "no TOML example in %s" % doc)
            for i, block in enumerate(blocks):
                config = self.write("example.toml", block)
                proc = self.check(["--config", config])
                self.assertEqual(proc.returncode, 0, "%s, TOML example %d:\n%s" % (doc, i + 1,
                                                                                   cli_describe(proc)))
                settings = settings_of(proc)
                keys = re.findall(r"^([a-z][a-z-]*) =", block, re.M)
                for key in keys:
                    self.assertTrue(settings[key][1].startswith("file "), (doc, key, settings[key]))


if __name__ == "__main__":
    unittest.main()
