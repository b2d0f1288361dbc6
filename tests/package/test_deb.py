"""The Debian package (SPEC §9, issue 14): built from the finished build of
the preset under test (cpack on its CPackConfig.cmake, which builds
nothing), its metadata and contents checked, installed into this machine
with dpkg -i (again over itself), the INSTALLED binary run as the systemd
unit would run it -- not through systemd, which need not be running here,
but as an unprivileged user without a passwd entry, umask 0077, no new
privileges and the unit's seccomp rules (sandbox.py) -- against a temporary
SQLite database: a key, a share of report 318, the link as a page and as a
PDF (the render workers under MemoryDenyWriteExecute), SIGTERM; the unit
checked by its directives and by `systemd-analyze verify`; then removed and
purged. The package is purged at the end whatever happened.

Needs root (dpkg -i): run as another user it fails, saying so; it never
skips. Environment (set by tests/CMakeLists.txt): RS_CPACK (cpack),
RS_CPACK_CONFIG (the build's CPackConfig.cmake), REPORTSHARE_BIN (the
build's binary, whose --version the installed one must print).
"""

import gzip
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "blackbox"))

import harness  # noqa: E402  (request(): every response checked against docs/openapi.json)
import sandbox  # noqa: E402

PACKAGE = "reportshare"
INSTALLED_BIN = "/usr/bin/reportshare"
UNIT = "/lib/systemd/system/reportshare.service"
CONFIG = "/etc/reportshare/reportshare.toml"
MAN_PAGE = "/usr/share/man/man1/reportshare.1.gz"
DEMO_COMPANY = "Acme Talent (demo)"
# A uid and gid in systemd's range for dynamic users (61184-65519), without
# a passwd entry, as DynamicUser=yes gives the service.
SERVICE_UID = 61234

# What the unit must say (issue 14); every other directive is free.
REQUIRED_UNIT = {
    "Service": {
        "Type": "simple",
        "ExecStart": "/usr/bin/reportshare serve --config /etc/reportshare/reportshare.toml",
        "DynamicUser": "yes",
        "StateDirectory": "reportshare",
        "StateDirectoryMode": "0700",
        "UMask": "0077",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "NoNewPrivileges": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "ProtectKernelLogs": "yes",
        "ProtectControlGroups": "yes",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
        "RestrictNamespaces": "yes",
        "LockPersonality": "yes",
        "MemoryDenyWriteExecute": "yes",
        "SystemCallFilter": "@system-service",
        "SystemCallErrorNumber": "EPERM",
        "SystemCallArchitectures": "native",
        "CapabilityBoundingSet": "",
        "Restart": "on-failure",
        "KillSignal": "SIGTERM",
        "TimeoutStopSec": "30",
    },
    "Install": {"WantedBy": "multi-user.target"},
}


def run(args, timeout=120, check=True, **kw):
    proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                          stdin=subprocess.DEVNULL, **kw)
    if check and proc.returncode != 0:
        raise AssertionError("%s failed (exit %d):\n%s\n%s" % (
            " ".join(args), proc.returncode, proc.stdout.decode("utf-8", "replace")[-4000:],
            proc.stderr.decode("utf-8", "replace")[-4000:]))
    return proc


def package_status():
    """dpkg's status word of the package ("installed", "config-files",
    "not-installed", ...)."""
    proc = run(["dpkg-query", "-W", "-f=${db:Status-Status}", PACKAGE], check=False)
    return proc.stdout.decode().strip() if proc.returncode == 0 else "not-installed"


def parse_unit(text):
    """{section: {key: value}} of a systemd unit file: comments and blank
    lines skipped; a key given twice keeps its last value (as systemd does
    for these directives); a line outside a section, or without '=', is an
    error."""
    sections, current = {}, None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        if current is None or "=" not in line:
            raise AssertionError("unit line %d is not KEY=VALUE in a section: %r" % (number, raw))
        key, _, value = line.partition("=")
        current[key.strip()] = value.strip()
    return sections


class DebianPackageTest(unittest.TestCase):
    """Ordered: test_1... to test_9... share one install (unittest runs them
    by name)."""

    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise RuntimeError("tests/package/test_deb.py installs the package with dpkg -i into "
                               "this machine and must run as root (it runs as uid %d); it does "
                               "not skip" % os.geteuid())
        for tool in ("dpkg", "dpkg-deb", "dpkg-query"):
            if not shutil.which(tool):
                raise RuntimeError("%s not found" % tool)
        cls.cpack = os.environ.get("RS_CPACK") or shutil.which("cpack")
        cls.cpack_config = os.environ.get("RS_CPACK_CONFIG")
        if not cls.cpack or not cls.cpack_config or not os.path.isfile(cls.cpack_config):
            raise RuntimeError("set RS_CPACK and RS_CPACK_CONFIG (a build's CPackConfig.cmake); "
                               "got %r, %r" % (cls.cpack, cls.cpack_config))
        cls.build_bin = os.environ.get("REPORTSHARE_BIN")
        cls.work = tempfile.mkdtemp(prefix="rs-package-")
        cls.addClassCleanup(shutil.rmtree, cls.work, ignore_errors=True)
        # Whatever happens from here on, the machine is left without the package.
        cls.addClassCleanup(cls._purge_quietly)

        with open(cls.cpack_config) as f:
            cls.version = re.search(r'set\(CPACK_PACKAGE_VERSION "([^"]+)"\)', f.read()).group(1)
        cls.arch = run(["dpkg", "--print-architecture"]).stdout.decode().strip()
        before = package_status()
        if before != "not-installed":
            sys.stderr.write("note: %s was already on this machine (%s); this test replaces "
                             "and purges it\n" % (PACKAGE, before))

        start = time.monotonic()
        out = os.path.join(cls.work, "out")
        run([cls.cpack, "-G", "DEB", "--config", cls.cpack_config, "-B", out], timeout=300)
        debs = [n for n in os.listdir(out) if n.endswith(".deb")]
        cls.deb_name = "%s_%s_%s.deb" % (PACKAGE, cls.version, cls.arch)
        if debs != [cls.deb_name]:
            raise AssertionError("cpack made %r, not [%r]" % (debs, cls.deb_name))
        cls.deb = os.path.join(out, cls.deb_name)
        sys.stderr.write("built %s (%d KiB) in %.1f s\n" % (
            cls.deb_name, os.path.getsize(cls.deb) // 1024, time.monotonic() - start))

        # Fresh install: no configuration file of an earlier one to keep.
        cls._purge_quietly()
        run(["dpkg", "-i", cls.deb])

    @classmethod
    def _purge_quietly(cls):
        if package_status() != "not-installed":
            subprocess.run(["dpkg", "--purge", PACKAGE], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, timeout=120)

    # -- the .deb itself ---------------------------------------------------

    def test_1_control(self):
        info = run(["dpkg-deb", "-I", self.deb]).stdout.decode()
        sys.stderr.write("dpkg-deb -I %s:\n%s\n" % (self.deb_name, info))
        fields = dict(re.findall(r"^ ([A-Z][A-Za-z-]+): ?(.*)$", info, re.M))
        self.assertEqual(fields.get("Package"), PACKAGE, info)
        self.assertEqual(fields.get("Version"), self.version, info)
        self.assertEqual(fields.get("Architecture"), self.arch, info)
        self.assertRegex(fields.get("Maintainer", ""), r"^[^<>]+ <[^<>@]+@[^<>@]+>$", info)
        self.assertTrue(fields.get("Description", "").strip(), info)
        self.assertRegex(info, r"\n  \S", "no long description:\n" + info)
        self.assertNotIn("Homepage", fields, info)
        depends = {d.strip().split(" ")[0] for d in fields.get("Depends", "").split(",")}
        # dpkg-shlibdeps' libraries, and the fonts the renderer names.
        for needed in ("libc6", "libstdc++6", "libssl3", "libsqlite3-0", "libpq5", "libcairo2",
                       "libpango-1.0-0", "libpangocairo-1.0-0", "libarchive13",
                       "libboost-json1.81.0", "libboost-url1.81.0", "fonts-noto-core"):
            self.assertIn(needed, depends, "Depends: %s" % fields.get("Depends"))
        # The conffile and the maintainer scripts are in the control archive.
        for member in ("conffiles", "postinst", "prerm", "postrm"):
            self.assertRegex(info, r"\b%s\b" % member, info)
        control = os.path.join(self.work, "control")
        run(["dpkg-deb", "-e", self.deb, control])
        with open(os.path.join(control, "conffiles")) as f:
            self.assertEqual(f.read().split(), [CONFIG])
        for script in ("postinst", "prerm", "postrm"):
            mode = stat.S_IMODE(os.stat(os.path.join(control, script)).st_mode)
            self.assertEqual(mode, 0o755, "%s mode %o" % (script, mode))
            run(["sh", "-n", os.path.join(control, script)])

    def test_1_contents(self):
        listing = run(["dpkg-deb", "-c", self.deb]).stdout.decode()
        files = {}
        for line in listing.splitlines():
            parts = line.split(None, 5)
            if parts[0].startswith("-"):
                files[parts[5]] = (parts[0], parts[1])
        self.assertEqual(sorted(files), sorted("." + p for p in (INSTALLED_BIN, UNIT, CONFIG, MAN_PAGE)),
                         listing)
        self.assertEqual(files["." + INSTALLED_BIN], ("-rwxr-xr-x", "root/root"), listing)
        for path in (UNIT, CONFIG, MAN_PAGE):
            self.assertEqual(files["." + path], ("-rw-r--r--", "root/root"), listing)

    # -- installed ---------------------------------------------------------

    def test_2_installed_binary(self):
        self.assertEqual(package_status(), "installed")
        proc = run([INSTALLED_BIN, "--version"])
        line = proc.stdout.decode().strip()
        self.assertRegex(line, r"^reportshare %s( \(git [0-9a-f]{7,}\))?$" % re.escape(self.version))
        if self.build_bin:
            self.assertEqual(line, run([self.build_bin, "--version"]).stdout.decode().strip(),
                             "the package holds another build than the one under test")
        # dpkg-shlibdeps got every library: the installed binary resolves them all.
        ldd = run(["ldd", INSTALLED_BIN]).stdout.decode()
        self.assertNotIn("not found", ldd, ldd)

    def test_2_man_page(self):
        with gzip.open(MAN_PAGE, "rt") as f:
            page = f.read()
        self.assertRegex(page, r'(?m)^\.TH REPORTSHARE "1" "[^"]+" "reportshare %s' % re.escape(self.version),
                         page[:300])
        # Generated from --help: every command and every serve option is in it.
        top = run([INSTALLED_BIN, "--help"]).stdout.decode()
        commands = re.findall(r"^  ([a-z][a-z-]+) {2,}", top.split("Subcommands:")[1], re.M)
        self.assertIn("serve", commands, top)
        serve = run([INSTALLED_BIN, "serve", "--help"]).stdout.decode()
        options = set(re.findall(r"^  (?:-\w,)?(--[a-z][a-z-]+)", serve, re.M))
        self.assertIn("--public-url", options, serve)
        for word in commands + sorted(options):
            self.assertIn(word.replace("-", "\\-"), page, "%s is not in the man page" % word)
        for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "FILES"):
            self.assertRegex(page, r"\n\.SH \"?%s" % section)
        self.assertIn(CONFIG.replace("-", "\\-"), page)
        if shutil.which("man"):
            self.assertEqual(run(["man", "-w", "reportshare"]).stdout.decode().strip(), MAN_PAGE)

    def test_2_config_file(self):
        with open(CONFIG) as f:
            installed = f.read().splitlines()
        with open(os.path.join(SOURCE_DIR, "packaging", "reportshare.toml")) as f:
            source = f.read().splitlines()
        # packaging/reportshare.toml with db and signing-keys set to the state
        # directory (and a comment saying so), nothing else changed.
        removed = [l for l in source if l not in installed]
        added = [l for l in installed if l not in source]
        self.assertEqual(removed, ['# db = "sqlite:reportshare.db"', '# signing-keys = ""'])
        self.assertEqual([l for l in added if not l.startswith("#")],
                         ['db = "sqlite:/var/lib/reportshare/reportshare.db"',
                          'signing-keys = "/var/lib/reportshare/signing-keys"'])
        # The installed binary takes the installed file as it is.
        proc = run([INSTALLED_BIN, "config", "check", "--config", CONFIG], env=harness.clean_env())
        text = proc.stdout.decode()
        self.assertRegex(text, r'(?m)^db += "sqlite:/var/lib/reportshare/reportshare\.db" +# file %s:\d+$'
                         % re.escape(CONFIG), text)
        self.assertRegex(text, r'(?m)^signing-keys += "/var/lib/reportshare/signing-keys" +# file %s:\d+$'
                         % re.escape(CONFIG), text)
        self.assertRegex(text, r'(?m)^listen += "127\.0\.0\.1:8080" +# default', text)

    def test_3_unit_directives(self):
        with open(UNIT) as f:
            unit = parse_unit(f.read())
        for section, wanted in REQUIRED_UNIT.items():
            got = unit.get(section, {})
            for key, value in wanted.items():
                self.assertIn(key, got, "[%s] has no %s=" % (section, key))
                self.assertEqual(got[key], value, "[%s] %s=" % (section, key))
        self.assertNotIn("User", unit["Service"], "DynamicUser names its user after the unit")

    def test_3_unit_systemd_analyze(self):
        analyze = shutil.which("systemd-analyze")
        if not analyze:
            # Said out loud, and not a pass for nothing: test_3_unit_directives
            # has checked every required directive with its own parser.
            sys.stderr.write("systemd-analyze is not on this machine: the unit was checked by "
                             "test_3_unit_directives' parser only\n")
            return
        args = [analyze, "verify"]
        if not shutil.which("man"):
            sys.stderr.write("man is not on this machine: systemd-analyze verify --man=no\n")
            args.append("--man=no")
        proc = run(args + [UNIT], check=False)
        output = (proc.stdout + proc.stderr).decode("utf-8", "replace")
        sys.stderr.write("%s: exit %d, output %r\n" % (" ".join(args + [UNIT]), proc.returncode, output))
        self.assertEqual(proc.returncode, 0, output)
        # verify warns (exit 0) about unknown or misspelt directives.
        unit_lines = [l for l in output.splitlines() if "reportshare.service" in l]
        self.assertEqual(unit_lines, [], output)

    # -- the installed binary, as the unit runs it -------------------------

    def test_4_serve_as_the_unit_would(self):
        state = os.path.join(self.work, "state")       # StateDirectory=, mode 0700
        os.mkdir(state, 0o700)
        os.chown(state, SERVICE_UID, SERVICE_UID)
        os.chmod(self.work, 0o755)                     # so the service user can reach it
        db = "sqlite:" + os.path.join(state, "reportshare.db")
        keys_file = os.path.join(state, "signing-keys")
        box = sandbox.Sandbox()

        # The filter bites: the same probe without it gets what it forbids.
        free = sandbox.probe(None, SERVICE_UID)
        boxed = sandbox.probe(box, SERVICE_UID)
        self.assertEqual(free.stdout.decode().split(), "netlink ok inet ok wx-mmap ok ptrace ok".split(),
                         free.stderr.decode())
        self.assertEqual(boxed.stdout.decode().split(),
                         "netlink EAFNOSUPPORT inet ok wx-mmap EPERM ptrace EPERM".split(),
                         boxed.stderr.decode())

        # ExecStart, with the database and key file moved into the temporary
        # state directory and any free port (flags beat the file).
        args = [INSTALLED_BIN, "serve", "--config", CONFIG, "--db", db, "--signing-keys", keys_file,
                "--listen", "127.0.0.1:0", "--demo"]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, cwd="/", umask=0o077,
                                user=SERVICE_UID, group=SERVICE_UID, extra_groups=[],
                                env={"PATH": "/usr/bin:/bin", "HOME": "/", "LANG": "C.UTF-8"},
                                preexec_fn=box.apply)
        out, err = [], []
        pumps = [threading.Thread(target=lambda s=s, sink=sink: sink.extend(iter(s.readline, b"")),
                                  daemon=True) for s, sink in ((proc.stdout, out), (proc.stderr, err))]
        for t in pumps:
            t.start()

        def logs():
            return "stdout:\n%s\nstderr:\n%s" % (b"".join(out).decode("utf-8", "replace")[-4000:],
                                                 b"".join(err).decode("utf-8", "replace")[-4000:])
        try:
            port = None
            deadline = time.monotonic() + 30
            while port is None and time.monotonic() < deadline:
                m = harness.LISTEN_RE.search(b"".join(err).decode("utf-8", "replace"))
                if m:
                    port = int(m.group(3))
                elif proc.poll() is not None:
                    break
                else:
                    time.sleep(0.05)
            self.assertIsNotNone(port, "the installed serve did not start\n" + logs())

            # Created by serve on first start, as the service user, 0600.
            for path in (keys_file, db[len("sqlite:"):]):
                st = os.stat(path)
                self.assertEqual((st.st_uid, st.st_gid), (SERVICE_UID, SERVICE_UID), path)
                self.assertEqual(stat.S_IMODE(st.st_mode), 0o600, "%s mode %o" % (path, st.st_mode))

            # The administrator's way to a key (docs/operations.md): root, the
            # installed binary, the installed configuration file.
            created = run([INSTALLED_BIN, "keys", "create", "--company", DEMO_COMPANY,
                           "--config", CONFIG, "--db", db], env=harness.clean_env())
            key = created.stdout.decode().splitlines()[0].strip()
            self.assertRegex(key, r"^rs_\S+$")
            # ... which leaves every file of the state directory the service's.
            for name in os.listdir(state):
                st = os.stat(os.path.join(state, name))
                self.assertEqual(st.st_uid, SERVICE_UID, "%s belongs to uid %d after keys create"
                                 % (name, st.st_uid))

            share = harness.request(port, "POST", "/assessments/reports/318/share", {"apiKey": key},
                                    {"expiration_hours": 1})
            self.assertEqual(share.status, 200, share)
            url = share.json()["signed_url"]
            prefix = "http://127.0.0.1:%d%s" % (port, harness.SHARED_PREFIX)
            self.assertTrue(url.startswith(prefix), url)
            path = url[len("http://127.0.0.1:%d" % port):]
            page = harness.request(port, "GET", path)
            self.assertEqual(page.status, 200, page)
            self.assertEqual(page.content_type, "text/html", page)
            self.assertIn("Priya", page.text)
            # The PDF comes from a render worker: the same binary, spawned
            # under the same filter, MemoryDenyWriteExecute included.
            pdf = harness.request(port, "GET", path + "?format=pdf", timeout=30)
            self.assertEqual(pdf.status, 200, pdf)
            self.assertEqual(pdf.content_type, "application/pdf", pdf)
            self.assertTrue(pdf.body.startswith(b"%PDF-"), pdf.body[:20])
            self.assertTrue(harness.embedded_fonts(pdf.body),
                            "the PDF embeds no font: the fonts were not found")

            # The online backup of docs/operations.md, as root while it serves:
            # a whole database with the link just made, and the state
            # directory still entirely the service's.
            backup = os.path.join(self.work, "backup.db")
            run(["sqlite3", db[len("sqlite:"):], ".backup '%s'" % backup])
            self.assertEqual(run(["sqlite3", backup, "PRAGMA integrity_check"]).stdout.decode().strip(), "ok")
            self.assertEqual(run(["sqlite3", backup, "SELECT count(*) FROM links"]).stdout.decode().strip(), "1")
            for name in os.listdir(state):
                self.assertEqual(os.stat(os.path.join(state, name)).st_uid, SERVICE_UID,
                                 "%s changed owner in the backup" % name)

            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=30)                # TimeoutStopSec=30
            except subprocess.TimeoutExpired:
                self.fail("serve did not stop within 30 s of SIGTERM\n" + logs())
            for t in pumps:
                t.join(timeout=5)
            proc.stdout.close()
            proc.stderr.close()
            self.assertEqual(code, 0, logs())
            text = b"".join(err).decode("utf-8", "replace")
            self.assertIn('"msg":"stopped"', text, logs())
            self.assertNotRegex(text, r'"level":"error"|Operation not permitted|Fontconfig error',
                                logs())
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
            for stream in (proc.stdout, proc.stderr):
                if not stream.closed:
                    stream.close()

    # -- again, then gone ----------------------------------------------------

    def test_5_install_over_itself(self):
        # A local change to the conffile survives a reinstall, asked nothing
        # (stdin is /dev/null: a prompt would fail the install).
        with open(CONFIG, "a") as f:
            f.write("# changed here\n")
        run(["dpkg", "-i", self.deb])
        self.assertEqual(package_status(), "installed")
        with open(CONFIG) as f:
            self.assertTrue(f.read().endswith("# changed here\n"), "dpkg replaced the changed conffile")
        run([INSTALLED_BIN, "--version"])

    def test_9_remove_and_purge(self):
        run(["dpkg", "-r", PACKAGE])
        self.assertEqual(package_status(), "config-files")
        for path in (INSTALLED_BIN, UNIT, MAN_PAGE):
            self.assertFalse(os.path.lexists(path), "%s is left after dpkg -r" % path)
        self.assertTrue(os.path.isfile(CONFIG), "dpkg -r keeps the configuration file")
        run(["dpkg", "--purge", PACKAGE])
        self.assertEqual(package_status(), "not-installed")
        self.assertFalse(os.path.lexists(CONFIG), "%s is left after dpkg --purge" % CONFIG)
        self.assertFalse(os.path.lexists(os.path.dirname(CONFIG)))


if __name__ == "__main__":
    unittest.main()
