"""A webhook receiver for the black-box tests (SPEC §7), and two verifiers of
Standard Webhooks signatures that share no code with the server.

Receiver: an HTTP server (HTTPS when given a certificate and key) on
127.0.0.1, port 0, in a thread of its own. It records every request it gets
(method, path, headers, body, arrival time, what it answered) and answers as
its `script` says: a callable taking (request, attempt) -- attempt is 1 for
the first request carrying that webhook-id, 2 for the second, ... -- and
returning a status code, or HANG (read the request, never answer: the
connection stays open until the client gives up or the receiver stops). The
presets OK, FAIL_THEN_OK (500 to the first attempt of each delivery, 200
after), ALWAYS_500, GONE (410), REDIRECT (302 to /redirected) and HANG_FOREVER
cover the usual cases (Receiver("ok"), "fail_then_ok", ... name them too);
`script` may be replaced while the receiver runs. A HANG request records when
the client closed the connection (client_closed_mono), so a test can see how
long the client waited.

Verifiers:
  verify(secret, headers, body)   the signature scheme of standardwebhooks.com,
                                  written here with hmac/hashlib/base64 only;
                                  raises VerificationError, returns the JSON.
  node_verify(items)              the official npm package `standardwebhooks`
                                  (tests/webhooks/verify.mjs, pinned, installed
                                  by scripts/setup); one result line per item.

Python 3 standard library only. Every socket operation has a timeout.
"""

import base64
import hashlib
import hmac
import http.server
import json
import os
import select
import socket
import ssl
import subprocess
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_VERIFIER_DIR = os.path.normpath(os.path.join(HERE, "..", "webhooks"))
NODE_VERIFIER = os.path.join(NODE_VERIFIER_DIR, "verify.mjs")

SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE = 5 * 60   # seconds, as the reference libraries use
READ_TIMEOUT = 10.0          # a request must arrive whole within this
HANG_LIMIT = 60.0            # a hanging answer gives up after this, whatever happens

HANG = "hang"


def OK(request, attempt):  # noqa: N802 (a preset, named like a constant)
    return 200


def FAIL_THEN_OK(request, attempt):  # noqa: N802
    """500 to the first attempt of each delivery (webhook-id), 200 after."""
    return 500 if attempt == 1 else 200


def ALWAYS_500(request, attempt):  # noqa: N802
    return 500


def GONE(request, attempt):  # noqa: N802
    return 410


def REDIRECT(request, attempt):  # noqa: N802
    """302 to /redirected on this receiver (a client that follows it shows up there)."""
    return 302


def HANG_FOREVER(request, attempt):  # noqa: N802
    return HANG


PRESETS = {"ok": OK, "fail_then_ok": FAIL_THEN_OK, "always_500": ALWAYS_500, "gone": GONE,
           "redirect": REDIRECT, "hang": HANG_FOREVER}

REDIRECT_PATH = "/redirected"


class Received:
    """One request as the receiver got it."""

    def __init__(self, method, path, header_list, body, received_at, received_mono, tls):
        self.method = method
        self.path = path
        self.header_list = [(k.lower(), v) for k, v in header_list]
        self.headers = {}
        for k, v in self.header_list:
            self.headers[k] = self.headers[k] + ", " + v if k in self.headers else v
        self.body = body
        self.received_at = received_at       # time.time() when the whole request was read
        self.received_mono = received_mono   # time.monotonic() then
        self.tls = tls
        self.attempt = None                  # 1, 2, ... per webhook-id
        self.answered = None                 # the status sent, or HANG
        self.client_closed_mono = None       # HANG only: when the client closed the connection

    @property
    def webhook_id(self):
        return self.headers.get("webhook-id")

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def event(self):
        """The parsed body, or None if it is not a JSON object."""
        try:
            value = self.json()
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    @property
    def type(self):
        ev = self.event
        return ev.get("type") if ev else None

    @property
    def data(self):
        ev = self.event
        return ev.get("data") if ev else None

    def __repr__(self):
        body = self.body[:300]
        return "<%s %s webhook-id=%s attempt=%s answered=%s body=%r>" % (
            self.method, self.path, self.webhook_id, self.attempt, self.answered, body)


def _event_matcher(type_, data):
    def match(r):
        if type_ is not None and r.type != type_:
            return False
        d = r.data
        if data and not isinstance(d, dict):
            return False
        return all(k in d and d[k] == v for k, v in data.items())
    return match


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "webhook-receiver"
    sys_version = ""

    def setup(self):
        self.request.settimeout(READ_TIMEOUT)
        if isinstance(self.request, ssl.SSLSocket):
            try:
                self.request.do_handshake()
            except (ssl.SSLError, OSError) as e:
                self.server.owner._note_tls_failure(e)
                raise
        super().setup()

    def log_message(self, fmt, *args):  # quiet
        pass

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self):
        owner = self.server.owner
        body = self._read_body()
        req = Received(self.command, self.path, list(self.headers.items()), body, time.time(),
                       time.monotonic(), isinstance(self.request, ssl.SSLSocket))
        answer = owner._record(req)
        if answer == HANG:
            self._hang(req)
            self.close_connection = True
            return
        payload = b'{"received": true}' if 200 <= answer < 300 else b'{"error": "scripted failure"}'
        self.send_response(answer)
        if answer in (301, 302, 303, 307, 308):
            self.send_header("Location", owner.base_url + REDIRECT_PATH)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _hang(self, req):
        """Never answers; notes when the client closes the connection."""
        owner = self.server.owner
        deadline = time.monotonic() + HANG_LIMIT
        sock = self.request
        while not owner._stopping.is_set() and time.monotonic() < deadline:
            if isinstance(sock, ssl.SSLSocket):
                owner._stopping.wait(0.1)
                continue
            readable, _, _ = select.select([sock], [], [], 0.1)
            if readable:
                try:
                    data = sock.recv(1, socket.MSG_PEEK)
                except OSError:
                    data = b""
                if not data:
                    with owner._lock:
                        req.client_closed_mono = time.monotonic()
                    return
                # A pipelined byte: swallow it and keep hanging.
                try:
                    sock.recv(65536)
                except OSError:
                    return

    do_POST = _serve
    do_GET = _serve
    do_PUT = _serve


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, owner, ssl_context):
        self.owner = owner
        self.ssl_context = ssl_context
        super().__init__(("127.0.0.1", 0), _Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.ssl_context is not None:
            # The handshake runs in the handler's thread (setup), so a client
            # that never completes it cannot block the accept loop.
            sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        pass   # a client that went away mid-request, a failed TLS handshake: not our concern here


class Receiver:
    """See the module docstring. Use as a context manager, or start()/stop()."""

    def __init__(self, script=OK, certfile=None, keyfile=None, path="/hook"):
        self.script = PRESETS.get(script, script) if isinstance(script, str) else script
        self.path = path
        self._ssl_context = None
        if certfile:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(certfile, keyfile)
            self._ssl_context = ctx
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._requests = []
        self._attempts = {}
        self._tls_failures = []
        self._stopping = threading.Event()
        self._server = None
        self._port = None
        self._thread = None

    # -- lifecycle -----------------------------------------------------------
    def start(self):
        self._server = _Server(self, self._ssl_context)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True, name="webhook-receiver")
        self._thread.start()
        return self

    def stop(self):
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self):
        return self._port

    @property
    def base_url(self):
        scheme = "https" if self._ssl_context else "http"
        return "%s://127.0.0.1:%d" % (scheme, self.port)

    @property
    def url(self):
        return self.base_url + self.path

    def url_with_host(self, host):
        scheme = "https" if self._ssl_context else "http"
        return "%s://%s:%d%s" % (scheme, host, self.port, self.path)

    # -- recording -------------------------------------------------------------
    def _record(self, req):
        with self._cond:
            wid = req.webhook_id
            self._attempts[wid] = self._attempts.get(wid, 0) + 1
            req.attempt = self._attempts[wid]
            script = self.script
        try:
            answer = script(req, req.attempt)
        except Exception:  # noqa: BLE001 (a broken script is a 500, and visible in the test)
            answer = 500
        with self._cond:
            req.answered = answer
            self._requests.append(req)
            self._cond.notify_all()
        return answer

    def _note_tls_failure(self, error):
        with self._cond:
            self._tls_failures.append(repr(error))
            self._cond.notify_all()

    @property
    def tls_failures(self):
        with self._lock:
            return list(self._tls_failures)

    def requests(self, predicate=None):
        """Every request so far, in arrival order (those matching predicate)."""
        with self._lock:
            reqs = list(self._requests)
        return [r for r in reqs if predicate is None or predicate(r)]

    def events(self, type_=None, **data):
        """The requests whose body is an event of `type_` (any type if None)
        whose data has every given key with that value."""
        return self.requests(_event_matcher(type_, data))

    def wait_for(self, predicate, count=1, timeout=10.0):
        """Waits until at least `count` requests match; returns them all (maybe
        fewer, once timeout seconds have passed)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [r for r in self._requests if predicate(r)]
                left = deadline - time.monotonic()
                if len(found) >= count or left <= 0:
                    return found
                self._cond.wait(min(left, 0.2))

    def wait_events(self, type_=None, count=1, timeout=10.0, **data):
        """wait_for() on the events that events(type_, **data) returns."""
        return self.wait_for(_event_matcher(type_, data), count, timeout)

    def clear(self):
        with self._lock:
            self._requests = []
            self._attempts = {}


# --------------------------------------------------------------------------
# Standard Webhooks, written out (https://www.standardwebhooks.com/)
# --------------------------------------------------------------------------

class VerificationError(Exception):
    pass


def secret_bytes(secret):
    """The key of a `whsec_<base64>` secret."""
    if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX):
        raise VerificationError("secret does not start with %r" % SECRET_PREFIX)
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
    except (ValueError, TypeError) as e:
        raise VerificationError("secret is not base64: %s" % e)
    if not key:
        raise VerificationError("empty secret")
    return key


def sign(secret, msg_id, timestamp, body):
    """`v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    content = ("%s.%s." % (msg_id, timestamp)).encode("utf-8") + body
    mac = hmac.new(secret_bytes(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode("ascii")


def verify(secret, headers, body, tolerance=DEFAULT_TOLERANCE, now=None):
    """Checks a delivery (headers: a dict, any case; body: the raw bytes) and
    returns its parsed JSON body. Raises VerificationError: a header missing,
    a timestamp that is not Unix seconds or more than `tolerance` seconds from
    `now`, no v1 signature that matches."""
    h = {k.lower(): v for k, v in headers.items()}
    msg_id, ts, sigs = h.get("webhook-id"), h.get("webhook-timestamp"), h.get("webhook-signature")
    if not msg_id or not ts or not sigs:
        raise VerificationError("missing webhook-id, webhook-timestamp or webhook-signature")
    if not ts.isdigit():
        raise VerificationError("webhook-timestamp is not Unix seconds: %r" % ts)
    now = time.time() if now is None else now
    if abs(now - int(ts)) > tolerance:
        raise VerificationError("webhook-timestamp %s is %.0f s away from now" % (ts, now - int(ts)))
    expected = sign(secret, msg_id, ts, body).split(",", 1)[1]
    for candidate in sigs.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode("ascii", "replace"), expected.encode("ascii")):
            try:
                return json.loads(body.decode("utf-8") if isinstance(body, bytes) else body)
            except ValueError as e:
                raise VerificationError("signed body is not JSON: %s" % e)
    raise VerificationError("no matching v1 signature")


def node_verify(items, timeout=60):
    """Verifies each (secret, headers, body) with the official npm library;
    returns one string per item: "ok" or the error it raised."""
    if not os.path.isfile(os.path.join(NODE_VERIFIER_DIR, "node_modules", "standardwebhooks", "package.json")):
        raise AssertionError("the npm package standardwebhooks is not installed in %s: run scripts/setup"
                             % NODE_VERIFIER_DIR)
    lines = []
    for secret, headers, body in items:
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        lines.append(json.dumps({"secret": secret, "headers": dict(headers), "body": body}))
    proc = subprocess.run(["node", NODE_VERIFIER], input=("\n".join(lines) + "\n").encode("utf-8"),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, cwd=NODE_VERIFIER_DIR)
    if proc.returncode != 0:
        raise AssertionError("node %s failed (exit %s): %s" % (NODE_VERIFIER, proc.returncode,
                                                              proc.stderr.decode("utf-8", "replace")[:2000]))
    out = proc.stdout.decode("utf-8").splitlines()
    if len(out) != len(items):
        raise AssertionError("node verifier printed %d lines for %d inputs: %r" % (len(out), len(items), out[:10]))
    return out
