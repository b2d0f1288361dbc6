"""Abusive clients over real sockets (SPEC §2.5): each must get a 4xx (a JSON
{"error": ...} body when a response is sent) or a closed connection -- never a
crash, a hang or an unbounded allocation -- and the server must keep serving.

  AbuseTest             one server (--max-connections 6000, --header-timeout
                        60) for:
    test_idle_flood_*     5,000 idle connections and a slowloris client while
                          a well-behaved client is served (p99 < 50 ms);
    test_pipeline_*       pipelined requests answered in order; a bad or
                          oversized request in a pipeline ends it;
    test_smuggling_*      CL+TE, duplicate Content-Length, obs-fold, bare LF,
                          a space before the colon, bad Transfer-Encodings,
                          HTTP/1.0 + chunked + keep-alive, bad chunk sizes, a
                          chunk extension too long: 400 and closed, nothing
                          smuggled behind them is ever answered;
    test_json_*           invalid UTF-8, lone surrogates, overlong encodings,
                          NUL, 100,000-deep nesting: 400 (or 413), fast;
    test_huge_*           a 10 MB path, a 1 GB Content-Length, a chunked body
                          past the limit: answered at once, memory bounded.
  DescriptorLimitTest   servers under prlimit: out of descriptors, new
                        connections get 503 or a close at once (not a hang),
                        one warning line, served again afterwards; at start
                        the soft RLIMIT_NOFILE is raised to the hard one.

None of it depends on the store beyond the share and report endpoints it
sends its bodies to.
"""

import json
import os
import re
import resource
import shutil
import socket
import ssl
import subprocess
import threading
import time
import unittest

import harness
from harness import ConnectionClosed, RawReader, connect, make_report

SHARE = "/assessments/reports/318/share"
REPORT = "/assessments/report/%d"
SMUGGLED = b"GET /nope HTTP/1.1\r\nHost: t\r\n\r\n"
IDLE_CONNECTIONS = 5000
# The strings of json_cases that are valid JSON (escaped control characters).
VALID_JSON = ("NUL escape", "control escapes")
DEFAULT_BODY_LIMIT = 64 * 1024
BRANDING_BODY_LIMIT = 512 * 1024


def get(path, extra=b"", version=b"1.1"):
    return b"GET " + path.encode() + b" HTTP/" + version + b"\r\nHost: t\r\n" + extra + b"\r\n"


def raise_nofile():
    """Raises this process's soft RLIMIT_NOFILE to its hard limit; returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft == resource.RLIM_INFINITY or soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def socket_count(pid):
    """The sockets a process holds (its listener and its connections among them)."""
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:"):
                n += 1
        except OSError:   # closed meanwhile
            pass
    return n


def proc_status_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError("no %s in /proc/%d/status" % (field, pid))


def open_files_limits(pid):
    """(soft, hard) "Max open files" of a process."""
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                soft, hard = line.split()[3:5]
                return int(soft), int(hard)
    raise AssertionError("no Max open files in /proc/%d/limits" % pid)


def open_idle(port, n, sockets):
    """Appends n connected (TCP only, nothing sent) sockets to `sockets`."""
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        sockets.append(s)


def close_all(sockets):
    for s in sockets:
        try:
            s.close()
        except OSError:
            pass
    del sockets[:]


def read_all_responses(sock, timeout=5.0, head=False):
    """Every response the server sends on `sock` until it closes it.
    Returns (responses, closed): closed is False when the connection was
    still open (no byte for `timeout` seconds) after the last response."""
    sock.settimeout(timeout)
    reader = RawReader(sock)
    out = []
    while True:
        try:
            out.append(reader.read_response(head=head))
        except ConnectionClosed as e:
            if e.partial:
                raise AssertionError("server closed mid-response: %r" % (e.partial[:300],))
            return out, True
        except ConnectionResetError:
            return out, True
        except (socket.timeout, TimeoutError):
            if reader.buf:
                raise AssertionError("incomplete response after %.1f s: %r" % (timeout, reader.buf[:300]))
            return out, False


def exchange_all(port, data, timeout=5.0):
    """Sends `data` on a fresh connection; returns (responses, closed, seconds)."""
    s = connect(port, timeout=timeout)
    try:
        start = time.monotonic()
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        responses, closed = read_all_responses(s, timeout)
        return responses, closed, time.monotonic() - start
    finally:
        s.close()


class Sender(threading.Thread):
    """Sends `head`, then `piece` repeatedly until `total` bytes of pieces
    went out, the peer closed or stop() was called."""

    def __init__(self, sock, head, piece, total):
        super().__init__(daemon=True)
        self.sock, self.head, self.piece, self.total = sock, head, piece, total
        self.sent = 0          # bytes of pieces sent
        self.error = None
        self._stop_event = threading.Event()

    def run(self):
        try:
            self.sock.sendall(self.head)
            while self.sent < self.total and not self._stop_event.is_set():
                self.sock.sendall(self.piece)
                self.sent += len(self.piece)
        except OSError as e:  # the server closed: what a flood should end with
            self.error = e

    def stop(self):
        self._stop_event.set()
        self.join(timeout=15)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


class AbuseTest(harness.ServerTestCase):
    # 60 s to send a header: the idle connections stay for the whole
    # measurement however slow the machine; the slowloris is still alive at
    # its end and can then complete its request.
    server_args = ("--threads", "2", "--max-connections", "6000", "--header-timeout", "60")

    @classmethod
    def setUpClass(cls):
        cls.nofile = raise_nofile()
        super().setUpClass()

    @classmethod
    def setup_data(cls):
        cls.put_report(make_report(318))

    # ------------------------------------------------------------ helpers
    def assertServing(self, msg=""):
        self.assertTrue(self.server.alive(), "server died %s:\n%s" % (msg, self.server.logs()[-4000:]))
        resp = self.server.request("GET", "/healthz", timeout=5)
        self.assertStatus(resp, 200, msg)

    def assertRejected(self, data, statuses=(400,), msg="", timeout=5.0):
        """`data` gets exactly one response, a JSON error of `statuses`,
        and the connection is then closed (nothing behind it answered); or
        the connection is closed without a response."""
        responses, closed, took = exchange_all(self.server.port, data, timeout)
        for r in responses:
            self.server.note_tokens(r.body)
        self.assertLessEqual(len(responses), 1, "more than one response to %s: %r" % (msg, responses))
        self.assertTrue(closed, "connection left open after %s: %r" % (msg, responses))
        if responses:
            self.assertError(responses[0], statuses, msg=msg)
        self.assertLess(took, timeout, msg)
        self.assertServing("after " + msg)
        return responses[0] if responses else None

    def share_request(self, body=b"{}", extra=b"", framing=None):
        """A POST share with the A key; framing: None = Content-Length."""
        head = (b"POST " + SHARE.encode() + b" HTTP/1.1\r\nHost: t\r\napiKey: "
                + self.key_a.encode() + b"\r\nContent-Type: application/json\r\n" + extra)
        if framing is None:
            head += b"Content-Length: %d\r\n" % len(body)
        return head + b"\r\n" + body

    # ---------------------------------------------- 1. idle flood + slowloris
    def test_idle_flood_and_slowloris_do_not_slow_a_good_client(self):
        pid = self.server.proc.pid
        # This process holds one end of each connection, the server the other,
        # within its descriptor budget (its limit less a tenth, at least 64).
        server_limit = open_files_limits(pid)[0]
        server_budget = server_limit - max(64, server_limit // 10)
        wanted = min(IDLE_CONNECTIONS, self.nofile - 200, server_budget - 100)
        self.assertGreaterEqual(wanted, 1000, "RLIMIT_NOFILE too low for the flood: %d here, %d in "
                                "the server" % (self.nofile, server_limit))
        idle, good, slow = [], None, None
        stop = threading.Event()
        slow_sent = []
        try:
            open_idle(self.server.port, wanted, idle)
            # Measure only once the server holds every connection (and its listener).
            accepted = harness.wait_until(lambda: socket_count(pid) > wanted, timeout=30)
            self.assertTrue(accepted, "server holds %d sockets for %d idle connections"
                            % (socket_count(pid), wanted))

            slow = connect(self.server.port, timeout=10)
            slow_request = get("/healthz", b"X-Slow: " + b"s" * 40 + b"\r\n")

            def slowloris():
                try:
                    for i in range(len(slow_request) - 1):   # never the last byte
                        if stop.wait(1.0 if i else 0):
                            return
                        slow.sendall(slow_request[i:i + 1])
                        slow_sent.append(i)
                except OSError:   # cut off: the assertion below says so
                    pass

            loris = threading.Thread(target=slowloris, daemon=True)
            loris.start()

            good = connect(self.server.port, timeout=10)
            reader = RawReader(good)
            share = self.share_request(b'{"expiration_hours": 1}')

            def timed(data):
                start = time.monotonic()
                good.sendall(data)
                resp = reader.read_response()
                took = time.monotonic() - start
                self.server.note_tokens(resp.body)
                return resp, took

            for _ in range(5):   # warm-up: first share, caches, the key's row
                timed(get("/healthz"))
                timed(share)
            samples, statuses = [], []
            for i in range(250):
                resp, took = timed(share if i % 5 == 4 else get("/healthz"))
                samples.append(took)
                statuses.append(resp.status)
            self.assertEqual(statuses, [200] * 250, "every answer 200")
            self.assertGreater(socket_count(pid), wanted, "idle connections dropped")
            p99 = percentile(samples, 0.99)
            self.assertLess(p99, 0.050, "p99 %.1f ms (p50 %.1f ms, max %.1f ms) with %d idle "
                            "connections" % (p99 * 1000, percentile(samples, 0.5) * 1000,
                                             max(samples) * 1000, wanted))
            self.assertGreater(len(slow_sent), 0, "the slowloris sent nothing")
            stop.set()
            loris.join(timeout=5)
            # The slowloris finishes its header (within the header timeout): served.
            slow.sendall(slow_request[len(slow_sent):])
            self.assertStatus(RawReader(slow).read_response(), 200)
        finally:
            stop.set()
            for s in (good, slow):
                if s is not None:
                    s.close()
            close_all(idle)
        self.assertServing("after the idle flood")

    # ------------------------------------------------------- 2. pipelining
    def test_pipeline_all_answered_in_order(self):
        share = self.share_request(b'{"expiration_hours": 2}')
        kinds = [(get("/healthz"), 200), (get("/readyz"), 200), (get("/nope"), 404),
                 (share, 200), (b"HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\n", 200),
                 (self.share_request(b"[]"), 400),
                 (b"DELETE /healthz HTTP/1.1\r\nHost: t\r\n\r\n", 405)]
        pipeline = [kinds[i % len(kinds)] for i in range(70)]
        s = connect(self.server.port)
        try:
            s.sendall(b"".join(data for data, _ in pipeline))
            reader = RawReader(s)
            got = []
            ids = set()
            for data, _ in pipeline:
                resp = reader.read_response(head=data.startswith(b"HEAD"))
                self.server.note_tokens(resp.body)
                got.append(resp.status)
                ids.add(resp.headers.get("x-request-id"))
            self.assertEqual(got, [status for _, status in pipeline])
            self.assertEqual(len(ids), len(pipeline), "one request id per response")
            # The connection is still usable afterwards.
            s.sendall(get("/healthz"))
            self.assertStatus(reader.read_response(), 200)
        finally:
            s.close()
        self.assertServing()

    def test_pipeline_with_a_bad_request_in_the_middle(self):
        bad = [
            b"GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n",
            b"GARBAGE\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Fold: a\r\n b\r\n\r\n",
            b"POST " + SHARE.encode() + b" HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n",
        ]
        for data in bad:
            with self.subTest(bad=data[:50]):
                responses, closed, _ = exchange_all(
                    self.server.port, get("/healthz") + get("/readyz") + data + get("/healthz") + get("/nope"))
                self.assertEqual([r.status for r in responses], [200, 200, 400], responses)
                self.assertTrue(closed, "connection open after the bad request")
                self.assertError(responses[2], 400)
                self.assertEqual(responses[2].headers.get("connection", "").lower(), "close")
        self.assertServing()

    def test_pipeline_body_too_large_ends_it(self):
        # The oversized body is never read, so what follows it is never taken
        # for a request.
        big = (b"POST " + SHARE.encode() + b" HTTP/1.1\r\nHost: t\r\napiKey: " + self.key_a.encode()
               + b"\r\nContent-Length: 70000\r\n\r\n")
        responses, closed, _ = exchange_all(self.server.port, get("/healthz") + big + SMUGGLED)
        self.assertEqual([r.status for r in responses], [200, 413], responses)
        self.assertError(responses[1], 413)
        self.assertTrue(closed)
        self.assertServing()

    # ------------------------------------------------- 3. request smuggling
    def test_smuggling_content_length_and_transfer_encoding(self):
        body = b"2\r\n{}\r\n0\r\n\r\n"
        for fields in (b"Content-Length: 12\r\nTransfer-Encoding: chunked\r\n",
                       b"Transfer-Encoding: chunked\r\nContent-Length: 12\r\n",
                       b"Content-Length: 0\r\nTransfer-Encoding: chunked\r\n",
                       b"Transfer-Encoding: xchunked\r\nContent-Length: 12\r\n"):
            with self.subTest(fields=fields):
                self.assertRejected(self.share_request(body, fields, framing="raw") + SMUGGLED,
                                    msg=repr(fields))

    def test_smuggling_duplicate_content_length(self):
        for fields in (b"Content-Length: 2\r\nContent-Length: 2\r\n",
                       b"Content-Length: 2\r\nContent-Length: 40\r\n",
                       b"Content-Length: 40\r\nContent-Length: 2\r\n",
                       b"Content-Length: 2, 2\r\n",
                       b"Content-Length: 2,40\r\n",
                       b"Content-Length: +2\r\n",
                       b"Content-Length: 0x2\r\n"):
            with self.subTest(fields=fields):
                self.assertRejected(self.share_request(b"{}", fields, framing="raw") + SMUGGLED,
                                    msg=repr(fields))

    def test_smuggling_obs_fold(self):
        cases = {
            "general header": get("/healthz", b"X-Fold: a\r\n b\r\n"),
            "general header, tab": get("/healthz", b"X-Fold: a\r\n\tb\r\n"),
            "Host": b"GET /healthz HTTP/1.1\r\nHost:\r\n t\r\n\r\n",
            "Transfer-Encoding, value on the next line": self.share_request(
                b"2\r\n{}\r\n0\r\n\r\n", b"Transfer-Encoding:\r\n chunked\r\n", framing="raw"),
            "Transfer-Encoding, continued": self.share_request(
                b"2\r\n{}\r\n0\r\n\r\n", b"Transfer-Encoding: chunked\r\n\t, identity\r\n", framing="raw"),
            "Content-Length, value on the next line": self.share_request(
                b"{}", b"Content-Length:\r\n 2\r\n", framing="raw"),
            "Content-Length, continued": self.share_request(
                b"{}", b"Content-Length: 2\r\n 0\r\n", framing="raw"),
            "Content-Length then TE folded": self.share_request(
                b"{}", b"Content-Length: 2\r\nX-A: b\r\n Transfer-Encoding: chunked\r\n", framing="raw"),
        }
        for label, data in cases.items():
            with self.subTest(case=label):
                self.assertRejected(data + SMUGGLED, msg=label)

    def test_smuggling_bare_lf_and_space_before_colon(self):
        cases = {
            "bare LF everywhere": b"GET /healthz HTTP/1.1\nHost: t\n\n",
            "bare LF after a field": b"GET /healthz HTTP/1.1\r\nHost: t\nX-A: b\r\n\r\n",
            "bare LF ending the header": b"GET /healthz HTTP/1.1\r\nHost: t\r\n\n",
            "bare CR": b"GET /healthz HTTP/1.1\r\nHost: t\rX-A: b\r\n\r\n",
            "space before the colon": self.share_request(b"{}", b"Content-Length : 2\r\n", framing="raw"),
            "tab before the colon": self.share_request(b"{}", b"Content-Length\t: 2\r\n", framing="raw"),
            "space before a TE colon": self.share_request(b"2\r\n{}\r\n0\r\n\r\n",
                                                          b"Transfer-Encoding : chunked\r\n", framing="raw"),
        }
        for label, data in cases.items():
            with self.subTest(case=label):
                self.assertRejected(data + SMUGGLED, msg=label)

    def test_smuggling_bad_transfer_encodings(self):
        body = b"2\r\n{}\r\n0\r\n\r\n"
        for te in (b"chunked, identity", b"identity, chunked", b"xchunked", b"chunked, chunked",
                   b"gzip, chunked", b"chunked;q=1", b"identity", b"\"chunked\""):
            with self.subTest(te=te):
                self.assertRejected(self.share_request(body, b"Transfer-Encoding: " + te + b"\r\n",
                                                       framing="raw") + SMUGGLED, msg=repr(te))
        with self.subTest(te="chunked twice"):
            self.assertRejected(self.share_request(
                body, b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", framing="raw")
                + SMUGGLED, msg="chunked twice")
        # The one coding understood, in any case, is served.
        responses, _, _ = exchange_all(self.server.port, self.share_request(
            body, b"Transfer-Encoding: Chunked\r\nConnection: close\r\n", framing="raw"))
        for r in responses:
            self.server.note_tokens(r.body)
        self.assertEqual([r.status for r in responses], [200], responses)

    def test_smuggling_http10_chunked_keep_alive_then_closed(self):
        # RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty
        # framing; answer it, then close: the second request is never read.
        first = (b"POST " + SHARE.encode() + b" HTTP/1.0\r\nHost: t\r\napiKey: " + self.key_a.encode()
                 + b"\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
        responses, closed, _ = exchange_all(self.server.port, first + SMUGGLED)
        for r in responses:
            self.server.note_tokens(r.body)
        self.assertEqual(len(responses), 1, responses)
        self.assertIn(responses[0].status, (200, 400), responses)
        self.assertNotEqual(responses[0].headers.get("connection", "").lower(), "keep-alive", responses)
        self.assertTrue(closed, "connection kept open after an HTTP/1.0 chunked request")
        # A plain HTTP/1.0 keep-alive request does keep the connection.
        s = connect(self.server.port)
        try:
            s.sendall(get("/healthz", b"Connection: keep-alive\r\n", b"1.0") * 2)
            reader = RawReader(s)
            self.assertEqual([reader.read_response().status for _ in range(2)], [200, 200])
        finally:
            s.close()
        self.assertServing()

    def test_smuggling_bad_chunk_sizes(self):
        cases = {
            "overflow": b"ffffffffffffffffff\r\n{}\r\n0\r\n\r\n",
            "huge": b"ffffffffffffffff\r\n{}\r\n0\r\n\r\n",
            "over the limit": b"10001\r\n{}\r\n0\r\n\r\n",
            "negative": b"-2\r\n{}\r\n0\r\n\r\n",
            "0x prefix": b"0x2\r\n{}\r\n0\r\n\r\n",
            "garbage": b"2g\r\n{}\r\n0\r\n\r\n",
            "empty": b"\r\n{}\r\n0\r\n\r\n",
            "size too small": b"1\r\n{}\r\n0\r\n\r\n",
            "no CRLF after the data": b"2\r\n{}0\r\n\r\n",
            "bad extension": b"2;=\r\n{}\r\n0\r\n\r\n",
        }
        for label, body in cases.items():
            with self.subTest(case=label):
                self.assertRejected(self.share_request(body, b"Transfer-Encoding: chunked\r\n", framing="raw")
                                    + SMUGGLED, statuses=(400, 413), msg=label)

    def test_smuggling_chunk_extension_too_long(self):
        # A chunk header that never ends: cut off once the read buffer is
        # full, not kept growing until the body timeout.
        for where in ("data chunk", "last chunk", "trailer"):
            with self.subTest(where=where):
                s = connect(self.server.port, timeout=10)
                try:
                    start = {"data chunk": b"2;ext=", "last chunk": b"0;ext=",
                             "trailer": b"0\r\nX-Trailer: "}[where]
                    head = self.share_request(b"", b"Transfer-Encoding: chunked\r\n", framing="raw") + start
                    sender = Sender(s, head, b"a" * 16384, 8 << 20)
                    t0 = time.monotonic()
                    sender.start()
                    responses, closed = read_all_responses(s, timeout=10)
                    took = time.monotonic() - t0
                    sender.stop()
                    self.assertTrue(closed, "connection still open")
                    self.assertLessEqual(len(responses), 1, responses)
                    if responses:
                        self.assertError(responses[0], (400, 413, 431))
                    self.assertLess(sender.sent, 8 << 20, "the server read all 8 MiB of one chunk header")
                    self.assertLess(took, 5.0)
                finally:
                    s.close()
                self.assertServing(where)

    # ---------------------------------------------------------- 4. JSON abuse
    def json_cases(self):
        return {
            "invalid UTF-8 byte": b"\"Priya \xff Raman\"",
            "truncated UTF-8": b"\"Priya \xe2\x82\"",
            "UTF-8 continuation alone": b"\"\x80\"",
            "UTF-8 surrogate": b"\"\xed\xa0\x80\"",
            "overlong slash": b"\"\xc0\xaf\"",
            "overlong 3-byte": b"\"\xe0\x80\xaf\"",
            "overlong euro": b"\"\xf0\x82\x82\xac\"",
            "past U+10FFFF": b"\"\xf4\x90\x80\x80\"",
            "lone high surrogate": b"\"\\ud800\"",
            "lone low surrogate": b"\"\\udc00\"",
            "high surrogate then a letter": b"\"\\ud800\\u0041\"",
            "reversed pair": b"\"\\udc00\\ud800\"",
            "NUL escape": b"\"Priya\\u0000Raman\"",
            "control escapes": b"\"Priya\\u001b[31m\\u0007Raman\"",
            "raw NUL": b"\"Priya\x00Raman\"",
            "raw control": b"\"Priya\x01Raman\"",
        }

    def test_json_bad_strings_in_a_report(self):
        for i, (label, value) in enumerate(self.json_cases().items()):
            with self.subTest(case=label):
                template = json.dumps(make_report(700 + i, name="@@NAME@@")).encode()
                body = template.replace(b"\"@@NAME@@\"", value)
                start = time.monotonic()
                resp = self.call("PUT", REPORT % (700 + i), body=body,
                                 headers={"Content-Type": "application/json"})
                self.assertLess(time.monotonic() - start, 2.0)
                # Invalid JSON, or (escaped control characters, valid JSON) a
                # name the report rules refuse.
                self.assertError(resp, 400, contains=("name",) if label in VALID_JSON else ("JSON",),
                                 msg=label)
                self.assertError(self.call("GET", REPORT % (700 + i)), 404, msg="nothing stored: " + label)
                self.assertServing(label)
        self.assertServing()

    def test_json_bad_strings_in_a_share(self):
        # In a field the share ignores (SPEC §2.1: unknown fields are
        # ignored), and as a key: invalid JSON is a 400 all the same. Escaped
        # control characters are valid JSON, and harmless where ignored.
        for label, value in self.json_cases().items():
            valid = label in VALID_JSON
            for where, body in (("value", b"{\"expiration_hours\": 1, \"x\": " + value + b"}"),
                                ("key", b"{" + value + b": 1}")):
                with self.subTest(case=label, where=where):
                    resp = self.call("POST", SHARE, body=body)
                    self.server.note_tokens(resp.body)
                    if valid:
                        self.assertStatus(resp, 200)
                    else:
                        self.assertError(resp, 400, contains=("JSON",), msg=label)
                    self.assertServing(label)
        self.assertServing()

    def test_json_deep_nesting(self):
        def arrays(n):
            return b"[" * n + b"]" * n

        def objects(n):
            return b"{\"a\":" * n + b"1" + b"}" * n

        def short_objects(n):   # 100,000 of them fit the branding's 512 KiB
            return b"{\"\":" * n + b"1" + b"}" * n

        def unclosed(n):
            return b"[" * n

        cases = []
        for name, make in (("arrays", arrays), ("objects", objects), ("short objects", short_objects),
                           ("unclosed", unclosed)):
            for depth in (100, 12000, 100000):
                cases.append(("%s %d" % (name, depth), make(depth)))
        routes = (("PUT", REPORT % 800, DEFAULT_BODY_LIMIT),
                  ("POST", SHARE, DEFAULT_BODY_LIMIT),
                  ("PUT", "/assessments/branding", BRANDING_BODY_LIMIT))
        for method, path, limit in routes:
            for label, body in cases:
                with self.subTest(route=path, case=label):
                    start = time.monotonic()
                    resp = self.call(method, path, body=body, headers={"Content-Type": "application/json"},
                                     timeout=10)
                    took = time.monotonic() - start
                    if len(body) > limit:
                        self.assertError(resp, 413, msg=label)
                    else:
                        self.assertError(resp, 400, contains=("JSON",), msg=label)
                    self.assertLess(took, 2.0, label)
                    self.assertServing(label)
        self.assertTrue(self.server.alive())
        self.assertError(self.call("GET", REPORT % 800), 404)
        self.assertServing()

    # ---------------------------------------------------- 5. huge requests
    def test_huge_path_bounded(self):
        pid = self.server.proc.pid
        peak_before = proc_status_kib(pid, "VmHWM")
        s = connect(self.server.port, timeout=10)
        try:
            sender = Sender(s, b"GET /", b"a" * 65536, 10 << 20)
            t0 = time.monotonic()
            sender.start()
            responses, closed = read_all_responses(s, timeout=10)
            took = time.monotonic() - t0
            sender.stop()
        finally:
            s.close()
        self.assertTrue(closed)
        self.assertLessEqual(len(responses), 1, responses)
        if responses:
            self.assertError(responses[0], (414, 431))
        self.assertLess(took, 3.0)
        self.assertLess(sender.sent, 10 << 20, "the server took in the whole 10 MB path")
        grown = proc_status_kib(pid, "VmHWM") - peak_before
        self.assertLess(grown, 8 * 1024, "peak memory grew by %d KiB for a 10 MB path" % grown)
        self.assertServing()

    def test_huge_content_length_answered_before_the_body(self):
        # With "Expect: 100-continue" too: the 413 comes instead of the 100.
        for method, path, expect in (("PUT", REPORT % 900, ""), ("POST", SHARE, ""),
                                     ("PUT", "/assessments/branding", ""),
                                     ("PUT", REPORT % 900, "Expect: 100-continue\r\n")):
            with self.subTest(path=path, expect=expect):
                head = ("%s %s HTTP/1.1\r\nHost: t\r\napiKey: %s\r\nContent-Type: application/json\r\n"
                        "%sContent-Length: %d\r\n\r\n" % (method, path, self.key_a, expect, 1 << 30)).encode()
                s = connect(self.server.port, timeout=5)
                try:
                    t0 = time.monotonic()
                    s.sendall(head)     # and nothing of the body, ever
                    resp = RawReader(s).read_response()
                    took = time.monotonic() - t0
                    self.assertError(resp, 413)
                    self.assertLess(took, 2.0)
                    self.assertEqual(resp.headers.get("connection", "").lower(), "close")
                    _, closed = read_all_responses(s, timeout=5)
                    self.assertTrue(closed)
                finally:
                    s.close()
        self.assertError(self.call("GET", REPORT % 900), 404)
        self.assertServing()

    def test_huge_chunked_body_cut_at_the_limit(self):
        s = connect(self.server.port, timeout=10)
        try:
            head = self.share_request(b"", b"Transfer-Encoding: chunked\r\n", framing="raw")
            piece = b"%x\r\n%s\r\n" % (8192, b" " * 8192)
            # Past the limit by half a MiB, which the server's lingering close
            # takes in, so its close is clean and the answer cannot be lost.
            sender = Sender(s, head, piece, DEFAULT_BODY_LIMIT + (512 << 10))
            t0 = time.monotonic()
            sender.start()
            resp = RawReader(s).read_response()
            took = time.monotonic() - t0
            self.assertError(resp, 413)
            self.assertLess(took, 2.0)
            _, closed = read_all_responses(s, timeout=5)
            self.assertTrue(closed, "connection open after the 413")
            sender.stop()
        finally:
            s.close()
        self.assertServing()


REFUSING_RE = re.compile(r"refusing new connections")


class LimitedServer(harness.Server):
    """A Server whose process runs under `prlimit --nofile=SOFT:HARD`."""

    def __init__(self, tmpdir, nofile):
        super().__init__(tmpdir)
        self.nofile = nofile

    def start(self, extra_args=(), env=None, **kwargs):
        return super().start(extra_args, env, launcher=harness.nofile_launcher(self.nofile),
                             **kwargs)


class DescriptorLimitTest(harness.TempServersTestCase):

    def start(self, nofile, args=()):
        srv = LimitedServer(self.tmp, nofile)
        self.servers.append(srv)
        srv.start(("--threads", "2") + tuple(args))
        return srv

    def assertRefusedAtOnce(self, srv, attempt):
        """A new GET /healthz gets a 503 JSON error or a closed connection
        (over TLS: the handshake cut off) within 1 s, not a hang."""
        t0 = time.monotonic()
        responses, closed = [], True
        try:
            s = connect(srv.port, timeout=5)
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
            s = None   # closed before the TLS handshake finished
        if s is not None:
            try:
                s.sendall(get("/healthz"))
                responses, closed = read_all_responses(s, timeout=5)
            except (BrokenPipeError, ssl.SSLError):
                pass
            finally:
                s.close()
        took = time.monotonic() - t0
        self.assertLess(took, 1.0, "no answer and no close within 1 s (attempt %d)" % attempt)
        self.assertTrue(closed, "attempt %d: connection left open" % attempt)
        self.assertLessEqual(len(responses), 1, responses)
        if responses:
            resp = responses[0]
            self.assertEqual(resp.status, 503, resp)
            self.assertEqual(resp.content_type, "application/json", resp)
            self.assertEqual(list(resp.json().keys()), ["error"], resp)

    def test_out_of_descriptors_new_connections_refused_not_hung(self):
        raise_nofile()
        srv = self.start("256:256", ("--max-connections", "1024", "--header-timeout", "60"))
        self.assertEqual(open_files_limits(srv.proc.pid), (256, 256))
        idle = []
        try:
            open_idle(srv.port, 300, idle)
            # The server took what it can: the rest were refused, not left in
            # the backlog.
            time.sleep(0.5)
            for attempt in range(3):
                self.assertRefusedAtOnce(srv, attempt)
            self.assertTrue(srv.alive())
        finally:
            close_all(idle)
        # Served again once the descriptors are back.
        resp = harness.wait_until(lambda: srv.request("GET", "/healthz", timeout=5), timeout=10)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(srv.request("GET", "/readyz").status, 200)
        harness.wait_until(lambda: "accepting connections again" in srv.stderr(), timeout=5)
        warnings = [line for line in srv.stderr().splitlines() if REFUSING_RE.search(line)]
        self.assertEqual(len(warnings), 1, "one warning line, not one per connection:\n%s"
                         % "\n".join(warnings[:5]))
        record = json.loads(warnings[0])
        self.assertEqual(record.get("level"), "warning", record)
        self.assertEqual(record.get("open_files_limit"), 256, record)
        recovered = [line for line in srv.stderr().splitlines() if "accepting connections again" in line]
        self.assertEqual(len(recovered), 1, recovered)

    def test_limit_lowered_under_a_running_server(self):
        # The budget is taken at start; with the limit cut below it later,
        # accept() itself fails with EMFILE: the spare descriptor takes each
        # waiting connection and closes it, rather than leaving it in the
        # backlog while the accept loop retries.
        raise_nofile()
        srv = self.start("1024:20000", ("--max-connections", "1024", "--header-timeout", "60"))
        lowered = subprocess.run([harness.PRLIMIT, "--pid", str(srv.proc.pid), "--nofile=200:200"],
                                 capture_output=True, timeout=10)
        self.assertEqual(lowered.returncode, 0, lowered.stderr)
        idle = []
        try:
            open_idle(srv.port, 250, idle)
            time.sleep(0.5)
            for attempt in range(3):
                self.assertRefusedAtOnce(srv, attempt)
        finally:
            close_all(idle)
        resp = harness.wait_until(lambda: srv.request("GET", "/healthz", timeout=5), timeout=10)
        self.assertEqual(resp.status, 200, resp)
        harness.wait_until(lambda: "accepting connections again" in srv.stderr(), timeout=5)
        warnings = [line for line in srv.stderr().splitlines() if REFUSING_RE.search(line)]
        self.assertEqual(len(warnings), 1, "\n".join(warnings[:5]))

    def test_soft_limit_raised_to_the_hard_one_at_start(self):
        srv = self.start("1024:20000")
        self.assertEqual(open_files_limits(srv.proc.pid), (20000, 20000))
        listening = [json.loads(line) for line in srv.stderr().splitlines() if "listening on" in line]
        self.assertEqual(len(listening), 1, srv.stderr())
        self.assertEqual(listening[0].get("open_files_limit"), 20000, listening[0])
        self.assertEqual(srv.request("GET", "/healthz").status, 200)


if __name__ == "__main__":
    unittest.main()
