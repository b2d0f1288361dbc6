"""The link page in a real browser (issue 11): headless Chromium opens it at
390 px (a phone) and 1280 px (a desktop) and the tests assert no
Content-Security-Policy violation, no request to another origin, no horizontal
scrolling and the download control.

BrowserNegativeControlTest shows that each of those checks does catch a page
that breaks it. BrowserLinkOptionsTest holds the checks of SPEC §5 (language
per link, ?lang=, allow_download).

One Chromium per test class (browser.Chromium), one fresh browser context per
page. Needs Debian's chromium and tests/browser/node_modules: scripts/setup.
Run on SQLite only (tests/CMakeLists.txt): the page does not depend on the store.
"""

import re
import time
import unittest
import urllib.parse

import browser
import harness
from harness import SHARED_PREFIX, make_report, token_of

WIDTHS = (browser.MOBILE, browser.DESKTOP)
LANGUAGES = ("en", "es", "fr", "de", "pt", "hi", "ar")
RTL_LANGUAGES = ("ar",)

# Unbroken strings far wider than a phone, in every field the page shows.
LONG_WORD = "Supercalifragilisticexpialidocious" * 6   # 204 characters, no break opportunity
LONG_COMPANY = "Unbreakable" + "X" * 120 + "Company"


def long_names_report(report_id):
    sections = [
        {"section": "%s%d" % (LONG_WORD, i), "percentage": float(10 + i * 20),
         "skill_wise_score": [{"skill": "%sSkill%d%d" % (LONG_WORD, i, j), "percentage": float(j * 30)}
                              for j in range(3)]}
        for i in range(4)
    ]
    return make_report(report_id, name="Candidate" + LONG_WORD, email=LONG_WORD.lower() + "@" + "x" * 60 + ".example",
                       sections=sections, assessment_name="Assessment" + LONG_WORD,
                       registration_fields=[{"label": "Label" + LONG_WORD, "value": "Value" + LONG_WORD},
                                            {"label": "Link", "value": "https://example.com/" + "a" * 180}])


class ChromiumMixin:
    """One Chromium per class, started before the class's server and stopped
    (by its process group id) as a class cleanup, whatever else failed."""

    @classmethod
    def start_chromium(cls):
        cls.chrome = browser.Chromium.start()
        cls.addClassCleanup(cls.chrome.stop)

    def open_page(self, url, width, **kw):
        return self.chrome.open(url, width, **kw)

    def assertCleanPage(self, page, width, page_url):
        """No CSP violation, nothing from another origin, no horizontal scrolling."""
        where = "%s at %d px" % (page_url, width)
        self.assertEqual(page["status"], 200, "%s: %s" % (where, browser.describe(page)))
        self.assertEqual(browser.csp_violations(page), [],
                         "%s: CSP violations: %s" % (where, browser.describe(page)))
        self.assertEqual(browser.foreign_requests(page, page_url), [],
                         "%s: requests to another origin: %s" % (where, browser.describe(page)))
        self.assertEqual(browser.layout_problems(page, width), [],
                         "%s: %s" % (where, browser.describe(page)))

    def assertOnlyThePageRequested(self, page, page_url):
        # Chromium may ask the origin for /favicon.ico on its own; the page
        # itself loads nothing (inline CSS and SVG, no script, no image file).
        own = [r["url"] for r in page["requests"]
               if urllib.parse.urlsplit(r["url"]).path != "/favicon.ico"]
        self.assertEqual(own, [page_url], "the page should load nothing but itself: %s" % browser.describe(page))


class BrowserLinkPageTest(ChromiumMixin, harness.ServerTestCase):
    """The link page of the current code, on the demo data and a report with
    very long unbroken names."""

    server_args = ("--demo",)
    company_a = LONG_COMPANY

    @classmethod
    def setUpClass(cls):
        cls.start_chromium()
        super().setUpClass()

    @classmethod
    def setup_data(cls):
        err = cls.server.stderr()
        deadline = time.monotonic() + 5
        while "curl" not in err and time.monotonic() < deadline:
            time.sleep(0.05)
            err = cls.server.stderr()
        m = re.search(r"API key: (\S+)", err)
        if not m:
            raise AssertionError("--demo printed no 'API key: <key>' on stderr:\n" + err)
        cls.demo_key = m.group(1)   # printed by design, so not one of the server's secrets
        cls.put_report(long_names_report(700))

    def link_url(self, report_id, key=None, body=None):
        resp = self.call("POST", "/assessments/reports/%s/share" % report_id,
                         body=body if body is not None else {"expiration_hours": 2},
                         key=key or self.demo_key)
        self.assertStatus(resp, 200)
        return self.server.base_url + SHARED_PREFIX + token_of(resp.json()["signed_url"])

    def test_report_318_clean_at_both_widths(self):
        url = self.link_url(318)
        for width in WIDTHS:
            with self.subTest(width=width):
                page = self.open_page(url, width)
                self.assertCleanPage(page, width, url)
                self.assertOnlyThePageRequested(page, url)
                self.assertEqual(page["download_links"], 1,
                                 "one Download PDF control (a.download): %s" % browser.describe(page))
                self.assertGreaterEqual(page["pdf_links"], 1, browser.describe(page))
                self.assertEqual(page["lang"], "en", browser.describe(page))
                self.assertIn(page["dir"], (None, "ltr"), browser.describe(page))

    def test_every_demo_report_fits_both_widths(self):
        # 319 Devanagari, 320 Arabic name, 321 forty sections (322, not
        # completed, cannot be shared).
        for rid in (319, 320, 321):
            url = self.link_url(rid)
            for width in WIDTHS:
                with self.subTest(report=rid, width=width):
                    page = self.open_page(url, width)
                    self.assertCleanPage(page, width, url)
                    self.assertOnlyThePageRequested(page, url)

    def test_long_unbroken_names_fit_a_phone(self):
        url = self.link_url(700, key="A")
        for width in WIDTHS:
            with self.subTest(width=width):
                page = self.open_page(url, width)
                self.assertCleanPage(page, width, url)
                self.assertEqual(page["download_links"], 1, browser.describe(page))

    def test_zzz_chromium_still_running(self):
        self.assertTrue(self.chrome.alive(), "chromium died:\n" + self.chrome.log_tail())


# --------------------------------------------------------------------------
# Negative controls: each check above catches a page that breaks it
# --------------------------------------------------------------------------

STRICT_CSP = "default-src 'none'; style-src 'unsafe-inline'"
VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'
FOREIGN_IMAGE = "http://127.0.0.2:9/x.png"   # loopback; Chromium refuses port 9 without connecting

CONTROL_PAGES = {
    # path: (Content-Security-Policy or None, body)
    "/clean": (STRICT_CSP, '<!doctype html><html lang="en"><head>%s<style>p{margin:0}</style></head>'
                           '<body><p>fine</p><a class="download" href="?format=pdf">Download PDF</a>'
                           '<a href="?lang=fr" hreflang="fr">Français</a><a href="/elsewhere">x</a></body></html>'
               % VIEWPORT),
    "/inline-script": (STRICT_CSP, '<!doctype html><html lang="en"><head>%s</head><body>'
                                   '<script>document.title = "ran"</script><p>x</p></body></html>' % VIEWPORT),
    "/external-image": (STRICT_CSP, '<!doctype html><html lang="en"><head>%s</head><body>'
                                    '<img src="%s" alt=""></body></html>' % (VIEWPORT, FOREIGN_IMAGE)),
    "/foreign-no-csp": (None, '<!doctype html><html lang="en"><head>%s</head><body>'
                              '<img src="%s" alt=""></body></html>' % (VIEWPORT, FOREIGN_IMAGE)),
    "/too-wide": (STRICT_CSP, '<!doctype html><html lang="en"><head>%s</head><body><p>%s</p></body></html>'
                  % (VIEWPORT, "W" * 400)),
    "/too-wide-rtl": (STRICT_CSP, '<!doctype html><html lang="ar" dir="rtl"><head>%s</head><body><p>%s</p></body></html>'
                      % (VIEWPORT, "\u0628" * 400)),
    "/no-viewport": (STRICT_CSP, '<!doctype html><html lang="en"><body><p>desktop layout</p></body></html>'),
}


class BrowserNegativeControlTest(ChromiumMixin, unittest.TestCase):
    """Pages that break each rule, from a tiny local HTTP server: the harness
    must report every one (else the clean results above prove nothing)."""

    @classmethod
    def setUpClass(cls):
        cls.start_chromium()
        cls.base = browser.serve_control_pages(cls, CONTROL_PAGES)

    def test_clean_control_page_passes(self):
        url = self.base + "/clean"
        for width in WIDTHS:
            with self.subTest(width=width):
                page = self.open_page(url, width)
                self.assertCleanPage(page, width, url)
                self.assertEqual(page["download_links"], 1)
                self.assertEqual(page["pdf_links"], 1)
                self.assertEqual(page["lang_links"], ["?lang=fr"])
                self.assertEqual((page["lang"], page["dir"], page["computed_direction"]), ("en", None, "ltr"))

    def test_inline_script_under_strict_csp_is_a_violation(self):
        page = self.open_page(self.base + "/inline-script", browser.MOBILE)
        violations = browser.csp_violations(page)
        self.assertTrue(violations, "an inline script under default-src 'none' must be reported: %s"
                        % browser.describe(page))
        # Reported by more than one channel; the standard DOM event at least.
        vias = {v["via"] for v in violations}
        self.assertIn("event", vias, violations)
        self.assertTrue(any("script-src" in (v.get("directive") or "") for v in violations), violations)
        self.assertEqual(page["title"], "", "the blocked script must not have run")

    def test_external_image_under_strict_csp_is_a_violation_and_foreign(self):
        url = self.base + "/external-image"
        page = self.open_page(url, browser.MOBILE)
        violations = browser.csp_violations(page)
        self.assertTrue(any("img-src" in (v.get("directive") or "") for v in violations),
                        "an external image under default-src 'none' must be reported: %s" % browser.describe(page))
        self.assertEqual(browser.foreign_requests(page, url), [FOREIGN_IMAGE], browser.describe(page))

    def test_foreign_request_without_csp_is_detected(self):
        url = self.base + "/foreign-no-csp"
        page = self.open_page(url, browser.MOBILE)
        self.assertEqual(browser.csp_violations(page), [], browser.describe(page))
        self.assertEqual(browser.foreign_requests(page, url), [FOREIGN_IMAGE], browser.describe(page))

    def test_too_wide_content_is_horizontal_scrolling(self):
        # Right to left, the overflow is on the left; scrollWidth counts it too.
        for path in ("/too-wide", "/too-wide-rtl"):
            with self.subTest(path=path):
                page = self.open_page(self.base + path, browser.MOBILE)
                problems = browser.layout_problems(page, browser.MOBILE)
                self.assertTrue(any(p.startswith("horizontal scrolling") for p in problems),
                                "%r: %s" % (problems, browser.describe(page)))
                self.assertTrue(page["overflowing"], "the culprit should be named: %s" % browser.describe(page))

    def test_page_without_meta_viewport_does_not_fit_a_phone(self):
        page = self.open_page(self.base + "/no-viewport", browser.MOBILE)
        self.assertNotEqual(browser.layout_problems(page, browser.MOBILE), [], browser.describe(page))
        self.assertEqual(browser.layout_problems(self.open_page(self.base + "/no-viewport", browser.DESKTOP),
                                                 browser.DESKTOP), [])


# --------------------------------------------------------------------------
# SPEC §5: language per link, ?lang=, allow_download
# --------------------------------------------------------------------------

class BrowserLinkOptionsTest(ChromiumMixin, harness.ServerTestCase):
    """Link options as SPEC §5 says the page shows them."""

    @classmethod
    def setUpClass(cls):
        cls.start_chromium()
        super().setUpClass()

    @classmethod
    def setup_data(cls):
        cls.put_report(make_report(318, name="Priya Raman"))

    def share_url(self, body):
        resp = self.call("POST", "/assessments/reports/318/share", body=dict({"expiration_hours": 2}, **body))
        self.assertStatus(resp, 200, "share with %r" % (body,))
        return self.server.base_url + SHARED_PREFIX + token_of(resp.json()["signed_url"])

    def assertLanguage(self, page, tag):
        self.assertEqual(page["lang"], tag, "<html lang>: %s" % browser.describe(page))
        if tag in RTL_LANGUAGES:
            self.assertEqual(page["dir"], "rtl", browser.describe(page))
        else:
            self.assertIn(page["dir"], (None, "ltr"), browser.describe(page))
        self.assertEqual(page["computed_direction"], "rtl" if tag in RTL_LANGUAGES else "ltr",
                         browser.describe(page))

    def assertLinksToOtherLanguages(self, page, tag):
        """The page offers ?lang= links to the 6 other languages (and none unsupported)."""
        linked = set()
        for href in page.get("lang_links") or []:
            linked.update(urllib.parse.parse_qs(urllib.parse.urlsplit(href).query).get("lang", []))
        others = set(LANGUAGES) - {tag}
        self.assertTrue(others <= linked, "?lang= links to %s missing: %s"
                        % (sorted(others - linked), browser.describe(page)))
        self.assertTrue(linked <= set(LANGUAGES), "?lang= links to unsupported %s" % sorted(linked - set(LANGUAGES)))

    def test_language_of_the_link(self):
        for tag in LANGUAGES:
            url = self.share_url({"language": tag})
            for width in WIDTHS:
                page = self.open_page(url, width)
                with self.subTest(language=tag, width=width, check="clean page"):
                    self.assertCleanPage(page, width, url)
                with self.subTest(language=tag, width=width, check="lang and dir"):
                    self.assertLanguage(page, tag)
                with self.subTest(language=tag, width=width, check="?lang= links"):
                    self.assertLinksToOtherLanguages(page, tag)

    def test_lang_query_wins_over_the_link_language(self):
        url = self.share_url({"language": "en"})
        for tag in LANGUAGES:
            with self.subTest(lang=tag):
                page = self.open_page(url + "?lang=" + tag, browser.MOBILE)
                self.assertCleanPage(page, browser.MOBILE, url + "?lang=" + tag)
                self.assertLanguage(page, tag)

    def test_download_control_exactly_when_downloads_allowed(self):
        for allow, count in ((False, 0), (True, 1)):
            url = self.share_url({"allow_download": allow})
            for width in WIDTHS:
                with self.subTest(allow_download=allow, width=width):
                    page = self.open_page(url, width)
                    self.assertCleanPage(page, width, url)
                    self.assertEqual(page["download_links"], count,
                                     "a.download with allow_download=%s: %s" % (allow, browser.describe(page)))
                    # No other way to the PDF either (a language's PDF link counts).
                    if not allow:
                        self.assertEqual(page["pdf_links"], 0,
                                         "links to ?format=pdf with allow_download=false: %s" % browser.describe(page))

    def test_zzz_chromium_still_running(self):
        self.assertTrue(self.chrome.alive(), "chromium died:\n" + self.chrome.log_tail())


if __name__ == "__main__":
    unittest.main()
