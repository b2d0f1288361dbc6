"""HTTP/1.1 behaviour over raw sockets (SPEC §2, §2.5): keep-alive, limits,
malformed input, slow clients, concurrency, request ids, health endpoints."""

import http.client
import socket
import threading
import time
import unittest

import harness
from harness import (ConnectionClosed, RawReader, connect, make_report, request_on,
                     token_of)


def get(path, extra=b""):
    return b"GET " + path.encode() + b" HTTP/1.1\r\nHost: t\r\n" + extra + b"\r\n"


class ProtocolTest(harness.ServerTestCase):
    server_args = ("--threads", "2")

    @classmethod
    def setup_data(cls):
        cls.put_report(make_report(318))

    # --------------------------------------------------------------- health
    def test_healthz_readyz(self):
        for path in ("/healthz", "/readyz"):
            with self.subTest(path=path):
                resp = self.server.request("GET", path)
                self.assertStatus(resp, 200)
                self.assertIn("x-request-id", resp.headers)

    def test_metrics_prometheus_text(self):
        self.server.request("GET", "/healthz")
        resp = self.server.request("GET", "/metrics")
        self.assertStatus(resp, 200)
        self.assertIn("text/plain", resp.headers.get("content-type", ""), resp)
        self.assertIn("# TYPE", resp.text)
        self.assertNotIn(self.key_a, resp.text)

    # ----------------------------------------------------------- request id
    def test_request_id_on_every_response(self):
        responses = {
            "200 healthz": self.server.request("GET", "/healthz"),
            "200 share": self.call("POST", "/assessments/reports/318/share"),
            "400": self.call("POST", "/assessments/reports/abc/share"),
            "401": self.call("POST", "/assessments/reports/318/share", key=None),
            "404": self.server.request("GET", "/nope"),
            "405": self.server.request("DELETE", "/healthz"),
            "409-or-404": self.call("POST", "/assessments/reports/999/share"),
            "413": self.server.raw(("POST /assessments/reports/318/share HTTP/1.1\r\nHost: t\r\n"
                                    "apiKey: %s\r\nContent-Length: 70000\r\n\r\n" % self.key_a).encode()),
            "431": self.server.raw(get("/healthz", b"X-Big: " + b"a" * 17000 + b"\r\n")),
        }
        ids = set()
        for label, resp in responses.items():
            with self.subTest(response=label):
                self.assertIsNotNone(resp, "%s: connection closed without a response" % label)
                rid = resp.headers.get("x-request-id")
                self.assertTrue(rid, "%s: no X-Request-Id: %s" % (label, resp))
                ids.add(rid)
        self.assertEqual(len(ids), len(responses), "request ids should be unique")

    # ----------------------------------------------------------- keep-alive
    def test_keep_alive_raw(self):
        s = connect(self.server.port)
        try:
            reader = RawReader(s)
            for i in range(3):
                s.sendall(get("/healthz"))
                resp = reader.read_response()
                self.assertStatus(resp, 200, "request %d on one connection" % i)
            share = ("POST /assessments/reports/318/share HTTP/1.1\r\nHost: t\r\napiKey: %s\r\n"
                     "Content-Length: 2\r\n\r\n{}" % self.key_a).encode()
            s.sendall(share)
            resp = reader.read_response()
            self.server.note_tokens(resp.body)
            self.assertStatus(resp, 200)
            s.sendall(get("/nope"))
            self.assertStatus(reader.read_response(), 404)
            s.sendall(get("/healthz"))
            self.assertStatus(reader.read_response(), 200, "after a 404 the connection stays usable")
        finally:
            s.close()

    def test_keep_alive_http_client(self):
        conn = harness.http_connection(self.server.port, timeout=10)
        try:
            for i in range(5):
                resp = request_on(conn, "POST", "/assessments/reports/318/share",
                                  [("apiKey", self.key_a)], b'{"expiration_hours": 2}')
                self.server.note_tokens(resp.body)
                self.assertStatus(resp, 200)
                token = token_of(resp.json()["signed_url"])
                page = request_on(conn, "GET", "/assessments/bp/reports/shared/" + token)
                self.assertStatus(page, 200)
        finally:
            conn.close()

    def test_pipelined_requests(self):
        s = connect(self.server.port)
        try:
            s.sendall(get("/healthz") + get("/readyz") + get("/nope"))
            reader = RawReader(s)
            self.assertEqual([reader.read_response().status for _ in range(3)], [200, 200, 404])
        finally:
            s.close()

    def test_connection_close_honoured(self):
        s = connect(self.server.port)
        try:
            s.sendall(get("/healthz", b"Connection: close\r\n"))
            reader = RawReader(s)
            self.assertStatus(reader.read_response(), 200)
            try:
                extra = s.recv(1)
            except ConnectionResetError:
                extra = b""
            self.assertEqual(extra, b"", "server should close after Connection: close")
        finally:
            s.close()

    # -------------------------------------------------------------- limits
    def test_header_over_16k_431(self):
        resp = self.server.raw(get("/healthz", b"X-Big: " + b"a" * 17000 + b"\r\n"))
        self.assertIsNotNone(resp, "connection closed without a 431")
        self.assertError(resp, 431)
        many = b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 100) for i in range(200))
        resp = self.server.raw(get("/healthz", many))
        self.assertIsNotNone(resp, "connection closed without a 431")
        self.assertError(resp, 431)
        self.assertStatus(self.server.request("GET", "/healthz"), 200)

    def test_header_under_16k_ok(self):
        resp = self.server.raw(get("/healthz", b"X-Big: " + b"a" * 8000 + b"\r\n"))
        self.assertStatus(resp, 200)

    def test_long_path_rejected_cleanly(self):
        resp = self.server.raw(get("/assessments/reports/" + "9" * 20000 + "/share"))
        if resp is not None:
            self.assertIn(resp.status, (400, 404, 414, 431), resp)
        self.assertStatus(self.server.request("GET", "/healthz"), 200)

    # ------------------------------------------------------- malformed input
    def test_garbage_request_lines(self):
        garbage = [
            b"GARBAGE\r\n\r\n",
            b"\r\n\r\n\r\n\r\n",
            b"GET\r\n\r\n",
            b"GET / HTTP/9.9\r\nHost: t\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nHost t\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n",
            b"POST /assessments/reports/318/share HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
            b"POST /assessments/reports/318/share HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,
            b"\x00\xff\xfe garbage \x80\x81\r\n\r\n",
            b"GET /\x00healthz HTTP/1.1\r\nHost: t\r\n\r\n",
            b"G" * 20000 + b"\r\n\r\n",
        ]
        for data in garbage:
            with self.subTest(data=data[:40]):
                try:
                    resp = self.server.raw(data, timeout=10)
                except (socket.timeout, TimeoutError):
                    self.fail("no answer and no close within 10 s")
                if resp is not None:
                    self.assertGreaterEqual(resp.status, 400, resp)
                    self.assertLess(resp.status, 500, resp)
                    self.assertIn("x-request-id", resp.headers, resp)
                self.assertStatus(self.server.request("GET", "/healthz"), 200)

    def test_smuggling_cl_and_te_not_both_honoured(self):
        # Content-Length and Transfer-Encoding together: reject (400) or close;
        # never let a second request hide in the body.
        data = (b"POST /assessments/reports/318/share HTTP/1.1\r\nHost: t\r\n"
                b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"0\r\n\r\nGET /nope HTTP/1.1\r\nHost: t\r\n\r\n")
        s = connect(self.server.port)
        try:
            s.sendall(data)
            reader = RawReader(s)
            try:
                first = reader.read_response()
            except (ConnectionClosed, ConnectionResetError):
                return
            self.assertIn(first.status, (400, 401), first)
        finally:
            s.close()

    # -------------------------------------------------------- slow clients
    def test_slow_incomplete_requests_do_not_block_others(self):
        holders = []
        try:
            for _ in range(8):  # more than --threads 2
                s = connect(self.server.port)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ")
                holders.append(s)
            time.sleep(0.2)
            start = time.monotonic()
            resp = self.server.request("GET", "/healthz", timeout=5)
            self.assertStatus(resp, 200)
            self.assertLess(time.monotonic() - start, 2.0, "healthz slowed down by idle half-requests")
            share = self.call("POST", "/assessments/reports/318/share", timeout=5)
            self.assertStatus(share, 200)
            # the slow ones can still finish their requests
            holders[0].sendall(b"1\r\n\r\n")
            self.assertStatus(RawReader(holders[0]).read_response(), 200)
        finally:
            for s in holders:
                s.close()

    def test_idle_and_byte_by_byte_client(self):
        # one byte at a time, slowly, but well within the header timeout
        s = connect(self.server.port)
        try:
            for b in get("/healthz"):
                s.sendall(bytes([b]))
                time.sleep(0.005)
            self.assertStatus(RawReader(s).read_response(), 200)
        finally:
            s.close()

    def test_header_timeout_cuts_off_slowloris(self):
        # SPEC §2.5: a request whose header is not complete within 10 s is cut off.
        s = connect(self.server.port, timeout=16)
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
            start = time.monotonic()
            try:
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
            except (socket.timeout, TimeoutError):
                self.fail("connection with an incomplete header still open after 16 s")
            except ConnectionResetError:
                pass
            self.assertLess(time.monotonic() - start, 16)
        finally:
            s.close()

    # -------------------------------------------------------- concurrency
    def test_fifty_concurrent_shares(self):
        results = [None] * 50
        barrier = threading.Barrier(50, timeout=10)

        def worker(i):
            try:
                barrier.wait()
                results[i] = self.call("POST", "/assessments/reports/318/share", body={"expiration_hours": 1},
                                       timeout=10)
            except Exception as e:  # noqa: BLE001
                results[i] = e

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        errors = [r for r in results if not (hasattr(r, "status") and r.status == 200)]
        self.assertEqual(errors, [], "%d of 50 concurrent shares failed" % len(errors))
        tokens = {token_of(r.json()["signed_url"]) for r in results}
        self.assertEqual(len(tokens), 50, "tokens must be unique")

    def test_concurrent_mixed_load(self):
        token = self.share_token(318)
        results = []
        lock = threading.Lock()

        def worker(i):
            try:
                if i % 3 == 0:
                    r = self.server.request("GET", "/assessments/bp/reports/shared/" + token)
                elif i % 3 == 1:
                    r = self.call("POST", "/assessments/reports/318/download")
                else:
                    r = self.server.request("GET", "/healthz")
                out = r.status
            except Exception as e:  # noqa: BLE001
                out = repr(e)
            with lock:
                results.append(out)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(30)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        self.assertEqual(results, [200] * 30)


if __name__ == "__main__":
    unittest.main()
