"""The link page is accessible (issue 16; SPEC §4, "Accessible": WCAG 2.1 AA).

Headless Chromium (browser.Chromium, as in test_browser.py) opens the page of
a real `reportshare serve`, with reports put and shared through the API, in
five forms: the default report, an Arabic one (a candidate with an Arabic
name, shared with "language": "ar"), an anonymized one, a watermarked one, and
one in a company's branding (SPEC §8: a logo, a footer text, and the palest
primary colour allowed, which the page must still show at 4.5:1 everywhere).
In each:

- axe-core (tests/browser/node_modules/axe-core, pinned in package.json),
  injected through DevTools (the page's CSP forbids scripts; Runtime.evaluate
  is not subject to it), runs the WCAG 2.0/2.1 A and AA rules (among them
  colour contrast >= 4.5:1) at 1280 px and at 390 px: no violation;
- the structure, read from the DOM: exactly one h1; heading levels never
  skip; main, banner (a <header> outside main/article/aside/nav/section) and
  contentinfo (the same for <footer>) landmarks, and no text outside every
  landmark; every table has th cells, each with a scope; the section-score
  chart has a text alternative stating every section's name and score (and
  its bars are hidden from assistive technology or named);
- reflow: no horizontal scrolling at 320 px (a phone, and WCAG 1.4.10's
  1280 px window at 400 %) and at 640 px (that window at 200 %).

The checks are plain functions returning what is wrong ([] when nothing), and
AccessibilityNegativeControlTest runs them on small local pages that break
each rule, so a clean result means something.

Needs Debian's chromium and tests/browser/node_modules (scripts/setup).
"""

import base64
import json
import os
import re
import struct
import unittest
import zlib

import browser
import harness
from harness import SHARED_PREFIX, make_report, token_of
from test_browser import ChromiumMixin

AXE_VERSION = "4.14.1"
AXE_JS = os.path.join(browser.NODE_MODULES, "axe-core", "axe.min.js")
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
AXE_TIMEOUT = 60.0   # one open_page.mjs run with axe (it takes a second or two)

AXE_WIDTHS = (browser.DESKTOP, browser.MOBILE)
# (width, emulate a phone): a phone 320 px wide; a 1280 px desktop window at
# 400 % (WCAG 1.4.10 Reflow) and at 200 % (1.4.4 Resize text) zoom, which lay
# the page out 320 and 640 CSS px wide without the phone's meta viewport.
REFLOW_VIEWPORTS = ((320, True), (320, False), (640, False))

# axe's result, trimmed to what the checks print. The rules axe could not
# decide ("incomplete": e.g. the contrast of text over another layer) come
# with their nodes and whether each lies in a layer hidden from assistive
# technology (the watermark).
AXE_RUN = ("axe.run(document, {runOnly: {type: 'tag', values: %s}, resultTypes: ['violations', 'incomplete'],"
           " elementRef: true})"
           ".then((r) => ({version: axe.version,"
           " violations: r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help, tags: v.tags,"
           "  nodes: v.nodes.map((n) => ({target: n.target, html: n.html.slice(0, 300),"
           "   summary: (n.failureSummary || '').slice(0, 600)}))})),"
           " incomplete: r.incomplete.map((v) => ({id: v.id, help: v.help,"
           "  nodes: v.nodes.map((n) => ({target: n.target, html: n.html.slice(0, 200),"
           "   in_hidden_layer: !!(n.element && n.element.closest('[aria-hidden=true]')),"
           "   reason: [...n.any, ...n.all, ...n.none].map((c) => c.message).join('; ').slice(0, 300)}))})),"
           " passes: r.passes.map((v) => v.id)}))"
           % json.dumps(list(AXE_TAGS)))

# What the structural checks need, read from the DOM in one evaluation.
STRUCTURE = r"""(() => {
  const SECTIONING = 'article,aside,main,nav,section,[role=article],[role=complementary],[role=main],' +
                     '[role=navigation],[role=region]';
  const LANDMARKS = ['banner', 'complementary', 'contentinfo', 'form', 'main', 'navigation', 'region', 'search'];
  const hidden = (el) => {
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      if (e.getAttribute('aria-hidden') === 'true' || e.hidden) return true;
      const cs = getComputedStyle(e);
      if (cs.display === 'none' || cs.visibility === 'hidden') return true;
    }
    return false;
  };
  // The role of el as HTML-AAM maps it (the landmark roles only).
  const role = (el) => {
    const explicit = (el.getAttribute('role') || '').trim().split(/\s+/)[0];
    if (explicit) return explicit;
    switch (el.tagName.toLowerCase()) {
      case 'main': return 'main';
      case 'nav': return 'navigation';
      case 'aside': return 'complementary';
      case 'header': return el.parentElement && el.parentElement.closest(SECTIONING) ? null : 'banner';
      case 'footer': return el.parentElement && el.parentElement.closest(SECTIONING) ? null : 'contentinfo';
      case 'section': return el.hasAttribute('aria-label') || el.hasAttribute('aria-labelledby') ? 'region' : null;
      default: return null;
    }
  };
  const text = (el) => (el.textContent || '').replace(/\s+/g, ' ').trim();

  const headings = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6,[role=heading]')]
    .filter((h) => !hidden(h))
    .map((h) => ({ level: h.getAttribute('role') === 'heading' ? Number(h.getAttribute('aria-level') || 2)
                                                               : Number(h.tagName.slice(1)),
                   text: text(h).slice(0, 80) }));

  const landmarks = {};
  const landmarkEls = [];
  for (const el of document.querySelectorAll('*')) {
    const r = role(el);
    if (!r || !LANDMARKS.includes(r) || hidden(el)) continue;
    landmarks[r] = (landmarks[r] || 0) + 1;
    landmarkEls.push(el);
  }
  const outside = [];
  const walker = document.createTreeWalker(document.body || document.documentElement, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.nodeValue.replace(/\s+/g, ' ').trim();
    if (!t || !n.parentElement || hidden(n.parentElement)) continue;
    if (['script', 'style', 'title'].includes(n.parentElement.tagName.toLowerCase())) continue;
    if (!landmarkEls.some((l) => l.contains(n))) outside.push(t.slice(0, 60));
    if (outside.length >= 10) break;
  }

  const tables = [...document.querySelectorAll('table')].filter((t) => !hidden(t)).map((t) => {
    const ths = [...t.querySelectorAll('th')];
    return {
      rows: t.rows.length,
      th: ths.length,
      th_without_scope: ths.filter((th) => !['col', 'row', 'colgroup', 'rowgroup']
                                   .includes((th.getAttribute('scope') || '').trim().toLowerCase()))
                           .map((th) => text(th).slice(0, 40)),
      head: t.tHead && t.tHead.rows.length ? [...t.tHead.rows[0].cells].map(text) : [],
    };
  });

  // The text a screen reader gets for a subtree: aria-hidden and unrendered
  // parts left out, a name (aria-labelledby, aria-label where it counts,
  // alt, an SVG's <title>) instead of what it names.
  const NAMED_ROLES = ['img', 'figure', 'group', 'region', 'list', 'table', 'graphics-document', 'meter'];
  const altText = (node) => {
    if (node.nodeType === 3) return node.nodeValue;
    if (node.nodeType !== 1 || hidden(node)) return '';
    const tag = node.tagName.toLowerCase();
    const r = node.getAttribute('role');
    const ids = (node.getAttribute('aria-labelledby') || '').trim();
    if (ids) return ids.split(/\s+/).map((id) => document.getElementById(id)).filter(Boolean).map(text).join(' ');
    const label = (node.getAttribute('aria-label') || '').trim();
    if (label && (NAMED_ROLES.includes(r) || ['svg', 'img', 'figure', 'section'].includes(tag))) return label;
    if (tag === 'img') return node.getAttribute('alt') || '';
    if (tag === 'svg') {
      const title = node.querySelector(':scope > title');
      return title ? title.textContent : '';
    }
    if (r === 'img') return '';   // an unnamed image: its content is presentational
    return [...node.childNodes].map(altText).join(' ');
  };
  const chart = document.querySelector('.chart');
  const graphics = chart ? [...chart.querySelectorAll('svg, img, canvas, [role=img]')] : [];
  return {
    headings,
    landmarks,
    outside_landmarks: outside,
    tables,
    chart: chart ? {
      alternative: altText(chart).replace(/\s+/g, ' ').trim(),
      unnamed_graphics: graphics.filter((g) => !hidden(g) && !altText(g).trim()).length,
      graphics: graphics.length,
    } : null,
  };
})()"""

ARABIC_INDIC = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


# --------------------------------------------------------------------------
# The checks (each returns what is wrong; [] when nothing)
# --------------------------------------------------------------------------

def axe_violations(page):
    """axe's violations of the WCAG 2.x A/AA rules, each a readable line and
    its nodes; a missing or unexpected axe result is a problem too."""
    axe = page["evals"].get("axe")
    if not isinstance(axe, dict):
        return ["axe did not run: %r" % (axe,)]
    problems = []
    if axe.get("version") != AXE_VERSION:
        problems.append("axe-core %s, not the pinned %s" % (axe.get("version"), AXE_VERSION))
    if not axe.get("passes"):
        problems.append("axe reported no passing rule either: it did not look at the page")
    for v in axe["violations"]:
        nodes = "\n".join("      %s  %s\n        %s" % (" ".join(map(str, n["target"])), n["html"],
                                                       n["summary"].replace("\n", "\n        "))
                          for n in v["nodes"][:8])
        more = "\n      ... and %d more" % (len(v["nodes"]) - 8) if len(v["nodes"]) > 8 else ""
        problems.append("%s (%s): %s [%d node(s)]\n%s%s" % (v["id"], v["impact"], v["help"], len(v["nodes"]),
                                                           nodes, more))
    return problems


def axe_undecided(page, hidden_layers_allowed=False):
    """What axe could not decide, rule by rule (each needs a person to look).
    hidden_layers_allowed: leave out nodes in a layer hidden from assistive
    technology (the watermark: faint by design, SPEC §5)."""
    axe = page["evals"].get("axe")
    if not isinstance(axe, dict):
        return ["axe did not run: %r" % (axe,)]
    problems = []
    for v in axe["incomplete"]:
        nodes = [n for n in v["nodes"] if not (hidden_layers_allowed and n["in_hidden_layer"])]
        if nodes:
            problems.append("%s undecided: %s [%d node(s)]\n%s" % (
                v["id"], v["help"], len(nodes),
                "\n".join("      %s  %s\n        %s" % (" ".join(map(str, n["target"])), n["html"], n["reason"])
                          for n in nodes[:8])))
    return problems


def heading_problems(structure):
    """Exactly one h1, first; no level skipped on the way down."""
    headings = structure["headings"]
    problems = []
    h1 = [h for h in headings if h["level"] == 1]
    if len(h1) != 1:
        problems.append("%d h1 elements, not exactly one: %r" % (len(h1), [h["text"] for h in h1]))
    if headings and headings[0]["level"] != 1:
        problems.append("the first heading is h%d, not h1" % headings[0]["level"])
    for prev, cur in zip(headings, headings[1:]):
        if cur["level"] > prev["level"] + 1:
            problems.append("h%d %r follows h%d %r: a level skipped"
                            % (cur["level"], cur["text"], prev["level"], prev["text"]))
    return problems


def landmark_problems(structure):
    """One main, one banner, one contentinfo; no text outside every landmark."""
    problems = []
    for name, what in (("main", "<main>"), ("banner", "<header> outside main/article/aside/nav/section"),
                       ("contentinfo", "<footer> outside main/article/aside/nav/section")):
        n = structure["landmarks"].get(name, 0)
        if n != 1:
            problems.append("%d %s landmark(s) (%s), not one" % (n, name, what))
    if structure["outside_landmarks"]:
        problems.append("text outside every landmark: %r" % structure["outside_landmarks"])
    return problems


def table_problems(structure, min_tables=1):
    problems = []
    tables = structure["tables"]
    if len(tables) < min_tables:
        problems.append("%d table(s), expected at least %d" % (len(tables), min_tables))
    for i, t in enumerate(tables):
        if t["th"] == 0:
            problems.append("table %d (%d rows) has no th cell" % (i + 1, t["rows"]))
        if t["th_without_scope"]:
            problems.append("table %d: th without scope: %r" % (i + 1, t["th_without_scope"]))
    return problems


def _digits(text):
    return text.translate(ARABIC_INDIC)


def chart_problems(structure, sections):
    """sections: [(name, score text, score number)] in page order. The chart's
    text alternative names each section, then (before the next one) its score;
    its graphics are hidden from assistive technology or named."""
    chart = structure["chart"]
    if chart is None:
        return ["no chart (.chart) on the page"]
    alt = chart["alternative"]
    problems = []
    if chart["unnamed_graphics"]:
        problems.append("%d of the chart's %d graphics neither hidden (aria-hidden) nor named"
                        % (chart["unnamed_graphics"], chart["graphics"]))
    pos = 0
    for i, (name, score_text, score) in enumerate(sections):
        at = alt.find(name, pos)
        if at < 0:
            problems.append("the chart's text alternative does not name section %r (after offset %d): %r"
                            % (name, pos, alt[:600]))
            continue
        end = alt.find(sections[i + 1][0], at + len(name)) if i + 1 < len(sections) else len(alt)
        stretch = alt[at + len(name):end if end >= 0 else len(alt)]
        if score_text not in stretch:
            problems.append("the chart's text alternative gives section %r no score %r: %r"
                            % (name, score_text, stretch[:200]))
        elif str(int(round(score))) not in _digits(score_text):
            problems.append("section %r's score reads %r, not %s" % (name, score_text, score))
        pos = at + len(name)
    return problems


def layout_problems(page, width):
    return browser.layout_problems(page, width)


def structure_of(page):
    structure = page["evals"].get("structure")
    if not isinstance(structure, dict):
        raise AssertionError("the structure evaluation returned %r" % (structure,))
    return structure


# --------------------------------------------------------------------------
# The link page
# --------------------------------------------------------------------------

DEFAULT_SECTIONS = [
    {"section": "Python", "percentage": 80.0,
     "skill_wise_score": [{"skill": "Data structures", "percentage": 90.0},
                          {"skill": "Algorithms", "percentage": 70.0}]},
    {"section": "SQL", "percentage": 65.0,
     "skill_wise_score": [{"skill": "Joins", "percentage": 60.0}, {"skill": "Indexes", "percentage": 55.0}]},
    {"section": "System design", "percentage": 41.0,
     "skill_wise_score": [{"skill": "Caching", "percentage": 35.0}, {"skill": "Queues", "percentage": 47.0}]},
    {"section": "Communication", "percentage": 92.0, "skill_wise_score": []},
]
ARABIC_SECTIONS = [
    {"section": "الرياضيات", "percentage": 77.0,
     "skill_wise_score": [{"skill": "الجبر", "percentage": 81.0}, {"skill": "الهندسة", "percentage": 58.0}]},
    {"section": "Python", "percentage": 52.0,
     "skill_wise_score": [{"skill": "Data structures", "percentage": 49.0}]},
    {"section": "اللغة العربية", "percentage": 88.0,
     "skill_wise_score": [{"skill": "القراءة", "percentage": 90.0}]},
]

# name: (report id, share options)
VARIANTS = {
    "default": (318, {}),
    "arabic": (320, {"language": "ar"}),
    "anonymized": (318, {"variant": "anonymized"}),
    "watermarked": (318, {"watermark": True, "recipient": "hm@acme.example"}),
    # Company B's report in its branding (SPEC §8): a logo, a footer text and
    # the palest primary colour allowed (4.54:1 against white).
    "branded": (321, {}),
}
SECTIONS_OF = {318: DEFAULT_SECTIONS, 320: ARABIC_SECTIONS, 321: DEFAULT_SECTIONS}
BRANDED_COMPANY_OF = {321: "B"}
# A 120×40 PNG logo (8-bit RGBA, one colour), made with zlib alone.
BRANDING = {
    "display_name": "Initech Talent",
    "primary_color": "#767676",
    "footer_text": "Initech Talent Ltd · Registered in England · Confidential",
    "logo_png": base64.b64encode(
        b"\x89PNG\r\n\x1a\n"
        + b"".join(struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
                   for t, d in ((b"IHDR", struct.pack(">IIBBBBB", 120, 40, 8, 6, 0, 0, 0)),
                                (b"IDAT", zlib.compress((b"\x00" + b"\x76\x76\x76\xff" * 120) * 40)),
                                (b"IEND", b"")))).decode(),
}


class AccessibilityTest(ChromiumMixin, harness.ServerTestCase):
    """The link page in its five forms, each opened once per viewport (the
    results are kept for the class: every test reads the same runs)."""

    @classmethod
    def setUpClass(cls):
        if not os.path.isfile(AXE_JS):
            raise AssertionError("the accessibility tests need axe-core (%s): run scripts/setup" % AXE_JS)
        cls.start_chromium()
        super().setUpClass()
        cls.pages = {}

    @classmethod
    def setup_data(cls):
        cls.put_report(make_report(318, name="Priya Raman", sections=DEFAULT_SECTIONS))
        cls.put_report(make_report(320, name="ليلى حداد", email="layla@example.com", sections=ARABIC_SECTIONS,
                                   registration_fields=[{"label": "الهاتف", "value": "+971 50 000 0000"}]))
        cls.put_report(make_report(321, name="Priya Raman", sections=DEFAULT_SECTIONS), key="B")
        branded = cls.call("PUT", "/assessments/branding", body=BRANDING, key="B")
        if branded.status != 200:
            raise AssertionError("PUT branding failed: %s" % branded)
        cls.urls = {}
        for name, (rid, options) in VARIANTS.items():
            resp = cls.call("POST", "/assessments/reports/%s/share" % rid,
                            body=dict({"expiration_hours": 2}, **options), key=BRANDED_COMPANY_OF.get(rid, "A"))
            if resp.status != 200:
                raise AssertionError("share %s with %r failed: %s" % (rid, options, resp))
            cls.urls[name] = cls.server.base_url + SHARED_PREFIX + token_of(resp.json()["signed_url"])

    def page(self, variant, width, mobile=None, axe=True):
        """open_page.mjs's result for one form of the page at one viewport,
        axe's result under ["evals"]["axe"] and the structure under
        ["evals"]["structure"]; opened once per class."""
        key = (variant, width, mobile, axe)
        if key not in self.pages:
            url = self.urls[variant]
            kw = {"evals": {"structure": STRUCTURE}, "mobile": mobile}
            if axe:
                kw["inject"] = (AXE_JS,)
                kw["evals"]["axe"] = AXE_RUN
                kw["timeout"] = AXE_TIMEOUT
            page = self.open_page(url, width, **kw)
            self.assertEqual(page["status"], 200, "%s at %d px: %s" % (variant, width, browser.describe(page)))
            self.pages[key] = page
        return self.pages[key]

    def for_each_page(self, check):
        """check(variant, width, page) for every form at every axe width, each a subtest."""
        for variant in VARIANTS:
            for width in AXE_WIDTHS:
                with self.subTest(variant=variant, width=width):
                    check(variant, width, self.page(variant, width))

    def sections_shown(self, variant, structure):
        """(name, score text, score) per section, in order; the score text is
        the one in that section's table head."""
        rid = VARIANTS[variant][0]
        sections = SECTIONS_OF[rid]
        heads = [t["head"] for t in structure["tables"]]
        self.assertEqual(len(heads), len(sections), "one table per section: %r" % heads)
        out = []
        for s, head in zip(sections, heads):
            self.assertTrue(head and s["section"] in head[0], "table head %r for section %r" % (head, s["section"]))
            out.append((s["section"], head[-1], s["percentage"]))
        return out

    def test_axe_finds_no_wcag_21_aa_violation(self):
        def check(variant, width, page):
            problems = axe_violations(page)
            self.assertEqual(problems, [], "axe-core %s on the %s page at %d px, %d problem(s):\n%s"
                             % (AXE_VERSION, variant, width, len(problems), "\n".join(problems)))
            # Nothing left undecided either (the colour contrast of every
            # text included), but for the watermark's own faint rows.
            undecided = axe_undecided(page, hidden_layers_allowed=variant == "watermarked")
            self.assertEqual(undecided, [], "axe-core %s on the %s page at %d px:\n%s"
                             % (AXE_VERSION, variant, width, "\n".join(undecided)))
            self.assertIn("color-contrast", page["evals"]["axe"]["passes"])
        self.for_each_page(check)

    def test_exactly_one_h1_and_no_skipped_heading_level(self):
        def check(variant, width, page):
            structure = structure_of(page)
            self.assertEqual(heading_problems(structure), [], "headings: %r" % structure["headings"])
            self.assertGreaterEqual(len(structure["headings"]), 3, structure["headings"])
        self.for_each_page(check)

    def test_main_header_footer_landmarks(self):
        def check(variant, width, page):
            structure = structure_of(page)
            self.assertEqual(landmark_problems(structure), [], "landmarks: %r" % structure["landmarks"])
        self.for_each_page(check)

    def test_every_table_has_header_cells_with_scope(self):
        def check(variant, width, page):
            self.assertEqual(table_problems(structure_of(page), min_tables=len(SECTIONS_OF[VARIANTS[variant][0]])), [])
        self.for_each_page(check)

    def test_chart_has_a_text_alternative_with_every_score(self):
        def check(variant, width, page):
            structure = structure_of(page)
            self.assertEqual(chart_problems(structure, self.sections_shown(variant, structure)), [])
        self.for_each_page(check)

    def test_no_horizontal_scrolling_at_320_px_and_at_200_percent_zoom(self):
        for variant in VARIANTS:
            for width, mobile in REFLOW_VIEWPORTS:
                with self.subTest(variant=variant, width=width, phone=mobile):
                    page = self.page(variant, width, mobile=mobile, axe=False)
                    self.assertEqual(layout_problems(page, width), [],
                                     "%s at %d px: %s" % (variant, width, browser.describe(page)))

    def test_the_forms_differ_as_shared(self):
        # The four runs are of four different pages: the language, the
        # anonymized name, the watermark.
        default = structure_of(self.page("default", browser.DESKTOP))
        anonymized = structure_of(self.page("anonymized", browser.DESKTOP))
        self.assertEqual(self.page("arabic", browser.DESKTOP)["dir"], "rtl")
        self.assertIn("Priya Raman", default["headings"][0]["text"])
        self.assertNotIn("Priya", anonymized["headings"][0]["text"])
        self.assertRegex(anonymized["headings"][0]["text"], r"[A-Z2-9]{6}")
        watermarked = self.open_page(self.urls["watermarked"], browser.DESKTOP,
                                     evals={"wm": "document.querySelectorAll('.wm p').length"})
        self.assertGreater(watermarked["evals"]["wm"], 0, "no watermark rows on the watermarked page")

    def test_zzz_chromium_still_running(self):
        self.assertTrue(self.chrome.alive(), "chromium died:\n" + self.chrome.log_tail())


# --------------------------------------------------------------------------
# Negative controls: each check catches a page that breaks it
# --------------------------------------------------------------------------

VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'
PIXEL = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
         "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
CONTROL_SECTIONS = [("Alpha", "70%", 70.0), ("Beta", "40%", 40.0)]
GOOD_BODY = (
    '<header><p>Acme</p></header><main><h1>Candidate</h1><h2>Scores</h2>'
    '<div class="chart"><div>Alpha</div><svg aria-hidden="true" width="10" height="10"></svg><div>70%</div>'
    '<div>Beta</div><svg aria-hidden="true" width="10" height="10"></svg><div>40%</div></div>'
    '<h2>Skills</h2><table><thead><tr><th scope="col">Alpha</th><th scope="col">70%</th></tr></thead>'
    '<tbody><tr><td>One</td><td>70%</td></tr></tbody></table></main><footer><p>Confidential</p></footer>')
CONTROL_PAGES = {
    "/clean": GOOD_BODY,
    "/image-without-alt": GOOD_BODY.replace("<h2>Skills</h2>", '<img src="%s" width="20" height="20"><h2>Skills</h2>'
                                            % PIXEL),
    "/low-contrast": GOOD_BODY.replace("<h1>Candidate</h1>", '<h1>Candidate</h1><p style="color:#999">grey</p>'),
    "/two-h1-skipped-level": GOOD_BODY.replace("<h2>Scores</h2>", "<h1>Again</h1><h3>Scores</h3>"),
    "/header-footer-inside-main": ('<main><header><p>Acme</p></header><h1>Candidate</h1>'
                                   '<footer><p>Confidential</p></footer></main><p>loose text</p>'),
    "/th-without-scope": GOOD_BODY.replace('<th scope="col">Alpha</th>', "<th>Alpha</th>"),
    "/table-without-th": GOOD_BODY.replace('<thead><tr><th scope="col">Alpha</th><th scope="col">70%</th></tr>'
                                           '</thead>', ""),
    "/chart-without-scores": GOOD_BODY.replace("<div>70%</div>", "").replace("<div>40%</div>", ""),
    "/chart-unnamed-graphics": GOOD_BODY.replace('<svg aria-hidden="true"', "<svg"),
    # The watermark's layout: faint rows, turned, over the whole viewport.
    "/faint-hidden-layer": GOOD_BODY + (
        '<div aria-hidden="true" style="position:fixed;inset:0;overflow:hidden;pointer-events:none;z-index:10">'
        '<div style="position:absolute;top:50%%;left:50%%;width:280vmax;transform:translate(-50%%,-50%%) rotate(-30deg);'
        'display:flex;flex-direction:column;gap:88px;opacity:.11;white-space:nowrap;text-align:center">%s</div></div>'
        % ("<p>Shared link · lnk_1 · 2025-07-09 07:00 UTC</p>" * 6)),
    "/chart-named": GOOD_BODY.replace('<div class="chart">',
                                      '<div class="chart" role="img" aria-label="Alpha 70%, Beta 40%">'),
}


def _control_page(body):
    """A control page as the link page is served: the same CSP."""
    return ("default-src 'none'; img-src data:; style-src 'unsafe-inline'",
            '<!doctype html><html lang="en"><head>%s<title>Control</title></head><body>%s</body></html>'
            % (VIEWPORT, body))


class AccessibilityNegativeControlTest(ChromiumMixin, unittest.TestCase):
    """Pages that break each rule, from a tiny local HTTP server: the checks
    must report every one (else the clean results above prove nothing)."""

    @classmethod
    def setUpClass(cls):
        if not os.path.isfile(AXE_JS):
            raise AssertionError("the accessibility tests need axe-core (%s): run scripts/setup" % AXE_JS)
        cls.start_chromium()
        cls.base = browser.serve_control_pages(
            cls, {path: _control_page(body) for path, body in CONTROL_PAGES.items()})

    def control(self, path, axe=False):
        kw = {"evals": {"structure": STRUCTURE}}
        if axe:
            kw.update(inject=(AXE_JS,), timeout=AXE_TIMEOUT)
            kw["evals"]["axe"] = AXE_RUN
        return self.open_page(self.base + path, browser.DESKTOP, **kw)

    def assertReports(self, problems, pattern):
        self.assertTrue(any(re.search(pattern, p) for p in problems),
                        "expected a problem matching %r, got %r" % (pattern, problems))

    def test_clean_control_page_passes_every_check(self):
        page = self.control("/clean", axe=True)
        structure = structure_of(page)
        self.assertEqual(axe_violations(page), [])
        self.assertEqual(axe_undecided(page), [])
        self.assertEqual(heading_problems(structure), [])
        self.assertEqual(landmark_problems(structure), [])
        self.assertEqual(table_problems(structure), [])
        self.assertEqual(chart_problems(structure, CONTROL_SECTIONS), [])

    def test_axe_reports_an_image_without_alt(self):
        problems = axe_violations(self.control("/image-without-alt", axe=True))
        self.assertReports(problems, r"^image-alt \(critical\): .*\n.*img")

    def test_axe_reports_low_contrast(self):
        problems = axe_violations(self.control("/low-contrast", axe=True))
        self.assertReports(problems, r"^color-contrast \(serious\)")

    def test_faint_rows_like_the_watermark(self):
        # Rows over the page's text: axe cannot tell their background, which
        # the check reports unless told to leave hidden layers out; a row over
        # bare background is a plain contrast violation, hidden or not (so
        # the watermarked page passes only while every row of its watermark
        # lies over the report, as it does at both widths).
        page = self.control("/faint-hidden-layer", axe=True)
        self.assertReports(axe_undecided(page), r"^color-contrast undecided: .*\[[1-5] node")
        self.assertEqual(axe_undecided(page, hidden_layers_allowed=True), [])
        self.assertReports(axe_violations(page), r"^color-contrast \(serious\): .*\[1 node")

    def test_two_h1_and_a_skipped_level(self):
        problems = heading_problems(structure_of(self.control("/two-h1-skipped-level")))
        self.assertReports(problems, r"^2 h1 elements")
        self.assertReports(problems, r"^h3 'Scores' follows h1 'Again'")

    def test_header_and_footer_inside_main_are_no_landmarks(self):
        problems = landmark_problems(structure_of(self.control("/header-footer-inside-main")))
        self.assertReports(problems, r"^0 banner")
        self.assertReports(problems, r"^0 contentinfo")
        self.assertReports(problems, r"outside every landmark: \['loose text'\]")

    def test_th_without_scope_and_table_without_th(self):
        self.assertReports(table_problems(structure_of(self.control("/th-without-scope"))),
                           r"th without scope: \['Alpha'\]")
        self.assertReports(table_problems(structure_of(self.control("/table-without-th"))), r"has no th cell")

    def test_chart_without_scores_or_with_unnamed_graphics(self):
        self.assertReports(chart_problems(structure_of(self.control("/chart-without-scores")), CONTROL_SECTIONS),
                           r"gives section 'Alpha' no score '70%'")
        self.assertReports(chart_problems(structure_of(self.control("/chart-unnamed-graphics")), CONTROL_SECTIONS),
                           r"^2 of the chart's 2 graphics")
        self.assertEqual(chart_problems(structure_of(self.control("/chart-named")), CONTROL_SECTIONS), [])


if __name__ == "__main__":
    unittest.main()
