"""GET /openapi.json serves the description the black-box tests check every
response against (docs/openapi.json), and the description covers the API."""

import json
import unittest

import harness
import openapi_check


class OpenApiTest(harness.ServerTestCase):

    def test_served_document_is_the_checked_in_one(self):
        r = self.server.request("GET", "/openapi.json")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.content_type, "application/json")
        with open(openapi_check.DOCUMENT_PATH, "rb") as f:
            self.assertEqual(r.body, f.read())
        doc = r.json()
        self.assertEqual(doc["openapi"], "3.1.0")
        head = self.server.request("HEAD", "/openapi.json")
        self.assertEqual(head.status, 200)
        self.assertEqual(head.body, b"")
        self.assertEqual(self.server.request("POST", "/openapi.json").status, 405)

    def test_every_route_of_the_server_is_described(self):
        doc = openapi_check.DOCUMENT
        # The server's routes, as its metrics name them (http/api.cc).
        routes = {
            "/assessments/reports/{report_id}/{option}": {"post"},
            "/assessments/reports/share": {"post"},
            "/assessments/reports/download": {"post"},
            "/assessments/bp/reports/shared/{token}": {"get", "head"},
            "/assessments/report/{report_id}": {"get", "put"},
            "/assessments/reports/{report_id}/links": {"get", "delete"},
            "/assessments/reports/{report_id}/links/{link_id}": {"delete"},
            "/assessments/reports/{report_id}/links/{link_id}/opens": {"get"},
            "/assessments/webhooks": {"get", "post"},
            "/assessments/webhooks/{webhook_id}": {"delete"},
            "/assessments/webhooks/{webhook_id}/test": {"post"},
            "/assessments/webhooks/{webhook_id}/deliveries": {"get"},
            "/assessments/webhooks/{webhook_id}/deliveries/{delivery_id}/retry": {"post"},
            "/assessments/branding": {"get", "put"},
            "/healthz": {"get"}, "/readyz": {"get"}, "/metrics": {"get"}, "/openapi.json": {"get"},
        }
        self.assertEqual(set(doc["paths"]), set(routes))
        for path, methods in routes.items():
            described = {m for m in doc["paths"][path] if m in ("get", "head", "put", "post", "delete", "patch")}
            self.assertEqual(described & methods, methods, path)
            for m in described:
                self.assertIn("operationId", doc["paths"][path][m], (path, m))
                self.assertIn("responses", doc["paths"][path][m], (path, m))

    def test_a_response_that_breaks_the_description_is_caught(self):
        # The check the harness runs on every response is not vacuous.
        bad = harness.Response(200, "OK", [("Content-Type", "application/json")], b'{"links": [{}]}')
        with self.assertRaises(openapi_check.DescriptionMismatch):
            openapi_check.check("GET", "/assessments/reports/318/links", bad)
        undocumented = harness.Response(418, "Teapot", [("Content-Type", "application/json")], b'{"error": "x"}')
        with self.assertRaises(openapi_check.DescriptionMismatch):
            openapi_check.check("GET", "/healthz", undocumented)


if __name__ == "__main__":
    unittest.main()
