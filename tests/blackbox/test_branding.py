"""Branding and custom domains (SPEC §8), black-box, on both backends.

  BrandingApiTest        GET/PUT /assessments/branding: the default, every
                         field set, kept, reset; the logo as hash and size,
                         never echoed; every bad value (400 naming the field,
                         nothing changed), bad and hostile PNGs (truncated,
                         corrupt CRC, oversized, a header claiming 100000²
                         pixels, random bytes), the 512 KiB body (413 past
                         it, a logo body past 64 KiB accepted), 401, 405,
                         tenancy; the server keeps serving throughout.
  BrandedDocumentsTest   the page and the PDF of the company's reports show
                         the display name, logo (a data: image; an image
                         XObject of the logo's pixel size), colour and footer
                         text (on every PDF page, escaped on the page); a
                         change shows on the next view, through the caches;
                         a reset brings the default back; the other company
                         keeps its look; `reportshare render` draws it too.
  PublicUrlTest          links minted after public_url start with it (share,
                         bulk share, the report_link of GET); older links keep
                         opening, on any Host; the links list and `link
                         inspect` show the base each link was minted on.
"""

import base64
import hashlib
import json
import os
import random
import re
import shutil
import struct
import subprocess
import tempfile
import unittest
import urllib.parse
import zlib

import harness
from harness import SHARED_PREFIX, ServerTestCase, make_report, run_cli, token_of

BRANDING = "/assessments/branding"
BRANDING_FIELDS = {"display_name", "primary_color", "logo_sha256", "logo_width", "logo_height",
                   "footer_text", "public_url", "version", "updated_at"}


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def make_png(width, height, rgba=(11, 83, 148, 255), noise=False, seed=1):
    """An 8-bit RGBA PNG, made here with zlib (no image library needed)."""
    rng = random.Random(seed)
    rows = []
    for _ in range(height):
        if noise:
            rows.append(b"\x00" + bytes(rng.getrandbits(8) for _ in range(width * 4)))
        else:
            rows.append(b"\x00" + bytes(rgba) * width)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
            + _chunk(b"IEND", b""))


def with_ihdr_size(png, width, height):
    """`png` with its IHDR claiming another size (CRC fixed)."""
    ihdr = png[16:29]
    patched = struct.pack(">II", width, height) + ihdr[8:]
    return png[:8] + _chunk(b"IHDR", patched) + png[33:]


def b64(data):
    return base64.b64encode(data).decode()


def poppler(tool, data, *args):
    """stdout of a poppler-utils tool run on the PDF `data`."""
    if not shutil.which(tool):
        raise AssertionError("%s (poppler-utils) is needed by these tests" % tool)
    with tempfile.TemporaryDirectory(prefix="rs-branding-") as d:
        path = os.path.join(d, "in.pdf")
        with open(path, "wb") as f:
            f.write(data)
        proc = subprocess.run([tool] + list(args) + [path] + (["-"] if tool == "pdftotext" else []),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if proc.returncode != 0:
            raise AssertionError("%s failed: %r" % (tool, proc.stderr[:300]))
        return proc.stdout.decode("utf-8", "replace")


def pdf_text(data, page=None):
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return poppler("pdftotext", data, "-enc", "UTF-8", *pages)


def pdf_pages(data):
    return int(re.search(r"^Pages:\s+(\d+)", poppler("pdfinfo", data), re.M).group(1))


def pdf_images(data):
    """(width, height) of each image the PDF draws (pdfimages -list)."""
    sizes = []
    for line in poppler("pdfimages", data, "-list").splitlines()[2:]:
        cols = line.split()
        if len(cols) > 4 and cols[2] == "image":
            sizes.append((int(cols[3]), int(cols[4])))
    return sizes


class BrandingApiTest(ServerTestCase):

    def setUp(self):
        # Each test starts from the default look.
        r = self.call("PUT", BRANDING, {"display_name": None, "primary_color": None, "logo_png": None,
                                        "footer_text": None, "public_url": None})
        self.assertStatus(r, 200)

    def put(self, body, key="A"):
        return self.call("PUT", BRANDING, body, key=key)

    def get(self, key="A"):
        r = self.call("GET", BRANDING, key=key)
        self.assertStatus(r, 200)
        return r.json()

    def test_default_is_all_null(self):
        b = self.get("B")
        self.assertEqual(set(b), BRANDING_FIELDS)
        for field in BRANDING_FIELDS - {"version"}:
            self.assertIsNone(b[field], field)
        self.assertEqual(b["version"], 0)

    def test_put_sets_keeps_and_resets_each_field(self):
        logo = make_png(480, 120)
        before = self.get()["version"]
        r = self.put({"display_name": "Acme Talent ✓", "primary_color": "#0B5394", "logo_png": b64(logo),
                      "footer_text": "Acme Talent Ltd · Confidential", "public_url": "https://talent.acme.example/"})
        self.assertStatus(r, 200)
        body = r.json()
        self.assertEqual(set(body), BRANDING_FIELDS)
        self.assertNotIn(b64(logo)[:40], r.text)
        self.assertEqual(body["display_name"], "Acme Talent ✓")
        self.assertEqual(body["primary_color"], "#0b5394")
        self.assertEqual(body["logo_sha256"], hashlib.sha256(logo).hexdigest())
        self.assertEqual((body["logo_width"], body["logo_height"]), (480, 120))
        self.assertEqual(body["footer_text"], "Acme Talent Ltd · Confidential")
        self.assertEqual(body["public_url"], "https://talent.acme.example")
        self.assertEqual(body["version"], before + 1)
        harness.parse_rfc3339(body["updated_at"])
        self.assertEqual(self.get(), body)

        # Left out: kept. null: reset. "" footer: reset.
        r = self.put({"primary_color": "#000000", "logo_png": None, "footer_text": ""})
        self.assertStatus(r, 200)
        after = r.json()
        self.assertEqual(after["display_name"], "Acme Talent ✓")
        self.assertEqual(after["primary_color"], "#000000")
        self.assertEqual(after["public_url"], "https://talent.acme.example")
        for field in ("logo_sha256", "logo_width", "logo_height", "footer_text"):
            self.assertIsNone(after[field], field)
        self.assertEqual(after["version"], before + 2)
        # An empty object changes nothing but the version.
        r = self.put({})
        self.assertStatus(r, 200)
        self.assertEqual({k: v for k, v in r.json().items() if k not in ("version", "updated_at")},
                         {k: v for k, v in after.items() if k not in ("version", "updated_at")})
        # The other company is untouched.
        self.assertIsNone(self.get("B")["display_name"])

    def test_every_bad_value_is_a_400_naming_the_field_and_changes_nothing(self):
        self.assertStatus(self.put({"display_name": "Kept Name", "primary_color": "#123456"}), 200)
        kept = self.get()
        logo = make_png(64, 64)
        idat = logo.find(b"IDAT")
        bad_crc = bytearray(logo)
        bad_crc[idat + 6] ^= 0xFF   # a byte of the compressed data: the CRC no longer matches
        cases = [
            ({"display_name": ""}, "display_name must be a string of 1 to 100 characters"),
            ({"display_name": "   "}, "display_name must not be blank"),
            ({"display_name": "x" * 101}, "it has 101"),
            ({"display_name": "a\u0007b"}, "control character"),
            ({"display_name": "a\u202eb"}, "control character"),
            ({"display_name": ["x"]}, "display_name must be a string or null"),
            ({"primary_color": "#ffcc00"},
             "primary_color #ffcc00 has a contrast ratio of 1.51:1 against white; it needs at least 4.5:1 (WCAG AA)"),
            ({"primary_color": "#777777"}, "4.47:1"),
            ({"primary_color": "red"}, "primary_color must be a colour \"#RRGGBB\" or null"),
            ({"primary_color": "#12345g"}, "primary_color must be a colour"),
            ({"primary_color": 0x123456}, "primary_color must be a colour"),
            ({"logo_png": "***"}, "logo_png must be a PNG in standard Base64"),
            ({"logo_png": b64(b"GIF89a....")}, "logo_png is not a PNG"),
            ({"logo_png": b64(b"")}, "logo_png is not a PNG"),
            ({"logo_png": b64(logo[:len(logo) // 2])}, "logo_png is truncated or corrupt"),
            ({"logo_png": b64(logo[:40])}, "logo_png is"),
            ({"logo_png": b64(bytes(bad_crc))}, "logo_png is truncated or corrupt"),
            ({"logo_png": b64(make_png(2001, 1))}, "logo_png is 2001×1 pixels; at most 2000×2000"),
            ({"logo_png": b64(make_png(1, 2001))}, "logo_png is 1×2001 pixels"),
            ({"logo_png": b64(with_ihdr_size(make_png(1, 1), 100000, 100000))}, "logo_png is 100000×100000 pixels"),
            ({"logo_png": b64(b"\x00" * (256 * 1024 + 1))}, "logo_png must be at most 256 KiB"),
            ({"logo_png": 5}, "logo_png must be a Base64 PNG or null"),
            ({"footer_text": "f" * 201}, "footer_text must be a string of at most 200 characters"),
            ({"footer_text": "line\nbreak"}, "control character"),
            ({"public_url": "ftp://x.example"}, "public_url must start with http:// or https://"),
            ({"public_url": "https://x.example/?q=1"}, "public_url must not contain a query"),
            ({"public_url": "https://"}, "public_url needs a host"),
            ({"public_url": "https://good.example@evil.example"}, "public_url must not hold a user name"),
            ({"public_url": "https://x.example/\"><script>"}, "public_url must hold only the characters of a URL"),
            ({"display_colour": "#000000"}, "unknown field display_colour"),
        ]
        for body, message in cases:
            with self.subTest(body=json.dumps(body)[:80]):
                self.assertError(self.put(body), 400, [message])
        for raw in (b"[1]", b"\"x\"", b"{", b"", b"null"):
            with self.subTest(raw=raw):
                self.assertError(self.call("PUT", BRANDING, raw, headers={"Content-Type": "application/json"}),
                                 400, ["request body must be a JSON object"])
        self.assertEqual(self.get(), kept)
        self.assertStatus(self.server.request("GET", "/healthz"), 200)

    def test_random_bytes_as_a_logo_never_break_the_server(self):
        rng = random.Random(20261203)
        good = make_png(32, 32, noise=True)
        for i in range(60):
            data = bytearray(good)
            for _ in range(rng.randint(1, 12)):
                data[rng.randrange(len(data))] = rng.getrandbits(8)
            if i % 3 == 0:
                data = data[:rng.randrange(8, len(data))]
            r = self.put({"logo_png": b64(bytes(data))})
            self.assertIn(r.status, (200, 400), r.describe())
            if r.status == 200:
                self.assertEqual(r.json()["logo_width"], 32)
            else:
                self.assertError(r, 400, ["logo_png"])
        self.assertStatus(self.server.request("GET", "/healthz"), 200)

    def test_body_limit_is_512_kib_here(self):
        # A logo body well past the 64 KiB of other routes.
        noisy = make_png(200, 200, noise=True)
        self.assertGreater(len(noisy), 100 * 1024)
        self.assertLessEqual(len(noisy), 256 * 1024)
        r = self.put({"logo_png": b64(noisy)})
        self.assertStatus(r, 200)
        self.assertEqual((r.json()["logo_width"], r.json()["logo_height"]), (200, 200))
        big = json.dumps({"footer_text": "x", "pad": "y" * (512 * 1024)}).encode()
        self.assertError(self.call("PUT", BRANDING, big, headers={"Content-Type": "application/json"}),
                         413, ["524288"])
        # The share body keeps its 64 KiB.
        self.assertError(self.call("POST", "/assessments/reports/318/share", b"{" + b" " * (70 * 1024) + b"}",
                                   headers={"Content-Type": "application/json"}), 413, ["65536"])

    def test_key_and_method(self):
        self.assertError(self.call("GET", BRANDING, key=None), 401, ["missing apiKey"])
        self.assertError(self.call("PUT", BRANDING, {}, key="rs_not_a_key"), 401)
        r = self.call("POST", BRANDING, {})
        self.assertError(r, 405)
        self.assertEqual(r.headers.get("allow"), "GET, PUT")
        self.assertError(self.call("DELETE", BRANDING), 405)


class BrandedDocumentsTest(ServerTestCase):

    LOGO = make_png(360, 90, rgba=(106, 27, 154, 255))

    @classmethod
    def setup_data(cls):
        cls.put_report(make_report(318, name="Priya Raman", sections=12))
        cls.put_report(make_report(500, name="Other Company Candidate"), key="B")

    def brand(self, body):
        r = self.call("PUT", BRANDING, body)
        self.assertStatus(r, 200)
        return r.json()

    def page(self, token):
        r = self.open_link(token, accept="text/html")
        self.assertStatus(r, 200)
        return r.text

    def pdf(self, token):
        r = self.open_link(token, query="?format=pdf")
        self.assertStatus(r, 200)
        return r.body

    def setUp(self):
        self.brand({"display_name": None, "primary_color": None, "logo_png": None, "footer_text": None})

    def images(self, pdf):
        return pdf_images(pdf)

    def assertHas(self, part, text):
        self.assertTrue(part in text, "%r not in the document" % part)

    def assertHasNot(self, part, text):
        self.assertFalse(part in text, "%r in the document" % part)

    def test_the_brand_on_page_and_pdf_and_a_change_on_the_next_view(self):
        token = self.share_token(318)
        plain_page, plain_pdf = self.page(token), self.pdf(token)
        self.assertHas(self.company_a, plain_page)
        self.assertHasNot("data:image/png", plain_page)
        self.assertEqual(self.images(plain_pdf), [])

        self.brand({"display_name": "Initech Hiring Partners", "primary_color": "#6a1b9a",
                    "logo_png": b64(self.LOGO), "footer_text": "Initech & Co <b>Confidential</b>"})
        page = self.page(token)
        self.assertHas("Initech Hiring Partners", page)
        self.assertHasNot(self.company_a, page)
        self.assertHas('src="data:image/png;base64,%s"' % b64(self.LOGO), page)
        self.assertRegex(page, r'<img src="data:image/png;base64,[^"]+" alt="" width="\d+" height="\d+">')
        self.assertHas("--primary:#6a1b9a", page)
        self.assertHas("Initech &amp; Co &lt;b&gt;Confidential&lt;/b&gt;", page)
        self.assertHasNot("<b>Confidential", page)

        pdf = self.pdf(token)
        self.assertNotEqual(pdf, plain_pdf)
        self.assertEqual(self.images(pdf), [(360, 90)])
        pages = pdf_pages(pdf)
        self.assertGreaterEqual(pages, 2)
        self.assertHas("Initech Hiring Partners", pdf_text(pdf, page=1))
        self.assertHasNot(self.company_a, pdf_text(pdf))
        for n in range(1, pages + 1):
            with self.subTest(page=n):
                self.assertHas("Initech & Co <b>Confidential</b>", pdf_text(pdf, page=n))
        # The download of the API is branded the same way.
        download = self.call("POST", "/assessments/reports/318/download")
        self.assertStatus(download, 200)
        self.assertEqual(self.images(download.body), [(360, 90)])

        # A second change shows on the next view again (the caches key on it).
        self.brand({"display_name": "Initech Renamed"})
        self.assertHas("Initech Renamed", self.page(token))
        self.assertHas("Initech Renamed", pdf_text(self.pdf(token), page=1))

        # The other company keeps the default look.
        other = self.share_token(500, key="B")
        self.assertHasNot("Initech", self.page(other))
        self.assertEqual(self.images(self.pdf(other)), [])

        # A reset brings the default back.
        self.brand({"display_name": None, "primary_color": None, "logo_png": None, "footer_text": None})
        back = self.page(token)
        self.assertHas(self.company_a, back)
        self.assertHasNot("data:image/png", back)
        self.assertHasNot("--primary:#", back.split("</style>")[0].split(":root{--primary:#1d4e9e")[-1])
        self.assertEqual(self.images(self.pdf(token)), [])

    def test_render_cli_draws_the_branding(self):
        self.brand({"display_name": "CLI Brand", "logo_png": b64(self.LOGO)})
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "r.pdf")
            p = run_cli(["render", "318", "-o", out, "--db", self.server.db])
            self.assertEqual(p.returncode, 0, harness.cli_describe(p))
            with open(out, "rb") as f:
                data = f.read()
        self.assertHas("CLI Brand", pdf_text(data, page=1))
        self.assertEqual(self.images(data), [(360, 90)])
        self.brand({"display_name": None, "logo_png": None})


class PublicUrlTest(ServerTestCase):

    @classmethod
    def setup_data(cls):
        cls.put_report(make_report(318))
        cls.put_report(make_report(319))

    def test_new_links_on_the_public_url_old_ones_keep_working(self):
        old = self.share(318)["signed_url"]
        self.assertTrue(old.startswith(self.server.base_url + SHARED_PREFIX), old)
        r = self.call("PUT", BRANDING, {"public_url": "https://reports.acme.example/talent/"})
        self.assertStatus(r, 200)
        base = "https://reports.acme.example/talent"
        new = self.share(318)["signed_url"]
        self.assertTrue(new.startswith(base + SHARED_PREFIX), new)
        bulk = self.call("POST", "/assessments/reports/share", {"report_ids": [318, 319]})
        self.assertStatus(bulk, 200)
        self.server.note_tokens(bulk.body)
        for link in bulk.json()["links"]:
            self.assertTrue(link["signed_url"].startswith(base + SHARED_PREFIX), link)
        got = self.call("GET", "/assessments/report/318")
        self.assertStatus(got, 200)
        self.server.note_tokens(got.body)
        self.assertTrue(got.json()["report_link"].startswith(base + SHARED_PREFIX))
        # The other company still mints on the server's base.
        self.put_report(make_report(600), key="B")
        self.assertTrue(self.share(600, key="B")["signed_url"].startswith(self.server.base_url))

        # Both open, whatever Host the request names: the token is the credential.
        for url in (old, new):
            for host in ("reports.acme.example", "127.0.0.1", "elsewhere.example"):
                with self.subTest(url=url[:50], host=host):
                    r = self.server.request("GET", SHARED_PREFIX + token_of(url), {"Host": host})
                    self.assertStatus(r, 200)

        # The links list and `link inspect` show the base of each.
        links = self.call("GET", "/assessments/reports/318/links").json()["links"]
        by_id = {l["link_id"]: l["base_url"] for l in links}
        old_id = [l["link_id"] for l in links][-1]   # oldest last
        self.assertEqual(by_id[old_id], self.server.base_url)
        self.assertEqual(sorted(set(by_id.values())), sorted({self.server.base_url, base}))
        p = run_cli(["link", "inspect", new, "--db", self.server.db])
        self.assertEqual(p.returncode, 0, harness.cli_describe(p))
        self.assertIn("base_url:   " + base, p.stdout.decode())
        p = run_cli(["link", "inspect", old, "--db", self.server.db])
        self.assertIn("base_url:   " + self.server.base_url, p.stdout.decode())

        # Reset: back on the server's base.
        self.assertStatus(self.call("PUT", BRANDING, {"public_url": None}), 200)
        self.assertTrue(self.share(318)["signed_url"].startswith(self.server.base_url + SHARED_PREFIX))


if __name__ == "__main__":
    unittest.main()
