"""The PDFs a real server serves are tagged (issue 16; SPEC §4, "Accessible").

A `reportshare serve` renders through its render workers; the PDF of a link
(`?format=pdf`, in English and shared in Arabic, plain, anonymized and
watermarked) and of `POST …/download` is read with `qpdf --json` (Debian's
qpdf), and its catalog and structure tree walked as an assistive technology
would: /Lang is the report's language, /DisplayDocTitle is set, /MarkInfo
says it is marked, the tree has the report's headings, tables with header
cells and scopes, and the chart as a Figure whose /Alt states every section's
score and the cut-off; no placeholder (/Private) element is left, and page
contents mark decoration as /Artifact.

The structure is checked in depth by the unit tests (render_tests,
TaggedPdfTest); this is the same over HTTP, through the workers.
"""

import json
import subprocess
import tempfile
import unittest

import harness
from harness import make_report, token_of

SECTIONS = [
    {"section": "Python", "percentage": 80.0,
     "skill_wise_score": [{"skill": "Data structures", "percentage": 90.0},
                          {"skill": "Algorithms", "percentage": 70.0}]},
    {"section": "SQL", "percentage": 45.0,
     "skill_wise_score": [{"skill": "Joins", "percentage": 40.0}]},
]


def qpdf_objects(pdf_bytes):
    """(objects by "N 0 R", the trailer) from `qpdf --json`."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf_bytes)
        f.flush()
        out = subprocess.run(["qpdf", "--json", "--json-key=qpdf", f.name], capture_output=True,
                             check=True, timeout=60).stdout
    objects = json.loads(out)["qpdf"][1]
    trailer = objects.pop("trailer")["value"]
    by_ref = {}
    for key, obj in objects.items():
        by_ref[key[len("obj:"):]] = obj.get("value", obj.get("stream", {}).get("dict"))
    return by_ref, trailer


def qpdf_qdf(pdf_bytes):
    """The PDF with every stream uncompressed (`qpdf --qdf`)."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf_bytes)
        f.flush()
        return subprocess.run(["qpdf", "--qdf", "--object-streams=disable", f.name, "-"],
                              capture_output=True, check=True, timeout=60).stdout


def text(value):
    assert isinstance(value, str) and value.startswith("u:"), value
    return value[2:]


class Tree:
    """The structure tree of a PDF, as (type, attributes, children) nodes."""

    def __init__(self, pdf_bytes):
        self.objects, trailer = qpdf_objects(pdf_bytes)
        self.catalog = self.resolve(trailer["/Root"])
        self.info = self.resolve(trailer["/Info"])
        self.root = self.resolve(self.catalog.get("/StructTreeRoot"))
        self.elements = []  # in reading order: (depth, element dict)
        if self.root is not None:
            for kid in self.kids(self.root):
                self.walk(kid, 0)

    def resolve(self, value):
        if isinstance(value, str) and value.endswith(" 0 R"):
            return self.objects.get(value)
        return value

    def kids(self, element):
        k = self.resolve(element.get("/K"))
        items = k if isinstance(k, list) else [] if k is None else [k]
        out = []
        for item in items:
            item = self.resolve(item)
            if isinstance(item, dict) and "/S" in item:
                out.append(item)
        return out

    def walk(self, element, depth):
        self.elements.append((depth, element))
        for kid in self.kids(element):
            self.walk(kid, depth + 1)

    def types(self):
        return [e["/S"] for _, e in self.elements]

    def of_type(self, s):
        return [e for _, e in self.elements if e["/S"] == s]


class PdfAccessibilityTest(harness.ServerTestCase):

    @classmethod
    def setup_data(cls):
        cls.put_report(make_report(318, name="Priya Raman", sections=SECTIONS))
        cls.put_report(make_report(320, name="ليلى حداد", sections=SECTIONS))

    def link_pdf(self, report_id, options):
        resp = self.call("POST", "/assessments/reports/%d/share" % report_id,
                         body=dict({"expiration_hours": 2}, **options))
        self.assertStatus(resp, 200, "share with %r" % (options,))
        pdf = self.open_link(token_of(resp.json()["signed_url"]), query="?format=pdf")
        self.assertStatus(pdf, 200)
        self.assertEqual(pdf.content_type, "application/pdf")
        return pdf.body

    def assertTagged(self, pdf_bytes, lang, cut_off_text, score_texts):
        tree = Tree(pdf_bytes)
        self.assertIsNotNone(tree.root, "no /StructTreeRoot")
        self.assertEqual(text(tree.catalog.get("/Lang")), lang)
        self.assertEqual(tree.catalog.get("/MarkInfo"), {"/Marked": True})
        self.assertIs(tree.catalog.get("/ViewerPreferences", {}).get("/DisplayDocTitle"), True)
        types = tree.types()
        self.assertEqual(types[0], "/Document")
        self.assertEqual(types.count("/H1"), 1)
        self.assertEqual(types.count("/H2"), 2)
        self.assertNotIn("/Private", types)
        # A skills table per section, each with a head row of column headers
        # and a row header per skill.
        self.assertEqual(types.count("/THead"), len(SECTIONS))
        scopes = [th.get("/A", {}).get("/Scope") for th in tree.of_type("/TH")]
        self.assertEqual(scopes.count("/Column"), 2 * len(SECTIONS))
        self.assertEqual(scopes.count("/Row"), len(scopes) - 2 * len(SECTIONS))
        self.assertGreaterEqual(scopes.count("/Row"), 3)
        figures = tree.of_type("/Figure")
        self.assertEqual(len(figures), 1)
        alt = text(figures[0].get("/Alt"))
        for section, score in zip(SECTIONS, score_texts):
            self.assertIn(section["section"] + " " + score, alt)
        self.assertIn(cut_off_text, alt)
        # Decoration is marked as artifacts in the page contents.
        contents = qpdf_qdf(pdf_bytes)
        self.assertIn(b"/Artifact BMC", contents)
        self.assertNotIn(b"/Private", contents)
        return tree

    def test_link_pdf_in_english_is_tagged(self):
        self.assertTagged(self.link_pdf(318, {}), "en", "Cut-off: 60%", ["80%", "45%"])

    def test_link_pdf_in_arabic_is_tagged_in_arabic(self):
        tree = self.assertTagged(self.link_pdf(320, {"language": "ar"}), "ar",
                                 "حد النجاح: ٦٠٪", ["٨٠٪", "٤٥٪"])
        self.assertIn("ليلى حداد", text(tree.info["/Title"]))  # shown as the title (DisplayDocTitle)

    def test_anonymized_and_watermarked_link_pdfs_are_tagged(self):
        self.assertTagged(self.link_pdf(318, {"variant": "anonymized"}), "en", "Cut-off: 60%",
                          ["80%", "45%"])
        self.assertTagged(self.link_pdf(318, {"watermark": True, "recipient": "hm@acme.example"}),
                          "en", "Cut-off: 60%", ["80%", "45%"])

    def test_downloaded_pdf_is_tagged(self):
        resp = self.call("POST", "/assessments/reports/318/download")
        self.assertStatus(resp, 200)
        self.assertTagged(resp.body, "en", "Cut-off: 60%", ["80%", "45%"])


if __name__ == "__main__":
    unittest.main()
