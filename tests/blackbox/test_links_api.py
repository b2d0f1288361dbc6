"""GET/DELETE /assessments/reports/{id}/links[/{link_id}] (SPEC §2.4) and view counting."""

import datetime
import time
import unittest

import harness
from harness import (EXPIRES_AT_RE, make_report, parse_rfc3339, utcnow)

LINKS = "/assessments/reports/%s/links"
# SPEC §2.4's six fields and §5's options in force.
LINK_FIELDS = {"link_id", "created_at", "expires_at", "revoked_at", "views", "last_viewed_at",
               "recipient", "allow_download", "max_views", "watermark", "variant", "language", "base_url"}
UNKNOWN_LINK_ID = "AAAAAAAAAAAAAAAAAAAAAA"  # 22 Base64url chars = 128 bits, well-formed


class LinksApiTest(harness.ServerTestCase):

    @classmethod
    def setup_data(cls):
        for rid in (700, 701, 702, 703, 704, 705, 706):
            cls.put_report(make_report(rid, name="Links Candidate %d" % rid))
        cls.put_report(make_report(710, name="Globex Links"), key="B")

    def links(self, rid, key="A"):
        resp = self.call("GET", LINKS % rid, key=key)
        self.assertStatus(resp, 200)
        self.assertEqual(resp.content_type, "application/json", resp)
        data = resp.json()
        self.assertEqual(list(data.keys()), ["links"], resp)
        self.assertIsInstance(data["links"], list)
        return data["links"]

    def test_empty_list(self):
        self.assertEqual(self.links(705), [])

    def test_list_fields_and_order(self):
        hours = [1, 2, 0.5]
        tokens = []
        for h in hours:
            tokens.append(self.share_token(700, h))
            time.sleep(0.01)
        links = self.links(700)
        self.assertEqual(len(links), 3, links)
        for link in links:
            self.assertEqual(set(link.keys()), LINK_FIELDS, link)
            self.assertRegex(link["link_id"], r"^[A-Za-z0-9_-]{22}$", link)
            self.assertIsNone(link["revoked_at"], link)
            self.assertEqual(link["views"], 0, link)
            self.assertIsNone(link["last_viewed_at"], link)
            created = parse_rfc3339(link["created_at"])
            self.assertLess(abs((created - utcnow()).total_seconds()), 60, link)
            parse_rfc3339(link["expires_at"])
        # newest first: created_at non-increasing, and expiry hours match in reverse mint order
        created = [parse_rfc3339(l["created_at"]) for l in links]
        self.assertEqual(created, sorted(created, reverse=True), "links not newest first: %r" % links)
        got_hours = [round((parse_rfc3339(l["expires_at"]) - parse_rfc3339(l["created_at"])).total_seconds() / 3600, 2)
                     for l in links]
        self.assertEqual(got_hours, list(reversed(hours)), "expires_at - created_at per link, newest first")
        self.assertEqual(len({l["link_id"] for l in links}), 3)
        for l in links:
            self.assertRegex(l["expires_at"], EXPIRES_AT_RE, "expires_at should use the share format")
        # the link ids are not the tokens
        for l in links:
            for t in tokens:
                self.assertNotEqual(l["link_id"], t)

    def test_views_counted_head_not(self):
        token = self.share_token(701)
        self.assertEqual(self.links(701)[0]["views"], 0)
        self.assertStatus(self.open_link(token, method="HEAD"), 200)
        self.assertStatus(self.open_link(token, method="HEAD", query="?format=pdf"), 200)
        link = self.links(701)[0]
        self.assertEqual(link["views"], 0, "HEAD must not count as a view")
        self.assertIsNone(link["last_viewed_at"])
        before = utcnow() - datetime.timedelta(seconds=2)
        self.assertStatus(self.open_link(token), 200)
        link = self.links(701)[0]
        self.assertEqual(link["views"], 1, link)
        self.assertIsNotNone(link["last_viewed_at"], link)
        self.assertGreaterEqual(parse_rfc3339(link["last_viewed_at"]), before)
        self.assertStatus(self.open_link(token, query="?format=pdf"), 200)
        self.assertEqual(self.links(701)[0]["views"], 2, "opening the PDF counts as a view")
        self.assertStatus(self.open_link(token), 200)
        self.assertEqual(self.links(701)[0]["views"], 3)

    def test_views_map_to_the_right_link(self):
        first = self.share_token(704)
        time.sleep(0.01)
        self.share_token(704)
        self.assertStatus(self.open_link(first), 200)
        self.assertStatus(self.open_link(first), 200)
        links = self.links(704)
        self.assertEqual([l["views"] for l in links], [0, 2], "oldest link (last) was opened twice: %r" % links)

    def test_revoke_one(self):
        t1 = self.share_token(702)
        time.sleep(0.01)
        t2 = self.share_token(702)
        links = self.links(702)
        newest = links[0]["link_id"]
        resp = self.call("DELETE", LINKS % 702 + "/" + newest)
        self.assertStatus(resp, 200)
        self.assertEqual(resp.json(), {"revoked": 1}, resp)
        resp = self.call("DELETE", LINKS % 702 + "/" + newest)
        self.assertStatus(resp, 200)
        self.assertEqual(resp.json(), {"revoked": 0}, resp)
        self.assertStatus(self.open_link(t2), 410)
        self.assertStatus(self.open_link(t1), 200)
        links = self.links(702)
        by_id = {l["link_id"]: l for l in links}
        self.assertIsNotNone(by_id[newest]["revoked_at"])
        parse_rfc3339(by_id[newest]["revoked_at"])
        self.assertEqual(len(links), 2, "revoked links stay listed")

    def test_revoke_all(self):
        tokens = [self.share_token(703) for _ in range(3)]
        # one revoked individually first → DELETE all revokes the other 2
        first_id = self.links(703)[0]["link_id"]
        self.assertEqual(self.call("DELETE", LINKS % 703 + "/" + first_id).json(), {"revoked": 1})
        resp = self.call("DELETE", LINKS % 703)
        self.assertStatus(resp, 200)
        self.assertEqual(resp.json(), {"revoked": 2}, resp)
        resp = self.call("DELETE", LINKS % 703)
        self.assertEqual(resp.json(), {"revoked": 0}, resp)
        for t in tokens:
            self.assertStatus(self.open_link(t), 410)
        for l in self.links(703):
            self.assertIsNotNone(l["revoked_at"], l)
        # a link minted afterwards works
        t = self.share_token(703)
        self.assertStatus(self.open_link(t), 200)

    def test_malformed_link_id_400(self):
        for bad in ("abc", "!!!!", "A" * 21, "A" * 23, "A" * 200, "AAAAAAAAAAAAAAAAAAAA%3D%3D", "AAAAAAAAAAAAAAAAAAAA=="):
            with self.subTest(link_id=bad):
                self.assertError(self.call("DELETE", LINKS % 700 + "/" + bad), 400)

    def test_unknown_link_id_404(self):
        self.assertError(self.call("DELETE", LINKS % 700 + "/" + UNKNOWN_LINK_ID), 404)

    def test_link_of_another_report_404(self):
        self.share_token(706)
        link_id = self.links(706)[0]["link_id"]
        self.assertError(self.call("DELETE", LINKS % 705 + "/" + link_id), 404)
        self.assertIsNone(self.links(706)[0]["revoked_at"])

    def test_other_company_404(self):
        self.share_token(710, key="B")
        b_link = self.links(710, key="B")[0]["link_id"]
        self.assertError(self.call("GET", LINKS % 710), 404)
        self.assertError(self.call("DELETE", LINKS % 710), 404)
        self.assertError(self.call("DELETE", LINKS % 710 + "/" + b_link), 404)
        self.assertIsNone(self.links(710, key="B")[0]["revoked_at"], "another company revoked B's link")
        unknown = self.call("GET", LINKS % 999)
        other = self.call("GET", LINKS % 710)
        self.assertError(unknown, 404)
        self.assertEqual(other.body.replace(b"710", b"N"), unknown.body.replace(b"999", b"N"))

    def test_auth_and_shape_order(self):
        self.assertError(self.call("GET", LINKS % 700, key=None), 401)
        self.assertError(self.call("DELETE", LINKS % 700, key=None), 401)
        self.assertError(self.call("DELETE", LINKS % 700 + "/abc", key=None), 401)
        self.assertError(self.call("DELETE", LINKS % 700 + "/" + UNKNOWN_LINK_ID, key="bad"), 401)
        for rid in ("0", "01", "abc", "9223372036854775808"):
            with self.subTest(report_id=rid):
                self.assertError(self.call("GET", LINKS % rid), 400)
                self.assertError(self.call("DELETE", LINKS % rid), 400)
        # malformed link id on an unknown report: shape first → 400
        self.assertError(self.call("DELETE", LINKS % 999 + "/abc"), 400)
        self.assertError(self.call("GET", LINKS % 999), 404)

    def test_wrong_methods_405(self):
        for method, path, allowed in (("POST", LINKS % 700, ("GET", "DELETE")),
                                      ("PUT", LINKS % 700, ("GET", "DELETE")),
                                      ("GET", LINKS % 700 + "/" + UNKNOWN_LINK_ID, ("DELETE",)),
                                      ("POST", LINKS % 700 + "/" + UNKNOWN_LINK_ID, ("DELETE",))):
            with self.subTest(method=method, path=path):
                resp = self.call(method, path, key=None)
                self.assertError(resp, 405)
                allow = resp.headers.get("allow", "").upper()
                for m in allowed:
                    self.assertIn(m, allow, resp)


if __name__ == "__main__":
    unittest.main()
