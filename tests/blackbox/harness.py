"""Shared code for the black-box tests: start the real reportshare binary and
talk to it over real sockets.

Python 3 standard library only. Every socket operation has a timeout (<= 10 s)
so a broken server cannot hang the suite; every server started here is stopped
by the tests (tearDownClass) and, as a last resort, killed by pid at exit.

Backends. By default every Server uses an SQLite file in its temp dir (the
signing key file beside it, as the binary does by itself). When the
environment names a PostgreSQL server -- REPORTSHARE_TEST_PG_FILE (a file
holding its URL, as tests/support/pg_server.sh writes it) or
REPORTSHARE_TEST_PG (the URL) -- every temp dir gets a FRESH database on that
server instead (CREATE DATABASE rs_bb_<pid>_<n>, dropped WITH (FORCE) on
cleanup and, as a last resort, at exit), and the signing key file
<tmpdir>/cluster.keys, which `serve` gets as --signing-keys. run_cli() hands
that key file to every subcommand whose --db is such a database (through
REPORTSHARE_SIGNING_KEYS, which subcommands without the option ignore).

HTTPS. With REPORTSHARE_TEST_TLS=1 (the blackbox_tls.* runs) every Server
serves HTTPS (--tls-cert/--tls-key, a certificate of a CA made for the run by
tls_certs.py), and request(), connect() and raw_exchange() speak TLS, trusting
only that CA: the same checks, over TLS.
"""

import atexit
import base64
import datetime
import http.client
import json
import os
import re
import shutil
import signal
import stat
import sys
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

import openapi_check
import tls_certs

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BIN = os.path.normpath(os.path.join(HERE, "..", "..", "build", "dev", "src", "app", "reportshare"))
BIN = os.environ.get("REPORTSHARE_BIN") or DEFAULT_BIN

SOCKET_TIMEOUT = 10.0
CLI_TIMEOUT = 30.0
STARTUP_TIMEOUT = 15.0

LISTEN_RE = re.compile(r"listening on (https?)://(127\.0\.0\.1):(\d+)")
SHARED_PREFIX = "/assessments/bp/reports/shared/"
TOKEN_IN_TEXT_RE = re.compile(re.escape(SHARED_PREFIX) + r"([A-Za-z0-9_.\-]+)")
TOKEN_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")
EXPIRES_AT_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
LINK_PAGE_SECURITY_HEADERS = {
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-robots-tag": "noindex, nofollow",
    "x-content-type-options": "nosniff",
}

# Environment variables the binary reads; never inherit them from the caller.
_SERVER_ENV_VARS = ("REPORTSHARE_DB", "REPORTSHARE_LISTEN", "REPORTSHARE_PUBLIC_URL",
                    "REPORTSHARE_THREADS", "REPORTSHARE_RATE_LIMIT")

TLS_MODE = bool(os.environ.get("REPORTSHARE_TEST_TLS"))
_tls_cache = {}


def tls_material():
    """(CertificateAuthority, cert path, key path) of this run, made once."""
    if "material" not in _tls_cache:
        directory = tempfile.mkdtemp(prefix="rs-tls-")
        atexit.register(shutil.rmtree, directory, True)
        ca = tls_certs.CertificateAuthority(directory)
        cert, key = ca.issue(directory)
        _tls_cache["material"] = (ca, cert, key)
    return _tls_cache["material"]


def client_tls_context():
    """The client side of the TLS runs: trusts only the run's CA. Made once."""
    if "client" not in _tls_cache:
        _tls_cache["client"] = tls_material()[0].client_context()
    return _tls_cache["client"]


_live_pids = set()
_live_lock = threading.Lock()

# The log audit (issue 10). With REPORTSHARE_TEST_AUDIT_DIR set (ctest sets it
# for every black-box run), every server run leaves one record there when it
# ends: its whole stdout and stderr, its /metrics as scraped just before it was
# stopped, and the secrets and personal data it was given (API keys, link
# tokens, webhook secrets, the signing keys of its key file, the candidates'
# names and emails of make_report). audit_logs.py reads every record after the
# suite and fails on any of those strings in any log line or metric.
AUDIT_DIR = os.environ.get("REPORTSHARE_TEST_AUDIT_DIR")
PERSONAL_DATA = set()  # candidate names and emails of every report made here
_audit_lock = threading.Lock()
_audit_seq = [0]
WEBHOOK_SECRET_IN_TEXT_RE = re.compile(r'"secret"\s*:\s*"(whsec_[A-Za-z0-9+/=]+)"')


def note_personal(*values):
    """Candidate data that no log line or metric may hold (the audit)."""
    for v in values:
        if isinstance(v, str) and len(v) >= 5:
            PERSONAL_DATA.add(v)


def signing_key_secrets(path):
    """The secrets of a key file ("<id> <secret> [active]" lines), if readable."""
    try:
        # O_NONBLOCK: a test may leave a FIFO in the key file's place.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return set()
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return set()
        lines = os.read(fd, 1 << 16).decode("utf-8", "replace").splitlines()
    except OSError:
        return set()
    finally:
        os.close(fd)
    out = set()
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and not line.lstrip().startswith("#") and len(parts[1]) >= 16:
            out.add(parts[1])
    return out


def _write_audit_record(record):
    if not AUDIT_DIR:
        return
    os.makedirs(AUDIT_DIR, exist_ok=True)
    with _audit_lock:
        _audit_seq[0] += 1
        n = _audit_seq[0]
    path = os.path.join(AUDIT_DIR, "%s-%d-%d.json" % (
        os.environ.get("REPORTSHARE_TEST_AUDIT_RUN", "run"), os.getpid(), n))
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(record, f)
    os.replace(path + ".tmp", path)


def _kill_leftovers():
    with _live_lock:
        pids = list(_live_pids)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


atexit.register(_kill_leftovers)


def check_binary():
    if not (os.path.isfile(BIN) and os.access(BIN, os.X_OK)):
        raise RuntimeError(
            "reportshare binary not found or not executable: %r (set REPORTSHARE_BIN)" % BIN)


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if k not in _SERVER_ENV_VARS and not (k.startswith("REPORTSHARE_") and k != "REPORTSHARE_BIN")}
    if extra:
        env.update(extra)
    return env


# --------------------------------------------------------------------------
# Backends: SQLite (default) or a fresh PostgreSQL database per temp dir
# --------------------------------------------------------------------------

PG_FILE_ENV = "REPORTSHARE_TEST_PG_FILE"
PG_URL_ENV = "REPORTSHARE_TEST_PG"

_pg_cache = {}


def pg_admin_url():
    """The PostgreSQL server the suite runs against (from the environment), or
    None for SQLite. A named URL file that is missing or empty is an error,
    not a silent fallback to SQLite."""
    if "url" not in _pg_cache:
        url = None
        path = os.environ.get(PG_FILE_ENV)
        if path:
            try:
                with open(path) as f:
                    url = f.read().strip()
            except OSError as e:
                raise RuntimeError("%s=%r cannot be read: %s (is the PostgreSQL fixture up?)"
                                   % (PG_FILE_ENV, path, e))
            if not url:
                raise RuntimeError("%s=%r is empty" % (PG_FILE_ENV, path))
        else:
            url = os.environ.get(PG_URL_ENV) or None
        _pg_cache["url"] = url
    return _pg_cache["url"]


def backend():
    """'postgresql' or 'sqlite'."""
    return "postgresql" if pg_admin_url() else "sqlite"


def is_postgres_url(db):
    return db.startswith("postgresql://") or db.startswith("postgres://")


PG_SERVER_SH = os.path.normpath(os.path.join(HERE, "..", "support", "pg_server.sh"))


def pg_server(cmd, directory):
    """tests/support/pg_server.sh CMD DIR (start: prints the admin URL)."""
    proc = subprocess.run(["bash", PG_SERVER_SH, cmd, directory], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError("pg_server.sh %s %s failed: %s" % (cmd, directory, cli_describe(proc)))
    return proc.stdout.decode().strip()


class OwnPostgresServer:
    """A test class's own throwaway PostgreSQL server, for tests that stop and
    start it (the 'pg' fixture's server is shared). cls.pgdir is its data
    directory, cls.admin_url its URL; setUp should call ensure_pg_started()."""

    @classmethod
    def start_own_postgres(cls, prefix):
        cls.pgdir = tempfile.mkdtemp(prefix=prefix)
        os.chmod(cls.pgdir, 0o755)   # as root, the server runs as `postgres`
        try:
            cls.admin_url = pg_server("start", cls.pgdir)
        except BaseException:
            shutil.rmtree(cls.pgdir, ignore_errors=True)
            raise

    @classmethod
    def stop_own_postgres(cls):
        try:
            pg_server("stop", cls.pgdir)
        finally:
            shutil.rmtree(cls.pgdir, ignore_errors=True)

    def ensure_pg_started(self):
        pg_server("start", self.pgdir)   # a test may have left it stopped


def psql_path():
    """psql: on PATH, else pg_config's bindir, else the newest versioned install."""
    found = shutil.which("psql")
    if found:
        return found
    candidates = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            bindir = subprocess.run([pg_config, "--bindir"], stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, timeout=10).stdout.decode().strip()
            candidates.append(os.path.join(bindir, "psql"))
        except Exception:  # noqa: BLE001
            pass
    import glob
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"),
                         key=lambda p: [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", p)],
                         reverse=True)
    for c in candidates:
        if os.access(c, os.X_OK):
            return c
    raise RuntimeError("psql not found (PATH, pg_config --bindir, /usr/lib/postgresql/*/bin)")


def psql(url, sql, timeout=30):
    """Runs one SQL command with psql against url; returns stdout (unaligned,
    tuples only). Raises on failure."""
    proc = subprocess.run([psql_path(), "-XAtq", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                          env=clean_env(), cwd=tempfile.gettempdir())
    if proc.returncode != 0:
        raise RuntimeError("psql %r failed (exit %s): %s" % (sql, proc.returncode,
                                                               proc.stderr.decode("utf-8", "replace")))
    return proc.stdout.decode("utf-8", "replace")


def with_database(url, name):
    """url with its database (the path) replaced by name."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


_db_lock = threading.Lock()
_db_counter = [0]
_created_databases = {}   # database url -> admin url, for the cleanup at exit


def create_database(admin_url=None):
    """CREATE DATABASE rs_bb_<pid>_<n> on the server of admin_url (default: the
    suite's PostgreSQL); returns the new database's URL."""
    admin_url = admin_url or pg_admin_url()
    if not admin_url:
        raise RuntimeError("create_database: no PostgreSQL configured (%s / %s)" % (PG_FILE_ENV, PG_URL_ENV))
    with _db_lock:
        _db_counter[0] += 1
        name = "rs_bb_%d_%d" % (os.getpid(), _db_counter[0])
    last = None
    for attempt in range(5):
        try:
            psql(admin_url, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)  # a leftover of a reused pid
            psql(admin_url, "CREATE DATABASE %s" % name)
            break
        except RuntimeError as e:   # e.g. "source database template1 is being accessed by other users"
            last = e
            time.sleep(0.2 * (attempt + 1))
    else:
        raise last
    url = with_database(admin_url, name)
    with _db_lock:
        _created_databases[url] = admin_url
    return url


def drop_database(url):
    """DROP DATABASE … WITH (FORCE) for a database made by create_database."""
    with _db_lock:
        admin_url = _created_databases.pop(url, None)
    if admin_url is None:
        return
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    try:
        psql(admin_url, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
    except Exception:  # noqa: BLE001 (server gone: nothing left to drop)
        pass


def _drop_leftover_databases():
    with _db_lock:
        urls = list(_created_databases)
    for url in urls:
        drop_database(url)


_signing_keys_of_db = {}   # PostgreSQL database url -> its shared signing key file
_database_of_dir = {}      # temp dir -> database url (database_for)


def register_signing_keys(db, path):
    """Tells run_cli()/Server which signing key file belongs to a PostgreSQL database."""
    _signing_keys_of_db[db] = path


def signing_keys_for(db):
    """The signing key file of a database: <sqlite file>.signing-keys for
    SQLite (the binary's default), the registered file for PostgreSQL."""
    if db.startswith("sqlite:"):
        return db[len("sqlite:"):] + ".signing-keys"
    return _signing_keys_of_db.get(db)


def database_for(tmpdir):
    """The database of a temp dir, the same URL on every call: sqlite:<tmpdir>/rs.db,
    or a fresh PostgreSQL database whose signing key file is <tmpdir>/cluster.keys."""
    with _db_lock:
        db = _database_of_dir.get(tmpdir)
    if db is not None:
        return db
    if pg_admin_url():
        db = create_database()
        register_signing_keys(db, os.path.join(tmpdir, "cluster.keys"))
    else:
        db = "sqlite:" + os.path.join(tmpdir, "rs.db")
    with _db_lock:
        db = _database_of_dir.setdefault(tmpdir, db)
    return db


def release_database(tmpdir):
    """Drops the PostgreSQL database database_for(tmpdir) made (no-op for SQLite)."""
    with _db_lock:
        db = _database_of_dir.pop(tmpdir, None)
    if db is not None and is_postgres_url(db):
        drop_database(db)
        _signing_keys_of_db.pop(db, None)


atexit.register(_drop_leftover_databases)


# --------------------------------------------------------------------------
# Time helpers
# --------------------------------------------------------------------------

def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def rfc3339(dt):
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text):
    """Parses RFC 3339 (Z or offset, optional fraction) to an aware datetime."""
    m = re.match(r"^(\d{4}-\d\d-\d\d)[Tt](\d\d:\d\d:\d\d)(\.\d+)?([Zz]|[+-]\d\d:\d\d)$", text)
    if not m:
        raise ValueError("not RFC 3339: %r" % (text,))
    frac = (m.group(3) or ".0")[1:7].ljust(6, "0")
    tz = m.group(4)
    tz = "+00:00" if tz in ("Z", "z") else tz
    return datetime.datetime.fromisoformat("%sT%s.%s%s" % (m.group(1), m.group(2), frac, tz))


# --------------------------------------------------------------------------
# Responses
# --------------------------------------------------------------------------

class Response:
    """status, headers (dict, lower-cased names, repeated headers joined with
    ", "), header_list (all (name, value) pairs as received), body (bytes).
    Unpacks as (status, headers, body)."""

    def __init__(self, status, reason, header_list, body, elapsed=0.0):
        self.status = status
        self.reason = reason
        self.header_list = [(k.lower(), v) for k, v in header_list]
        self.headers = {}
        for k, v in self.header_list:
            self.headers[k] = self.headers[k] + ", " + v if k in self.headers else v
        self.body = body
        self.elapsed = elapsed

    def __iter__(self):
        return iter((self.status, self.headers, self.body))

    @property
    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def content_type(self):
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def header_values(self, name):
        return [v for k, v in self.header_list if k == name.lower()]

    def describe(self, limit=600):
        body = self.text
        if len(body) > limit:
            body = body[:limit] + "...(%d bytes)" % len(self.body)
        hdrs = ", ".join("%s: %s" % kv for kv in self.header_list)
        return "HTTP %s %s [%s] body=%r" % (self.status, self.reason, hdrs, body)

    __str__ = describe
    __repr__ = describe


def _normalize_headers(headers):
    if headers is None:
        return []
    if isinstance(headers, dict):
        return list(headers.items())
    return list(headers)


def http_connection(port, timeout=SOCKET_TIMEOUT, host="127.0.0.1", tls=None):
    """An http.client connection to reportshare: HTTPS in the TLS runs (or
    when tls=True), trusting only the run's CA."""
    if TLS_MODE if tls is None else tls:
        return http.client.HTTPSConnection(host, port, timeout=timeout, context=client_tls_context())
    return http.client.HTTPConnection(host, port, timeout=timeout)


def request(port, method, path, headers=None, body=None, timeout=SOCKET_TIMEOUT, host="127.0.0.1",
            tls=None):
    """One request on a fresh connection. headers: dict or list of (name, value)
    pairs (a list can repeat a name). body: None (no body; POST/PUT get
    Content-Length: 0), bytes, str, or any other value (sent as JSON)."""
    conn = http_connection(port, timeout, host, tls)
    try:
        return request_on(conn, method, path, headers, body)
    finally:
        conn.close()


def request_on(conn, method, path, headers=None, body=None):
    """Like request() but on an existing http.client connection (keep-alive)."""
    hdrs = _normalize_headers(headers)
    if body is not None and not isinstance(body, (bytes, bytearray, str)):
        body = json.dumps(body).encode("utf-8")
        if not any(k.lower() == "content-type" for k, _ in hdrs):
            hdrs.append(("Content-Type", "application/json"))
    if isinstance(body, str):
        body = body.encode("utf-8")
    names = {k.lower() for k, _ in hdrs}
    start = time.monotonic()
    conn.putrequest(method, path, skip_accept_encoding=True)
    for k, v in hdrs:
        conn.putheader(k, v)
    if "content-length" not in names and "transfer-encoding" not in names:
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        elif method in ("POST", "PUT", "PATCH"):
            conn.putheader("Content-Length", "0")
    conn.endheaders(message_body=bytes(body) if body is not None else None)
    resp = conn.getresponse()
    data = resp.read()
    out = Response(resp.status, resp.reason, resp.getheaders(), data, time.monotonic() - start)
    openapi_check.check(method, path, out)
    return out


# --------------------------------------------------------------------------
# Raw sockets (malformed requests, chunked bodies, keep-alive by hand)
# --------------------------------------------------------------------------

def connect(port, timeout=SOCKET_TIMEOUT, tls=None):
    """A socket to 127.0.0.1:port; in the TLS runs (or tls=True) a TLS socket
    whose handshake is done."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.settimeout(timeout)
    if TLS_MODE if tls is None else tls:
        s = client_tls_context().wrap_socket(s, server_hostname="localhost")
        s.settimeout(timeout)
    return s


class ConnectionClosed(Exception):
    """The server closed the connection before a complete response arrived."""

    def __init__(self, partial):
        super().__init__("connection closed; received %r" % (partial[:300],))
        self.partial = partial


class RawReader:
    """Reads HTTP/1.1 responses from a socket, keeping leftover bytes."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionClosed(self.buf)
        self.buf += chunk

    def _read_line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_response(self, head=False):
        start = time.monotonic()
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head_bytes, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head_bytes.decode("latin-1").split("\r\n")
        m = re.match(r"^HTTP/1\.[01] (\d{3})(?: (.*))?$", lines[0])
        if not m:
            raise AssertionError("bad status line %r" % lines[0])
        status = int(m.group(1))
        header_list = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            header_list.append((name.strip(), value.strip()))
        hdrs = {k.lower(): v for k, v in header_list}
        body = b""
        if head or status in (204, 304) or 100 <= status < 200:
            pass
        elif "chunked" in hdrs.get("transfer-encoding", "").lower():
            while True:
                size = int(self._read_line().split(b";")[0].strip(), 16)
                if size == 0:
                    while self._read_line() != b"":
                        pass
                    break
                body += self._read_exact(size)
                self._read_exact(2)
        elif "content-length" in hdrs:
            body = self._read_exact(int(hdrs["content-length"]))
        else:
            try:
                while True:
                    self._fill()
            except ConnectionClosed:
                pass
            body, self.buf = self.buf, b""
        return Response(status, m.group(2) or "", header_list, body, time.monotonic() - start)


def raw_exchange(port, data, head=False, timeout=SOCKET_TIMEOUT, tls=None):
    """Sends raw bytes on a fresh connection and reads one response.
    Returns a Response, or None if the server closed without answering."""
    s = connect(port, timeout, tls)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            return RawReader(s).read_response(head=head)
        except ConnectionClosed as e:
            if e.partial:
                raise AssertionError("server closed mid-response: %r" % (e.partial[:300],))
            return None
        except ConnectionResetError:
            return None
    finally:
        s.close()


def chunked(body, chunk_size=4096):
    out = b""
    for i in range(0, len(body), chunk_size):
        piece = body[i:i + chunk_size]
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    return out + b"0\r\n\r\n"


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------

def _cli_db(args, env):
    args = list(args)
    for i, a in enumerate(args):
        if a == "--db" and i + 1 < len(args):
            return args[i + 1]
        if a.startswith("--db="):
            return a[len("--db="):]
    return (env or {}).get("REPORTSHARE_DB")


def _cli_env(args, env):
    """The environment of a CLI run: a PostgreSQL --db (or REPORTSHARE_DB) made
    by this harness also gets its signing key file via REPORTSHARE_SIGNING_KEYS,
    unless the caller gives --signing-keys or that variable itself."""
    db = _cli_db(args, env)
    if db and is_postgres_url(db) and signing_keys_for(db) and "--signing-keys" not in args \
            and not any(a.startswith("--signing-keys=") for a in args) \
            and "REPORTSHARE_SIGNING_KEYS" not in (env or {}):
        env = dict(env or {}, REPORTSHARE_SIGNING_KEYS=signing_keys_for(db))
    return clean_env(env)


def run_cli(args, env=None, timeout=CLI_TIMEOUT, input=None):
    """Runs the binary (the environment as _cli_env says)."""
    check_binary()
    args = list(args)
    return subprocess.run([BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=_cli_env(args, env), timeout=timeout, input=input,
                          cwd=tempfile.gettempdir())


def run_cli_measured(args, workdir, env=None, timeout=CLI_TIMEOUT, stdin_path=None):
    """As run_cli, and returns (completed process, peak RSS in KiB) of that one
    child, from wait4(2)'s rusage (ru_maxrss: its VmHWM when it exited).
    Output goes through files in `workdir`, so nothing blocks on a pipe."""
    check_binary()
    args = list(args)
    out_path = os.path.join(workdir, "cli.stdout")
    err_path = os.path.join(workdir, "cli.stderr")
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    try:
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen([BIN] + args, stdin=stdin, stdout=out, stderr=err,
                                    env=_cli_env(args, env), cwd=tempfile.gettempdir())
    finally:
        if stdin_path:
            stdin.close()
    with _live_lock:
        _live_pids.add(proc.pid)
    deadline = time.monotonic() + timeout
    try:
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise subprocess.TimeoutExpired([BIN] + args, timeout)
            time.sleep(0.05)
    finally:
        with _live_lock:
            _live_pids.discard(proc.pid)
    proc.returncode = os.waitstatus_to_exitcode(status)
    with open(out_path, "rb") as f:
        stdout = f.read()
    with open(err_path, "rb") as f:
        stderr = f.read()
    return subprocess.CompletedProcess([BIN] + args, proc.returncode, stdout, stderr), usage.ru_maxrss


def cli_describe(proc):
    return "exit=%s\nstdout=%r\nstderr=%r" % (
        proc.returncode, proc.stdout.decode("utf-8", "replace")[:2000],
        proc.stderr.decode("utf-8", "replace")[:2000])


def create_key(db, company):
    """`keys create`; returns (api_key, completed_process)."""
    proc = run_cli(["keys", "create", "--company", company, "--db", db])
    if proc.returncode != 0:
        raise AssertionError("keys create failed: " + cli_describe(proc))
    lines = proc.stdout.decode("utf-8").splitlines()
    if not lines or not lines[0].strip():
        raise AssertionError("keys create printed no key: " + cli_describe(proc))
    return lines[0].strip(), proc


def list_keys(db):
    proc = run_cli(["keys", "list", "--db", db])
    if proc.returncode != 0:
        raise AssertionError("keys list failed: " + cli_describe(proc))
    return proc.stdout.decode("utf-8")


def key_id_for_company(db, company):
    """The key id (first field) of the newest `keys list` line naming company."""
    rows = [l for l in list_keys(db).splitlines() if re.search(r"(^|\s)" + re.escape(company) + r"(\s|$)", l)]
    if not rows:
        raise AssertionError("company %r not in keys list:\n%s" % (company, list_keys(db)))
    return rows[-1].split()[0].strip(",;:")


_serve_help_cache = {}


def serve_supports(flag):
    if "text" not in _serve_help_cache:
        try:
            p = run_cli(["serve", "--help"], timeout=10)
            _serve_help_cache["text"] = (p.stdout + p.stderr).decode("utf-8", "replace")
        except Exception:  # noqa: BLE001
            _serve_help_cache["text"] = ""
    return flag in _serve_help_cache["text"]


# --------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------

class Server:
    """One `reportshare serve` process on a fresh temp dir.

    db: by default database_for(tmpdir) (SQLite file, or a fresh PostgreSQL
    database); several Server objects on one tmpdir share it (a cluster).
    An explicit db (and signing_keys) is used as given and never dropped here.
    db_path is the SQLite file (None on PostgreSQL); signing_keys_path the key
    file the server uses (beside the SQLite file, or --signing-keys)."""

    def __init__(self, tmpdir=None, db=None, signing_keys=None):
        check_binary()
        self.tmpdir = tmpdir or tempfile.mkdtemp(prefix="rs-blackbox-")
        self._owns_db = db is None
        try:
            self.db = db or database_for(self.tmpdir)
        except BaseException:
            if tmpdir is None:
                shutil.rmtree(self.tmpdir, ignore_errors=True)
            raise
        if signing_keys and is_postgres_url(self.db):
            register_signing_keys(self.db, signing_keys)
        self.db_path = self.db[len("sqlite:"):] if self.db.startswith("sqlite:") else None
        self.signing_keys_path = signing_keys or signing_keys_for(self.db)
        self.proc = None
        self.port = None
        self.host = None
        self.scheme = "http"
        self._out = []
        self._err = []
        self._lock = threading.Lock()
        self._threads = []
        self.secrets = set()        # API keys and link tokens that must never be logged
        self.exit_code = None
        self.history_logs = ""      # logs of earlier runs of this Server object
        self._archived = False
        self._metrics = None        # the last /metrics scraped (the log audit)

    # -- lifecycle ---------------------------------------------------------
    def start(self, extra_args=(), env=None, listen=True, db=True, wait=True, launcher=()):
        """launcher: a command that execs the server with the rest of the
        line, in the same process (e.g. nofile_launcher())."""
        args = list(launcher) + [BIN, "serve"]
        if listen:
            args += ["--listen", "127.0.0.1:0"]
        if db:
            args += ["--db", self.db]
        if (is_postgres_url(self.db) and self.signing_keys_path and "--signing-keys" not in extra_args
                and "REPORTSHARE_SIGNING_KEYS" not in (env or {})):
            args += ["--signing-keys", self.signing_keys_path]
        if serve_supports("--rate-limit") and "--rate-limit" not in extra_args:
            args += ["--rate-limit", "0"]  # the suite sends bursts with one key
        if TLS_MODE and "--tls-cert" not in extra_args:
            _, cert, key = tls_material()
            args += ["--tls-cert", cert, "--tls-key", key]
        args += list(extra_args)
        self._out, self._err = [], []
        self._archived = False
        self.exit_code = None
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, env=clean_env(env), cwd=self.tmpdir)
        with _live_lock:
            _live_pids.add(self.proc.pid)
        self._threads = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self._out), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self._err), daemon=True),
        ]
        for t in self._threads:
            t.start()
        if not wait:
            return self
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            m = LISTEN_RE.search(self.stderr())
            if m:
                self.scheme, self.host, self.port = m.group(1), m.group(2), int(m.group(3))
                if TLS_MODE and self.scheme != "https":
                    raise AssertionError("a TLS run's server is not serving HTTPS: %r" % args)
                return self
            if self.proc.poll() is not None:
                self._join_pumps()
                raise AssertionError("reportshare serve exited with %s before listening.\nargs=%r\n%s"
                                     % (self.proc.returncode, args, self.logs()))
            time.sleep(0.02)
        self.kill()
        raise AssertionError("reportshare serve printed no 'listening on' line within %ss.\n%s"
                             % (STARTUP_TIMEOUT, self.logs()))

    def _pump(self, stream, sink):
        for chunk in iter(lambda: stream.read1(65536), b""):
            with self._lock:
                sink.append(chunk)

    def _join_pumps(self):
        for t in self._threads:
            t.join(timeout=5)
        if self.proc is not None and self.proc.poll() is not None:
            for stream in (self.proc.stdout, self.proc.stderr):
                try:
                    stream.close()
                except Exception:  # noqa: BLE001
                    pass

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=10):
        """SIGTERM and wait; returns the exit code (kills on timeout → None)."""
        if self.proc is None:
            return self.exit_code
        if self.proc.poll() is None:
            self._scrape_metrics()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                self._join_pumps()
                self._forget()
                self.exit_code = None
                return None
        self._join_pumps()
        self.exit_code = self.proc.returncode
        self._forget()
        if self.exit_code != 0:
            # Whatever the test then asserts, show why the server ended badly.
            sys.stderr.write("\n--- reportshare exited with %r; its stderr ends:\n%s\n---\n"
                             % (self.exit_code, self.stderr()[-8000:]))
        return self.exit_code

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self._forget()

    def _forget(self):
        if self.proc is not None:
            with _live_lock:
                _live_pids.discard(self.proc.pid)
            if not self._archived:
                self.history_logs += self.logs()
                self._archived = True
                self._audit()

    def _scrape_metrics(self):
        """The last /metrics of this run, for the log audit (best effort: a
        server that no longer answers has none)."""
        if not AUDIT_DIR or self.port is None:
            return
        try:
            resp = request(self.port, "GET", "/metrics", timeout=3, tls=self.tls)
            if resp.status == 200:
                self._metrics = resp.text
        except Exception:  # noqa: BLE001
            pass

    def _audit(self):
        if not AUDIT_DIR:
            return
        secrets = set(self.secrets)
        if self.signing_keys_path:
            secrets |= signing_key_secrets(self.signing_keys_path)
        _write_audit_record({
            "test": os.environ.get("REPORTSHARE_TEST_AUDIT_RUN", ""),
            "stdout": self.stdout(),
            "stderr": self.stderr(),
            "metrics": self._metrics,
            "secrets": sorted(secrets),
            "personal": sorted(PERSONAL_DATA),
        })
        self._metrics = None

    def cleanup(self):
        self.kill()
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        if self._owns_db:
            release_database(self.tmpdir)

    # -- logs ----------------------------------------------------------------
    def stdout(self):
        with self._lock:
            return b"".join(self._out).decode("utf-8", "replace")

    def stderr(self):
        with self._lock:
            return b"".join(self._err).decode("utf-8", "replace")

    def logs(self):
        return "----- stdout -----\n%s\n----- stderr -----\n%s" % (self.stdout(), self.stderr())

    def all_logs(self):
        """Logs of every run of this Server object (including the current one)."""
        return self.history_logs + (self.logs() if self.proc is not None and not self._archived else "")

    def leaked_secrets(self, text=None):
        text = self.all_logs() if text is None else text
        return sorted(s for s in self.secrets if s and s in text)

    # -- HTTP ----------------------------------------------------------------
    @property
    def base_url(self):
        return "%s://%s:%d" % (self.scheme, self.host, self.port)

    @property
    def tls(self):
        return self.scheme == "https"

    def request(self, method, path, headers=None, body=None, timeout=SOCKET_TIMEOUT):
        resp = request(self.port, method, path, headers, body, timeout, tls=self.tls)
        self.note_tokens(resp.body)
        return resp

    def note_tokens(self, data):
        if isinstance(data, bytes):
            data = data.decode("utf-8", "replace")
        for tok in TOKEN_IN_TEXT_RE.findall(data):
            self.secrets.add(tok)
        for secret in WEBHOOK_SECRET_IN_TEXT_RE.findall(data):
            self.secrets.add(secret)

    def raw(self, data, head=False, timeout=SOCKET_TIMEOUT):
        return raw_exchange(self.port, data, head=head, timeout=timeout, tls=self.tls)

    # -- CLI -----------------------------------------------------------------
    def create_key(self, company):
        key, _ = create_key(self.db, company)
        self.secrets.add(key)
        return key


# --------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------

PRLIMIT = shutil.which("prlimit") or "/usr/bin/prlimit"  # util-linux


def nofile_launcher(nofile):
    """A Server.start launcher that runs the server under an RLIMIT_NOFILE of
    `nofile` ("SOFT:HARD" or one number for both): prlimit sets the limit and
    execs the server, so its pid is the server's."""
    return [PRLIMIT, "--nofile=%s" % nofile]


def make_report(report_id, name="Priya Raman", status="Completed", sections=None,
                assessment_id=138, email=None, completed_date=None, started_date=None,
                include_id=True, **extra):
    """A valid report JSON of SPEC §1. completed_date defaults to one hour ago.
    sections: None → two default sections; an int N → N sections × 10 skills;
    a list → used as is."""
    now = utcnow()
    if sections is None:
        sections = [
            {"section": "Python", "percentage": 80.0,
             "skill_wise_score": [{"skill": "Data structures", "percentage": 90.0},
                                  {"skill": "Algorithms", "percentage": 70.0}]},
            {"section": "SQL", "percentage": 65.0,
             "skill_wise_score": [{"skill": "Joins", "percentage": 60.0}]},
        ]
    elif isinstance(sections, int):
        sections = [
            {"section": "Section %d" % (i + 1), "percentage": float((i * 7) % 101),
             "skill_wise_score": [{"skill": "Skill %d.%d" % (i + 1, j + 1),
                                   "percentage": float((i * 13 + j * 11) % 101)}
                                  for j in range(10)]}
            for i in range(sections)
        ]
    rep = {
        "assessment_id": assessment_id,
        "assessment_name": "Backend Engineer Screening",
        "candidate_id": 5012,
        "name": name,
        "email": email if email is not None else "priya@example.com",
        "invite_status": status,
    }
    if include_id:
        rep["report_id"] = report_id
    if status in ("Completed", "Started"):
        start = started_date or rfc3339(now - datetime.timedelta(hours=2))
        rep["started_date"] = start
    if status == "Completed":
        rep.update({
            "completed_date": completed_date or rfc3339(now - datetime.timedelta(hours=1)),
            "cut_off": 60,
            "overall_percentage": 72.5,
            "offtab_count": 2,
            "registration_fields": [{"label": "Phone", "value": "+91 98450 00000"}],
            "sections": sections,
        })
    rep.update(extra)
    note_personal(rep.get("name"), rep.get("email"))
    return rep


def pdftotext(data):
    if not shutil.which("pdftotext"):
        return None
    with tempfile.NamedTemporaryFile(suffix=".pdf", delete=False) as f:
        f.write(data)
        path = f.name
    try:
        out = subprocess.run(["pdftotext", "-enc", "UTF-8", path, "-"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=30)
        return out.stdout.decode("utf-8", "replace")
    finally:
        os.unlink(path)


def embedded_fonts(data):
    """The fonts a PDF embeds (`pdffonts`: the "emb" column says yes), by
    name. A PDF drawn without its fonts (every glyph a box) embeds none. The
    font dictionaries may sit in compressed object streams, so the bytes
    themselves say nothing."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        out = subprocess.run(["pdffonts", f.name], capture_output=True, timeout=30, check=True)
    fonts = []
    for line in out.stdout.decode("utf-8", "replace").splitlines()[2:]:
        cols = line.split()
        # name type... encoding emb sub uni object ID: emb is the 5th from the end
        if len(cols) >= 6 and cols[-5] == "yes":
            fonts.append(cols[0])
    return fonts


def token_of(signed_url):
    m = TOKEN_IN_TEXT_RE.search(signed_url)
    if not m:
        raise AssertionError("no token in %r" % (signed_url,))
    return m.group(1)


def b64_segments(token):
    """Best-effort decode of each '.'-separated part of a token (for PII checks)."""
    out = []
    for part in token.split("."):
        try:
            out.append(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        except Exception:  # noqa: BLE001
            pass
    return out


# --------------------------------------------------------------------------
# Base test case: one server per test class
# --------------------------------------------------------------------------

def wait_until(predicate, timeout, step=0.1):
    """predicate()'s first true value, polled every `step` seconds; its last
    (false) value once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)


class TempServersTestCase(unittest.TestCase):
    """A temp dir per test (self.tmp, prefix `tmp_prefix`) and the servers a
    test starts in it (self.servers): each must exit 0 on SIGTERM with no
    secret in its logs; all are killed and the dir and its database removed."""

    tmp_prefix = "rs-test-"

    def setUp(self):
        check_binary()
        self.tmp = tempfile.mkdtemp(prefix=self.tmp_prefix)
        self.servers = []

    def tearDown(self):
        try:
            for srv in self.servers:
                code = srv.stop()
                if srv.port is not None:   # it did start
                    self.assertEqual(code, 0, "server exit code on SIGTERM; its stderr ends:\n"
                                     + srv.stderr()[-6000:])
                self.assertEqual(srv.leaked_secrets(), [], "secrets in logs")
        finally:
            for srv in self.servers:
                srv.kill()
            shutil.rmtree(self.tmp, ignore_errors=True)
            release_database(self.tmp)


class ServerTestCase(unittest.TestCase):
    """Starts a fresh server per class with two companies' API keys:
    cls.key_a (company A) and cls.key_b (company B). Subclasses may set
    server_args and override setup_data()."""

    server_args = ()
    server_env = None
    company_a = "Acme-Hiring"
    company_b = "Globex-Talent"
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        try:
            cls.key_a = cls.server.create_key(cls.company_a)
            cls.key_b = cls.server.create_key(cls.company_b)
            cls.server.start(cls.server_args, env=cls.server_env)
            cls.setup_data()
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def setup_data(cls):
        pass

    @classmethod
    def tearDownClass(cls):
        server = cls.server
        try:
            code = server.stop()
            logs = server.all_logs()
            if code != 0:
                raise AssertionError("server did not exit 0 on SIGTERM (exit code %r)\n%s" % (code, logs[-4000:]))
            leaked = server.leaked_secrets(logs)
            if leaked:
                raise AssertionError("secrets found in server logs after shutdown:\n"
                                     + describe_leaks(logs, leaked))
            bad = [l for l in server.stdout().splitlines() if l.strip() and not _is_json_object(l)]
            if bad:
                raise AssertionError("access log lines that are not JSON objects: %r" % bad[:5])
        finally:
            server.cleanup()

    # -- helpers for tests ---------------------------------------------------
    @classmethod
    def call(cls, method, path, body=None, key="A", headers=None, timeout=SOCKET_TIMEOUT):
        """Request with the apiKey of company 'A' / 'B', a literal key, or None."""
        hdrs = _normalize_headers(headers)
        k = {"A": cls.key_a, "B": cls.key_b}.get(key, key) if key is not None else None
        if k is not None:
            hdrs.append(("apiKey", k))
        return cls.server.request(method, path, hdrs, body, timeout)

    @classmethod
    def put_report(cls, report, key="A", report_id=None):
        rid = report_id if report_id is not None else report["report_id"]
        resp = cls.call("PUT", "/assessments/report/%s" % rid, body=report, key=key)
        if resp.status not in (200, 201):
            raise AssertionError("PUT report %s failed: %s" % (rid, resp))
        return resp

    @classmethod
    def share(cls, report_id, hours=None, key="A"):
        body = None if hours is None else {"expiration_hours": hours}
        resp = cls.call("POST", "/assessments/reports/%s/share" % report_id, body=body, key=key)
        if resp.status != 200:
            raise AssertionError("share %s failed: %s" % (report_id, resp))
        return resp.json()

    @classmethod
    def share_token(cls, report_id, hours=None, key="A"):
        return token_of(cls.share(report_id, hours, key)["signed_url"])

    def open_link(self, token, method="GET", accept=None, query=""):
        hdrs = {"Accept": accept} if accept else {}
        return self.server.request(method, SHARED_PREFIX + token + query, hdrs)

    # -- assertions ----------------------------------------------------------
    def assertStatus(self, resp, status, msg=""):
        statuses = status if isinstance(status, (tuple, list, set)) else (status,)
        if resp.status not in statuses:
            self.fail("expected HTTP %s, got %s %s" % ("/".join(map(str, statuses)), resp, msg))

    def assertError(self, resp, status, contains=(), msg=""):
        """status; JSON body with exactly one string key 'error'; X-Request-Id;
        the message contains every string in `contains`."""
        self.assertStatus(resp, status, msg)
        self.assertIn("x-request-id", resp.headers, "no X-Request-Id on %s %s" % (resp, msg))
        self.assertEqual(resp.content_type, "application/json", "error not JSON: %s %s" % (resp, msg))
        try:
            data = resp.json()
        except ValueError:
            self.fail("error body is not JSON: %s %s" % (resp, msg))
        self.assertIsInstance(data, dict, "error body not an object: %s" % resp)
        self.assertEqual(list(data.keys()), ["error"], "error body must have exactly the key 'error': %s" % resp)
        self.assertIsInstance(data["error"], str, resp)
        self.assertTrue(data["error"].strip(), "empty error message: %s" % resp)
        for secret in (self.key_a, self.key_b):
            self.assertNotIn(secret, resp.text, "API key in error body")
        for c in contains:
            self.assertIn(c, data["error"], "error message should mention %r: %s %s" % (c, resp, msg))
        return data["error"]

    def assertLinkSecurityHeaders(self, resp, msg=""):
        for name, want in LINK_PAGE_SECURITY_HEADERS.items():
            got = resp.headers.get(name)
            self.assertIsNotNone(got, "missing %s on %s %s" % (name, resp, msg))
            self.assertIn(want, got.lower(), "%s: %r, want %r %s" % (name, got, want, msg))
        csp = resp.headers.get("content-security-policy")
        self.assertIsNotNone(csp, "missing Content-Security-Policy on %s %s" % (resp, msg))
        self.assertIn("default-src 'none'", csp, "CSP must contain default-src 'none': %r %s" % (csp, msg))
        script = re.search(r"script-src([^;]*)", csp)
        if script:
            self.assertNotRegex(script.group(1), r"unsafe-inline|unsafe-eval|\*|https?:",
                                "CSP allows scripts: %r" % csp)
        self.assertIn("x-request-id", resp.headers, "no X-Request-Id: %s" % resp)

    # -- runs last in every class (alphabetical order) ----------------------
    def test_zzz_server_healthy_and_logs_clean(self):
        """After everything the class threw at it: alive, /healthz 200, no
        API key or link token in the logs so far."""
        self.assertTrue(self.server.alive(), "server process died:\n" + self.server.logs()[-4000:])
        resp = self.server.request("GET", "/healthz")
        self.assertStatus(resp, 200)
        leaked = self.server.leaked_secrets()
        self.assertEqual(leaked, [], "API keys / link tokens found in server stdout/stderr:\n"
                         + describe_leaks(self.server.all_logs(), leaked))


def describe_leaks(logs, leaked, max_lines=6):
    """The log lines that contain a secret, with the secret masked."""
    out = []
    for line in logs.splitlines():
        hit = [s for s in leaked if s in line]
        if hit:
            for s in hit:
                line = line.replace(s, "<SECRET:%s...>" % s[:6])
            out.append("  " + line[:400])
            if len(out) >= max_lines:
                break
    return "%d secret(s) leaked; lines:\n%s" % (len(leaked), "\n".join(out))


def _is_json_object(line):
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False
