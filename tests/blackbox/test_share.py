"""POST /assessments/reports/{report_id}/{share|download} (SPEC §2, §2.1)."""

import datetime
import re
import time
import unittest

import harness
from harness import (pdftotext, EXPIRES_AT_RE, SHARED_PREFIX, TOKEN_RE, b64_segments,
                     chunked, connect, RawReader, ConnectionClosed, make_report, parse_rfc3339,
                     run_cli, cli_describe, key_id_for_company, utcnow)

SHARE = "/assessments/reports/%s/share"
DOWNLOAD = "/assessments/reports/%s/download"

BAD_IDS = ["0", "-1", "01", "9223372036854775808", "abc", "%33%31%38", "1e3", "+318",
           "318.0", "99999999999999999999"]
VALID_HOURS = [("0.25", 0.25), ("1", 1), ("2", 2), ("24", 24), ("23.5", 23.5)]
INVALID_HOURS = ["0.24", "24.01", "0", "-1", '"2"', "true", "[]", "{}", "NaN", "Infinity",
                 "1e309", "-Infinity", "false", '"1"']
NOT_OBJECT_BODIES = [b"[]", b'"x"', b"1", b"null", b"   ", b"\r\n\t ", b"{", b'{"expiration_hours": 2',
                     b"not json", b'{"a":1}{"b":2}', b"[{}]"]


class ShareTest(harness.ServerTestCase):

    @classmethod
    def setup_data(cls):
        cls.put_report(make_report(318, name="Priya Raman", email="priya@example.com", assessment_id=138))
        cls.put_report(make_report(319, name="Pending Person", status="Pending"))
        cls.put_report(make_report(320, name="Started Person", status="Started"))
        cls.put_report(make_report(321, name="Zoë O'Brien & <Sons>", assessment_id=139))
        cls.put_report(make_report(500, name="Globex Candidate"), key="B")

    # ------------------------------------------------------------------ share
    def check_share(self, resp, hours, report_id=318, assessment_id=138, raw_hours=None):
        before = utcnow()
        self.assertStatus(resp, 200)
        self.assertEqual(resp.content_type, "application/json", resp)
        data = resp.json()
        for k in ("signed_url", "expires_at", "expiration_hours", "report_id", "assessment_id"):
            self.assertIn(k, data, resp)
        self.assertEqual(data["report_id"], report_id, resp)
        self.assertEqual(data["assessment_id"], assessment_id, resp)
        self.assertEqual(data["expiration_hours"], hours, resp)
        if raw_hours is not None:
            self.assertRegex(resp.text, r'"expiration_hours"\s*:\s*%s\s*[,}]' % re.escape(raw_hours),
                             "expiration_hours must echo %s exactly" % raw_hours)
        self.assertRegex(data["expires_at"], EXPIRES_AT_RE, resp)
        expires = parse_rfc3339(data["expires_at"])
        want = before + datetime.timedelta(hours=hours)
        self.assertLess(abs((expires - want).total_seconds()), 10,
                        "expires_at %s is not now + %s h (%s)" % (data["expires_at"], hours, want))
        prefix = self.server.base_url + SHARED_PREFIX
        self.assertTrue(data["signed_url"].startswith(prefix), "signed_url %r should start with %r"
                        % (data["signed_url"], prefix))
        token = data["signed_url"][len(prefix):]
        self.assertRegex(token, TOKEN_RE, "token %r" % token)
        return data, token

    def test_share_default_expiration_is_one_hour(self):
        data, token = self.check_share(self.call("POST", SHARE % 318), 1, raw_hours="1")
        # The link works.
        page = self.open_link(token)
        self.assertStatus(page, 200)

    def test_share_without_content_length_or_body(self):
        # No Content-Length and no Transfer-Encoding: a request without a body.
        resp = self.server.raw(("POST /assessments/reports/318/share HTTP/1.1\r\nHost: t\r\n"
                                "apiKey: %s\r\nConnection: close\r\n\r\n" % self.key_a).encode())
        self.assertIsNotNone(resp, "server closed the connection without answering")
        self.server.note_tokens(resp.body)
        self.check_share(resp, 1)

    def test_share_empty_json_object(self):
        self.check_share(self.call("POST", SHARE % 318, body=b"{}"), 1)

    def test_share_null_expiration_is_one_hour(self):
        self.check_share(self.call("POST", SHARE % 318, body=b'{"expiration_hours": null}'), 1)

    def test_share_unknown_fields_ignored(self):
        body = b'{"foo": "bar", "nested": {"a": [1, 2, {"b": null}]}, "expiration_hours": 2, "x": true}'
        self.check_share(self.call("POST", SHARE % 318, body=body), 2, raw_hours="2")

    def test_share_valid_expiration_values_echoed(self):
        for raw, value in VALID_HOURS:
            with self.subTest(expiration_hours=raw):
                resp = self.call("POST", SHARE % 318, body=('{"expiration_hours": %s}' % raw).encode())
                self.check_share(resp, value, raw_hours=raw)

    def test_share_exponent_notation_is_a_number(self):
        for raw, value in (("1e1", 10), ("2.4E1", 24), ("25e-2", 0.25)):
            with self.subTest(expiration_hours=raw):
                resp = self.call("POST", SHARE % 318, body=('{"expiration_hours": %s}' % raw).encode())
                self.check_share(resp, value)

    def test_share_invalid_expiration_values(self):
        for raw in INVALID_HOURS:
            for option in ("share", "download"):
                with self.subTest(expiration_hours=raw, option=option):
                    resp = self.call("POST", "/assessments/reports/318/%s" % option,
                                     body=('{"expiration_hours": %s}' % raw).encode())
                    self.assertError(resp, 400, contains=("0.25", "24"))

    def test_body_not_a_json_object(self):
        for body in NOT_OBJECT_BODIES:
            for option in ("share", "download"):
                with self.subTest(body=body, option=option):
                    self.assertError(self.call("POST", "/assessments/reports/318/%s" % option, body=body), 400)

    def test_body_with_json_content_type_and_charset(self):
        resp = self.call("POST", SHARE % 318, body=b'{"expiration_hours": 0.25}',
                         headers={"Content-Type": "application/json; charset=utf-8"})
        self.check_share(resp, 0.25, raw_hours="0.25")

    def test_token_carries_no_personal_data(self):
        data, token = self.check_share(self.call("POST", SHARE % 318), 1)
        low = token.lower()
        for pii in ("priya", "raman", "example.com", "priya@example.com"):
            self.assertNotIn(pii, low, "token %r contains %r" % (token, pii))
        for seg in b64_segments(token):
            for pii in (b"Priya", b"priya", b"Raman", b"example.com"):
                self.assertNotIn(pii, seg, "decoded token segment %r contains %r" % (seg, pii))
        self.assertNotIn("priya", data["signed_url"].lower())

    def test_tokens_are_unique(self):
        tokens = {self.share_token(318) for _ in range(5)}
        self.assertEqual(len(tokens), 5, tokens)

    def test_share_other_report_assessment_id(self):
        self.check_share(self.call("POST", SHARE % 321, body={"expiration_hours": 24}), 24,
                         report_id=321, assessment_id=139)

    # --------------------------------------------------------------- download
    def test_download_pdf(self):
        resp = self.call("POST", DOWNLOAD % 318)
        self.assertStatus(resp, 200)
        self.assertEqual(resp.content_type, "application/pdf", resp)
        self.assertTrue(resp.body.startswith(b"%PDF-"), resp.body[:40])
        self.assertEqual(resp.headers.get("content-disposition"), 'attachment; filename="report-318.pdf"', resp)
        self.assertIn("content-length", resp.headers, resp)
        self.assertEqual(int(resp.headers["content-length"]), len(resp.body))
        self.assertIn("no-store", resp.headers.get("cache-control", ""), resp)
        self.assertIn("x-request-id", resp.headers)
        text = pdftotext(resp.body)
        if text is not None:
            self.assertIn("Priya Raman", " ".join(text.split()), "candidate name not in PDF text:\n" + text[:2000])

    def test_download_with_valid_expiration(self):
        for body in (b'{"expiration_hours": 2}', b"{}", b'{"expiration_hours": null, "z": 1}'):
            with self.subTest(body=body):
                resp = self.call("POST", DOWNLOAD % 318, body=body)
                self.assertStatus(resp, 200)
                self.assertTrue(resp.body.startswith(b"%PDF-"))

    def test_download_filename_ascii_safe(self):
        resp = self.call("POST", DOWNLOAD % 321)
        self.assertStatus(resp, 200)
        self.assertEqual(resp.headers.get("content-disposition"), 'attachment; filename="report-321.pdf"', resp)

    # ------------------------------------------------------------ path shape
    def test_invalid_report_ids(self):
        for rid in BAD_IDS:
            for option in ("share", "download"):
                with self.subTest(report_id=rid, option=option):
                    self.assertError(self.call("POST", "/assessments/reports/%s/%s" % (rid, option)), 400)

    def test_max_report_id_is_valid_shape(self):
        # 2^63-1 is a valid id; nobody has it → 404, not 400.
        for option in ("share", "download"):
            with self.subTest(option=option):
                self.assertError(self.call("POST", "/assessments/reports/9223372036854775807/%s" % option), 404)

    def test_invalid_option(self):
        for option in ("Share", "pdf", "SHARE", "Download", "downloads", "share%20"):
            with self.subTest(option=option):
                msg = self.assertError(self.call("POST", "/assessments/reports/318/%s" % option), 400)
                self.assertIn("share", msg)
                self.assertIn("download", msg)

    # ---------------------------------------------------------------- order
    def test_unknown_report_404(self):
        self.assertError(self.call("POST", SHARE % 999), 404)
        self.assertError(self.call("POST", DOWNLOAD % 999), 404)

    def test_other_company_report_is_404_same_body(self):
        unknown = self.call("POST", SHARE % 999)
        other = self.call("POST", SHARE % 500)  # company B's report, asked by A
        self.assertError(other, 404)
        self.assertError(unknown, 404)
        self.assertEqual(other.body.replace(b"500", b"N"), unknown.body.replace(b"999", b"N"),
                         "bodies differ: %r vs %r" % (other.body, unknown.body))
        self.assertError(self.call("POST", DOWNLOAD % 500), 404)
        # and B itself can share it
        self.assertStatus(self.call("POST", SHARE % 500, key="B"), 200)
        # B cannot see A's report
        self.assertError(self.call("POST", SHARE % 318, key="B"), 404)

    def test_not_completed_is_409(self):
        for rid in (319, 320):
            for option in ("share", "download"):
                with self.subTest(report_id=rid, option=option):
                    self.assertError(self.call("POST", "/assessments/reports/%d/%s" % (rid, option)), 409)

    def test_shape_checked_before_existence_and_state(self):
        # bad body on an unknown report → 400 (not 404)
        self.assertError(self.call("POST", SHARE % 999, body=b'{"expiration_hours": 99}'), 400)
        # bad body on a Pending report → 400 (not 409)
        self.assertError(self.call("POST", SHARE % 319, body=b'{"expiration_hours": 99}'), 400)
        self.assertError(self.call("POST", SHARE % 319, body=b"[]"), 400)
        # bad option on an unknown report → 400
        self.assertError(self.call("POST", "/assessments/reports/999/pdf"), 400)
        # bad body on another company's report → 400
        self.assertError(self.call("POST", SHARE % 500, body=b"{"), 400)

    def test_auth_checked_before_shape(self):
        cases = [
            (SHARE % "abc", None),
            ("/assessments/reports/318/pdf", None),
            (SHARE % 318, b"{"),
            (SHARE % 318, b'{"expiration_hours": 99}'),
            (SHARE % 999, None),
            (SHARE % 319, None),
        ]
        for path, body in cases:
            for key in (None, "", "wrong-key"):
                with self.subTest(path=path, body=body, key=key):
                    self.assertError(self.call("POST", path, body=body, key=key), 401)

    def test_auth_before_413(self):
        resp = self._send_headers_only(
            b"POST /assessments/reports/318/share HTTP/1.1\r\nHost: t\r\n"
            b"Content-Type: application/json\r\nContent-Length: 70000\r\n\r\n")
        self.assertError(resp, 401)

    def test_routing_before_auth(self):
        for method in ("GET", "PUT", "DELETE", "PATCH"):
            with self.subTest(method=method):
                resp = self.call(method, SHARE % 318, key=None)
                self.assertError(resp, 405)
                self.assertIn("allow", resp.headers, resp)
                self.assertIn("POST", resp.headers["allow"].upper(), resp)
        self.assertError(self.call("GET", "/no/such/path", key=None), 404)
        self.assertError(self.call("POST", "/assessments/reports/318/share/extra", key=None), 404)
        self.assertError(self.call("GET", "/nope"), 404)

    # ------------------------------------------------------------------ auth
    def test_auth_missing_empty_unknown(self):
        self.assertError(self.call("POST", SHARE % 318, key=None), 401)
        self.assertError(self.call("POST", SHARE % 318, key=""), 401)
        self.assertError(self.call("POST", SHARE % 318, key="   "), 401)
        self.assertError(self.call("POST", SHARE % 318, key="rs_not_a_real_key_0123456789"), 401)
        self.assertError(self.call("POST", SHARE % 318, key=self.key_a + "x"), 401)
        self.assertError(self.call("POST", SHARE % 318, key=self.key_a[:-1]), 401)

    def test_auth_header_name_case_insensitive(self):
        for name in ("apiKey", "APIKEY", "apikey", "ApiKey"):
            with self.subTest(header=name):
                resp = self.call("POST", SHARE % 318, key=None, headers=[(name, self.key_a)])
                self.assertStatus(resp, 200)

    def test_two_api_key_headers_rejected(self):
        resp = self.call("POST", SHARE % 318, key=None, headers=[("apiKey", self.key_a), ("apiKey", self.key_a)])
        self.assertError(resp, 401)
        resp = self.call("POST", SHARE % 318, key=None, headers=[("apiKey", self.key_a), ("APIKEY", self.key_b)])
        self.assertError(resp, 401)

    def test_api_key_in_query_string_rejected_and_not_logged(self):
        key, _ = harness.create_key(self.server.db, "QueryCo")
        self.server.secrets.add(key)
        for q in ("?apiKey=%s" % key, "?apikey=%s" % key, "?api_key=%s&x=1" % key):
            with self.subTest(query=q):
                self.assertError(self.call("POST", SHARE % 318 + q, key=None), 401)
        time.sleep(0.3)
        self.assertNotIn(key, self.server.stdout() + self.server.stderr(),
                         "API key from the query string appears in the logs")

    def test_key_created_while_running_then_revoked(self):
        company = "LateCo"
        key = self.server.create_key(company)
        # The company has no reports; 404 proves the key authenticated.
        self.assertError(self.call("POST", SHARE % 999, key=key), 404)
        self.assertError(self.call("POST", SHARE % 318, key=key), 404)
        key_id = key_id_for_company(self.server.db, company)
        proc = run_cli(["keys", "revoke", key_id, "--db", self.server.db])
        self.assertEqual(proc.returncode, 0, cli_describe(proc))
        self.assertError(self.call("POST", SHARE % 999, key=key), 401)

    # ------------------------------------------------------------ body size
    def _send_headers_only(self, head):
        s = connect(self.server.port, timeout=5)
        try:
            s.sendall(head)
            start = time.monotonic()
            try:
                resp = RawReader(s).read_response()
            except (TimeoutError, OSError) as e:
                self.fail("no response within 5 s to headers announcing a large body "
                          "(server waits for the body?): %r" % (e,))
            except ConnectionClosed as e:
                self.fail("connection closed without a response: %r" % (e.partial,))
            self.assertLess(time.monotonic() - start, 5)
            return resp
        finally:
            s.close()

    def test_content_length_over_64k_rejected_without_reading_body(self):
        resp = self._send_headers_only(
            ("POST /assessments/reports/318/share HTTP/1.1\r\nHost: t\r\napiKey: %s\r\n"
             "Content-Type: application/json\r\nContent-Length: 70000\r\n\r\n" % self.key_a).encode())
        self.assertError(resp, 413)

    def test_body_exactly_64k_accepted_and_one_more_byte_413(self):
        head = b'{"expiration_hours": 2'
        body = head + b" " * (65536 - len(head) - 1) + b"}"
        self.assertEqual(len(body), 65536)
        self.check_share(self.call("POST", SHARE % 318, body=body), 2)
        body2 = head + b" " * (65537 - len(head) - 1) + b"}"
        self.assertError(self.call("POST", SHARE % 318, body=body2), 413)

    def _chunked_request(self, body, chunk_size):
        head = ("POST /assessments/reports/318/share HTTP/1.1\r\nHost: t\r\napiKey: %s\r\n"
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" % self.key_a).encode()
        s = connect(self.server.port, timeout=10)
        try:
            try:
                s.sendall(head + chunked(body, chunk_size))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may answer 413 and close early
            try:
                return RawReader(s).read_response()
            except ConnectionClosed as e:
                self.fail("connection closed without a response: %r" % (e.partial,))
            except ConnectionResetError:
                self.fail("connection reset without a response (server should answer 413 before closing)")
        finally:
            s.close()

    def test_chunked_small_body(self):
        resp = self._chunked_request(b'{"expiration_hours": 23.5}', 5)
        self.server.note_tokens(resp.body)
        self.check_share(resp, 23.5, raw_hours="23.5")

    def test_chunked_body_over_64k_413(self):
        body = b'{"expiration_hours": 2' + b" " * 72000 + b"}"
        self.assertError(self._chunked_request(body, 8192), 413)

    # ------------------------------------------------------------ consistency
    def test_share_link_reflects_report(self):
        data = self.share(318, 0.25)
        page = self.server.request("GET", data["signed_url"][len(self.server.base_url):])
        self.assertStatus(page, 200)
        self.assertIn("Priya Raman", page.text)


if __name__ == "__main__":
    unittest.main()
