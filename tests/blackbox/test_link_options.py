"""Link options (SPEC §5) and the bulk share with options (§6), black-box.

One server per class. What each class covers:

  ShareOptionsValidationTest  the six share-body fields on share, download,
                              bulk share and bulk download: values, types,
                              nulls, error messages, check order; the share
                              response's shape; the links list's options.
  LinksFilterTest             ?recipient= and ?state= on the links list.
  AllowDownloadTest           allow_download false: no download control, 403.
  MaxViewsTest                view limits: GET/HEAD/scanners, 410, and 20
                              simultaneous opens of a link with max_views 3.
  AnonymizedTest              variant anonymized: the candidate appears nowhere.
  LanguageDecisionTest        which language a link open picks (?lang, the
                              link's language, Accept-Language, en), seen
                              through the PDF cache's metrics, and ?lang's
                              place in the page's Download PDF link.
  WatermarkCachingTest        a watermarked link's documents are rendered per
                              view, never cached, never pollute the cache.
  LinkLanguagePageTest        <html lang>, dir=rtl, translated labels, links to
                              the other languages.
  WatermarkTest               the watermark text on the page and on every PDF
                              page.
(max_views exact across two nodes, options and pseudonyms seen alike by both:
test_cluster.TwoNodesLinkOptionsTest, which runs on PostgreSQL only.)
"""

import datetime
import html
import io
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unittest
import zipfile

import harness
from harness import SHARED_PREFIX, Server, create_key, make_report, token_of, utcnow

SHARE = "/assessments/reports/%s/share"
DOWNLOAD = "/assessments/reports/%s/download"
LINKS = "/assessments/reports/%s/links"
BULK_SHARE = "/assessments/reports/share"
BULK_DOWNLOAD = "/assessments/reports/download"

SHARE_FIELDS = {"signed_url", "expires_at", "expiration_hours", "report_id", "assessment_id", "link_id"}
LINK_FIELDS = {"link_id", "created_at", "expires_at", "revoked_at", "views", "last_viewed_at",
               "recipient", "allow_download", "max_views", "watermark", "variant", "language", "base_url"}
DEFAULT_OPTIONS = {"recipient": None, "allow_download": True, "max_views": None, "watermark": False,
                   "variant": "full", "language": None}
LANGUAGES = ("en", "es", "fr", "de", "pt", "hi", "ar")
PSEUDONYM_RE = re.compile(r"Candidate [A-Z2-9]{6}")
VIEW_LIMIT_MESSAGE = "this link has reached its view limit"
DOWNLOADS_DISABLED_MESSAGE = "downloads are disabled for this link"

BROWSER_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/126.0.0.0 Safari/537.36")
# User-Agents of link previewers and mail scanners (src/service/client_info.cc
# recognises them): their opens never count as views.
SCANNER_UAS = (
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "WhatsApp/2.23.20.0 A",
    "TelegramBot (like TwitterBot)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/104.0.5112.81 Safari/537.36 MicrosoftPreview/2.0 +https://aka.ms/MicrosoftPreview",
    "Microsoft Office Word 2014",
    "Mozilla/4.0 (compatible; ms-office; MSOffice 16)",
    "Mozilla/5.0 (compatible; SafeLinks/1.0)",
    "Proofpoint URL Defense",
    "Mimecast URL Protect",
    "Barracuda Sentinel (EE)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
)


def require_tool(name):
    path = shutil.which(name)
    if not path:
        raise AssertionError("%s is needed by these tests and is not installed (poppler-utils / qpdf)" % name)
    return path


def run_tool(args, data=None, timeout=30):
    """Runs a PDF tool on `data` written to a temp file (its path replaces
    '{pdf}' in args); returns stdout as bytes."""
    require_tool(args[0])
    with tempfile.TemporaryDirectory(prefix="rs-pdf-") as d:
        path = os.path.join(d, "in.pdf")
        with open(path, "wb") as f:
            f.write(data)
        out_path = os.path.join(d, "out.pdf")
        argv = [a.replace("{pdf}", path).replace("{out}", out_path) for a in args]
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        if "{out}" in " ".join(args):
            # qpdf exits 3 for warnings; the output is still written
            if not os.path.exists(out_path):
                raise AssertionError("%s failed (%s): %r" % (args[0], proc.returncode, proc.stderr[:500]))
            with open(out_path, "rb") as f:
                return f.read()
        if proc.returncode != 0:
            raise AssertionError("%s failed (%s): %r" % (args[0], proc.returncode, proc.stderr[:500]))
        return proc.stdout


def pdf_text(data, page=None, raw=False):
    args = ["pdftotext", "-enc", "UTF-8"]
    if raw:
        args.append("-raw")
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    return run_tool(args + ["{pdf}", "-"], data).decode("utf-8", "replace")


def pdf_info(data):
    return run_tool(["pdfinfo", "{pdf}"], data).decode("utf-8", "replace")


def pdf_page_count(data):
    m = re.search(r"^Pages:\s+(\d+)", pdf_info(data), re.M)
    if not m:
        raise AssertionError("pdfinfo shows no page count")
    return int(m.group(1))


def pdf_uncompressed(data):
    """The PDF with every stream uncompressed (qpdf --qdf)."""
    return run_tool(["qpdf", "--qdf", "--object-streams=disable", "{pdf}", "{out}"], data)


def pdf_haystacks(data):
    """Every form of a PDF a name could hide in: the raw bytes, the
    uncompressed file (content streams, metadata, outline), its text
    (pdftotext) and its document information (pdfinfo)."""
    return {
        "raw bytes": data,
        "uncompressed (qpdf --qdf)": pdf_uncompressed(data),
        "pdftotext": pdf_text(data).encode("utf-8"),
        "pdfinfo": pdf_info(data).encode("utf-8"),
    }


def encodings_of(needle):
    """The byte forms a PDF may store a string in: UTF-8, UTF-16BE (text
    strings), and both as hex strings (<feff...>) in either case."""
    utf8 = needle.encode("utf-8")
    utf16 = needle.encode("utf-16-be")
    forms = {"utf-8": utf8, "utf-16be": utf16}
    for label, b in (("utf-8 hex", utf8), ("utf-16be hex", utf16)):
        forms[label + " lower"] = b.hex().encode()
        forms[label + " upper"] = b.hex().upper().encode()
    return forms


def pdf_mentions(data, needles):
    """[(needle, where, encoding)] for every needle found in the PDF."""
    hits = []
    stacks = pdf_haystacks(data)
    for needle in needles:
        for where, hay in stacks.items():
            low = hay.lower()
            for enc, form in encodings_of(needle).items():
                if form.lower() in low:
                    hits.append((needle, where, enc))
    return hits


def squash(text):
    return re.sub(r"\s+", "", text)


def visible_text(page):
    """The text of an HTML page (no style blocks, no tags), unescaped."""
    page = re.sub(r"(?is)<style\b.*?</style>", " ", page)
    page = re.sub(r"(?s)<[^>]*>", " ", page)
    return html.unescape(page)


def download_hrefs(page):
    """The href of every <a class="... download ..."> of a page, unescaped."""
    out = []
    for tag in re.findall(r"(?is)<a\b[^>]*>", page):
        cls = re.search(r"""class\s*=\s*["']([^"']*)["']""", tag)
        if cls and "download" in cls.group(1).split():
            href = re.search(r"""href\s*=\s*["']([^"']*)["']""", tag)
            out.append(html.unescape(href.group(1)) if href else None)
    return out


def pdf_links_of(page):
    """Every href of the page that asks for the PDF (format=pdf), unescaped."""
    return [html.unescape(h) for h in re.findall(r"""href\s*=\s*["']([^"']*)["']""", page)
            if "format=pdf" in html.unescape(h)]


def html_lang(page):
    m = re.search(r"(?is)<html\b[^>]*\blang\s*=\s*[\"']([^\"']*)[\"']", page)
    return m.group(1) if m else None


def html_dir(page):
    m = re.search(r"(?is)<html\b[^>]*\bdir\s*=\s*[\"']([^\"']*)[\"']", page)
    return m.group(1).lower() if m else None


wait_until = harness.wait_until


def simultaneous(jobs, timeout=60):
    """Runs every job (a callable) on its own thread, released together by a
    barrier; returns their results in order (an exception's repr on failure)."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait(timeout=20)
            results[i] = job()
        except Exception as e:  # noqa: BLE001
            results[i] = repr(e)

    threads = [threading.Thread(target=run, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return results


class OptionsMixin:
    """Helpers shared by the server classes of this file (mixed into
    harness.ServerTestCase; not a TestCase itself, so it does not run on its
    own). `pii` holds candidate data and recipients that must never reach the
    server's logs."""

    pii = ()

    @classmethod
    def share_body(cls, report_id, body, key="A"):
        """POST …/share with `body`; asserts 200 and the six-field response."""
        resp = cls.call("POST", SHARE % report_id, body=body, key=key)
        if resp.status != 200:
            raise AssertionError("share %s with %r failed: %s" % (report_id, body, resp))
        data = resp.json()
        if set(data) != SHARE_FIELDS:
            raise AssertionError("share response fields %r, want %r" % (sorted(data), sorted(SHARE_FIELDS)))
        return data

    @classmethod
    def share_opts(cls, report_id, key="A", **options):
        """Shares with these options; returns (token, link_id)."""
        data = cls.share_body(report_id, options, key=key)
        return token_of(data["signed_url"]), data["link_id"]

    def links(self, report_id, query="", key="A"):
        resp = self.call("GET", LINKS % report_id + query, key=key)
        self.assertStatus(resp, 200, "links list %s%s" % (report_id, query))
        self.assertEqual(resp.content_type, "application/json", resp)
        data = resp.json()
        self.assertEqual(list(data), ["links"], resp)
        return data["links"]

    def link_entry(self, report_id, link_id):
        found = [l for l in self.links(report_id) if l["link_id"] == link_id]
        self.assertEqual(len(found), 1, "link %s listed %d times for report %s" % (link_id, len(found), report_id))
        return found[0]

    def get(self, token, query="", accept=None, ua=None, method="GET", headers=None):
        hdrs = dict(headers or {})
        if accept:
            hdrs["Accept"] = accept
        if ua:
            hdrs["User-Agent"] = ua
        return self.server.request(method, SHARED_PREFIX + token + query, hdrs)

    def metrics(self):
        resp = self.server.request("GET", "/metrics")
        self.assertStatus(resp, 200)
        out = {}
        for line in resp.text.splitlines():
            m = re.match(r"^(reportshare_[a-z_]+_total) (\d+)$", line)
            if m:
                out[m.group(1)] = int(m.group(2))
        return out

    def pdf_counters(self):
        m = self.metrics()
        return m["reportshare_pdfs_rendered_total"], m["reportshare_pdf_cache_hits_total"]

    def assertStillServing(self, msg=""):
        """After a bad request: the server answers a good one."""
        resp = self.call("GET", "/assessments/reports/%d/links" % self.good_report_id)
        self.assertStatus(resp, 200, "a good request after a bad one %s" % msg)

    good_report_id = 318

    def assertContains(self, text, needle, where, present=True):
        """assertIn/assertNotIn with a short message (not the whole page)."""
        if (needle in text) != present:
            i = text.find(needle)
            around = text[max(0, i - 60):i + len(needle) + 60] if i >= 0 else text[:160]
            self.fail("%r %s the %s (%d chars; %s: %r)" % (
                needle, "not in" if present else "unexpectedly in", where, len(text),
                "around it" if i >= 0 else "it starts", around))

    def test_zzy_no_candidate_data_or_recipient_in_logs(self):
        logs = self.server.all_logs()
        found = sorted({p for p in self.pii if p and p in logs})
        self.assertEqual(found, [], "candidate data / recipients in the server's stdout/stderr")


# --------------------------------------------------------------------------
# The share body's options: validation, defaults, shapes
# --------------------------------------------------------------------------

BAD_OPTION_VALUES = [
    # (field, JSON text of the value)
    ("allow_download", '"true"'), ("allow_download", "1"), ("allow_download", "0"),
    ("allow_download", "[]"), ("allow_download", "{}"), ("allow_download", '"false"'),
    ("watermark", '"true"'), ("watermark", "1"), ("watermark", "[true]"), ("watermark", '""'),
    ("max_views", "0"), ("max_views", "-1"), ("max_views", "1001"), ("max_views", "2.5"),
    ("max_views", "1000.5"), ("max_views", "1001.0"), ("max_views", '"3"'), ("max_views", "true"),
    ("max_views", "[3]"), ("max_views", "{}"), ("max_views", "-0"), ("max_views", "1e-300"),
    ("max_views", "18446744073709551615"), ("max_views", "9223372036854775807"), ("max_views", "1e30"),
    ("recipient", '""'), ("recipient", "1"), ("recipient", "true"), ("recipient", '["hm@acme.example"]'),
    ("recipient", '{"email": "hm@acme.example"}'), ("recipient", '"' + "x" * 201 + '"'),
    ("variant", '"Full"'), ("variant", '"anonymised"'), ("variant", '""'), ("variant", "1"),
    ("variant", "true"), ("variant", '["full"]'), ("variant", '"full "'),
    ("language", '"es-MX"'), ("language", '"zh"'), ("language", '""'), ("language", "1"),
    ("language", '"english"'), ("language", '["es"]'), ("language", '"e s"'), ("language", '"*"'),
]

# Recipients with a control, separator or bidi control character: rejected,
# and the error never echoes them.
BAD_RECIPIENTS = {
    "NUL": "Hiring\u0000Quorble-Panel", "BEL": "Hiring\u0007Quorble-Panel",
    "TAB": "Hiring\tQuorble-Panel", "LF": "Hiring\nQuorble-Panel", "CR": "Hiring\rQuorble-Panel",
    "ESC": "Hiring\u001bQuorble-Panel", "US": "Hiring\u001fQuorble-Panel", "DEL": "Hiring\u007fQuorble-Panel",
    "C1 NEL": "Hiring\u0085Quorble-Panel", "C1 CSI": "Hiring\u009bQuorble-Panel",
    "C1 APC": "Hiring\u009fQuorble-Panel", "C1 PAD": "Hiring\u0080Quorble-Panel",
    "LS": "Hiring\u2028Quorble-Panel", "PS": "Hiring\u2029Quorble-Panel",
    "LRE": "Hiring\u202aQuorble-Panel", "RLE": "Hiring\u202bQuorble-Panel",
    "PDF": "Hiring\u202cQuorble-Panel", "LRO": "Hiring\u202dQuorble-Panel",
    "RLO": "Hiring\u202eQuorble-Panel", "LRI": "Hiring\u2066Quorble-Panel",
    "RLI": "Hiring\u2067Quorble-Panel", "FSI": "Hiring\u2068Quorble-Panel",
    "PDI": "Hiring\u2069Quorble-Panel", "only a control": "\u0000",
    "trailing LF": "Quorble-Panel\n",
}

GOOD_RECIPIENTS = [
    "hm@acme.example",
    "Hiring panel",
    "x",
    "a" * 200,
    "😀" * 200,                      # 200 code points, 800 bytes
    "प्रिया रमन (hiring manager)",
    "ليلى حداد",
    "王小明 / 面试官",
    "<b>Panel</b> & \"co\" 'x'",
    "  spaced  out  ",
    "Zoë\u200dÅngström",           # ZWJ is a format character, not a control
    "مدير\u200fالتوظيف",             # RLM: a mark, not an embedding/override/isolate
]


class ShareOptionsValidationTest(OptionsMixin, harness.ServerTestCase):

    pii = ("Quorble-Panel", "hm@acme.example", "Hiring panel")

    @classmethod
    def setup_data(cls):
        cls.put_report(make_report(318, name="Priya Raman"))
        cls.put_report(make_report(319, name="Pending Person", status="Pending"))
        cls.put_report(make_report(321, name="Second Candidate", assessment_id=139))
        cls.put_report(make_report(322, name="Third Candidate"))
        cls.put_report(make_report(500, name="Globex Candidate"), key="B")

    # ------------------------------------------------------------- defaults
    def test_defaults_without_body_with_nulls_and_with_unknown_fields(self):
        bodies = [None, b"{}", {"expiration_hours": 2},
                  {k: None for k in DEFAULT_OPTIONS},
                  {"recipient": None, "foo": "bar", "maxViews": 3, "Allow_download": False}]
        for body in bodies:
            with self.subTest(body=body):
                resp = self.call("POST", SHARE % 318, body=body)
                self.assertStatus(resp, 200)
                data = resp.json()
                self.assertEqual(set(data), SHARE_FIELDS, resp)
                entry = self.link_entry(318, data["link_id"])
                self.assertEqual(set(entry), LINK_FIELDS, entry)
                self.assertEqual({k: entry[k] for k in DEFAULT_OPTIONS}, DEFAULT_OPTIONS, entry)
                self.assertStatus(self.get(token_of(data["signed_url"])), 200)
                self.assertStatus(self.get(token_of(data["signed_url"]), "?format=pdf"), 200)

    def test_every_option_stored_and_listed(self):
        options = {"allow_download": False, "max_views": 7, "recipient": "hm@acme.example",
                   "watermark": True, "variant": "anonymized", "language": "ar"}
        data = self.share_body(318, dict(options, expiration_hours=2))
        self.assertEqual(data["expiration_hours"], 2)
        self.assertEqual(data["report_id"], 318)
        self.assertEqual(data["assessment_id"], 138)
        self.assertRegex(data["link_id"], r"^[A-Za-z0-9_-]{22}$")
        entry = self.link_entry(318, data["link_id"])
        self.assertEqual(set(entry), LINK_FIELDS, entry)
        self.assertEqual({k: entry[k] for k in options}, options, entry)
        self.assertEqual(entry["views"], 0)

    def test_value_forms_accepted(self):
        cases = [
            ({"max_views": 1}, {"max_views": 1}),
            ({"max_views": 1000}, {"max_views": 1000}),
            (b'{"max_views": 3.0}', {"max_views": 3}),
            (b'{"max_views": 1e3}', {"max_views": 1000}),
            (b'{"max_views": 25e-1}', None),   # 2.5: not an integer
            ({"allow_download": True, "watermark": False}, {"allow_download": True, "watermark": False}),
            ({"variant": "full"}, {"variant": "full"}),
            ({"variant": "anonymized"}, {"variant": "anonymized"}),
        ]
        for tag in LANGUAGES:
            cases.append(({"language": tag}, {"language": tag}))
            cases.append(({"language": tag.upper()}, {"language": tag}))
        cases.append(({"language": "Es"}, {"language": "es"}))
        for body, want in cases:
            with self.subTest(body=body):
                resp = self.call("POST", SHARE % 318, body=body)
                if want is None:
                    self.assertError(resp, 400, ["max_views"])
                    continue
                self.assertStatus(resp, 200)
                entry = self.link_entry(318, resp.json()["link_id"])
                self.assertEqual({k: entry[k] for k in want}, want, entry)
                # In the list as JSON integers, not 3.0.
                if "max_views" in want:
                    raw = self.call("GET", LINKS % 318).text
                    self.assertNotRegex(raw, r'"max_views"\s*:\s*\d+\.\d', "max_views listed as a float")

    def test_recipients_accepted_and_listed_intact(self):
        for recipient in GOOD_RECIPIENTS:
            with self.subTest(recipient=recipient[:20]):
                data = self.share_body(318, {"recipient": recipient})
                self.assertEqual(self.link_entry(318, data["link_id"])["recipient"], recipient)
                # never in the URL or the token
                token = token_of(data["signed_url"])
                self.assertLessEqual(len(token), 100)
                if len(recipient) >= 4:
                    self.assertNotIn(recipient, data["signed_url"])
                    for seg in harness.b64_segments(token):
                        self.assertNotIn(recipient.encode("utf-8"), seg, "recipient inside the token")

    def test_wrong_values_and_types_are_400_naming_the_field(self):
        for field, raw in BAD_OPTION_VALUES:
            for path in (SHARE % 318, DOWNLOAD % 318):
                with self.subTest(field=field, value=raw[:30], path=path):
                    resp = self.call("POST", path, body=('{"%s": %s}' % (field, raw)).encode())
                    msg = self.assertError(resp, 400, [field])
                    if field == "language":
                        for tag in LANGUAGES:
                            self.assertIn(tag, msg, "the error should list the supported languages")
                    if field == "max_views":
                        self.assertIn("1000", msg)
                    if field == "variant":
                        self.assertIn("anonymized", msg)
                    self.assertStillServing("(%s=%s)" % (field, raw[:20]))

    def test_messages_state_the_rule(self):
        cases = {
            '{"allow_download": "yes"}': "allow_download must be true or false",
            '{"watermark": 1}': "watermark must be true or false",
            '{"max_views": 0}': "max_views must be an integer from 1 to 1000",
            '{"variant": "x"}': 'variant must be "full" or "anonymized"',
            '{"language": "x"}': "language must be one of en, es, fr, de, pt, hi, ar",
        }
        for body, want in cases.items():
            with self.subTest(body=body):
                self.assertEqual(self.assertError(self.call("POST", SHARE % 318, body=body.encode()), 400), want)

    def test_recipient_with_control_characters_rejected_without_echo(self):
        for label, recipient in BAD_RECIPIENTS.items():
            for path in (SHARE % 318, DOWNLOAD % 318, BULK_SHARE, BULK_DOWNLOAD):
                with self.subTest(char=label, path=path):
                    body = {"recipient": recipient}
                    if path in (BULK_SHARE, BULK_DOWNLOAD):
                        body["report_ids"] = [318]
                    resp = self.call("POST", path, body=body)
                    msg = self.assertError(resp, 400, ["recipient", "control character"])
                    self.assertNotIn("Quorble", resp.text, "the rejected recipient is echoed back")
                    self.assertNotIn("Hiring", resp.text, "the rejected recipient is echoed back")
            self.assertStillServing(label)

    def test_recipient_length_counts_code_points(self):
        ok = {"200 ASCII": "a" * 200, "200 emoji": "😀" * 200, "200 Devanagari": "क" * 200,
              "1 char": "\u00e9"}
        bad = {"201 ASCII": "a" * 201, "201 emoji": "😀" * 201, "empty": "", "1000": "Quorble-Panel" * 77}
        for label, r in ok.items():
            with self.subTest(ok=label):
                self.assertStatus(self.call("POST", SHARE % 318, body={"recipient": r}), 200)
        for label, r in bad.items():
            with self.subTest(bad=label):
                resp = self.call("POST", SHARE % 318, body={"recipient": r})
                msg = self.assertError(resp, 400, ["recipient", "200"])
                if r:
                    self.assertNotIn(r, resp.text, "the rejected recipient is echoed back")
                    self.assertNotIn("Quorble", msg)

    def test_lone_surrogate_recipient_never_500(self):
        # "\ud800" is not a Unicode scalar value: refused as JSON, or stored
        # as something the links list can still return as valid JSON.
        for raw in (b'{"recipient": "\\ud800"}', b'{"recipient": "a\\udfffb"}'):
            with self.subTest(body=raw):
                resp = self.call("POST", SHARE % 318, body=raw)
                self.assertIn(resp.status, (200, 400), resp)
                if resp.status == 400:
                    self.assertError(resp, 400)
                else:
                    entry = self.link_entry(318, resp.json()["link_id"])
                    self.assertIsInstance(entry["recipient"], str)
                self.assertStillServing()

    def test_invalid_utf8_in_recipient_400(self):
        resp = self.call("POST", SHARE % 318, body=b'{"recipient": "hm\xff\xfe@acme"}')
        self.assertError(resp, 400)
        self.assertStillServing()

    def test_first_bad_field_reported_and_nothing_minted(self):
        before = len(self.links(322))
        resp = self.call("POST", SHARE % 322, body={"max_views": 0, "variant": "x"})
        msg = self.assertError(resp, 400)
        self.assertTrue("max_views" in msg or "variant" in msg, msg)
        resp = self.call("POST", SHARE % 322, body={"expiration_hours": 2, "language": "xx"})
        self.assertError(resp, 400, ["language"])
        self.assertEqual(len(self.links(322)), before, "a refused share minted a link")

    def test_check_order_auth_then_shape_then_report_then_state(self):
        bad = {"max_views": 0}
        good = {"max_views": 2}
        # 401 before the body
        self.assertError(self.call("POST", SHARE % 318, body=bad, key=None), 401)
        self.assertError(self.call("POST", SHARE % 318, body=bad, key="not-a-key"), 401)
        self.assertError(self.call("POST", BULK_SHARE, body=dict(bad, report_ids=[318]), key=None), 401)
        # 400 before the report: missing, another company's, not completed
        for rid in (9999, 500, 319):
            for option in ("share", "download"):
                with self.subTest(report=rid, option=option):
                    self.assertError(self.call("POST", "/assessments/reports/%d/%s" % (rid, option), body=bad),
                                     400, ["max_views"])
        # with good options: 404 / 404 / 409
        self.assertError(self.call("POST", SHARE % 9999, body=good), 404)
        self.assertError(self.call("POST", SHARE % 500, body=good), 404)
        self.assertError(self.call("POST", SHARE % 319, body=good), 409)
        # 413 before the options
        big = b'{"max_views": 0, "pad": "' + b"x" * 70000 + b'"}'
        self.assertError(self.call("POST", SHARE % 318, body=big), 413)

    def test_download_validates_options_and_ignores_them(self):
        plain = self.call("POST", DOWNLOAD % 321)
        self.assertStatus(plain, 200)
        self.assertEqual(plain.content_type, "application/pdf")
        body = {"allow_download": False, "max_views": 1, "recipient": "hm@acme.example",
                "watermark": True, "variant": "anonymized", "language": "ar", "expiration_hours": 2}
        for _ in range(3):   # max_views 1 means nothing here
            resp = self.call("POST", DOWNLOAD % 321, body=body)
            self.assertStatus(resp, 200)
            self.assertEqual(resp.content_type, "application/pdf", resp)
            self.assertEqual(resp.headers.get("content-disposition"), 'attachment; filename="report-321.pdf"')
            self.assertEqual(resp.body, plain.body, "options must not change POST …/download's PDF")
        text = pdf_text(plain.body)
        self.assertIn("Second Candidate", text, "download is never anonymized")
        self.assertNotRegex(text, PSEUDONYM_RE)
        self.assertNotIn("hm@acme.example", text, "download carries no watermark")

    # ------------------------------------------------------------- bulk
    def test_bulk_share_gives_every_link_the_options(self):
        options = {"allow_download": False, "max_views": 2, "recipient": "Hiring panel",
                   "watermark": True, "variant": "anonymized", "language": "de"}
        resp = self.call("POST", BULK_SHARE, body=dict(options, report_ids=[321, 9999, 319, 500, 322],
                                                       expiration_hours=3))
        self.assertStatus(resp, 200)
        links = resp.json()["links"]
        self.assertEqual([l["report_id"] for l in links], [321, 9999, 319, 500, 322])
        self.assertEqual(links[1], {"report_id": 9999, "status": 404, "error": "report not found"})
        self.assertEqual(links[2]["status"], 409)
        self.assertEqual(links[3], {"report_id": 500, "status": 404, "error": "report not found"})
        for i, rid in ((0, 321), (4, 322)):
            link = links[i]
            self.assertEqual(set(link), SHARE_FIELDS, link)
            self.assertEqual(link["expiration_hours"], 3)
            entry = self.link_entry(rid, link["link_id"])
            self.assertEqual({k: entry[k] for k in options}, options, entry)
            token = token_of(link["signed_url"])
            pdf = self.get(token, "?format=pdf")
            self.assertStatus(pdf, 403)
            page = self.get(token)
            self.assertStatus(page, 200)
            self.assertRegex(page.text, PSEUDONYM_RE)
            self.assertNotIn("Second Candidate" if rid == 321 else "Third Candidate", page.text)
            self.assertEqual(download_hrefs(page.text), [])
            self.assertStatus(self.get(token, accept="application/json"), 200)
            gone = self.get(token)
            self.assertStatus(gone, 410, "max_views 2 for a bulk-minted link")

    def test_bulk_share_and_download_validate_options(self):
        for path in (BULK_SHARE, BULK_DOWNLOAD):
            for field, raw in BAD_OPTION_VALUES[::3]:
                with self.subTest(path=path, field=field, value=raw[:20]):
                    body = ('{"report_ids": [318, 321], "%s": %s}' % (field, raw)).encode()
                    self.assertError(self.call("POST", path, body=body), 400, [field])
            self.assertStillServing(path)
        before = len(self.links(321))
        self.assertError(self.call("POST", BULK_SHARE, body={"report_ids": [321, 322], "variant": "none"}),
                         400, ["variant"])
        self.assertEqual(len(self.links(321)), before, "a refused bulk share minted links")

    def test_bulk_download_ignores_valid_options(self):
        single = self.call("POST", DOWNLOAD % 322)
        self.assertStatus(single, 200)
        resp = self.call("POST", BULK_DOWNLOAD, body={"report_ids": [322], "variant": "anonymized",
                                                      "watermark": True, "language": "hi",
                                                      "allow_download": False}, timeout=60)
        self.assertStatus(resp, 200)
        self.assertEqual(resp.content_type, "application/zip", resp)
        z = zipfile.ZipFile(io.BytesIO(resp.body))
        self.assertEqual(z.namelist(), ["report-322.pdf"])
        self.assertEqual(z.read("report-322.pdf"), single.body)


# --------------------------------------------------------------------------
# Filters of the links list
# --------------------------------------------------------------------------

class LinksFilterTest(OptionsMixin, harness.ServerTestCase):

    pii = ("hm@acme.example", "Hiring panel", "Panel+Plus", "Zoë Ångström", "hm+reports@acme.example")
    good_report_id = 800

    @classmethod
    def setup_data(cls):
        cls.put_report(make_report(800, name="Filter Candidate"))
        cls.put_report(make_report(801, name="Other Candidate"))
        ten_days_ago = utcnow() - datetime.timedelta(days=10)
        cls.put_report(make_report(802, name="Old Candidate", completed_date=harness.rfc3339(ten_days_ago),
                                   started_date=harness.rfc3339(ten_days_ago - datetime.timedelta(hours=1))))
        cls.put_report(make_report(810, name="Globex Filter"), key="B")
        t = {}
        t["hm"] = cls.share_opts(800, recipient="hm@acme.example")
        t["HM"] = cls.share_opts(800, recipient="HM@acme.example")
        t["panel"] = cls.share_opts(800, recipient="Hiring panel")
        t["plus"] = cls.share_opts(800, recipient="Panel+Plus")
        t["plus_address"] = cls.share_opts(800, recipient="hm+reports@acme.example")
        t["zoe"] = cls.share_opts(800, recipient="Zoë Ångström")
        t["none"] = cls.share_opts(800)
        t["hm_limited"] = cls.share_opts(800, recipient="hm@acme.example", max_views=1)
        t["hm_revoked"] = cls.share_opts(800, recipient="hm@acme.example")
        t["other_report"] = cls.share_opts(801, recipient="hm@acme.example")
        cls.t = t
        # one link out of views, one revoked
        if cls.server.request("GET", SHARED_PREFIX + t["hm_limited"][0]).status != 200:
            raise AssertionError("first view of the max_views 1 link failed")
        resp = cls.call("DELETE", LINKS % 800 + "/" + t["hm_revoked"][1])
        if resp.status != 200:
            raise AssertionError("revoke failed: %s" % resp)

    def ids(self, report_id, query):
        return {l["link_id"] for l in self.links(report_id, query)}

    def id_of(self, *names):
        return {self.t[n][1] for n in names}

    def test_recipient_exact_match(self):
        self.assertEqual(self.ids(800, "?recipient=hm%40acme.example"),
                         self.id_of("hm", "hm_limited", "hm_revoked"))
        self.assertEqual(self.ids(800, "?recipient=hm@acme.example"),
                         self.id_of("hm", "hm_limited", "hm_revoked"), "'@' unescaped in a query is legal")
        self.assertEqual(self.ids(800, "?recipient=HM%40acme.example"), self.id_of("HM"), "case-sensitive")
        self.assertEqual(self.ids(800, "?recipient=hm"), set(), "no prefix match")
        self.assertEqual(self.ids(800, "?recipient=hm%40acme.exampl"), set())
        self.assertEqual(self.ids(800, "?recipient=%25"), set())
        self.assertEqual(self.ids(800, "?recipient=nobody"), set())

    def test_recipient_decoding_plus_is_space(self):
        self.assertEqual(self.ids(800, "?recipient=Hiring+panel"), self.id_of("panel"))
        self.assertEqual(self.ids(800, "?recipient=Hiring%20panel"), self.id_of("panel"))
        self.assertEqual(self.ids(800, "?recipient=Panel+Plus"), set(), "'+' is a space")
        # An escaped '+' is a plus sign: plus-addressed mail must be findable.
        self.assertEqual(self.ids(800, "?recipient=Panel%2BPlus"), self.id_of("plus"), "%2B is '+'")
        self.assertEqual(self.ids(800, "?recipient=hm%2Breports%40acme.example"), self.id_of("plus_address"))
        self.assertEqual(self.ids(800, "?recipient=Zo%C3%AB+%C3%85ngstr%C3%B6m"), self.id_of("zoe"))

    def test_state_filter(self):
        everything = self.ids(800, "")
        live = self.ids(800, "?state=live")
        expired = self.ids(800, "?state=expired")
        revoked = self.ids(800, "?state=revoked")
        self.assertEqual(expired, self.id_of("hm_limited"), "a link out of views is expired")
        self.assertEqual(revoked, self.id_of("hm_revoked"))
        self.assertEqual(live, everything - expired - revoked)
        self.assertEqual(len(live), 7)
        entry = self.link_entry(800, self.t["hm_limited"][1])
        self.assertEqual(entry["views"], 1, entry)
        self.assertEqual(entry["max_views"], 1, entry)

    def test_state_expired_by_time(self):
        # GET of a report completed 10 days ago makes its report_link, expired
        # since completed_date + 7 days: listed as expired.
        resp = self.call("GET", "/assessments/report/802")
        self.assertStatus(resp, 200)
        self.server.note_tokens(resp.body)
        report_links = self.links(802)
        self.assertEqual(len(report_links), 1, report_links)
        self.assertEqual(self.ids(802, "?state=expired"), {report_links[0]["link_id"]})
        self.assertEqual(self.ids(802, "?state=live"), set())
        self.assertEqual(self.ids(802, "?state=revoked"), set())
        tok, lid = self.share_opts(802)
        self.assertEqual(self.ids(802, "?state=live"), {lid})

    def test_revoked_beats_out_of_views(self):
        tok, lid = self.share_opts(801, max_views=1, recipient="Hiring panel")
        self.assertStatus(self.get(tok), 200)
        self.assertEqual(self.ids(801, "?state=expired&recipient=Hiring+panel"), {lid})
        self.assertEqual(self.call("DELETE", LINKS % 801 + "/" + lid).json(), {"revoked": 1})
        self.assertEqual(self.ids(801, "?state=revoked"), {lid})
        self.assertEqual(self.ids(801, "?state=expired"), set())

    def test_filters_combine(self):
        self.assertEqual(self.ids(800, "?recipient=hm%40acme.example&state=live"), self.id_of("hm"))
        self.assertEqual(self.ids(800, "?state=expired&recipient=hm%40acme.example"), self.id_of("hm_limited"))
        self.assertEqual(self.ids(800, "?state=revoked&recipient=Hiring+panel"), set())
        self.assertEqual(self.ids(801, "?recipient=hm%40acme.example"), self.id_of("other_report"))
        # filtered entries keep every field
        for l in self.links(800, "?state=live"):
            self.assertEqual(set(l), LINK_FIELDS, l)

    def test_bad_filters_are_400(self):
        cases = {
            "?state=LIVE": "state", "?state=": "state", "?state=active": "state",
            "?state=live,revoked": "state", "?state=live%00": "state",
            "?recipient=": "recipient", "?recipient": "recipient",
            "?recipient=a%00b": "recipient", "?recipient=a%0Ab": "recipient",
            "?recipient=%E2%80%AEabc": "recipient",
            "?recipient=" + "a" * 201: "recipient",
            "?state=live&state=live": "twice", "?recipient=a&recipient=b": "twice",
            "?foo=1": "foo", "?State=live": "State", "?state=live&x=": "x",
            "?recipient=%zz": "", "?recipient=%": "",
            # percent-escapes that decode to bytes that are not UTF-8
            "?recipient=%E0%A4": "recipient", "?recipient=%FF": "recipient", "?recipient=%C0%AF": "recipient",
        }
        for query, needle in cases.items():
            with self.subTest(query=query):
                resp = self.call("GET", LINKS % 800 + query)
                self.assertError(resp, 400, [needle] if needle else [])
                self.assertStillServing(query)

    def test_filter_shape_checked_before_report(self):
        self.assertError(self.call("GET", LINKS % 9999 + "?state=bad"), 400)
        self.assertError(self.call("GET", LINKS % 810 + "?state=bad"), 400)
        self.assertError(self.call("GET", LINKS % 9999 + "?state=live"), 404)
        self.assertError(self.call("GET", LINKS % 810 + "?state=live"), 404, msg="another company's report")
        self.assertError(self.call("GET", LINKS % 800 + "?state=bad", key=None), 401)


# --------------------------------------------------------------------------
# allow_download
# --------------------------------------------------------------------------

class AllowDownloadTest(OptionsMixin, harness.ServerTestCase):

    good_report_id = 900

    @classmethod
    def setup_data(cls):
        cls.put_report(make_report(900, name="Download Candidate"))
        cls.put_report(make_report(901, name="Other Download Candidate"))

    def test_no_download_control_and_pdf_403(self):
        token, link_id = self.share_opts(900, allow_download=False)
        page = self.get(token)
        self.assertStatus(page, 200)
        self.assertEqual(page.content_type, "text/html")
        self.assertIn("Download Candidate", page.text)
        self.assertEqual(download_hrefs(page.text), [], "a.download on a link without downloads")
        self.assertEqual(pdf_links_of(page.text), [], "a ?format=pdf link on a link without downloads")
        self.assertNotIn("Download PDF", visible_text(page.text))
        # The notice is in the language asked for.
        notices = {"?format=pdf": ('lang="en"', "Downloads are disabled for this link"),
                   "?format=pdf&lang=es": ('lang="es"', "Las descargas están desactivadas"),
                   "?lang=ar&format=pdf": ('dir="rtl"', "التنزيلات معطّلة لهذا الرابط")}
        for query, (attribute, title) in notices.items():
            with self.subTest(query=query):
                pdf = self.get(token, query)
                self.assertStatus(pdf, 403)
                self.assertEqual(pdf.content_type, "text/html", pdf)
                self.assertFalse(pdf.body.startswith(b"%PDF"))
                self.assertIn(attribute, pdf.text)
                self.assertIn(title, pdf.text)
                self.assertNotIn("Download Candidate", pdf.text)
                self.assertLinkSecurityHeaders(pdf, "403 page")
                self.assertNotRegex(pdf.text, r"(?i)<script")
                js = self.get(token, query, accept="application/json")
                self.assertEqual(self.assertError(js, 403), DOWNLOADS_DISABLED_MESSAGE)
                self.assertLinkSecurityHeaders(js, "403 JSON")
                head = self.get(token, query, method="HEAD")
                self.assertStatus(head, 403)
                self.assertEqual(head.body, b"")
                self.assertLinkSecurityHeaders(head, "403 HEAD")
        # the page and its JSON view still work
        self.assertStatus(self.get(token, "?format=html"), 200)
        self.assertStatus(self.get(token, accept="application/json"), 200)
        self.assertEqual(self.link_entry(900, link_id)["allow_download"], False)
        # POST …/download by the API client is not affected
        dl = self.call("POST", DOWNLOAD % 900)
        self.assertStatus(dl, 200)
        self.assertTrue(dl.body.startswith(b"%PDF-"))

    def test_refused_pdf_is_not_a_view(self):
        token, link_id = self.share_opts(900, allow_download=False, max_views=1)
        for _ in range(3):
            self.assertStatus(self.get(token, "?format=pdf"), 403)
        self.assertEqual(self.link_entry(900, link_id)["views"], 0, "a 403 counted as a view")
        self.assertStatus(self.get(token), 200)
        self.assertStatus(self.get(token), 410)
        # out of views: 410 wins over 403
        self.assertStatus(self.get(token, "?format=pdf"), 410)

    def test_cached_pages_do_not_mix_download_controls(self):
        # Two links of one report, with and without downloads, opened in turn:
        # each page keeps its own control, whichever was cached first.
        open_tok, _ = self.share_opts(901)
        closed_tok, _ = self.share_opts(901, allow_download=False)
        for order in range(2):
            for token, allowed in ((closed_tok, False), (open_tok, True), (closed_tok, False)):
                with self.subTest(round=order, allowed=allowed):
                    page = self.get(token)
                    self.assertStatus(page, 200)
                    hrefs = download_hrefs(page.text)
                    if allowed:
                        self.assertEqual(hrefs, ["?format=pdf"], "download control of an allowing link")
                    else:
                        self.assertEqual(hrefs, [], "download control leaked from the cache")
            self.assertStatus(self.get(open_tok, "?format=pdf"), 200)
            self.assertStatus(self.get(closed_tok, "?format=pdf"), 403)

    def test_explicit_true_is_the_default(self):
        token, _ = self.share_opts(900, allow_download=True)
        page = self.get(token)
        self.assertEqual(download_hrefs(page.text), ["?format=pdf"])
        pdf = self.get(token, "?format=pdf")
        self.assertStatus(pdf, 200)
        self.assertEqual(pdf.content_type, "application/pdf")


# --------------------------------------------------------------------------
# max_views
# --------------------------------------------------------------------------

class MaxViewsTest(OptionsMixin, harness.ServerTestCase):

    good_report_id = 1000

    @classmethod
    def setup_data(cls):
        cls.put_report(make_report(1000, name="Limited Candidate"))
        cls.put_report(make_report(1001, name="Race Candidate"))

    def assertViewLimit(self, token, msg=""):
        page = self.get(token)
        self.assertStatus(page, 410, msg)
        self.assertEqual(page.content_type, "text/html", page)
        self.assertIn("view limit", page.text.lower(), "410 page should say why")
        self.assertNotIn("Limited Candidate", page.text)
        self.assertLinkSecurityHeaders(page, "view-limit page")
        js = self.get(token, accept="application/json")
        self.assertEqual(self.assertError(js, 410, msg=msg), VIEW_LIMIT_MESSAGE)
        self.assertLinkSecurityHeaders(js, "view-limit JSON")
        pdf = self.get(token, "?format=pdf")
        self.assertStatus(pdf, 410, msg)
        self.assertFalse(pdf.body.startswith(b"%PDF"))
        head = self.get(token, method="HEAD")
        self.assertStatus(head, 410, "HEAD of a link out of views " + msg)
        self.assertEqual(head.body, b"")
        self.assertStatus(self.get(token, "?format=pdf", method="HEAD"), 410)
        self.assertStatus(self.get(token, ua=SCANNER_UAS[0]), 410, "a scanner on a link out of views")

    def test_page_pdf_and_json_each_count(self):
        token, link_id = self.share_opts(1000, max_views=3)
        self.assertStatus(self.get(token), 200)
        self.assertEqual(self.link_entry(1000, link_id)["views"], 1)
        pdf = self.get(token, "?format=pdf")
        self.assertStatus(pdf, 200)
        self.assertEqual(pdf.content_type, "application/pdf")
        js = self.get(token, accept="application/json")
        self.assertStatus(js, 200)
        self.assertEqual(js.json()["name"], "Limited Candidate")
        entry = self.link_entry(1000, link_id)
        self.assertEqual(entry["views"], 3, entry)
        self.assertIn(link_id, self.ids_in_state(1000, "expired"))
        self.assertViewLimit(token)
        entry = self.link_entry(1000, link_id)
        self.assertEqual(entry["views"], 3, "refused opens are not views: %r" % entry)

    def ids_in_state(self, rid, state):
        return {l["link_id"] for l in self.links(rid, "?state=" + state)}

    def test_head_never_consumes_a_view(self):
        token, link_id = self.share_opts(1000, max_views=1)
        for query in ("", "?format=pdf", "?format=html", "?lang=es", "?format=pdf&lang=fr"):
            for _ in range(3):
                self.assertStatus(self.get(token, query, method="HEAD"), 200, query)
        self.assertStatus(self.get(token, accept="application/json", method="HEAD"), 200)
        self.assertEqual(self.link_entry(1000, link_id)["views"], 0)
        self.assertIn(link_id, self.ids_in_state(1000, "live"))
        self.assertStatus(self.get(token), 200)
        self.assertViewLimit(token)

    def test_scanners_never_consume_a_view(self):
        token, link_id = self.share_opts(1000, max_views=1)
        for ua in SCANNER_UAS:
            for query in ("", "?format=pdf"):
                with self.subTest(ua=ua[:30], query=query):
                    self.assertStatus(self.get(token, query, ua=ua), 200)
        self.assertEqual(self.link_entry(1000, link_id)["views"], 0, "a scanner's open counted")
        self.assertStatus(self.get(token, ua=BROWSER_UA), 200)
        self.assertViewLimit(token)

    def test_plain_clients_consume_views(self):
        for ua in (BROWSER_UA, "curl/8.5.0", "python-requests/2.31", ""):
            with self.subTest(ua=ua):
                token, _ = self.share_opts(1000, max_views=1)
                self.assertStatus(self.get(token, ua=ua or None), 200)
                self.assertStatus(self.get(token, ua=ua or None), 410)

    def test_bad_requests_do_not_consume_views(self):
        token, link_id = self.share_opts(1000, max_views=1)
        for query in ("?format=xml", "?lang=xx", "?lang=", "?foo=1", "?format=pdf&format=pdf", "?lang=es-MX"):
            self.assertStatus(self.get(token, query), 400, query)
        self.assertEqual(self.link_entry(1000, link_id)["views"], 0)
        self.assertStatus(self.get(token), 200)
        self.assertStatus(self.get(token), 410)

    def test_limit_of_1000_and_other_links_unaffected(self):
        big, big_id = self.share_opts(1000, max_views=1000)
        small, _ = self.share_opts(1000, max_views=1)
        free, _ = self.share_opts(1000)
        self.assertStatus(self.get(small), 200)
        self.assertStatus(self.get(small), 410)
        for _ in range(5):
            self.assertStatus(self.get(big), 200)
            self.assertStatus(self.get(free), 200)
        self.assertEqual(self.link_entry(1000, big_id)["views"], 5)
        self.assertIn(big_id, self.ids_in_state(1000, "live"))

    def test_revoked_and_limited(self):
        token, link_id = self.share_opts(1000, max_views=5)
        self.assertStatus(self.get(token), 200)
        self.call("DELETE", LINKS % 1000 + "/" + link_id)
        js = self.get(token, accept="application/json")
        self.assertError(js, 410)
        self.assertIn("revoked", js.json()["error"])

    def race(self, max_views, n=20, mix=False):
        token, link_id = self.share_opts(1001, max_views=max_views)
        queries = []
        for i in range(n):
            kind = i % 3 if mix else 0
            queries.append([("", None), ("?format=pdf", None), ("", "application/json")][kind])
        jobs = [lambda q=q: self.get(token, q[0], accept=q[1]).status for q in queries]
        statuses = simultaneous(jobs)
        return statuses, link_id

    def test_twenty_simultaneous_opens_max_views_3(self):
        for mix in (False, True):
            with self.subTest(mix=mix):
                statuses, link_id = self.race(3, mix=mix)
                self.assertEqual(sorted(statuses, key=str), [200] * 3 + [410] * 17,
                                 "20 simultaneous opens of a max_views 3 link: %r" % statuses)
                self.assertEqual(self.link_entry(1001, link_id)["views"], 3)
                self.assertIn(link_id, self.ids_in_state(1001, "expired"))

    def test_twenty_simultaneous_opens_max_views_1(self):
        statuses, link_id = self.race(1)
        self.assertEqual(sorted(statuses, key=str), [200] + [410] * 19, statuses)


# --------------------------------------------------------------------------
# variant anonymized
# --------------------------------------------------------------------------

ANON_NAME = "Zyxwvut Quorble"
ANON_EMAIL = "quorble.zy@example.org"
ANON_CANDIDATE_ID = 987654321
ANON_FIELDS = [{"label": "Quorblephone", "value": "+91 98450 12345"},
               {"label": "Quorble profile", "value": "linkedin.example/in/zyxwvut"}]
ANON_NEEDLES = (ANON_NAME, "Zyxwvut", "Quorble", ANON_EMAIL, "quorble.zy", str(ANON_CANDIDATE_ID),
                "98450 12345", "Quorblephone", "linkedin.example")


class AnonymizedTest(OptionsMixin, harness.ServerTestCase):

    pii = ANON_NEEDLES + ("Ravi Shankar-Quorble", "दीपिका क्वॉर्बल")
    good_report_id = 1100

    @classmethod
    def setup_data(cls):
        cls.put_report(make_report(1100, name=ANON_NAME, email=ANON_EMAIL, candidate_id=ANON_CANDIDATE_ID,
                                   registration_fields=ANON_FIELDS))
        # the same name on another report: a different pseudonym
        cls.put_report(make_report(1101, name=ANON_NAME, email=ANON_EMAIL, candidate_id=ANON_CANDIDATE_ID,
                                   registration_fields=ANON_FIELDS))
        cls.put_report(make_report(1102, name="Ravi Shankar-Quorble", email="ravi.q@example.org",
                                   candidate_id=4242424242, sections=40))
        cls.put_report(make_report(1103, name="दीपिका क्वॉर्बल", email="dq@example.org"))
        cls.put_report(make_report(1104, name="Globex Quorble", email="gq@example.org"), key="B")
        cls.put_report(make_report(1105, name="Globex Second Quorble", email="gq2@example.org"), key="B")

    def assertNoCandidate(self, text, needles=ANON_NEEDLES, where=""):
        low = text.lower()
        found = [n for n in needles if n.lower() in low]
        self.assertEqual(found, [], "candidate data in the %s of an anonymized link" % where)

    def pseudonym_of(self, token):
        js = self.get(token, accept="application/json")
        self.assertStatus(js, 200)
        name = js.json()["name"]
        self.assertRegex(name, "^" + PSEUDONYM_RE.pattern + "$")
        return name

    def test_page_shows_pseudonym_and_no_candidate_data(self):
        token, link_id = self.share_opts(1100, variant="anonymized")
        page = self.get(token)
        self.assertStatus(page, 200)
        self.assertNoCandidate(page.text, where="page HTML")
        self.assertNoCandidate(html.unescape(page.text), where="page HTML (unescaped)")
        pseudonym = self.pseudonym_of(token)
        self.assertIn(pseudonym, page.text)
        h1 = re.search(r"(?is)<h1\b[^>]*>(.*?)</h1>", page.text)
        self.assertIsNotNone(h1, "no h1")
        self.assertEqual(visible_text(h1.group(1)).strip(), pseudonym)
        title = re.search(r"(?is)<title>(.*?)</title>", page.text)
        self.assertNotIn("Quorble", title.group(1) if title else "")
        # the report itself is still there
        self.assertIn("Backend Engineer Screening", page.text)
        self.assertIn("72.5", page.text)
        self.assertEqual(self.link_entry(1100, link_id)["variant"], "anonymized")

    def test_json_view(self):
        token, _ = self.share_opts(1100, variant="anonymized")
        js = self.get(token, accept="application/json")
        self.assertStatus(js, 200)
        self.assertNoCandidate(js.text, where="JSON view")
        data = js.json()
        self.assertRegex(data["name"], "^" + PSEUDONYM_RE.pattern + "$")
        self.assertIn(data.get("email"), (None, ""), data)
        self.assertIsNone(data.get("candidate_id"), data)
        self.assertIn(data.get("registration_fields"), (None, []), data)
        self.assertEqual(data["report_id"], 1100)
        self.assertEqual(data["overall_percentage"], 72.5)

    def test_pdf_text_metadata_outline_and_filename(self):
        token, _ = self.share_opts(1100, variant="anonymized")
        pseudonym = self.pseudonym_of(token)
        pdf = self.get(token, "?format=pdf")
        self.assertStatus(pdf, 200)
        self.assertEqual(pdf.headers.get("content-disposition"), 'attachment; filename="report-1100.pdf"')
        self.assertNoCandidate(pdf.headers.get("content-disposition", ""), where="file name")
        self.assertEqual(pdf_mentions(pdf.body, ANON_NEEDLES), [], "candidate data in the anonymized PDF")
        self.assertIn(pseudonym, pdf_text(pdf.body))
        # positive control: the same search finds the name in the full PDF
        full_tok, _ = self.share_opts(1100)
        full = self.get(full_tok, "?format=pdf")
        self.assertStatus(full, 200)
        where = {w for n, w, _ in pdf_mentions(full.body, [ANON_NAME])}
        self.assertIn("pdftotext", where)
        self.assertIn("pdfinfo", where)
        self.assertIn("uncompressed (qpdf --qdf)", where)
        self.assertNotIn(pseudonym, pdf_text(full.body))

    def test_long_report_pdf_every_page(self):
        token, _ = self.share_opts(1102, variant="anonymized")
        pdf = self.get(token, "?format=pdf")
        self.assertStatus(pdf, 200)
        self.assertGreater(pdf_page_count(pdf.body), 1, "a 40-section report should be several pages")
        self.assertEqual(pdf_mentions(pdf.body, ["Ravi", "Shankar", "ravi.q@example.org", "4242424242"]), [])

    def test_devanagari_name_not_in_pdf(self):
        token, _ = self.share_opts(1103, variant="anonymized")
        pdf = self.get(token, "?format=pdf")
        self.assertStatus(pdf, 200)
        self.assertEqual(pdf_mentions(pdf.body, ["दीपिका", "क्वॉर्बल", "dq@example.org"]), [])
        page = self.get(token)
        self.assertNotIn("दीपिका", html.unescape(page.text))

    def test_pseudonym_stable_per_report_distinct_across_reports(self):
        a1, _ = self.share_opts(1100, variant="anonymized")
        a2, _ = self.share_opts(1100, variant="anonymized", language="fr")
        b1, _ = self.share_opts(1101, variant="anonymized")
        c1, _ = self.share_opts(1102, variant="anonymized")
        bulk = self.call("POST", BULK_SHARE, body={"report_ids": [1100, 1101], "variant": "anonymized"})
        self.assertStatus(bulk, 200)
        a3, b2 = (token_of(l["signed_url"]) for l in bulk.json()["links"])
        pa = {self.pseudonym_of(t) for t in (a1, a2, a3)}
        self.assertEqual(len(pa), 1, "one report, several pseudonyms: %r" % pa)
        pb = {self.pseudonym_of(t) for t in (b1, b2)}
        self.assertEqual(len(pb), 1)
        pc = self.pseudonym_of(c1)
        self.assertEqual(len(pa | pb | {pc}), 3, "same name on two reports must not give one pseudonym")
        # and on the page and in the PDF, the same pseudonym
        p = pa.pop()
        self.assertIn(p, self.get(a2).text)
        self.assertIn(p, pdf_text(self.get(a1, "?format=pdf").body))
        # replacing the report keeps its pseudonym (it is not derived from the name)
        self.put_report(make_report(1101, name="Replaced Quorble", email=ANON_EMAIL,
                                    candidate_id=ANON_CANDIDATE_ID, registration_fields=ANON_FIELDS))
        self.assertEqual(self.pseudonym_of(b1), pb.pop())
        self.assertNotIn("Replaced", self.get(b1).text)

    def test_first_pseudonyms_of_a_company_raced(self):
        # Company B has opened no anonymized link yet (this test sorts before
        # test_other_company_pseudonym): eight simultaneous first opens on two
        # links and two reports must agree on one key, so on one pseudonym each.
        t1, _ = self.share_opts(1104, key="B", variant="anonymized")
        t2, _ = self.share_opts(1104, key="B", variant="anonymized")
        t3, _ = self.share_opts(1105, key="B", variant="anonymized")
        tokens = [t1, t2, t3, t1, t2, t3, t1, t3]
        results = simultaneous([lambda t=t: self.get(t, accept="application/json") for t in tokens])
        names = {}
        for t, r in zip(tokens, results):
            self.assertFalse(isinstance(r, str), r)
            self.assertStatus(r, 200)
            names.setdefault(1105 if t == t3 else 1104, set()).add(r.json()["name"])
        self.assertEqual(len(names[1104]), 1, "report 1104 shown under several pseudonyms: %r" % names)
        self.assertEqual(len(names[1105]), 1, "report 1105 shown under several pseudonyms: %r" % names)
        self.assertNotEqual(names[1104], names[1105])
        later = self.share_opts(1104, key="B", variant="anonymized")[0]
        self.assertEqual({self.pseudonym_of(later)}, names[1104], "the pseudonym changed after the race")

    def test_other_company_pseudonym(self):
        tok, _ = self.share_opts(1104, key="B", variant="anonymized")
        self.assertRegex(self.pseudonym_of(tok), "^" + PSEUDONYM_RE.pattern + "$")
        self.assertNotIn("Quorble", self.get(tok).text)

    def test_cached_documents_do_not_leak_between_variants(self):
        full, _ = self.share_opts(1101)
        anon, _ = self.share_opts(1101, variant="anonymized")
        for fmt in ("", "?format=pdf"):
            for rnd in range(2):
                for token, anonymized in ((full, False), (anon, True), (full, False), (anon, True)):
                    with self.subTest(format=fmt or "html", round=rnd, anonymized=anonymized):
                        resp = self.get(token, fmt)
                        self.assertStatus(resp, 200)
                        text = pdf_text(resp.body) if fmt else resp.text
                        if anonymized:
                            self.assertNoCandidate(text, ("Quorble", ANON_EMAIL), "cached document")
                            self.assertRegex(text, PSEUDONYM_RE)
                        else:
                            self.assertIn("Quorble", text, "the full link lost its candidate")
                            self.assertNotRegex(text, PSEUDONYM_RE)
        # POST …/download is the full PDF, whatever links were opened
        dl = self.call("POST", DOWNLOAD % 1101)
        self.assertIn("Quorble", pdf_text(dl.body))

    def test_anonymized_with_every_other_option(self):
        token, _ = self.share_opts(1100, variant="anonymized", watermark=True, recipient="hm@acme.example",
                                   language="ar", max_views=5)
        for query, accept in (("", None), ("?format=pdf", None), ("", "application/json"), ("?lang=hi", None)):
            resp = self.get(token, query, accept=accept)
            self.assertStatus(resp, 200)
            text = pdf_text(resp.body) if query == "?format=pdf" else resp.text
            self.assertNoCandidate(text, where="anonymized+watermark " + (query or accept or "page"))
            if query == "?format=pdf":
                self.assertEqual(pdf_mentions(resp.body, ANON_NEEDLES), [])


# --------------------------------------------------------------------------
# Which language an open picks (the service's decision, observable today)
# --------------------------------------------------------------------------

class LanguageDecisionTest(OptionsMixin, harness.ServerTestCase):
    """The language of a link's PDF is part of its cache key (one PDF per
    report, variant and language). So with a fresh report whose PDF was
    rendered in exactly one language X (`?lang=X`), the next open is a cache
    hit if and only if it also resolved to X: /metrics shows which."""

    good_report_id = 1200
    _next_id = [1300]

    @classmethod
    def setup_data(cls):
        cls.put_report(make_report(1200, name="Language Candidate"))

    def fresh_report(self):
        rid = self._next_id[0]
        self._next_id[0] += 1
        self.put_report(make_report(rid, name="Lingua %d" % rid))
        return rid

    def assertResolvesTo(self, expected, accept_language=None, link_language=None, query=""):
        rid = self.fresh_report()
        opts = {} if link_language is None else {"language": link_language}
        token, _ = self.share_opts(rid, **opts)
        rendered0, hits0 = self.pdf_counters()
        prime = self.get(token, "?format=pdf&lang=" + expected)
        self.assertStatus(prime, 200)
        rendered1, hits1 = self.pdf_counters()
        self.assertEqual((rendered1 - rendered0, hits1 - hits0), (1, 0), "priming render of a fresh report")
        headers = {} if accept_language is None else {"Accept-Language": accept_language}
        resp = self.get(token, "?format=pdf" + query, headers=headers)
        self.assertStatus(resp, 200)
        rendered2, hits2 = self.pdf_counters()
        self.assertEqual((rendered2 - rendered1, hits2 - hits1), (0, 1),
                         "Accept-Language %r, link language %r, query %r should give %r (a cache hit)"
                         % (accept_language, link_language, query, expected))
        self.assertEqual(resp.body, prime.body)

    def test_accept_language(self):
        cases = [
            ("es", "es"), ("es-MX", "es"), ("ES", "es"), ("es-419,es;q=0.9", "es"),
            ("fr-CA, fr;q=0.9, en;q=0.8", "fr"), ("de;q=0.9, pt;q=0.95", "pt"),
            ("fr, de", "fr"), ("de, fr", "de"),
            ("zh-CN, ja;q=0.9", "en"), ("", "en"), (None, "en"),
            ("hi;q=0.4, *;q=0.1, en;q=0", "hi"),
            ("de;q=0", "en"), ("es;q=0, fr;q=0.2", "fr"),
            ("zh, ar;q=0.001", "ar"),
            ("1234, pt;q=0.7", "pt"), ("pt;q=2, hi;q=0.3", "hi"), ("pt;q=abc, hi;q=0.3", "hi"),
            ("en-GB;q=0.8, es;q=0.8", "en"),
            ("x-klingon, ar-EG", "ar"),
        ]
        for header, expected in cases:
            with self.subTest(accept_language=header):
                self.assertResolvesTo(expected, accept_language=header)

    def test_precedence(self):
        # ?lang > link language > Accept-Language > en
        self.assertResolvesTo("fr", accept_language="es", link_language="fr")
        self.assertResolvesTo("fr", accept_language=None, link_language="fr")
        self.assertResolvesTo("es", accept_language="de", link_language="fr", query="&lang=es")
        self.assertResolvesTo("hi", accept_language="es", query="&lang=hi")
        self.assertResolvesTo("ar", link_language="AR")
        self.assertResolvesTo("de", query="&lang=DE")

    def test_pdf_href_carries_lang_only_from_the_query(self):
        token, _ = self.share_opts(1200)
        lang_tok, _ = self.share_opts(1200, language="fr")
        cases = [
            (token, "", {}, "?format=pdf"),
            (token, "", {"Accept-Language": "es"}, "?format=pdf"),
            (token, "?lang=es", {}, "?format=pdf&lang=es"),
            (token, "?lang=ES", {}, "?format=pdf&lang=es"),
            (token, "", {"Accept-Language": "es"}, "?format=pdf"),     # after ?lang=es was cached
            (token, "?format=html&lang=de", {}, "?format=pdf&lang=de"),
            (token, "?lang=de&format=html", {}, "?format=pdf&lang=de"),
            (token, "?lang=%61%72", {}, "?format=pdf&lang=ar"),
            (lang_tok, "", {"Accept-Language": "de"}, "?format=pdf"),
            (lang_tok, "?lang=fr", {}, "?format=pdf&lang=fr"),
            (lang_tok, "", {}, "?format=pdf"),
            (token, "?lang=en", {}, "?format=pdf&lang=en"),
            (token, "", {}, "?format=pdf"),
        ]
        for tok, query, headers, want in cases:
            with self.subTest(link="fr" if tok == lang_tok else "none", query=query, headers=headers):
                page = self.get(tok, query, headers=headers)
                self.assertStatus(page, 200)
                self.assertEqual(download_hrefs(page.text), [want])
                # and the href works
                pdf = self.get(tok, want, headers=headers)
                self.assertStatus(pdf, 200)
                self.assertEqual(pdf.content_type, "application/pdf")

    def test_lang_and_format_in_any_order(self):
        token, _ = self.share_opts(1200)
        for query in ("?format=pdf&lang=ar", "?lang=ar&format=pdf", "?lang=hi", "?format=html&lang=pt",
                      "?lang=pt&format=html"):
            with self.subTest(query=query):
                resp = self.get(token, query)
                self.assertStatus(resp, 200)
                want = "application/pdf" if "pdf" in query else "text/html"
                self.assertEqual(resp.content_type, want)
                self.assertLinkSecurityHeaders(resp)

    def test_bad_link_queries_are_400(self):
        token, _ = self.share_opts(1200, max_views=1)
        lang_cases = ("?lang=xx", "?lang=es-MX", "?lang=", "?lang", "?format=pdf&lang=zh", "?lang=en-US",
                      "?lang=e%00s", "?lang=%C3%A9s")
        other_cases = ("?lang=es&lang=fr", "?format=pdf&format=html", "?foo=1", "?format=pdf&foo=bar",
                       "?LANG=es", "?Format=pdf", "?format=PDF", "?format=", "?format=pdf&", "?=es")
        for query in lang_cases + other_cases:
            with self.subTest(query=query):
                js = self.get(token, query, accept="application/json")
                msg = self.assertError(js, 400)
                if query in lang_cases:
                    for tag in LANGUAGES:
                        self.assertIn(tag, msg, "400 for an unsupported ?lang should list the languages")
                self.assertLinkSecurityHeaders(js)
                page = self.get(token, query)
                self.assertStatus(page, 400)
                self.assertEqual(page.content_type, "text/html", page)
                self.assertLinkSecurityHeaders(page)
                self.assertNotIn("Language Candidate", page.text)
                if query in lang_cases:
                    self.assertIn("en, es, fr, de, pt, hi, ar", html.unescape(page.text))
                head = self.get(token, query, method="HEAD")
                self.assertStatus(head, 400)
                self.assertEqual(head.body, b"")
        # none of that was a view: the one view is still there
        self.assertStatus(self.get(token), 200)
        self.assertStatus(self.get(token), 410)

    def test_cached_pages_do_not_leak_between_languages_and_variants(self):
        # en, then anonymized, then en again, on two links of one report
        rid = self.fresh_report()
        en_tok, _ = self.share_opts(rid)
        anon_tok, _ = self.share_opts(rid, variant="anonymized", language="es")
        name = "Lingua %d" % rid
        sequence = [(en_tok, "", False, "?format=pdf"), (anon_tok, "", True, "?format=pdf"),
                    (en_tok, "", False, "?format=pdf"), (anon_tok, "?lang=en", True, "?format=pdf&lang=en"),
                    (en_tok, "?lang=es", False, "?format=pdf&lang=es"), (en_tok, "", False, "?format=pdf")]
        for tok, query, anonymized, href in sequence:
            with self.subTest(anonymized=anonymized, query=query):
                page = self.get(tok, query)
                self.assertStatus(page, 200)
                if anonymized:
                    self.assertNotIn(name, page.text)
                    self.assertRegex(page.text, PSEUDONYM_RE)
                else:
                    self.assertIn(name, page.text)
                    self.assertNotRegex(page.text, PSEUDONYM_RE)
                self.assertEqual(download_hrefs(page.text), [href])


# --------------------------------------------------------------------------
# Watermarked links and the caches (observable today)
# --------------------------------------------------------------------------

class WatermarkCachingTest(OptionsMixin, harness.ServerTestCase):

    pii = ("hm@acme.example",)
    good_report_id = 1400

    @classmethod
    def setup_data(cls):
        cls.put_report(make_report(1400, name="Marked Candidate"))

    def test_download_is_deterministic_and_watermarked_pdf_never_cached(self):
        first = self.call("POST", DOWNLOAD % 1400)
        second = self.call("POST", DOWNLOAD % 1400)
        self.assertStatus(first, 200)
        self.assertEqual(first.body, second.body, "POST …/download must stay byte-identical")
        token, _ = self.share_opts(1400, watermark=True, recipient="hm@acme.example")
        for i in range(3):
            r0, h0 = self.pdf_counters()
            pdf = self.get(token, "?format=pdf")
            self.assertStatus(pdf, 200)
            self.assertEqual(pdf.content_type, "application/pdf")
            self.assertTrue(pdf.body.startswith(b"%PDF-"))
            r1, h1 = self.pdf_counters()
            self.assertEqual((r1 - r0, h1 - h0), (1, 0), "open %d of a watermarked PDF: rendered for the "
                                                         "view, not from the cache" % (i + 1))
        # ...and never put in the cache: a plain link's PDF is still the download's
        plain, _ = self.share_opts(1400)
        r0, h0 = self.pdf_counters()
        pdf = self.get(plain, "?format=pdf")
        r1, h1 = self.pdf_counters()
        self.assertEqual((r1 - r0, h1 - h0), (0, 1))
        self.assertEqual(pdf.body, first.body, "a watermarked PDF polluted the cache")
        third = self.call("POST", DOWNLOAD % 1400)
        self.assertEqual(third.body, first.body)

    def test_watermarked_page_and_head(self):
        token, _ = self.share_opts(1400, watermark=True)
        for _ in range(2):
            page = self.get(token)
            self.assertStatus(page, 200)
            self.assertIn("Marked Candidate", page.text)
            self.assertLinkSecurityHeaders(page)
        head = self.get(token, "?format=pdf", method="HEAD")
        self.assertStatus(head, 200)
        self.assertEqual(head.body, b"")
        self.assertEqual(head.content_type, "application/pdf")
        # a plain link's page is not the watermarked one
        plain, _ = self.share_opts(1400)
        self.assertStatus(self.get(plain), 200)


# --------------------------------------------------------------------------
# The page and PDF in the link's language (rendering)
# --------------------------------------------------------------------------

class LinkLanguagePageTest(OptionsMixin, harness.ServerTestCase):

    good_report_id = 1500

    @classmethod
    def setup_data(cls):
        cls.put_report(make_report(1500, name="Ünïcødé Kandidat"))
        cls.token, _ = cls.share_opts(1500)
        cls.fr_token, _ = cls.share_opts(1500, language="fr")

    def test_html_lang_from_query(self):
        for tag in LANGUAGES:
            with self.subTest(lang=tag):
                page = self.get(self.token, "?lang=" + tag)
                self.assertStatus(page, 200)
                self.assertEqual(html_lang(page.text), tag)
                if tag == "ar":
                    self.assertEqual(html_dir(page.text), "rtl", "ar lays the page out right to left")
                else:
                    self.assertIn(html_dir(page.text), (None, "ltr"))

    def test_html_lang_from_link_and_browser(self):
        cases = [(self.fr_token, {}, "fr"), (self.fr_token, {"Accept-Language": "de"}, "fr"),
                 (self.token, {"Accept-Language": "es-MX,es;q=0.9"}, "es"),
                 (self.token, {"Accept-Language": "zh"}, "en"), (self.token, {}, "en")]
        for tok, headers, want in cases:
            with self.subTest(headers=headers, link_fr=tok == self.fr_token):
                self.assertEqual(html_lang(self.get(tok, headers=headers).text), want)
        self.assertEqual(html_lang(self.get(self.fr_token, "?lang=de").text), "de")

    def test_labels_translated_candidate_data_not(self):
        english = visible_text(self.get(self.token, "?lang=en").text)
        self.assertContains(english, "CANDIDATE ASSESSMENT REPORT", "English page")
        for tag in LANGUAGES[1:]:
            with self.subTest(lang=tag):
                text = visible_text(self.get(self.token, "?lang=" + tag).text)
                self.assertContains(text, "Ünïcødé Kandidat", "%s page (candidate data is never translated)"
                                    % tag)
                self.assertContains(text, "CANDIDATE ASSESSMENT REPORT", "%s page (an English label)" % tag,
                                    present=False)
                self.assertContains(text, "Download PDF", "%s page (an English label)" % tag, present=False)

    def test_page_links_to_its_other_languages(self):
        for tag in ("en", "ar"):
            with self.subTest(lang=tag):
                page = self.get(self.token, "?lang=" + tag)
                hrefs = [html.unescape(h) for h in re.findall(r"""href\s*=\s*["']([^"']*)["']""", page.text)]
                for other in LANGUAGES:
                    if other == tag:
                        continue
                    self.assertTrue(any(re.search(r"[?&]lang=%s(&|$)" % other, h) for h in hrefs),
                                    "no ?lang=%s link on the %s page: %r" % (other, tag, hrefs))

    def test_pdf_in_the_language(self):
        # (The catalog's /Lang is SPEC §4's accessibility paragraph, issue 16.)
        for tag in ("es", "ar", "en"):
            with self.subTest(lang=tag):
                pdf = self.get(self.token, "?format=pdf&lang=" + tag)
                self.assertStatus(pdf, 200)
                if tag != "en":
                    self.assertContains(pdf_text(pdf.body), "CANDIDATE ASSESSMENT REPORT",
                                        "%s PDF (an English label)" % tag, present=False)
                self.assertContains(pdf_text(pdf.body), "Ünïcødé Kandidat", "%s PDF" % tag)


# --------------------------------------------------------------------------
# The watermark itself (rendering)
# --------------------------------------------------------------------------

# A UTC time in whitespace-free text: 2025-07-09T06:58Z, 2025-07-0906:58:12UTC, or
# as the English documents write it, "9July2025,06:58UTC".
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
TIME_RE = re.compile(r"(\d{4})-(\d\d)-(\d\d)T?(\d\d):(\d\d)(?::\d\d)?(?:\.\d+)?(?:UTC|Z|\+00:00)")
TIME_EN_RE = re.compile(r"(\d{1,2})(%s)(\d{4}),(\d\d):(\d\d)UTC" % "|".join(MONTHS))
# The report's own "Generated <time>" line (page and PDF footer): not the watermark.
GENERATED_RE = re.compile(r"Generated(?:\d{4}-\d\d-\d\dT?\d\d:\d\d(?::\d\d)?(?:\.\d+)?(?:UTC|Z)?"
                          r"|\d{1,2}(?:%s)\d{4},\d\d:\d\dUTC)" % "|".join(MONTHS))


class WatermarkTest(OptionsMixin, harness.ServerTestCase):

    pii = ("hm@acme.example", "Panel", "प्रिया")
    good_report_id = 1600

    @classmethod
    def setup_data(cls):
        cls.put_report(make_report(1600, name="Watermark Candidate", sections=40))
        cls.put_report(make_report(1601, name="Short Watermark Candidate"))

    def assertViewTime(self, text, before, after, where):
        """`text` (whitespace removed) holds the view time: a UTC date and
        minute within [before, after], marked UTC (or Z), beside the report's
        own "Generated" time (which is taken out first)."""
        text = GENERATED_RE.sub("", text)
        lo = before.replace(second=0, microsecond=0)
        hi = after.replace(second=0, microsecond=0)
        times = []
        found = [tuple(map(int, m.groups())) for m in TIME_RE.finditer(text)]
        for m in TIME_EN_RE.finditer(text):
            d, month, y, h, mi = m.groups()
            found.append((int(y), MONTHS.index(month) + 1, int(d), int(h), int(mi)))
        for y, mo, d, h, mi in found:
            try:
                times.append(datetime.datetime(y, mo, d, h, mi, tzinfo=datetime.timezone.utc))
            except ValueError:
                continue
        self.assertTrue(any(lo <= t <= hi for t in times),
                        "no UTC view time between %s and %s in the %s (UTC times seen: %r)"
                        % (lo, hi, where, [str(t) for t in times[:5]]))

    def test_pdf_every_page_carries_recipient_link_id_and_time(self):
        token, link_id = self.share_opts(1600, watermark=True, recipient="hm@acme.example")
        before = utcnow()
        pdf = self.get(token, "?format=pdf")
        after = utcnow()
        self.assertStatus(pdf, 200)
        pages = pdf_page_count(pdf.body)
        self.assertGreater(pages, 1)
        for page in range(1, pages + 1):
            with self.subTest(page=page):
                text = (squash(pdf_text(pdf.body, page=page)) + "\n"
                        + squash(pdf_text(pdf.body, page=page, raw=True)))
                self.assertContains(text, "hm@acme.example", "text of PDF page %d" % page)
                self.assertContains(text, link_id, "text of PDF page %d" % page)
                self.assertViewTime(text, before, after, "PDF page %d" % page)
        dl = self.call("POST", DOWNLOAD % 1600)
        self.assertTrue(pdf.body != dl.body, "a watermarked PDF is the download's PDF, byte for byte")
        self.assertContains(pdf_text(dl.body), "hm@acme.example", "download PDF", present=False)
        self.assertContains(squash(pdf_text(dl.body)), link_id, "download PDF", present=False)

    def test_page_carries_recipient_link_id_and_time(self):
        token, link_id = self.share_opts(1601, watermark=True, recipient="hm@acme.example")
        before = utcnow()
        page = self.get(token)
        after = utcnow()
        self.assertStatus(page, 200)
        text = squash(visible_text(page.text))
        self.assertContains(text, "hm@acme.example", "watermarked page")
        self.assertContains(text, link_id, "watermarked page")
        self.assertViewTime(text, before, after, "page")
        plain, plain_id = self.share_opts(1601, recipient="hm@acme.example")
        plain_text = visible_text(self.get(plain).text)
        self.assertContains(plain_text, "hm@acme.example", "page of a link without watermark", present=False)
        self.assertContains(plain_text, plain_id, "page of a link without watermark", present=False)

    def test_watermark_is_diagonal(self):
        # PDF: every page's content stream sets a rotated matrix (cm or Tm
        # with a, b and c all non-zero); page: a CSS or SVG rotation.
        token, _ = self.share_opts(1600, watermark=True, recipient="hm@acme.example")
        pdf = self.get(token, "?format=pdf")
        self.assertStatus(pdf, 200)
        qdf = pdf_uncompressed(pdf.body).decode("latin-1")
        pages = re.split(r"%% Contents for page \d+", qdf)[1:]
        self.assertEqual(len(pages), pdf_page_count(pdf.body), "qpdf --qdf page markers")
        num = r"(-?\d*\.?\d+)"
        matrix = re.compile(r"%s\s+%s\s+%s\s+%s\s+%s\s+%s\s+(?:cm|Tm)\b" % ((num,) * 6))
        for i, content in enumerate(pages, start=1):
            content = content.split("endstream", 1)[0]
            rotated = [m for m in matrix.findall(content)
                       if all(abs(float(v)) > 1e-3 for v in m[:3])]
            self.assertTrue(rotated, "page %d draws nothing rotated (no diagonal watermark)" % i)
        page = self.get(token).text
        self.assertRegex(page, r"rotate\(\s*-?\d|matrix\(", "no rotation on the page for the watermark")

    def test_without_recipient_says_shared_link(self):
        token, link_id = self.share_opts(1601, watermark=True)
        page_text = visible_text(self.get(token).text)
        self.assertContains(page_text, "Shared link", "watermarked page without recipient")
        self.assertContains(squash(page_text), link_id, "watermarked page without recipient")
        pdf = self.get(token, "?format=pdf")
        self.assertContains(squash(pdf_text(pdf.body)), "Sharedlink", "watermarked PDF without recipient")
        self.assertContains(squash(pdf_text(pdf.body)), link_id, "watermarked PDF without recipient")

    def test_recipient_is_escaped_and_extractable(self):
        recipient = "<i>Panel</i> & \"co\" प्रिया"
        token, _ = self.share_opts(1601, watermark=True, recipient=recipient)
        page = self.get(token)
        self.assertContains(page.text, "<i>Panel</i>", "page HTML (the recipient must be escaped)", present=False)
        self.assertContains(visible_text(page.text), recipient, "watermarked page")
        pdf = self.get(token, "?format=pdf")
        self.assertContains(squash(pdf_text(pdf.body)), squash(recipient), "watermarked PDF")

    def test_anonymized_watermark_keeps_candidate_out(self):
        token, link_id = self.share_opts(1601, watermark=True, variant="anonymized", recipient="Panel")
        pdf = self.get(token, "?format=pdf")
        text = squash(pdf_text(pdf.body))
        self.assertContains(text, link_id, "anonymized watermarked PDF")
        self.assertContains(text, "ShortWatermarkCandidate", "anonymized watermarked PDF", present=False)


if __name__ == "__main__":
    unittest.main()
