"""GET/HEAD /assessments/bp/reports/shared/{token} — the signed link (SPEC §2.2)."""

import datetime
import html
import re
import unittest
import urllib.parse

import harness
from harness import (SHARED_PREFIX, make_report, rfc3339, token_of, utcnow)

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

XSS_NAME = '<script>alert(1)</script> "Bobby" & \'Tables\''
UNICODE_NAMES = {
    410: "प्रिया रमन",
    411: "ليلى حداد",
    412: "王小明",
    413: "Zoë 😀 Ünïcødé 👩🏽‍💻",
}


def external_resource_refs(page):
    """Anything in the page that would load from another host."""
    refs = []
    refs += re.findall(r"""\bsrc\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    refs += re.findall(r"""<link\b[^>]*href\s*=\s*["']?\s*(?:https?:)?//[^>]*>""", page, re.I)
    refs += re.findall(r"""url\(\s*["']?\s*(?:https?:)?//""", page, re.I)
    refs += re.findall(r"""@import""", page, re.I)
    return refs


class LinkPageTest(harness.ServerTestCase):

    @classmethod
    def setup_data(cls):
        cls.put_report(make_report(318, name="Priya Raman"))
        cls.put_report(make_report(400, name=XSS_NAME, email="x@example.com"))
        ten_days_ago = utcnow() - datetime.timedelta(days=10)
        cls.put_report(make_report(401, name="Old Report", completed_date=rfc3339(ten_days_ago),
                                   started_date=rfc3339(ten_days_ago - datetime.timedelta(hours=1))))
        for rid, name in UNICODE_NAMES.items():
            cls.put_report(make_report(rid, name=name))
        cls.put_report(make_report(403, name="Before Replace"))
        cls.put_report(make_report(404, name="Revoke Me"))
        cls.token = cls.share_token(318, 2)

    # --------------------------------------------------------------- the page
    def test_page_html(self):
        resp = self.open_link(self.token)
        self.assertStatus(resp, 200)
        self.assertEqual(resp.content_type, "text/html", resp)
        self.assertLinkSecurityHeaders(resp)
        self.assertIn("Priya Raman", resp.text)
        self.assertRegex(resp.text, r"""href\s*=\s*["'][^"']*\?format=pdf["']""", "no Download PDF link")
        self.assertNotRegex(resp.text, r"(?i)<script", "page must contain no script")
        self.assertEqual(external_resource_refs(resp.text), [], "page loads external resources")

    def test_page_no_api_key_needed_and_api_key_ignored(self):
        resp = self.server.request("GET", SHARED_PREFIX + self.token, {"apiKey": "bogus"})
        self.assertStatus(resp, 200)

    def test_download_link_on_page_gives_pdf(self):
        page_url = self.server.base_url + SHARED_PREFIX + self.token
        page = self.server.request("GET", SHARED_PREFIX + self.token)
        self.assertStatus(page, 200)
        m = re.search(r"""href\s*=\s*["']([^"']*\?format=pdf)["']""", page.text)
        self.assertIsNotNone(m, "no ?format=pdf link on the page")
        target = urllib.parse.urljoin(page_url, html.unescape(m.group(1)))
        parsed = urllib.parse.urlsplit(target)
        self.assertEqual(parsed.path, SHARED_PREFIX + self.token, "PDF link must point to the same URL")
        resp = self.server.request("GET", parsed.path + "?" + parsed.query)
        self.assertStatus(resp, 200)
        self.assertEqual(resp.content_type, "application/pdf", resp)

    def test_pdf_format(self):
        resp = self.open_link(self.token, query="?format=pdf")
        self.assertStatus(resp, 200)
        self.assertEqual(resp.content_type, "application/pdf", resp)
        self.assertTrue(resp.body.startswith(b"%PDF-"), resp.body[:40])
        self.assertIn("attachment", resp.headers.get("content-disposition", ""), resp)
        self.assertLinkSecurityHeaders(resp)
        if "content-length" in resp.headers:
            self.assertEqual(int(resp.headers["content-length"]), len(resp.body))

    def test_head_page_and_pdf(self):
        for query, ctype in (("", "text/html"), ("?format=pdf", "application/pdf")):
            with self.subTest(query=query):
                get = self.open_link(self.token, query=query)
                head = self.open_link(self.token, method="HEAD", query=query)
                self.assertStatus(head, get.status)
                self.assertEqual(head.body, b"")
                self.assertEqual(head.content_type, ctype, head)
                self.assertLinkSecurityHeaders(head)
                if query:
                    self.assertIn("attachment", head.headers.get("content-disposition", ""), head)

    def test_accept_json(self):
        resp = self.open_link(self.token, accept="application/json")
        self.assertStatus(resp, 200)
        self.assertEqual(resp.content_type, "application/json", resp)
        data = resp.json()
        self.assertEqual(data.get("name"), "Priya Raman", resp)
        self.assertEqual(data.get("report_id"), 318, resp)
        self.assertEqual(data.get("assessment_id"), 138, resp)
        self.assertLinkSecurityHeaders(resp)

    def test_accept_html_preferred_gets_html(self):
        resp = self.open_link(self.token, accept="text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
        self.assertStatus(resp, 200)
        self.assertEqual(resp.content_type, "text/html", resp)

    def test_unknown_format_400(self):
        # docs/decisions.md: ?format= takes pdf or html; anything else is 400.
        self.assertStatus(self.open_link(self.token, query="?format=html"), 200)
        for q in ("?format=xml", "?format=PDF"):
            with self.subTest(query=q):
                resp = self.open_link(self.token, query=q)
                self.assertStatus(resp, 400)
                self.assertLinkSecurityHeaders(resp)

    def test_post_on_link_is_405(self):
        resp = self.server.request("POST", SHARED_PREFIX + self.token, body=b"")
        self.assertError(resp, 405)
        self.assertIn("GET", resp.headers.get("allow", "").upper(), resp)

    # --------------------------------------------------------- bad tokens
    def _assert_404_everywhere(self, token, label):
        path_token = token
        page = self.open_link(path_token)
        self.assertStatus(page, 404, label)
        self.assertEqual(page.content_type, "text/html", "%s: %s" % (label, page))
        self.assertLinkSecurityHeaders(page, label)
        self.assertNotIn("Priya", page.text, label)
        js = self.open_link(path_token, accept="application/json")
        self.assertError(js, 404, msg=label)
        self.assertLinkSecurityHeaders(js, label)
        head = self.open_link(path_token, method="HEAD")
        self.assertStatus(head, 404, label)
        self.assertEqual(head.body, b"")
        pdf = self.open_link(path_token, query="?format=pdf")
        self.assertStatus(pdf, 404, label)
        self.assertFalse(pdf.body.startswith(b"%PDF"), label)

    def test_tampered_token_every_position(self):
        tok = self.token
        failures = []
        for i, c in enumerate(tok):
            subs = set()
            subs.add("A" if c != "A" else "B")
            if c in ALPHABET:
                subs.add(ALPHABET[ALPHABET.index(c) ^ 1])   # lowest bit flipped
            else:
                subs.add("-")
            for sub in subs:
                bad = tok[:i] + sub + tok[i + 1:]
                resp = self.open_link(bad)
                if resp.status != 404:
                    failures.append("pos %d %r→%r: HTTP %d" % (i, c, sub, resp.status))
        self.assertEqual(failures, [], "tampered tokens not rejected (token %r)" % tok)

    def test_tampered_token_json_and_head(self):
        bad = self.token[:5] + ("x" if self.token[5] != "x" else "y") + self.token[6:]
        self._assert_404_everywhere(bad, "flipped char 5")

    def test_truncated_appended_garbage_tokens(self):
        tok = self.token
        cases = {
            "truncated by 1": tok[:-1],
            "truncated by half": tok[:len(tok) // 2],
            "first char dropped": tok[1:],
            "appended A": tok + "A",
            "appended dot": tok + ".",
            "appended .x": tok + ".x",
            "doubled": tok + tok,
            "garbage": "hello",
            "dots": "....",
            "dash": "-",
            "single char": "A",
            "500 chars": "A" * 500,
            "100 chars": "a" * 100,
            "percent-encoded dot-dot": "%2e%2e",
            "encoded slash": "abc%2Fdef",
            "NUL": "%00",
            "non-ascii": "%E0%A4%AA",
            "uppercase": tok.upper() if tok.upper() != tok else tok.lower(),
        }
        for label, bad in cases.items():
            with self.subTest(case=label):
                resp = self.open_link(bad)
                self.assertStatus(resp, 404, label)
                self.assertLinkSecurityHeaders(resp, label)
                js = self.open_link(bad, accept="application/json")
                self.assertError(js, 404, msg=label)

    def test_empty_token_never_500(self):
        for path in (SHARED_PREFIX, SHARED_PREFIX.rstrip("/"), SHARED_PREFIX + "/", SHARED_PREFIX + "%20",
                     SHARED_PREFIX + self.token + "/", SHARED_PREFIX + self.token + "/x"):
            with self.subTest(path=path):
                resp = self.server.request("GET", path)
                self.assertStatus(resp, 404)
                self.assertIn("x-request-id", resp.headers)

    def test_token_from_other_format_rejected(self):
        # The seed page's example token (another vendor's format) is not ours.
        self._assert_404_everywhere("IjEzOHwzMTh8MTJ8MTc1MjA0NTM5My4xNjM2Mzki.oFhdGxt_tSaHzKO-kFj7NbAIU40",
                                    "seed example token")

    # ------------------------------------------------------- revoked, expired
    def test_revoked_link_410(self):
        token = self.share_token(404)
        self.assertStatus(self.open_link(token), 200)
        links = self.call("GET", "/assessments/reports/404/links")
        self.assertStatus(links, 200)
        link_id = links.json()["links"][0]["link_id"]
        rev = self.call("DELETE", "/assessments/reports/404/links/%s" % link_id)
        self.assertStatus(rev, 200)
        page = self.open_link(token)
        self.assertStatus(page, 410)
        self.assertEqual(page.content_type, "text/html", page)
        self.assertLinkSecurityHeaders(page, "revoked page")
        self.assertNotIn("Revoke Me", page.text, "revoked page must not show the report")
        js = self.open_link(token, accept="application/json")
        self.assertError(js, 410)
        self.assertLinkSecurityHeaders(js, "revoked json")
        pdf = self.open_link(token, query="?format=pdf")
        self.assertStatus(pdf, 410)
        self.assertFalse(pdf.body.startswith(b"%PDF"))
        self.assertLinkSecurityHeaders(pdf, "revoked pdf")
        head = self.open_link(token, method="HEAD")
        self.assertStatus(head, 410)
        self.assertEqual(head.body, b"")
        self.assertLinkSecurityHeaders(head, "revoked head")

    def test_expired_report_link_410(self):
        resp = self.call("GET", "/assessments/report/401")
        self.assertStatus(resp, 200)
        link = resp.json().get("report_link")
        self.assertIsInstance(link, str, resp)
        token = token_of(link)
        page = self.open_link(token)
        self.assertStatus(page, 410)
        self.assertEqual(page.content_type, "text/html", page)
        self.assertIn("expired", page.text.lower(), "410 page should say the link expired")
        self.assertNotIn("Old Report", page.text)
        self.assertLinkSecurityHeaders(page, "expired page")
        self.assertNotRegex(page.text, r"(?i)<script")
        js = self.open_link(token, accept="application/json")
        self.assertError(js, 410)
        self.assertIn("expired", js.json()["error"].lower())
        self.assertStatus(self.open_link(token, query="?format=pdf"), 410)
        head = self.open_link(token, method="HEAD")
        self.assertStatus(head, 410)
        self.assertLinkSecurityHeaders(head, "expired head")

    # ------------------------------------------------------------- content
    def test_html_metacharacters_escaped(self):
        token = self.share_token(400)
        resp = self.open_link(token)
        self.assertStatus(resp, 200)
        self.assertIn("&lt;script&gt;", resp.text)
        self.assertNotIn("<script>alert", resp.text)
        self.assertNotRegex(resp.text, r"(?i)<script")
        self.assertEqual(external_resource_refs(resp.text), [])
        # the name, unescaped, is the original
        self.assertIn(XSS_NAME, html.unescape(resp.text))
        pdf = self.open_link(token, query="?format=pdf")
        self.assertStatus(pdf, 200)
        self.assertTrue(pdf.body.startswith(b"%PDF-"))
        js = self.open_link(token, accept="application/json")
        self.assertStatus(js, 200)
        self.assertEqual(js.json()["name"], XSS_NAME)

    def test_unicode_names_on_page(self):
        for rid, name in UNICODE_NAMES.items():
            with self.subTest(name=name):
                token = self.share_token(rid)
                resp = self.open_link(token)
                self.assertStatus(resp, 200)
                self.assertIn("utf-8", resp.headers.get("content-type", "").lower(), resp)
                self.assertIn(name, html.unescape(resp.body.decode("utf-8")))
                pdf = self.open_link(token, query="?format=pdf")
                self.assertStatus(pdf, 200)
                self.assertTrue(pdf.body.startswith(b"%PDF-"))

    def test_replacing_report_changes_existing_link(self):
        token = self.share_token(403)
        self.assertIn("Before Replace", self.open_link(token).text)
        self.put_report(make_report(403, name="After Replace Name"))
        page = self.open_link(token)
        self.assertStatus(page, 200)
        self.assertIn("After Replace Name", page.text)
        self.assertNotIn("Before Replace", page.text)
        js = self.open_link(token, accept="application/json")
        self.assertEqual(js.json().get("name"), "After Replace Name")


if __name__ == "__main__":
    unittest.main()
