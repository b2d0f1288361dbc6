"""Bulk share and bulk ZIP download (SPEC §6)."""

import io
import json
import time
import unittest
import zipfile

import harness
from harness import RawReader, connect, make_report, token_of

BULK_SHARE = "/assessments/reports/share"
BULK_DOWNLOAD = "/assessments/reports/download"
COMPLETED = [318, 321, 322, 323]


class BulkTest(harness.ServerTestCase):

    @classmethod
    def setup_data(cls):
        cls.put_report(make_report(318, name="Priya Raman", assessment_id=138))
        cls.put_report(make_report(319, name="Pending Person", status="Pending"))
        cls.put_report(make_report(321, name="Zoë O'Brien & <Sons>", assessment_id=139))
        cls.put_report(make_report(322, name="अनुष्का शर्मा"))
        cls.put_report(make_report(323, name="李小龙"))
        cls.put_report(make_report(500, name="Globex Candidate"), key="B")

    def bulk(self, path, ids, extra=None, key="A"):
        body = {"report_ids": ids}
        body.update(extra or {})
        return self.call("POST", path, body=body, key=key, timeout=120)

    def zip_of(self, resp):
        self.assertStatus(resp, 200)
        self.assertEqual(resp.content_type, "application/zip", resp)
        self.assertEqual(resp.headers.get("content-disposition"), 'attachment; filename="reports.zip"')
        self.assertEqual(resp.headers.get("transfer-encoding"), "chunked", resp)
        self.assertNotIn("content-length", resp.headers)
        return zipfile.ZipFile(io.BytesIO(resp.body))

    def single_pdf(self, report_id):
        resp = self.call("POST", "/assessments/reports/%d/download" % report_id)
        self.assertStatus(resp, 200)
        return resp.body

    # ------------------------------------------------------------- share
    def test_share_mints_links_in_request_order_with_per_id_errors(self):
        resp = self.bulk(BULK_SHARE, [321, 9999, 319, 500, 318], {"expiration_hours": 2})
        self.assertStatus(resp, 200)
        self.assertEqual(resp.content_type, "application/json")
        links = resp.json()["links"]
        self.assertEqual([l["report_id"] for l in links], [321, 9999, 319, 500, 318])
        for i, (rid, assessment) in ((0, (321, 139)), (4, (318, 138))):
            link = links[i]
            self.assertEqual(set(link), {"signed_url", "expires_at", "expiration_hours", "report_id",
                                         "assessment_id", "link_id"}, link)
            self.assertEqual(link["assessment_id"], assessment)
            self.assertEqual(link["expiration_hours"], 2)
            token = token_of(link["signed_url"])
            self.assertStatus(self.open_link(token), 200)
            listed = self.call("GET", "/assessments/reports/%d/links" % rid).json()["links"]
            self.assertIn(link["link_id"], [l["link_id"] for l in listed])
        self.assertEqual(links[1], {"report_id": 9999, "status": 404, "error": "report not found"})
        self.assertEqual(links[2]["status"], 409)
        self.assertEqual(set(links[2]), {"report_id", "status", "error"})
        # Another company's report: the same entry as a missing one.
        self.assertEqual(links[3], {"report_id": 500, "status": 404, "error": "report not found"})

    def test_share_takes_1000_ids(self):
        ids = COMPLETED + list(range(100000, 100000 + 996))
        resp = self.bulk(BULK_SHARE, ids)
        self.assertStatus(resp, 200)
        links = resp.json()["links"]
        self.assertEqual(len(links), 1000)
        self.assertEqual([l["report_id"] for l in links], ids)
        self.assertTrue(all("signed_url" in l for l in links[:4]))
        self.assertTrue(all(l.get("status") == 404 for l in links[4:]))

    def test_bad_bodies_are_400_naming_the_field(self):
        cases = [
            ({"report_ids": [318, 318]}, "report_ids[1]"),
            ({"report_ids": [0]}, "report_ids[0]"),
            ({"report_ids": [318, "319"]}, "report_ids[1]"),
            ({"report_ids": list(range(1, 1002))}, "report_ids must hold 1 to 1000"),
            ({"report_ids": []}, "report_ids must hold 1 to 1000"),
            ({}, "report_ids"),
            ({"report_ids": [318], "expiration_hours": 25}, "expiration_hours"),
            (b"[318]", "JSON object"),
            (b"", "request body is required"),
        ]
        for path in (BULK_SHARE, BULK_DOWNLOAD):
            for body, needle in cases:
                with self.subTest(path=path, body=str(body)[:40]):
                    resp = self.call("POST", path, body=body)
                    self.assertError(resp, 400, [needle])

    def test_auth_method_and_size_errors(self):
        for path in (BULK_SHARE, BULK_DOWNLOAD):
            with self.subTest(path=path):
                self.assertError(self.call("POST", path, body={"report_ids": [318]}, key=None), 401)
                self.assertError(self.call("POST", path, body={"report_ids": [318]}, key="nope"), 401)
                for method in ("GET", "HEAD", "PUT"):
                    resp = self.call(method, path)
                    self.assertStatus(resp, 405)
                    self.assertEqual(resp.headers.get("allow"), "POST")
                big = b'{"report_ids": [318], "pad": "' + b"x" * 70000 + b'"}'
                self.assertError(self.call("POST", path, body=big), 413)

    # ---------------------------------------------------------- download
    def test_download_is_a_zip_of_the_single_pdfs_in_order_with_errors_json(self):
        # Single downloads first: they fill the PDF cache, which the bulk
        # download reads (but does not fill), so the bytes are the same.
        singles = {rid: self.single_pdf(rid) for rid in (322, 318, 321)}
        resp = self.bulk(BULK_DOWNLOAD, [322, 9999, 318, 319, 500, 321])
        z = self.zip_of(resp)
        self.assertIsNone(z.testzip())
        self.assertEqual(z.namelist(),
                         ["report-322.pdf", "report-318.pdf", "report-321.pdf", "errors.json"])
        for info in z.infolist():
            self.assertEqual(info.compress_type, zipfile.ZIP_STORED, info.filename)
        for rid in (322, 318, 321):
            self.assertEqual(z.read("report-%d.pdf" % rid), singles[rid], rid)
        errors = json.loads(z.read("errors.json"))
        self.assertEqual([(e["report_id"], e["status"]) for e in errors],
                         [(9999, 404), (319, 409), (500, 404)])
        for e in errors:
            self.assertEqual(set(e), {"report_id", "status", "error"})
            self.assertTrue(e["error"])

    def test_download_without_errors_has_no_errors_json(self):
        z = self.zip_of(self.bulk(BULK_DOWNLOAD, [318, 323]))
        self.assertEqual(z.namelist(), ["report-318.pdf", "report-323.pdf"])

    def test_download_takes_1000_ids(self):
        ids = list(range(200000, 200000 + 998)) + [318, 321]
        z = self.zip_of(self.bulk(BULK_DOWNLOAD, ids))
        self.assertEqual(z.namelist(), ["report-318.pdf", "report-321.pdf", "errors.json"])
        self.assertEqual(len(json.loads(z.read("errors.json"))), 998)

    def test_download_is_chunked_on_the_wire_and_keeps_the_connection(self):
        body = json.dumps({"report_ids": [318, 321, 322]}).encode()
        req = (b"POST %s HTTP/1.1\r\nHost: t\r\napiKey: %s\r\nContent-Type: application/json\r\n"
               b"Content-Length: %d\r\n\r\n%s" % (BULK_DOWNLOAD.encode(), self.key_a.encode(),
                                                  len(body), body))
        s = connect(self.server.port)
        try:
            s.sendall(req)
            reader = RawReader(s)
            # RawReader decodes the chunked framing itself, from the bytes as sent.
            resp = reader.read_response()
            self.assertStatus(resp, 200)
            self.assertEqual(resp.headers.get("transfer-encoding"), "chunked", resp)
            self.assertNotIn("content-length", resp.headers)
            self.assertEqual(zipfile.ZipFile(io.BytesIO(resp.body)).namelist(),
                             ["report-318.pdf", "report-321.pdf", "report-322.pdf"])
            # Keep-alive: the next request on the same connection is served.
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            self.assertEqual(reader.read_response().status, 200)
        finally:
            s.close()

    def test_http10_client_gets_the_zip_unchunked_until_the_close(self):
        body = json.dumps({"report_ids": [318, 9999]}).encode()
        s = connect(self.server.port)
        try:
            s.sendall(b"POST %s HTTP/1.0\r\napiKey: %s\r\nContent-Length: %d\r\n\r\n%s"
                      % (BULK_DOWNLOAD.encode(), self.key_a.encode(), len(body), body))
            data = b""
            while True:
                piece = s.recv(65536)
                if not piece:
                    break
                data += piece
        finally:
            s.close()
        head, _, payload = data.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
        self.assertNotIn(b"transfer-encoding", head.lower())
        self.assertEqual(zipfile.ZipFile(io.BytesIO(payload)).namelist(),
                         ["report-318.pdf", "errors.json"])

    def test_client_gone_mid_stream_leaves_the_server_serving(self):
        ids = COMPLETED + list(range(300000, 300000 + 100))
        body = json.dumps({"report_ids": ids}).encode()
        s = connect(self.server.port)
        s.sendall(b"POST %s HTTP/1.1\r\nHost: t\r\napiKey: %s\r\nContent-Length: %d\r\n\r\n%s"
                  % (BULK_DOWNLOAD.encode(), self.key_a.encode(), len(body), body))
        s.recv(100)
        s.close()
        time.sleep(0.2)
        self.assertStatus(self.call("GET", "/healthz", key=None), 200)
        z = self.zip_of(self.bulk(BULK_DOWNLOAD, [318]))
        self.assertEqual(z.namelist(), ["report-318.pdf"])

    def test_access_log_records_the_bulk_routes(self):
        self.bulk(BULK_DOWNLOAD, [318])
        self.bulk(BULK_SHARE, [318])
        deadline = time.monotonic() + 5
        routes = set()
        while time.monotonic() < deadline:
            for line in self.server.stdout().splitlines():
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if rec.get("route") in (BULK_SHARE, BULK_DOWNLOAD) and rec.get("status") == 200:
                    routes.add((rec["route"], rec["bytes"] > 0))
            if len(routes) == 2:
                break
            time.sleep(0.05)
        self.assertEqual(routes, {(BULK_SHARE, True), (BULK_DOWNLOAD, True)})


if __name__ == "__main__":
    unittest.main()
