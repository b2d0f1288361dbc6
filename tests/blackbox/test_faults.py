"""Fault injection (hardening): the real binary over real sockets, with the
faults a production host meets -- and nothing acknowledged lost.

  KillNineTest        SIGKILL in the middle of a stream of PUTs and shares;
                      restart on the same database: intact, and every write
                      that was answered 2xx is there (both backends).
  DiskFullTest        SQLite on a 16 MiB tmpfs filled to the last byte:
                      writes 503 JSON, reads keep working, recovery without
                      a restart once space is freed (SQLite).
  ReadOnlyTest        SQLite files that refuse every write while the server
                      runs, and a start on a read-only mount (SQLite).
  KeyFileStartTest    corrupt signing key files at start-up: one line, a
                      non-zero exit, never a new key (both backends).
  KeyFileRuntimeTest  the watched key file corrupted at run time: the old
                      keys keep serving, a warning, a good file picked up.

PostgreSQL stopped and restarted under load: test_faults_pg.py (PostgreSQL
only). The missing key file (created on a fresh database, refused on one with
links) is test_cli.py's (test_signing_key_file_created_0600,
test_missing_signing_key_file_with_existing_links_refuses_to_start).

Backends: the file runs as blackbox.test_faults (SQLite) and
blackbox_pg.test_faults (PostgreSQL; harness.backend()). DiskFullTest and
ReadOnlyTest are about SQLite's files, so load_tests leaves them out of the
PostgreSQL run (they run, and must pass, in the SQLite one); nothing is
skipped.

Root: the tests mount tmpfs file systems (CI runs them as root). A mount that
fails FAILS the test with the reason. Every mount is undone, and every flag
set on a file cleared, in the test's cleanups.

Why the run-time read-only fault is not `mount -o remount,ro`: Linux refuses
to remount a file system read-only while a process holds a file on it open
for writing (EBUSY, "mount point is busy"), and SQLite holds the database and
its WAL open read-write for as long as the server runs. So ReadOnlyTest makes
the database file and its WAL immutable (FS_IMMUTABLE_FL, which even root's
writes obey, on an open descriptor too, on ext4/xfs/btrfs): every write(2)
then fails as it would on a read-only file system (EPERM instead of EROFS;
SQLite reports both as SQLITE_IOERR_WRITE). The start on a read-only file
system is a real `mount -o remount,ro` of a tmpfs, done while no server runs.
"""

import array
import base64
import collections
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import stat
import subprocess
import tempfile
import threading
import time
import unittest

import harness
from harness import SHARED_PREFIX, Server, make_report, token_of

SANITIZER_RE = re.compile(r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|ThreadSanitizer|"
                          r"runtime error:|Segmentation fault|core dumped|terminate called|Aborted")
DATE_FIELDS = ("started_date", "completed_date")
COMPANY = "Acme-Hiring"
wait_until = harness.wait_until


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------

def log_records(text):
    """The JSON log records of a stderr text (other lines left out)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict):
                out.append(rec)
    return out


def plain_lines(text):
    """The lines of a stderr text that are not JSON log records."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            if isinstance(json.loads(line), dict):
                continue
        except ValueError:
            pass
        out.append(line)
    return out


def report_diff(sent, got):
    """'' if the report GET returned (without report_link) is the one PUT
    (dates compared as instants), else what differs."""
    got = dict(got)
    got.pop("report_link", None)
    if set(sent) != set(got):
        return "fields differ: sent %r, got %r" % (sorted(sent), sorted(got))
    for k, v in sent.items():
        if k in DATE_FIELDS:
            if harness.parse_rfc3339(v) != harness.parse_rfc3339(got[k]):
                return "%s: sent %r, got %r" % (k, v, got[k])
        elif got[k] != v:
            return "%s: sent %r, got %r" % (k, v, got[k])
    return ""


def key_id_of(token):
    """The signing key id a token names (docs/tokens.md: payload bytes 1..4)."""
    payload = harness.b64_segments(token)[0]
    return int.from_bytes(payload[1:5], "big")


def key_secrets(data):
    """The secrets (second fields) of a key file's text."""
    out = []
    for line in data.decode("utf-8", "replace").splitlines():
        fields = line.split(" ")
        if len(fields) >= 2 and len(fields[1]) >= 40:
            out.append(fields[1])
    return out


def new_secret():
    return base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()


def sqlite_checks(path):
    """(PRAGMA integrity_check rows, PRAGMA foreign_key_check rows) of a SQLite file."""
    con = sqlite3.connect(path, timeout=10)
    try:
        integrity = [r[0] for r in con.execute("PRAGMA integrity_check")]
        foreign = con.execute("PRAGMA foreign_key_check").fetchall()
        return integrity, foreign
    finally:
        con.close()


def run(cmd, timeout=30):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)


def mounted(path):
    path = os.path.realpath(path)
    with open("/proc/self/mounts") as f:
        return any(line.split()[1] == path for line in f if len(line.split()) > 1)


def api(srv, key, method, path, body=None, conn=None):
    """One API call with the company's key; on `conn` (keep-alive) if given.
    Every token in the answer becomes a secret the logs must not hold."""
    hdrs = [("apiKey", key)]
    if conn is None:
        return srv.request(method, path, hdrs, body)
    resp = harness.request_on(conn, method, path, hdrs, body)
    srv.note_tokens(resp.body)
    return resp


def json_error_problem(resp, status=503):
    """'' if resp is `status` with a JSON body of exactly one non-empty string
    'error', else what is wrong."""
    if resp.status != status:
        return "status %s, want %s" % (resp.status, status)
    if resp.content_type != "application/json":
        return "Content-Type %r, want application/json" % resp.headers.get("content-type")
    try:
        data = resp.json()
    except ValueError:
        return "body is not JSON"
    if not isinstance(data, dict) or list(data) != ["error"] or not isinstance(data["error"], str) \
            or not data["error"].strip():
        return "body is not {\"error\": \"...\"}"
    if re.search(r"sqlite|postgres|select |insert |update |errno|stack", data["error"].lower()):
        return "error body leaks internals"
    return ""


# --------------------------------------------------------------------------
# A stream of writes, every acknowledged one kept
# --------------------------------------------------------------------------

class WriteLoad:
    """`threads` client threads, each on its own keep-alive connection, in a
    loop: PUT a new report (an id of its own), then share it. Every write
    answered 2xx is kept (acked_puts: id -> report sent; acked_shares: (id,
    link_id, token)). Statuses outside `allowed` go to `bad`; 503s must be
    JSON errors. An exception (no answer) goes to `errors` with its time and
    stops that thread if stop_on_error, else it reconnects."""

    def __init__(self, srv, key, threads=3, first_id=100000, allowed=(200, 201), stop_on_error=True):
        self.srv, self.key = srv, key
        self.first_id, self.allowed, self.stop_on_error = first_id, set(allowed), stop_on_error
        self.n_threads = threads
        self.acked_puts = {}
        self.acked_shares = []
        self.statuses = collections.Counter()
        self.bad = []
        self.errors = []
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.threads = []

    def start(self):
        self.threads = [threading.Thread(target=self._run, args=(n,), daemon=True)
                        for n in range(self.n_threads)]
        for t in self.threads:
            t.start()
        return self

    def stop(self, timeout=30):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=timeout)
        return not any(t.is_alive() for t in self.threads)

    def acked(self):
        with self.lock:
            return len(self.acked_puts) + len(self.acked_shares)

    def count(self, kind, status):
        with self.lock:
            return self.statuses[(kind, status)]

    def _record(self, kind, resp):
        with self.lock:
            self.statuses[(kind, resp.status)] += 1
            if resp.status not in self.allowed:
                self.bad.append("%s: %s" % (kind, resp.describe(300)))
            elif resp.status == 503:
                problem = json_error_problem(resp)
                if problem:
                    self.bad.append("%s 503: %s: %s" % (kind, problem, resp.describe(300)))

    def _run(self, n):
        conn = None
        i = 0
        try:
            while not self.stop_event.is_set():
                rid = self.first_id + n * 1000000 + i
                i += 1
                rep = make_report(rid, name="Load %d-%d" % (n, i))
                try:
                    if conn is None:
                        conn = harness.http_connection(self.srv.port, timeout=10)
                    put = api(self.srv, self.key, "PUT", "/assessments/report/%d" % rid, rep, conn)
                    self._record("PUT", put)
                    if put.status == 201:
                        with self.lock:
                            self.acked_puts[rid] = rep
                    elif put.status == 200:
                        with self.lock:
                            self.bad.append("PUT of a new id answered 200 (replaced?): %s" % put.describe(200))
                    if put.status not in (200, 201):
                        time.sleep(0.02)
                        continue
                    share = api(self.srv, self.key, "POST", "/assessments/reports/%d/share" % rid,
                                {"expiration_hours": 2}, conn)
                    self._record("share", share)
                    if share.status == 200:
                        data = share.json()
                        with self.lock:
                            self.acked_shares.append((rid, data["link_id"], token_of(data["signed_url"])))
                    else:
                        time.sleep(0.02)
                except Exception as e:  # noqa: BLE001 (no answer: recorded, then judged by the test)
                    with self.lock:
                        self.errors.append((time.monotonic(), "%s: %s" % (type(e).__name__, e)))
                    if conn is not None:
                        conn.close()
                        conn = None
                    if self.stop_on_error:
                        return
                    time.sleep(0.05)
        finally:
            if conn is not None:
                conn.close()


def verify_acknowledged(test, srv, key, acked_puts, acked_shares, threads=3):
    """Every acknowledged PUT is returned by GET with the same content; every
    acknowledged share is listed by its report's links and opens (200).
    Returns {link_id: views listed}."""
    by_report = collections.defaultdict(list)
    for rid, link_id, tok in acked_shares:
        by_report[rid].append((link_id, tok))
    rids = sorted(set(acked_puts) | set(by_report))
    problems, views = [], {}
    lock = threading.Lock()
    queue = list(rids)

    def worker():
        conn = harness.http_connection(srv.port, timeout=10)
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    rid = queue.pop()
                found = []
                if rid in acked_puts:
                    got = api(srv, key, "GET", "/assessments/report/%d" % rid, None, conn)
                    if got.status != 200:
                        found.append("GET report %d (acknowledged): %s" % (rid, got.describe(200)))
                    else:
                        diff = report_diff(acked_puts[rid], got.json())
                        if diff:
                            found.append("GET report %d differs from the acknowledged PUT: %s" % (rid, diff))
                if rid in by_report:
                    lst = api(srv, key, "GET", "/assessments/reports/%d/links" % rid, None, conn)
                    if lst.status != 200:
                        found.append("links of %d: %s" % (rid, lst.describe(200)))
                        listed = {}
                    else:
                        listed = {l["link_id"]: l["views"] for l in lst.json()["links"]}
                    for link_id, tok in by_report[rid]:
                        if link_id not in listed:
                            found.append("acknowledged link %s of report %d is not listed" % (link_id, rid))
                        page = harness.request_on(conn, "GET", SHARED_PREFIX + tok)
                        if page.status != 200:
                            found.append("acknowledged link %s of report %d: open %s"
                                         % (link_id, rid, page.describe(150)))
                        with lock:
                            views[link_id] = listed.get(link_id)
                with lock:
                    problems.extend(found)
        finally:
            conn.close()

    ts = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=120)
    test.assertFalse(any(t.is_alive() for t in ts), "verification threads hung")
    test.assertEqual(problems[:20], [], "%d problem(s) with acknowledged writes (of %d PUTs, %d shares)"
                     % (len(problems), len(acked_puts), len(acked_shares)))
    return views


# --------------------------------------------------------------------------
# The base: servers, mounts, flags -- all undone
# --------------------------------------------------------------------------

FS_IOC_GETFLAGS = 0x80086601
FS_IOC_SETFLAGS = 0x40086602
FS_IMMUTABLE_FL = 0x00000010


def set_immutable(path, on):
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        buf = array.array("l", [0])
        fcntl.ioctl(fd, FS_IOC_GETFLAGS, buf, True)
        buf[0] = (buf[0] | FS_IMMUTABLE_FL) if on else (buf[0] & ~FS_IMMUTABLE_FL)
        fcntl.ioctl(fd, FS_IOC_SETFLAGS, buf, True)
    finally:
        os.close(fd)


class FaultCase(unittest.TestCase):
    """A temp dir per test (self.tmp); the servers it starts (self.servers):
    each must be alive at the end unless killed on purpose, exit 0 on SIGTERM,
    and have no API key, link token or signing secret in its logs."""

    maxDiff = 4000

    def setUp(self):
        harness.check_binary()
        self.tmp = tempfile.mkdtemp(prefix="rs-faults-")
        os.chmod(self.tmp, 0o755)
        self.servers = []
        self.addCleanup(self._remove_tmp)

    def _remove_tmp(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
        harness.release_database(self.tmp)

    def tearDown(self):
        for srv in self.servers:
            # The harness's log audit reads each server's key file when it
            # stops: a FIFO a failed test left there would block that read.
            p = srv.signing_keys_path
            if p and os.path.lexists(p) and stat.S_ISFIFO(os.lstat(p).st_mode):
                os.unlink(p)
        try:
            for srv in self.servers:
                if srv.proc is None:
                    continue
                alive = srv.alive()
                code = srv.stop(timeout=15)
                if alive:
                    self.assertEqual(code, 0, "server exit code on SIGTERM; its stderr ends:\n"
                                     + srv.stderr()[-4000:])
                leaked = srv.leaked_secrets()
                self.assertEqual(leaked, [], "secrets in the server's logs:\n"
                                 + harness.describe_leaks(srv.all_logs(), leaked))
                self.assertNotRegex(srv.all_logs(), SANITIZER_RE, "a sanitizer report or crash in the logs")
        finally:
            for srv in self.servers:
                srv.kill()

    # -- servers -------------------------------------------------------------
    def new_server(self, db=None, signing_keys=None):
        srv = Server(self.tmp, db=db, signing_keys=signing_keys)
        self.servers.append(srv)
        self.addCleanup(srv.kill)
        return srv

    def key_for(self, srv, company=COMPANY):
        key, _ = harness.create_key(srv.db, company)
        srv.secrets.add(key)
        return key

    def note_signing_secrets(self, srv, path=None):
        with open(path or srv.signing_keys_path, "rb") as f:
            srv.secrets.update(key_secrets(f.read()))

    def put(self, srv, key, rid, report=None, want=201):
        report = report or make_report(rid, name="Candidate %d" % rid)
        resp = api(srv, key, "PUT", "/assessments/report/%d" % rid, report)
        self.assertEqual(resp.status, want, "PUT %d: %s" % (rid, resp))
        return report

    def share(self, srv, key, rid):
        resp = api(srv, key, "POST", "/assessments/reports/%d/share" % rid, {"expiration_hours": 2})
        self.assertEqual(resp.status, 200, "share %d: %s" % (rid, resp))
        data = resp.json()
        return data["link_id"], token_of(data["signed_url"])

    def open_link(self, srv, token, accept=None):
        return srv.request("GET", SHARED_PREFIX + token, {"Accept": accept} if accept else None)

    def assertJson503(self, resp, what):
        problem = json_error_problem(resp)
        self.assertEqual(problem, "", "%s: want a 503 JSON error: %s" % (what, resp))

    def assertAlive(self, srv, pid=None):
        self.assertTrue(srv.alive(), "the server died:\n" + srv.stderr()[-4000:])
        if pid is not None:
            self.assertEqual(srv.proc.pid, pid, "the server was restarted")

    def assertSqliteIntact(self, path):
        integrity, foreign = sqlite_checks(path)
        self.assertEqual(integrity, ["ok"], "PRAGMA integrity_check of %s" % path)
        self.assertEqual(foreign, [], "PRAGMA foreign_key_check of %s" % path)

    # -- mounts --------------------------------------------------------------
    def mount_tmpfs(self, path, size="16m"):
        os.makedirs(path, exist_ok=True)
        proc = run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755" % size, "tmpfs", path])
        if proc.returncode != 0:
            self.fail("cannot mount a %s tmpfs on %s (the fault tests need root; CI runs them as root): "
                      "uid %d, mount exit %d: %s" % (size, path, os.geteuid(), proc.returncode,
                                                     proc.stderr.decode("utf-8", "replace").strip()))
        self.addCleanup(self.unmount, path)
        return path

    def remount(self, path, mode):
        proc = run(["mount", "-o", "remount,%s" % mode, path])
        if proc.returncode != 0:
            self.fail("mount -o remount,%s %s failed (exit %d): %s" % (
                mode, path, proc.returncode, proc.stderr.decode("utf-8", "replace").strip()))

    def unmount(self, path):
        for srv in self.servers:   # nothing may hold the mount
            srv.kill()
        for attempt in range(10):
            if not mounted(path):
                return
            if run(["umount", path]).returncode == 0:
                return
            time.sleep(0.2)
        run(["umount", "-l", path])

    def make_immutable(self, *paths):
        for p in paths:
            self.addCleanup(self._clear_immutable, p)
            set_immutable(p, True)

    def _clear_immutable(self, path):
        try:
            set_immutable(path, False)
        except OSError:
            pass

    def require_immutable_enforced(self, directory):
        """FS_IMMUTABLE_FL must refuse writes on a descriptor opened before
        (ext4, xfs, btrfs do; tmpfs does not)."""
        probe = os.path.join(directory, "immutable-probe")
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            try:
                set_immutable(probe, True)
            except OSError as e:
                self.fail("cannot set FS_IMMUTABLE_FL on %s: %s (the test needs root and a file system "
                          "with the flag: ext4, xfs, btrfs; set TMPDIR)" % (probe, e))
            try:
                os.write(fd, b"x")
                refused = False
            except PermissionError:
                refused = True
            set_immutable(probe, False)
            if not refused:
                self.fail("the file system of %s takes writes to an immutable file on an open descriptor "
                          "(tmpfs?): the read-only fault cannot be made there; set TMPDIR to ext4/xfs/btrfs"
                          % directory)
        finally:
            os.close(fd)
            os.unlink(probe)


# --------------------------------------------------------------------------
# 1. kill -9 in the middle of a stream of writes (both backends)
# --------------------------------------------------------------------------

class KillNineTest(FaultCase):

    def test_sigkill_mid_stream_then_restart_loses_nothing_acknowledged(self):
        srv = self.new_server()
        key = self.key_for(srv)
        srv.start()
        self.note_signing_secrets(srv)
        load = WriteLoad(srv, key, threads=3).start()
        started = time.monotonic()
        enough = wait_until(lambda: load.acked() >= 400 and time.monotonic() - started >= 1.0,
                            timeout=30, step=0.05)
        acked_before_kill = load.acked()
        pid = srv.proc.pid
        # The writers are mid-request: SIGKILL now.
        os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        try:
            code = srv.proc.wait(timeout=10)
        finally:
            self.assertTrue(load.stop(timeout=30), "writer threads hung after the kill")
        srv.kill()
        srv._join_pumps()   # the dead process's pipes: read to the end, closed
        self.assertTrue(enough, "only %d writes acknowledged in %.1fs (statuses %r, errors %r)"
                        % (acked_before_kill, time.monotonic() - started, dict(load.statuses), load.errors[:3]))
        self.assertEqual(code, -signal.SIGKILL, "the server's exit status after SIGKILL")
        self.assertEqual(load.bad, [], "writes answered outside 2xx before the kill")
        early = [e for t, e in load.errors if t < killed_at]
        self.assertEqual(early, [], "requests that got no answer before the kill")
        self.assertGreaterEqual(len(load.acked_puts), 150, dict(load.statuses))
        self.assertGreaterEqual(len(load.acked_shares), 150, dict(load.statuses))

        srv.start()   # the same database and key file
        if srv.db_path:
            self.assertSqliteIntact(srv.db_path)
        else:
            count = int(harness.psql(srv.db, "SELECT count(*) FROM reports").strip())
            self.assertGreaterEqual(count, len(load.acked_puts), "reports in PostgreSQL after the kill")
        verify_acknowledged(self, srv, key, load.acked_puts, load.acked_shares)
        # and it takes writes again
        self.put(srv, key, 99)
        self.share(srv, key, 99)
        self.assertAlive(srv)


# --------------------------------------------------------------------------
# 2. Disk full (SQLite)
# --------------------------------------------------------------------------

def fill_up(path):
    """Writes `path` until the file system has no byte left; returns its size."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    total = 0
    try:
        for size in (1 << 20, 64 << 10, 4096, 512, 1):
            block = b"\xa5" * size
            while True:
                try:
                    n = os.write(fd, block)
                except OSError as e:
                    if e.errno in (errno.ENOSPC, errno.EDQUOT):
                        break
                    raise
                total += n
                if n < size:
                    break
    finally:
        os.close(fd)
    return total


class DiskFullTest(FaultCase):

    def test_full_disk_writes_503_reads_work_then_recovers_without_restart(self):
        disk = self.mount_tmpfs(os.path.join(self.tmp, "disk"), "16m")
        db_path = os.path.join(disk, "rs.db")
        srv = self.new_server(db="sqlite:" + db_path)
        key = self.key_for(srv)
        srv.start()
        self.note_signing_secrets(srv)
        pid = srv.proc.pid

        acked_puts, acked_shares = {}, []
        for rid in range(1, 7):
            acked_puts[rid] = self.put(srv, key, rid)
        for rid in (1, 2, 3):
            link_id, tok = self.share(srv, key, rid)
            acked_shares.append((rid, link_id, tok))
        fetched = api(srv, key, "GET", "/assessments/report/1")   # report 1's report_link: fetched before
        self.assertEqual(fetched.status, 200, fetched)
        report_link_1 = fetched.json()["report_link"]
        opens = collections.Counter()

        filler = os.path.join(disk, "filler")
        filled = fill_up(filler)
        self.addCleanup(lambda: os.path.exists(filler) and os.unlink(filler))
        st = os.statvfs(disk)
        self.assertEqual(st.f_bavail, 0, "the tmpfs still has room after a %d-byte filler" % filled)

        # Writes until the WAL cannot grow: each answered 2xx (then kept) or 503 JSON.
        failed = collections.Counter()
        statuses = collections.Counter()
        rid = 1000
        for i in range(400):
            rid += 1
            rep = make_report(rid, name="Full %d" % rid, sections=20)
            resp = api(srv, key, "PUT", "/assessments/report/%d" % rid, rep)
            statuses[("PUT", resp.status)] += 1
            if resp.status == 201:
                acked_puts[rid] = rep
            else:
                self.assertJson503(resp, "PUT on a full disk")
                failed["PUT"] += 1
            target = 1 + i % 6
            resp = api(srv, key, "POST", "/assessments/reports/%d/share" % target, {"expiration_hours": 2})
            statuses[("share", resp.status)] += 1
            if resp.status == 200:
                acked_shares.append((target, resp.json()["link_id"], token_of(resp.json()["signed_url"])))
            else:
                self.assertJson503(resp, "share on a full disk")
                failed["share"] += 1
            if failed["PUT"] >= 3 and failed["share"] >= 3:
                break
        self.assertGreaterEqual(failed["PUT"], 3, "PUTs never failed on a full disk: %r" % dict(statuses))
        self.assertGreaterEqual(failed["share"], 3, "shares never failed on a full disk: %r" % dict(statuses))
        self.assertAlive(srv, pid)

        # Still full: a replacement and a revocation answer cleanly too.
        for rid2 in (4, 5):
            rep = make_report(rid2, name="Replaced %d" % rid2, sections=20)
            resp = api(srv, key, "PUT", "/assessments/report/%d" % rid2, rep)
            if resp.status == 200:
                acked_puts[rid2] = rep
            else:
                self.assertJson503(resp, "replacing PUT on a full disk")
        resp = api(srv, key, "DELETE", "/assessments/reports/1/links/" + acked_shares[0][1])
        self.assertIn(resp.status, (200, 503), resp)
        if resp.status == 503:
            self.assertJson503(resp, "revoke on a full disk")
        else:
            acked_shares.pop(0)   # revoked: no longer expected to open

        # Reads keep working.
        for r in sorted(r for r in acked_puts if r <= 6):
            got = api(srv, key, "GET", "/assessments/report/%d" % r)
            self.assertEqual(got.status, 200, "GET report %d on a full disk: %s" % (r, got))
            self.assertEqual(report_diff(acked_puts[r], got.json()), "")
            self.assertIn("report_link", got.json(), got)
            if r == 1:
                self.assertEqual(got.json()["report_link"], report_link_1, "report_link changed")
        for r, link_id, tok in acked_shares[:3]:
            page = self.open_link(srv, tok)
            self.assertEqual(page.status, 200, "opening an existing link on a full disk: %s" % page)
            self.assertEqual(page.content_type, "text/html", page)
            opens[link_id] += 1
        page = self.open_link(srv, token_of(report_link_1))
        self.assertEqual(page.status, 200, "report 1's report_link on a full disk: %s" % page)
        listed = api(srv, key, "GET", "/assessments/reports/2/links")
        self.assertEqual(listed.status, 200, "the links list (a read) on a full disk: %s" % listed)
        health = srv.request("GET", "/healthz")
        self.assertEqual(health.status, 200, health)
        self.assertAlive(srv, pid)

        # Room again: the same process takes writes.
        os.unlink(filler)
        next_id = iter(range(9000, 10000))
        recovered = []

        def a_put_succeeds():
            r = next(next_id)
            rep = make_report(r, name="Recovered %d" % r)
            resp = api(srv, key, "PUT", "/assessments/report/%d" % r, rep)
            if resp.status == 201:
                acked_puts[r] = rep
                recovered.append(r)
                return True
            self.assertJson503(resp, "PUT after freeing space")
            return False

        self.assertTrue(wait_until(a_put_succeeds, timeout=10, step=0.2),
                        "no PUT succeeded within 10 s of freeing the disk:\n" + srv.stderr()[-3000:])
        link_id, tok = self.share(srv, key, recovered[0])
        acked_shares.append((recovered[0], link_id, tok))
        self.assertAlive(srv, pid)

        verify_acknowledged(self, srv, key, acked_puts, acked_shares)
        for _, link_id, _ in acked_shares[:3]:
            opens[link_id] += 1   # verify_acknowledged opened each once more

        # The views taken while the disk was full were queued, not lost.
        def views_listed():
            got = {}
            for r in sorted({r for r, _, _ in acked_shares[:3]}):
                lst = api(srv, key, "GET", "/assessments/reports/%d/links" % r).json()["links"]
                got.update({l["link_id"]: l["views"] for l in lst})
            return {l: got.get(l) for l in opens}

        self.assertTrue(wait_until(lambda: views_listed() == dict(opens), timeout=5, step=0.25),
                        "views of links opened on the full disk: listed %r, opened %r"
                        % (views_listed(), dict(opens)))
        self.assertSqliteIntact(db_path)
        self.assertAlive(srv, pid)


# --------------------------------------------------------------------------
# 3. Read-only database (SQLite)
# --------------------------------------------------------------------------

class ReadOnlyTest(FaultCase):

    def test_database_unwritable_while_serving_reads_work_writes_503_then_recover(self):
        base = os.path.join(self.tmp, "ro")
        os.makedirs(base)
        self.require_immutable_enforced(base)
        db_path = os.path.join(base, "rs.db")
        srv = self.new_server(db="sqlite:" + db_path)
        key = self.key_for(srv)
        srv.start()
        self.note_signing_secrets(srv)
        pid = srv.proc.pid
        reports = {rid: self.put(srv, key, rid) for rid in (318, 319, 320)}
        link_id, tok = self.share(srv, key, 318)
        got = api(srv, key, "GET", "/assessments/report/318")
        self.assertEqual(got.status, 200, got)
        report_link_318 = got.json()["report_link"]
        self.assertEqual(self.open_link(srv, tok).status, 200)
        opens = 1
        for suffix in ("", "-wal"):
            self.assertTrue(os.path.exists(db_path + suffix), "no %s%s" % (db_path, suffix))

        self.make_immutable(db_path, db_path + "-wal")
        # Writes: 503 JSON, every one.
        for what, method, path, body in (
                ("PUT new", "PUT", "/assessments/report/321", make_report(321)),
                ("PUT replace", "PUT", "/assessments/report/319", make_report(319, name="Changed")),
                ("share", "POST", "/assessments/reports/318/share", None),
                ("revoke", "DELETE", "/assessments/reports/318/links/" + link_id, None),
                ("revoke all", "DELETE", "/assessments/reports/318/links", None)):
            self.assertJson503(api(srv, key, method, path, body), "%s on a read-only database" % what)
        # Reads: 200, report_link included -- also for 319 and 320, whose
        # report_link no GET asked for before.
        for rid in (318, 319, 320):
            got = api(srv, key, "GET", "/assessments/report/%d" % rid)
            self.assertEqual(got.status, 200, "GET report %d on a read-only database: %s" % (rid, got))
            self.assertEqual(report_diff(reports[rid], got.json()), "")
            self.assertRegex(got.json().get("report_link", ""), re.escape(SHARED_PREFIX),
                             "report %d without report_link: %s" % (rid, got))
            if rid == 318:
                self.assertEqual(got.json()["report_link"], report_link_318)
        for _ in range(2):
            page = self.open_link(srv, tok)
            self.assertEqual(page.status, 200, "an existing link on a read-only database: %s" % page)
            opens += 1
        self.assertEqual(self.open_link(srv, token_of(report_link_318)).status, 200,
                         "report 318's report_link (stored before) on a read-only database")
        listed = api(srv, key, "GET", "/assessments/reports/318/links")
        self.assertEqual(listed.status, 200, "the links list (a read) on a read-only database: %s" % listed)
        self.assertIn(link_id, [l["link_id"] for l in listed.json()["links"]])
        # 319's report_link has no row yet (its GET could not store it): its
        # first open stores it, so a clean 503 is all it may answer now.
        first_open = self.open_link(srv, token_of(api(srv, key, "GET", "/assessments/report/319")
                                                  .json()["report_link"]))
        self.assertIn(first_open.status, (200, 503), "first open of a report_link on a read-only database: %s"
                      % first_open)
        self.assertEqual(srv.request("GET", "/healthz").status, 200)
        self.assertAlive(srv, pid)

        # Writable again: writes work without a restart.
        for p in (db_path, db_path + "-wal"):
            set_immutable(p, False)
        rep = make_report(321)
        self.assertTrue(wait_until(lambda: api(srv, key, "PUT", "/assessments/report/321", rep).status
                                   in (200, 201), timeout=10, step=0.2),
                        "no PUT succeeded within 10 s of the database becoming writable")
        reports[321] = rep
        new_link, new_tok = self.share(srv, key, 321)
        verify_acknowledged(self, srv, key, reports, [(318, link_id, tok), (321, new_link, new_tok)])
        opens += 1
        self.assertTrue(wait_until(lambda: {l["link_id"]: l["views"] for l in api(
            srv, key, "GET", "/assessments/reports/318/links").json()["links"]}.get(link_id) == opens,
            timeout=5, step=0.25), "views taken on the read-only database were lost (opened %d times): %r"
            % (opens, api(srv, key, "GET", "/assessments/reports/318/links").json()))
        self.assertSqliteIntact(db_path)
        self.assertAlive(srv, pid)

    def test_start_on_a_read_only_mount(self):
        disk = self.mount_tmpfs(os.path.join(self.tmp, "rom"), "16m")
        db = "sqlite:" + os.path.join(disk, "rs.db")
        srv = self.new_server(db=db)
        key = self.key_for(srv)
        srv.start()
        self.note_signing_secrets(srv)
        report = self.put(srv, key, 318)
        link_id, tok = self.share(srv, key, 318)
        self.assertEqual(srv.stop(), 0)
        self.remount(disk, "ro")
        self.addCleanup(lambda: mounted(disk) and run(["mount", "-o", "remount,rw", disk]))

        args = [harness.BIN, "serve", "--listen", "127.0.0.1:0", "--db", db, "--rate-limit", "0"]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                env=harness.clean_env(), cwd=self.tmp)
        try:
            out, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired as e:
            proc.kill()
            out, err = proc.communicate()
            if not harness.LISTEN_RE.search((e.stderr or b"").decode("utf-8", "replace")):
                self.fail("serve on a read-only mount neither started nor exited within 5 s (a hang):\n%r" % err)
            # It serves read-only (not today's binary): reads 200, writes 503 JSON.
            srv.start()
            self.assertEqual(api(srv, key, "GET", "/assessments/report/318").status, 200)
            self.assertEqual(self.open_link(srv, tok).status, 200)
            self.assertJson503(api(srv, key, "PUT", "/assessments/report/319", make_report(319)),
                               "PUT on a read-only mount")
            self.assertEqual(srv.stop(), 0)
        else:
            # It refuses: one plain line naming the database, exit 1, no crash.
            text = err.decode("utf-8", "replace")
            self.assertGreater(proc.returncode, 0, "serve on a read-only mount: exit %r (a signal?)\n%s"
                               % (proc.returncode, text))
            self.assertNotRegex(text, SANITIZER_RE)
            lines = plain_lines(text)
            self.assertEqual(len(lines), 1, "want one plain error line, got %r" % lines)
            self.assertRegex(lines[0], r"^reportshare: error: .*" + re.escape(disk), lines)
            self.assertNotIn(key, text + out.decode("utf-8", "replace"))

        self.remount(disk, "rw")
        srv.start()
        got = api(srv, key, "GET", "/assessments/report/318")
        self.assertEqual(got.status, 200, got)
        self.assertEqual(report_diff(report, got.json()), "")
        self.assertEqual(self.open_link(srv, tok).status, 200)
        self.put(srv, key, 319)


# --------------------------------------------------------------------------
# 5. The signing key file
# --------------------------------------------------------------------------

def remove_any(path):
    if os.path.islink(path) or (os.path.exists(path) and not os.path.isdir(path)):
        os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path)


def write_file(path, data, mode=0o600):
    remove_any(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.chmod(path, mode)


def replace_file(path, data, mode=0o600, size=None):
    """Writes a new file beside `path` and renames it over (a new inode)."""
    tmp = path + ".new"
    remove_any(tmp)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(fd, data)
        if size is not None:
            os.ftruncate(fd, size)
    finally:
        os.close(fd)
    os.chmod(tmp, mode)
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    os.rename(tmp, path)


def snapshot(path):
    """What is at `path` and beside it under its name (a regenerated key or a
    leftover temporary file would show)."""
    directory, name = os.path.split(path)
    out = {}
    for entry in sorted(os.listdir(directory)):
        if not entry.startswith(name):
            continue
        p = os.path.join(directory, entry)
        st = os.lstat(p)
        item = [stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_size, st.st_mtime_ns]
        if stat.S_ISREG(st.st_mode) and st.st_size <= (1 << 20):
            with open(p, "rb") as f:
                item.append(hashlib.sha256(f.read()).hexdigest())
        elif stat.S_ISLNK(st.st_mode):
            item.append(os.readlink(p))
        elif stat.S_ISDIR(st.st_mode):
            item.append(sorted(os.listdir(p)))
        out[entry] = item
    return out


# Each fault: (name, apply(path, good bytes), what the one error line must say).
def _garbage(p, good):
    write_file(p, b"this is not a signing key file\n")


def _binary(p, good):
    write_file(p, b"\x00\xff\xfe\x01" * 256 + os.urandom(256))


def _truncated_mid_line(p, good):
    write_file(p, good[:-10])   # the active line cut short


def _truncated_to_first_line(p, good):
    write_file(p, good.split(b"\n")[0] + b"\n")


def _empty(p, good):
    write_file(p, b"")


def _world_readable(p, good):
    write_file(p, good, 0o644)


def _group_readable(p, good):
    write_file(p, good, 0o640)


def _directory(p, good):
    remove_any(p)
    os.mkdir(p, 0o700)


def _fifo(p, good):
    remove_any(p)
    os.mkfifo(p, 0o600)


def _device(p, good):
    remove_any(p)
    os.symlink("/dev/zero", p)


def _dangling_symlink(p, good):
    remove_any(p)
    os.symlink(p + ".gone", p)


def _sparse_2g(p, good):
    write_file(p, good)
    os.truncate(p, 2 << 30)   # truncate -s 2G: sparse, nothing written


def _other_owner(p, good):
    write_file(p, good)
    os.chown(p, 65534, 65534)


def _duplicate_ids(p, good):
    write_file(p, ("1 %s active\n1 %s\n" % (new_secret(), new_secret())).encode())


def _short_secret(p, good):
    write_file(p, b"1 c2hvcnQ active\n")


def _crlf(p, good):
    write_file(p, good.replace(b"\n", b"\r\n"))


START_FAULTS = [
    ("garbage text", _garbage, r"is invalid: key file line 1"),
    ("binary garbage", _binary, r"is invalid"),
    ("truncated mid-line", _truncated_mid_line, r"is invalid: .*newline"),
    ("truncated to its first line", _truncated_to_first_line, r"is invalid: .*no key active"),
    ("empty", _empty, r"is invalid: .*empty"),
    ("world-readable 0644", _world_readable, r"readable by group or others; run: chmod 600"),
    ("group-readable 0640", _group_readable, r"readable by group or others; run: chmod 600"),
    ("a directory", _directory, r"is not a regular file"),
    ("a FIFO", _fifo, r"is not a regular file"),
    ("a symlink to /dev/zero", _device, r"is not a regular file"),
    ("a dangling symlink", _dangling_symlink, r"is missing"),
    ("a 2 GB sparse file", _sparse_2g, r"larger than 1 MiB"),
    ("owned by another user", _other_owner, r"belongs to another user"),
    ("a key id twice", _duplicate_ids, r"is invalid: .*more than once"),
    ("a short secret", _short_secret, r"is invalid: .*32 bytes"),
    ("CRLF line ends", _crlf, r"is invalid"),
]
FRESH_FAULTS = ("garbage text", "empty", "world-readable 0644", "a directory", "a FIFO", "a 2 GB sparse file")


class KeyFileStartTest(FaultCase):

    def serve_must_refuse(self, db, keyfile, cwd, why):
        """Runs serve; it must exit non-zero (not by a signal) within 10 s with
        one plain line on stderr, and leave the key file as it was. Returns
        (that line, seconds)."""
        before = snapshot(keyfile)
        args = [harness.BIN, "serve", "--listen", "127.0.0.1:0", "--db", db]
        if harness.is_postgres_url(db):
            args += ["--signing-keys", keyfile]
        start = time.monotonic()
        try:
            proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                  timeout=10, env=harness.clean_env(), cwd=cwd)
        except subprocess.TimeoutExpired as e:
            err = (e.stderr or b"").decode("utf-8", "replace")
            self.fail("serve with a signing key file that is %s did not exit within 10 s (%s)\n%s"
                      % (why, "it STARTED" if "listening on" in err else "a hang", err[-2000:]))
        elapsed = time.monotonic() - start
        err = proc.stderr.decode("utf-8", "replace")
        self.assertNotEqual(proc.returncode, 0, "serve started with a key file that is %s:\n%s" % (why, err))
        self.assertGreater(proc.returncode, 0, "serve with a key file that is %s ended by signal %d:\n%s"
                           % (why, -proc.returncode, err))
        self.assertNotRegex(err, SANITIZER_RE, why)
        lines = plain_lines(err)
        self.assertEqual(len(lines), 1, "key file %s: want exactly one plain error line, got %r" % (why, lines))
        self.assertTrue(lines[0].startswith("reportshare: error: "), lines[0])
        self.assertIn(keyfile, lines[0], "the error line must name the file")
        self.assertEqual(snapshot(keyfile), before, "the key file (or a file beside it) changed: %s" % why)
        return lines[0], elapsed

    def test_corrupt_key_file_refused_at_start_never_replaced(self):
        srv = self.new_server()
        key = self.key_for(srv)
        srv.start()
        self.put(srv, key, 318)
        _, tok = self.share(srv, key, 318)
        self.assertEqual(srv.stop(), 0)
        rotated = harness.run_cli(["keys", "rotate-signing", "--db", srv.db]
                                  + (["--signing-keys", srv.signing_keys_path] if srv.db_path is None else []))
        self.assertEqual(rotated.returncode, 0, harness.cli_describe(rotated))
        keyfile = srv.signing_keys_path
        with open(keyfile, "rb") as f:
            good = f.read()
        srv.secrets.update(key_secrets(good))
        self.assertEqual(len(good.splitlines()), 2, "rotate-signing left %r lines" % len(good.splitlines()))
        self.assertTrue(good.splitlines()[1].endswith(b" active"), "key 2 should be the active one")
        secrets = key_secrets(good)
        try:
            for name, apply, want in START_FAULTS:
                with self.subTest(fault=name):
                    write_file(keyfile, good)
                    apply(keyfile, good)
                    line, elapsed = self.serve_must_refuse(srv.db, keyfile, self.tmp, name)
                    self.assertRegex(line, want, "the error for a key file that is %s" % name)
                    for s in secrets:
                        self.assertNotIn(s, line)
                    self.assertLess(elapsed, 1.0 if "sparse" in name else 5.0,
                                    "refusing a key file that is %s took %.2fs" % (name, elapsed))
        finally:
            write_file(keyfile, good)
        srv.start()   # the good file again: the link of before opens
        self.assertEqual(self.open_link(srv, tok).status, 200)

    def test_corrupt_key_file_on_a_fresh_database_is_not_replaced(self):
        good = ("1 %s active\n" % new_secret()).encode()
        faults = {name: (apply, want) for name, apply, want in START_FAULTS}
        for name in FRESH_FAULTS:
            apply, want = faults[name]
            with self.subTest(fault=name):
                sub = tempfile.mkdtemp(prefix="fresh-", dir=self.tmp)
                self.addCleanup(harness.release_database, sub)
                db = harness.database_for(sub)
                keyfile = harness.signing_keys_for(db)
                apply(keyfile, good)
                line, elapsed = self.serve_must_refuse(db, keyfile, sub, name + " (fresh database)")
                self.assertRegex(line, want)
                self.assertLess(elapsed, 1.0 if "sparse" in name else 5.0, "%s: %.2fs" % (name, elapsed))
                remove_any(keyfile)


class KeyFileRuntimeTest(FaultCase):

    def warnings(self, srv):
        return [r for r in log_records(srv.stderr())
                if r.get("msg") == "keeping the current signing keys" and r.get("level") == "warning"]

    def reloads(self, srv):
        return [r for r in log_records(srv.stderr()) if r.get("msg") == "reloaded signing keys"]

    def still_serving(self, srv, key, tokens, what):
        for tok in tokens:
            page = self.open_link(srv, tok)
            self.assertEqual(page.status, 200, "an existing link after the key file became %s: %s" % (what, page))
        link_id, tok = self.share(srv, key, 318)
        self.assertEqual(self.open_link(srv, tok).status, 200, "a new link after the key file became %s" % what)
        self.assertAlive(srv)
        return tok

    def test_key_file_corrupted_at_run_time_old_keys_serve_good_file_picked_up(self):
        srv = self.new_server()
        key = self.key_for(srv)
        srv.start()
        keyfile = srv.signing_keys_path
        with open(keyfile, "rb") as f:
            good = f.read()
        srv.secrets.update(key_secrets(good))
        pid = srv.proc.pid
        self.put(srv, key, 318)
        _, tok = self.share(srv, key, 318)
        report_link = api(srv, key, "GET", "/assessments/report/318").json()["report_link"]
        tokens = [tok, token_of(report_link)]

        def sparse(p):
            replace_file(p, good, size=2 << 30)

        def directory(p):
            os.unlink(p)
            os.mkdir(p, 0o700)

        def fifo(p):
            remove_any(p)
            os.mkfifo(p, 0o600)

        faults = [
            ("replaced by garbage", lambda p: replace_file(p, b"garbage\n"), r"is invalid"),
            ("truncated in place", lambda p: os.truncate(p, 10), r"is invalid"),
            ("emptied in place", lambda p: os.truncate(p, 0), r"empty"),
            ("world-readable", lambda p: replace_file(p, good, 0o644), r"readable by group or others"),
            ("a directory", directory, r"not a regular file"),
            ("a 2 GB sparse file", sparse, r"larger than 1 MiB"),
            ("a FIFO", fifo, r"not a regular file"),
        ]
        for n, (what, apply, want) in enumerate(faults, start=1):
            apply(keyfile)
            left = snapshot(keyfile)
            seen = wait_until(lambda: len(self.warnings(srv)) >= n, timeout=4, step=0.1)
            self.assertTrue(seen, "no warning within 4 s of the key file becoming %s:\n%s"
                            % (what, srv.stderr()[-2000:]))
            warning = self.warnings(srv)[n - 1]
            self.assertEqual(warning.get("channel"), "app", warning)
            self.assertEqual(warning.get("file"), keyfile, warning)
            self.assertRegex(warning.get("error", ""), want, "the warning for %s" % what)
            tokens.append(self.still_serving(srv, key, tokens, what))
            self.assertEqual(snapshot(keyfile), left, "the server touched the key file after it became %s" % what)
        time.sleep(1.5)   # a poll or two more: still one warning per change
        self.assertEqual(len(self.warnings(srv)), len(faults), "warnings: %r" % self.warnings(srv))
        self.assertEqual(self.reloads(srv), [], "a corrupt key file was loaded")

        remove_any(keyfile)   # gone: nothing to load, keep serving
        time.sleep(1.5)
        self.assertEqual(len(self.warnings(srv)), len(faults))
        tokens.append(self.still_serving(srv, key, tokens, "missing"))

        # A good file, with a new active key and the old one: picked up.
        second = new_secret()
        srv.secrets.add(second)
        lines = good.decode().splitlines()
        fresh = "".join(l.replace(" active", "") + "\n" for l in lines) + "2 %s active\n" % second
        replace_file(keyfile, fresh.encode())
        self.assertTrue(wait_until(lambda: self.reloads(srv), timeout=4, step=0.1),
                        "the good key file was not picked up within 4 s:\n" + srv.stderr()[-2000:])
        reload = self.reloads(srv)[0]
        self.assertEqual((reload.get("active_key_id"), reload.get("keys")), (2, 2), reload)
        _, newest = self.share(srv, key, 318)
        self.assertEqual(key_id_of(newest), 2, "new links must be signed by the new active key")
        for t in tokens + [newest]:
            self.assertEqual(self.open_link(srv, t).status, 200, "after the reload")
        self.assertEqual(snapshot(keyfile)[os.path.basename(keyfile)][-1],
                         hashlib.sha256(fresh.encode()).hexdigest(), "the server rewrote the key file")
        self.assertAlive(srv, pid)


def load_tests(loader, standard_tests, pattern):
    """On PostgreSQL, leave out the tests of SQLite's files (they run in the
    SQLite run of this file)."""
    suite = unittest.TestSuite()
    sqlite_only = (DiskFullTest, ReadOnlyTest)
    for case in (KillNineTest, DiskFullTest, ReadOnlyTest, KeyFileStartTest, KeyFileRuntimeTest):
        if harness.backend() == "postgresql" and case in sqlite_only:
            continue
        suite.addTests(loader.loadTestsFromTestCase(case))
    return suite


if __name__ == "__main__":
    unittest.main()
