"""GET / PUT /assessments/report/{report_id} (SPEC §1, §2.3)."""

import datetime
import unicodedata
import unittest

import harness
from harness import (SHARED_PREFIX, TOKEN_RE, make_report, parse_rfc3339, rfc3339,
                     token_of, utcnow)

REPORT = "/assessments/report/%s"
NOT_COMPLETED_KEYS = ["assessment_id", "candidate_id", "email", "invite_status", "name", "report_id"]
DATE_FIELDS = ("started_date", "completed_date")

UNICODE_NAMES = [
    "प्रिया रमन",
    "ليلى حداد",
    "王小明",
    "😀 Emoji 👩🏽‍💻 Person",
    unicodedata.normalize("NFD", "José Ñúñez"),   # decomposed: must not be normalized
    "Zero\u200bWidth \u202eRTL-override",
]


class ReportsTest(harness.ServerTestCase):

    @classmethod
    def setup_data(cls):
        cls.base_report = make_report(318, name="Priya Raman", assessment_id=138)
        cls.put_report(cls.base_report)
        cls.put_report(make_report(600, name="Globex Owned"), key="B")

    def assertReportEquals(self, got, sent):
        """Every field sent comes back equal (dates compared as instants)."""
        for k, v in sent.items():
            self.assertIn(k, got, "field %s missing from GET: %r" % (k, got))
            if k in DATE_FIELDS:
                self.assertEqual(parse_rfc3339(got[k]), parse_rfc3339(v), "field %s" % k)
            else:
                self.assertEqual(got[k], v, "field %s" % k)

    # --------------------------------------------------------------- GET
    def test_get_completed_report(self):
        resp = self.call("GET", REPORT % 318)
        self.assertStatus(resp, 200)
        self.assertEqual(resp.content_type, "application/json", resp)
        data = resp.json()
        self.assertReportEquals(data, self.base_report)
        link = data.get("report_link")
        self.assertIsInstance(link, str, resp)
        self.assertTrue(link.startswith(self.server.base_url + SHARED_PREFIX), link)
        self.assertRegex(token_of(link), TOKEN_RE)
        again = self.call("GET", REPORT % 318).json()
        self.assertEqual(again.get("report_link"), link, "report_link must be the same on every call")
        page = self.open_link(token_of(link))
        self.assertStatus(page, 200)
        self.assertIn("Priya Raman", page.text)

    def test_report_link_valid_until_completed_plus_7_days(self):
        # completed 6 days ago → link still valid; its JSON view shows the report.
        six = utcnow() - datetime.timedelta(days=6)
        rep = make_report(330, completed_date=rfc3339(six), started_date=rfc3339(six - datetime.timedelta(hours=1)))
        self.put_report(rep)
        link = self.call("GET", REPORT % 330).json()["report_link"]
        self.assertStatus(self.open_link(token_of(link)), 200)
        # completed 8 days ago → expired
        eight = utcnow() - datetime.timedelta(days=8)
        rep = make_report(331, completed_date=rfc3339(eight), started_date=rfc3339(eight - datetime.timedelta(hours=1)))
        self.put_report(rep)
        link = self.call("GET", REPORT % 331).json()["report_link"]
        self.assertStatus(self.open_link(token_of(link)), 410)

    def test_report_link_follows_new_completed_date(self):
        rep = make_report(332)
        self.put_report(rep)
        link1 = self.call("GET", REPORT % 332).json()["report_link"]
        self.assertStatus(self.open_link(token_of(link1)), 200)
        old = utcnow() - datetime.timedelta(days=10)
        rep2 = make_report(332, completed_date=rfc3339(old), started_date=rfc3339(old - datetime.timedelta(hours=1)))
        self.assertStatus(self.put_report(rep2), 200)
        link2 = self.call("GET", REPORT % 332).json()["report_link"]
        self.assertStatus(self.open_link(token_of(link2)), 410, "report_link after completed_date moved 10 days back")

    def test_pending_and_started_return_only_basic_fields(self):
        for rid, status in ((340, "Pending"), (341, "Started")):
            with self.subTest(status=status):
                rep = make_report(rid, name="Waiting Person", status=status, email="wait@example.com",
                                  assessment_name="Should Not Show", cut_off=50)
                self.put_report(rep)
                resp = self.call("GET", REPORT % rid)
                self.assertStatus(resp, 200)
                data = resp.json()
                self.assertEqual(sorted(data.keys()), NOT_COMPLETED_KEYS, resp)
                self.assertEqual(data["report_id"], rid)
                self.assertEqual(data["invite_status"], status)
                self.assertEqual(data["name"], "Waiting Person")
                self.assertEqual(data["email"], "wait@example.com")
                self.assertEqual(data["candidate_id"], 5012)
                self.assertEqual(data["assessment_id"], 138)

    def test_get_unknown_and_other_company_404_same_body(self):
        unknown = self.call("GET", REPORT % 999)
        other = self.call("GET", REPORT % 600)
        self.assertError(unknown, 404)
        self.assertError(other, 404)
        self.assertEqual(other.body.replace(b"600", b"N"), unknown.body.replace(b"999", b"N"))
        self.assertStatus(self.call("GET", REPORT % 600, key="B"), 200)

    def test_get_invalid_ids_400(self):
        for rid in ("0", "-1", "01", "9223372036854775808", "abc", "%33%31%38", "1e3"):
            with self.subTest(report_id=rid):
                self.assertError(self.call("GET", REPORT % rid), 400)
                self.assertError(self.call("GET", REPORT % rid, key=None), 401)

    def test_auth_required(self):
        self.assertError(self.call("GET", REPORT % 318, key=None), 401)
        self.assertError(self.call("PUT", REPORT % 318, body=self.base_report, key=None), 401)
        self.assertError(self.call("PUT", REPORT % 318, body=b"{", key="nope"), 401)
        self.assertError(self.call("GET", REPORT % 318, key="nope"), 401)

    def test_wrong_method_405(self):
        for method in ("POST", "DELETE", "PATCH"):
            with self.subTest(method=method):
                resp = self.call(method, REPORT % 318, key=None)
                self.assertError(resp, 405)
                allow = resp.headers.get("allow", "").upper()
                self.assertIn("GET", allow, resp)
                self.assertIn("PUT", allow, resp)

    # --------------------------------------------------------------- PUT
    def test_put_create_then_replace(self):
        rep = make_report(350, name="First Name")
        resp = self.call("PUT", REPORT % 350, body=rep)
        self.assertStatus(resp, 201)
        rep2 = make_report(350, name="Second Name", overall_percentage=55.25)
        resp = self.call("PUT", REPORT % 350, body=rep2)
        self.assertStatus(resp, 200)
        got = self.call("GET", REPORT % 350).json()
        self.assertReportEquals(got, rep2)

    def test_put_without_body_report_id(self):
        rep = make_report(351, include_id=False)
        self.assertStatus(self.call("PUT", REPORT % 351, body=rep), 201)
        self.assertEqual(self.call("GET", REPORT % 351).json()["report_id"], 351)

    def test_put_id_mismatch_400(self):
        rep = make_report(353)
        self.assertError(self.call("PUT", REPORT % 352, body=rep), 400)
        self.assertError(self.call("GET", REPORT % 352), 404)
        self.assertError(self.call("GET", REPORT % 353), 404)

    def test_put_invalid_path_id_400(self):
        for rid in ("0", "-5", "007", "abc"):
            with self.subTest(report_id=rid):
                self.assertError(self.call("PUT", REPORT % rid, body=make_report(7, include_id=False)), 400)

    def test_put_validation_errors_name_the_field(self):
        def without(field, **kw):
            r = make_report(360, **kw)
            r.pop(field)
            return r

        def section_pct(value):
            r = make_report(360)
            r["sections"][0]["percentage"] = value
            return r

        def skill_pct(value):
            r = make_report(360)
            r["sections"][1]["skill_wise_score"][0]["percentage"] = value
            return r

        cases = [
            ("missing name", without("name"), "name"),
            ("missing assessment_id", without("assessment_id"), "assessment_id"),
            ("missing invite_status", without("invite_status"), "invite_status"),
            ("bad invite_status", make_report(360, invite_status="Done"), "invite_status"),
            ("missing completed_date", without("completed_date"), "completed_date"),
            ("missing overall_percentage", without("overall_percentage"), "overall_percentage"),
            ("missing sections", without("sections"), "sections"),
            ("name not a string", make_report(360, name=42), "name"),
            ("overall over 100", make_report(360, overall_percentage=100.5), "overall_percentage"),
            ("cut_off negative", make_report(360, cut_off=-1), "cut_off"),
            ("section pct 101", section_pct(101), "sections[0].percentage"),
            ("section pct string", section_pct("80"), "sections[0].percentage"),
            ("skill pct -0.1", skill_pct(-0.1), "sections[1].skill_wise_score[0].percentage"),
            ("bad completed_date", make_report(360, completed_date="yesterday"), "completed_date"),
        ]
        for label, body, field in cases:
            with self.subTest(case=label):
                self.assertError(self.call("PUT", REPORT % 360, body=body), 400, contains=(field,))
        self.assertError(self.call("GET", REPORT % 360), 404, msg="nothing stored after failed PUTs")

    def test_put_malformed_bodies_400(self):
        for body in (b"", b"{", b"[]", b"null", b'"x"', b"not json"):
            with self.subTest(body=body):
                self.assertError(self.call("PUT", REPORT % 361, body=body), 400)

    def test_completed_with_empty_sections_ok(self):
        rep = make_report(362, sections=[])
        self.assertStatus(self.call("PUT", REPORT % 362, body=rep), 201)
        self.assertStatus(self.call("POST", "/assessments/reports/362/download"), 200)

    def test_other_company_id_409_unchanged(self):
        hijack = make_report(318, name="Hijacker")
        resp = self.call("PUT", REPORT % 318, body=hijack, key="B")
        self.assertError(resp, 409)
        got = self.call("GET", REPORT % 318).json()
        self.assertEqual(got["name"], "Priya Raman")
        self.assertError(self.call("GET", REPORT % 318, key="B"), 404)
        # and the other way round
        self.assertError(self.call("PUT", REPORT % 600, body=make_report(600, name="X")), 409)
        self.assertEqual(self.call("GET", REPORT % 600, key="B").json()["name"], "Globex Owned")

    def test_replace_changes_existing_link_content(self):
        self.put_report(make_report(370, name="Original Candidate"))
        token = self.share_token(370)
        self.assertIn("Original Candidate", self.open_link(token).text)
        self.assertStatus(self.put_report(make_report(370, name="Renamed Candidate")), 200)
        page = self.open_link(token)
        self.assertStatus(page, 200)
        self.assertIn("Renamed Candidate", page.text)
        self.assertNotIn("Original Candidate", page.text)

    def test_replace_completed_with_pending_blocks_share(self):
        self.put_report(make_report(371))
        token = self.share_token(371)
        self.put_report(make_report(371, status="Pending"))
        # docs/decisions.md: a link whose report is no longer Completed answers 410
        gone = self.open_link(token)
        self.assertStatus(gone, 410)
        self.assertNotIn("Priya", gone.text)
        self.assertError(self.call("POST", "/assessments/reports/371/share"), 409)
        data = self.call("GET", REPORT % 371).json()
        self.assertEqual(sorted(data.keys()), NOT_COMPLETED_KEYS)

    def test_sql_and_pdf_metacharacters_inert(self):
        name = "Robert'); DROP TABLE reports;-- \\ (paren) %PDF-1.7 endobj"
        rep = make_report(392, name=name, email="o'brien@example.com")
        self.put_report(rep)
        got = self.call("GET", REPORT % 392).json()
        self.assertEqual(got["name"], name)
        self.assertEqual(got["email"], "o'brien@example.com")
        pdf = self.call("POST", "/assessments/reports/392/download")
        self.assertStatus(pdf, 200)
        text = harness.pdftotext(pdf.body)
        if text is not None:
            self.assertIn("DROP TABLE", text)
        bad = self.call("GET", "/assessments/report/1'%20OR%20'1'='1")
        self.assertError(bad, (400, 404))
        self.assertNotRegex(bad.text.lower(), r"sqlite|postgres|libpq|syntax|select |stack|exception")
        self.assertStatus(self.call("GET", REPORT % 318), 200)

    # ----------------------------------------------------------- Unicode
    def test_unicode_round_trip_byte_exact(self):
        for i, name in enumerate(UNICODE_NAMES):
            rid = 380 + i
            with self.subTest(name=name):
                rep = make_report(rid, name=name,
                                  registration_fields=[{"label": "शहर / مدينة / 城市", "value": name}],
                                  sections=[{"section": name, "percentage": 50,
                                             "skill_wise_score": [{"skill": "技能 😀", "percentage": 1}]}])
                self.put_report(rep)
                got = self.call("GET", REPORT % rid).json()
                self.assertEqual(got["name"].encode("utf-8"), name.encode("utf-8"))
                self.assertEqual(got["registration_fields"], rep["registration_fields"])
                self.assertEqual(got["sections"][0]["section"].encode("utf-8"), name.encode("utf-8"))
                self.assertEqual(got["sections"][0]["skill_wise_score"][0]["skill"], "技能 😀")
                self.assertStatus(self.call("POST", "/assessments/reports/%d/download" % rid), 200)

    def test_raw_utf8_json_body(self):
        body = ('{"assessment_id": 5, "name": "王小明 प्रिया", "invite_status": "Pending", '
                '"email": "w@example.com"}').encode("utf-8")
        self.assertStatus(self.call("PUT", REPORT % 390, body=body), 201)
        got = self.call("GET", REPORT % 390)
        self.assertEqual(got.json()["name"], "王小明 प्रिया")
        # escaped form is the same string
        body2 = b'{"assessment_id": 5, "name": "\\u738b\\ud83d\\ude00", "invite_status": "Pending"}'
        self.assertStatus(self.call("PUT", REPORT % 391, body=body2), 201)
        self.assertEqual(self.call("GET", REPORT % 391).json()["name"], "王😀")

    # ---------------------------------------------------------- big report
    def test_forty_sections_round_trip_and_pdf(self):
        rep = make_report(395, sections=40)
        self.put_report(rep)
        got = self.call("GET", REPORT % 395).json()
        self.assertEqual(len(got["sections"]), 40)
        self.assertEqual(len(got["sections"][39]["skill_wise_score"]), 10)
        self.assertReportEquals(got, rep)
        pdf = self.call("POST", "/assessments/reports/395/download")
        self.assertStatus(pdf, 200)
        self.assertTrue(pdf.body.startswith(b"%PDF-"))
        text = harness.pdftotext(pdf.body)
        if text is not None:
            flat = " ".join(text.split())
            self.assertIn("Section 40", flat, "last section missing from the PDF text")
            self.assertIn("Section 1 ", flat + " ")
        page = self.open_link(self.share_token(395))
        self.assertStatus(page, 200)
        self.assertIn("Section 40", page.text)


if __name__ == "__main__":
    unittest.main()
