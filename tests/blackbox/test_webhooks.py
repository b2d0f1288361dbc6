"""Webhooks (SPEC §7), black-box: the real binary delivers to a receiver in
this process (webhook_receiver.py), over loopback, so every server here runs
with --webhook-allow-private except where the guard itself is tested.

  RegistrationTest        POST/GET/DELETE /assessments/webhooks: the 201 body,
                          the secret, events' default and order, every bad
                          input (400), the 20-per-company limit (409), 401,
                          405, another company's ids (404).
  PrivateAddressGuardTest a server without --webhook-allow-private refuses
                          loopback, private, link-local, CGNAT, unspecified
                          multicast, reserved and disguised loopback hosts
                          (400); public addresses are accepted.
  EventsTest              each event type reaches the receiver with exactly
                          the data of the SPEC table (never a candidate's
                          name or email, never a token), for each action that
                          causes it and for nothing else; the events filter;
                          other companies' events never arrive; `import`
                          sends none; the headers and the signature (Python
                          and the npm library).
  RetryTest               500 then 200, always 500 (the schedule), 410
                          (disabled, pending deliveries failed), 302 (not
                          followed), a hanging receiver (10 s timeout, the API
                          stays fast), the retry call (of a delivered and of a
                          pending delivery), delete stops retries, the
                          deliveries list (newest first, 100 at most), the
                          webhook metrics.
  TenAttemptsTest         after the 10th failed attempt the delivery is
                          failed; the retry call delivers it again.
  DurabilityTest          kill -9 right after the API answered, restart on
                          the same database: every event arrives (at least
                          once, duplicates only under the same webhook-id);
                          views and their events agree; SIGTERM does not wait
                          for hanging attempts (at most 16 per webhook) and
                          they are made after the restart; the address guard
                          is re-checked at connection time.
  HttpsTest               a TLS receiver with a CA made here: delivered with
                          --webhook-ca-file, refused without it and for a
                          certificate of another name; a missing CA file
                          stops `serve` at startup.
  (two nodes on one PostgreSQL outbox: test_webhooks_cluster.py)

Retry timings use --webhook-retry-base 0.2 (retries after 0.2 s, 1.2 s,
4.8 s, ...); the whole file takes 1–2 minutes per backend.
"""

import base64
import datetime
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

import harness
import openapi_check
import webhook_receiver as wr
from harness import SHARED_PREFIX, Server, make_report, rfc3339, token_of, utcnow

WEBHOOKS = "/assessments/webhooks"
WEBHOOK = WEBHOOKS + "/%s"
TEST = WEBHOOKS + "/%s/test"
DELIVERIES = WEBHOOKS + "/%s/deliveries"
RETRY = WEBHOOKS + "/%s/deliveries/%s/retry"
SHARE = "/assessments/reports/%s/share"
LINKS = "/assessments/reports/%s/links"
BULK_SHARE = "/assessments/reports/share"

EVENT_TYPES = ["link.created", "link.viewed", "link.revoked", "link.denied", "report.updated", "webhook.test"]
DATA_FIELDS = {
    "link.created": {"report_id", "assessment_id", "link_id", "expires_at", "recipient"},
    "link.viewed": {"report_id", "assessment_id", "link_id", "format", "views", "first_view", "recipient"},
    "link.revoked": {"report_id", "link_id", "recipient"},
    "link.denied": {"report_id", "link_id", "reason", "recipient"},
    "report.updated": {"report_id", "assessment_id", "invite_status"},
    "webhook.test": {"webhook_id"},
}
CREATED_FIELDS = {"webhook_id", "url", "events", "description", "secret", "created_at", "disabled_at"}
WEBHOOK_FIELDS = CREATED_FIELDS - {"secret"}
DELIVERY_FIELDS = {"delivery_id", "event_type", "state", "created_at", "attempts", "last_status", "last_error",
                   "delivered_at", "next_attempt_at"}
WEBHOOK_ID_RE = re.compile(r"^wh_[0-9a-f]{24}$")
SECRET_RE = re.compile(r"^whsec_[A-Za-z0-9+/]{43}=$")
US_Z_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
TIMEOUT_RE = re.compile(r"(?i)time[d ]?\s*out|timeout|deadline")
CERT_RE = re.compile(r"(?i)certificate|verify|x509|tls|ssl|handshake")

LEASE = 15          # seconds a node's claim on an attempt lasts (docs/decisions.md)
PER_WEBHOOK = 16    # attempts in flight to one webhook at most, per node (docs/decisions.md)
BASE = 0.2          # --webhook-retry-base for most servers: retries after 0.2 s, 1.2 s, 4.8 s, ...
SCHEDULE = (5, 30, 120, 600, 1800, 3600, 10800, 21600, 43200)   # seconds, at the default base 5
BASE_ARGS = ("--webhook-allow-private", "--webhook-retry-base", str(BASE), "--view-flush-ms", "50")

BROWSER_UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/126.0.0.0 Safari/537.36")
SCANNER_UA = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"

# Candidate data that must never leave in an event.
CANDIDATE_NAME = "Zebulon Quaresma-Whitfield"
CANDIDATE_EMAIL = "zebulon.qw@candidates.example"
CANDIDATE_PHONE = "+44 7700 900461"

wait_until = harness.wait_until


def report(report_id, **kw):
    kw.setdefault("name", CANDIDATE_NAME)
    kw.setdefault("email", CANDIDATE_EMAIL)
    rep = make_report(report_id, **kw)
    if "registration_fields" in rep:
        rep["registration_fields"] = [{"label": "Phone", "value": CANDIDATE_PHONE}]
    return rep


_event_validators = {}


def event_schema_errors(event):
    """What is wrong with an event body by the `webhooks` section of
    docs/openapi.json (the schema of its type): a list of messages."""
    type_ = event.get("type") if isinstance(event, dict) else None
    if type_ not in openapi_check.DOCUMENT.get("webhooks", {}):
        return ["no webhook %r in docs/openapi.json" % (type_,)]
    if type_ not in _event_validators:
        body = openapi_check.DOCUMENT["webhooks"][type_]["post"]["requestBody"]
        _event_validators[type_] = openapi_check._validator_for(body["content"]["application/json"]["schema"])
    return ["%s: %s" % ("/".join(map(str, e.path)), e.message) for e in _event_validators[type_].iter_errors(event)]


def b64_32(secret):
    return base64.b64decode(secret[len("whsec_"):], validate=True)


def parse_ts(text):
    return harness.parse_rfc3339(text)


class Api:
    """The webhook endpoints (and a few others) for one server and API key.
    Every response goes through harness.request_on, so it is checked against
    docs/openapi.json."""

    def __init__(self, test, server, key):
        self.t = test          # a TestCase (for assertions) or None
        self.server = server
        self.key = key

    def call(self, method, path, body=None, key=Ellipsis, headers=None, timeout=harness.SOCKET_TIMEOUT):
        hdrs = harness._normalize_headers(headers)
        k = self.key if key is Ellipsis else key
        if k is not None:
            hdrs.append(("apiKey", k))
        return self.server.request(method, path, hdrs, body, timeout)

    def _fail(self, msg):
        raise AssertionError(msg)

    def register(self, url, events=None, description=None, expect=201):
        body = {"url": url}
        if events is not None:
            body["events"] = events
        if description is not None:
            body["description"] = description
        resp = self.call("POST", WEBHOOKS, body)
        if resp.status != expect:
            self._fail("register %r: want %d, got %s" % (body, expect, resp))
        data = resp.json()
        if expect == 201:
            self.server.secrets.add(data["secret"])   # must never be logged
        return data

    def list(self):
        resp = self.call("GET", WEBHOOKS)
        if resp.status != 200:
            self._fail("list webhooks: %s" % resp)
        return resp.json()["webhooks"]

    def get(self, webhook_id):
        found = [w for w in self.list() if w["webhook_id"] == webhook_id]
        return found[0] if found else None

    def delete(self, webhook_id):
        return self.call("DELETE", WEBHOOK % webhook_id)

    def test(self, webhook_id):
        resp = self.call("POST", TEST % webhook_id)
        if resp.status != 202:
            self._fail("test call on %s: want 202, got %s" % (webhook_id, resp))
        data = resp.json()
        if list(data) != ["delivery_id"] or not isinstance(data["delivery_id"], str):
            self._fail("test call body: %s" % resp)
        return data["delivery_id"]

    def deliveries(self, webhook_id):
        resp = self.call("GET", DELIVERIES % webhook_id)
        if resp.status != 200:
            self._fail("deliveries of %s: %s" % (webhook_id, resp))
        data = resp.json()
        if list(data) != ["deliveries"]:
            self._fail("deliveries body keys: %s" % resp)
        return data["deliveries"]

    def delivery(self, webhook_id, delivery_id):
        found = [d for d in self.deliveries(webhook_id) if d["delivery_id"] == delivery_id]
        return found[0] if found else None

    def wait_delivery(self, webhook_id, delivery_id, predicate, timeout=10.0):
        """The delivery's entry once predicate(entry) holds; its last state
        (or None) after timeout."""
        last = [None]

        def probe():
            last[0] = self.delivery(webhook_id, delivery_id)
            return last[0] is not None and predicate(last[0])
        wait_until(probe, timeout, step=0.05)
        return last[0]

    def retry(self, webhook_id, delivery_id):
        return self.call("POST", RETRY % (webhook_id, delivery_id))

    def put(self, rep):
        resp = self.call("PUT", "/assessments/report/%s" % rep["report_id"], rep)
        if resp.status not in (200, 201):
            self._fail("PUT report %s: %s" % (rep["report_id"], resp))
        return resp

    def share(self, report_id, **options):
        resp = self.call("POST", SHARE % report_id, options or None)
        if resp.status != 200:
            self._fail("share %s %r: %s" % (report_id, options, resp))
        return resp.json()

    def links(self, report_id):
        resp = self.call("GET", LINKS % report_id)
        if resp.status != 200:
            self._fail("links of %s: %s" % (report_id, resp))
        return resp.json()["links"]

    def open(self, token, query="", method="GET", ua=BROWSER_UA, accept=None):
        hdrs = {"User-Agent": ua} if ua else {}
        if accept:
            hdrs["Accept"] = accept
        return self.server.request(method, SHARED_PREFIX + token + query, hdrs)


class WebhookAssertions:
    """Assertions on what a receiver got (mixed into the TestCases)."""

    maxDiff = 6000

    def assertEvent(self, req, type_, data, secret=None):
        """req is one `type_` event whose data is exactly `data` (values
        compared as given; a datetime value is compared after parsing), with
        the delivery headers of §7 and, given the secret, a valid signature."""
        ev = req.event
        self.assertIsNotNone(ev, "body is not a JSON object: %r" % req)
        self.assertEqual(set(ev), {"type", "timestamp", "data"}, "event keys: %r" % req)
        self.assertEqual(ev["type"], type_, req)
        self.assertRegex(ev["timestamp"], US_Z_RE, "event timestamp: %r" % req)
        got = dict(ev["data"])
        self.assertEqual(set(got), DATA_FIELDS[type_], "data fields of %s: %r" % (type_, req))
        for k, v in data.items():
            if isinstance(v, datetime.datetime):
                self.assertRegex(got[k], US_Z_RE, "%s.%s: %r" % (type_, k, req))
                self.assertEqual(parse_ts(got[k]), v, "%s.%s: %r" % (type_, k, req))
                got[k] = v
        self.assertEqual(got, data, "data of %s" % type_)
        self.assertDeliveryHeaders(req, secret)

    def assertDeliveryHeaders(self, req, secret=None):
        h = req.headers
        self.assertEqual(req.method, "POST", req)
        self.assertEqual(h.get("content-type", "").split(";")[0].strip().lower(), "application/json", req)
        self.assertTrue(h.get("user-agent", "").startswith("reportshare/"), "User-Agent: %r" % h.get("user-agent"))
        self.assertTrue(h.get("webhook-id"), "no webhook-id: %r" % req)
        ts = h.get("webhook-timestamp", "")
        self.assertRegex(ts, r"^[0-9]{9,11}$", "webhook-timestamp: %r" % ts)
        self.assertLess(abs(int(ts) - req.received_at), 5,
                        "webhook-timestamp %s vs arrival %.0f" % (ts, req.received_at))
        self.assertRegex(h.get("webhook-signature", ""), r"^v1,[A-Za-z0-9+/]{43}=( v1,[A-Za-z0-9+/]{43}=)*$",
                         "webhook-signature: %r" % h.get("webhook-signature"))
        if secret is not None:
            try:
                wr.verify(secret, h, req.body, now=req.received_at)
            except wr.VerificationError as e:
                self.fail("signature does not verify (%s): %r" % (e, req))

    def assertNothingSecret(self, reqs, extra_secrets=()):
        """No candidate data, link token or webhook secret in any request."""
        for req in reqs:
            blob = req.body.decode("utf-8", "replace") + "\n" + "\n".join("%s: %s" % kv for kv in req.header_list)
            for needle in (CANDIDATE_NAME, CANDIDATE_EMAIL, CANDIDATE_PHONE, "Zebulon", "candidates.example",
                           SHARED_PREFIX, "whsec_") + tuple(extra_secrets):
                self.assertNotIn(needle, blob, "%r in a delivery: %r" % (needle, req))


# --------------------------------------------------------------------------
# Registration, list, delete; errors
# --------------------------------------------------------------------------

class RegistrationTest(WebhookAssertions, harness.ServerTestCase):

    server_args = BASE_ARGS

    @classmethod
    def setup_data(cls):
        cls.api = Api(None, cls.server, cls.key_a)
        cls.api_b = Api(None, cls.server, cls.key_b)
        cls.receiver = wr.Receiver(wr.OK).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.receiver.stop()
        finally:
            super().tearDownClass()

    def register_here(self, api=None, **kw):
        api = api or self.api
        data = api.register(kw.pop("url", self.receiver.url), **kw)
        self.addCleanup(api.delete, data["webhook_id"])
        return data

    def test_created_body(self):
        before = utcnow()
        resp = self.api.call("POST", WEBHOOKS, {"url": self.receiver.url})
        self.assertStatus(resp, 201)
        self.assertEqual(resp.content_type, "application/json")
        data = resp.json()
        self.server.secrets.add(data["secret"])
        self.addCleanup(self.api.delete, data["webhook_id"])
        self.assertEqual(set(data), CREATED_FIELDS, resp)
        self.assertRegex(data["webhook_id"], WEBHOOK_ID_RE)
        self.assertEqual(data["url"], self.receiver.url)
        self.assertEqual(data["events"], EVENT_TYPES, "events default to all six, in the table's order")
        self.assertEqual(data["description"], "")
        self.assertRegex(data["secret"], SECRET_RE)
        self.assertEqual(len(b64_32(data["secret"])), 32)
        self.assertRegex(data["created_at"], US_Z_RE)
        created = parse_ts(data["created_at"])
        self.assertLessEqual(before - datetime.timedelta(seconds=2), created)
        self.assertLessEqual(created, utcnow() + datetime.timedelta(seconds=2))
        self.assertIsNone(data["disabled_at"])
        # Fresh ids and secrets every time.
        other = self.register_here()
        self.assertNotEqual(other["webhook_id"], data["webhook_id"])
        self.assertNotEqual(other["secret"], data["secret"])
        self.assertNotEqual(b64_32(other["secret"]), b64_32(data["secret"]))

    def test_events_in_canonical_order_without_duplicates(self):
        data = self.register_here(events=["webhook.test", "link.viewed", "link.viewed", "report.updated",
                                          "link.created"])
        self.assertEqual(data["events"], ["link.created", "link.viewed", "report.updated", "webhook.test"])
        self.assertEqual(self.api.get(data["webhook_id"])["events"], data["events"])
        for t in EVENT_TYPES:
            self.assertEqual(self.register_here(events=[t])["events"], [t])
        self.assertEqual(self.register_here(events=list(reversed(EVENT_TYPES)))["events"], EVENT_TYPES)

    def test_description(self):
        self.assertEqual(self.register_here(description="ATS sync (prod)")["description"], "ATS sync (prod)")
        self.assertEqual(self.register_here(description="x" * 500)["description"], "x" * 500)
        # Characters, not bytes: 500 two-byte characters are allowed.
        self.assertEqual(self.register_here(description="é" * 500)["description"], "é" * 500)
        self.assertEqual(self.register_here(description="")["description"], "")

    def test_null_means_the_default(self):
        # As for the share options (docs/api.md): an explicit null is the default.
        for body in ({"events": None}, {"description": None}, {"events": None, "description": None}):
            with self.subTest(body):
                resp = self.api.call("POST", WEBHOOKS, dict(body, url=self.receiver.url))
                self.assertStatus(resp, 201)
                data = resp.json()
                self.server.secrets.add(data["secret"])
                self.addCleanup(self.api.delete, data["webhook_id"])
                self.assertEqual((data["events"], data["description"]), (EVENT_TYPES, ""))

    def test_url_kept_as_given(self):
        url = self.receiver.url + "/sub/path?tenant=acme&x=1"
        self.assertEqual(self.register_here(url=url)["url"], url)
        # At most 2048 characters.
        longest = self.receiver.url + "?" + "a" * (2048 - len(self.receiver.url) - 1)
        self.assertEqual(len(longest), 2048)
        self.assertEqual(self.register_here(url=longest)["url"], longest)
        self.assertError(self.api.call("POST", WEBHOOKS, {"url": longest + "a"}), 400, contains=["url"])

    def test_bad_bodies_400(self):
        ok = self.receiver.url
        cases = [   # (body, label, a word the message must hold)
            ({}, "no url", "url"),
            ({"events": EVENT_TYPES}, "no url, only events", "url"),
            ({"url": 5}, "url a number", "url"),
            ({"url": None}, "url null", "url"),
            ({"url": ["http://127.0.0.1/"]}, "url a list", "url"),
            ({"url": ""}, "url empty", "url"),
            ({"url": "ftp://127.0.0.1/hook"}, "ftp", "url"),
            ({"url": "file:///etc/passwd"}, "file", "url"),
            ({"url": "javascript:alert(1)"}, "javascript", "url"),
            ({"url": "127.0.0.1:%d/hook" % self.receiver.port}, "no scheme", "url"),
            ({"url": "http://"}, "no host", "url"),
            ({"url": "http:///hook"}, "empty host", "url"),
            ({"url": "http://user:pw@127.0.0.1:%d/hook" % self.receiver.port}, "credentials", "url"),
            ({"url": "http://user@127.0.0.1:%d/hook" % self.receiver.port}, "user name", "url"),
            ({"url": ok + "#frag"}, "fragment", "url"),
            ({"url": ok + "#"}, "empty fragment", "url"),
            ({"url": ok + "?" + "a" * 9000}, "too long", "url"),
            ({"url": "http://127.0.0.1:99999/hook"}, "port out of range", "url"),
            ({"url": "http://exa mple.com/"}, "space in host", "url"),
            ({"url": ok, "events": "link.created"}, "events a string", "events"),
            ({"url": ok, "events": {"link.created": True}}, "events an object", "events"),
            ({"url": ok, "events": []}, "events empty", "events"),
            ({"url": ok, "events": [1]}, "events [1]", "events"),
            ({"url": ok, "events": ["link.created", None]}, "a null event", "events"),
            ({"url": ok, "events": [["link.created"]]}, "a nested list", "events"),
            ({"url": ok, "events": ["link.exploded"]}, "unknown type", "events"),
            ({"url": ok, "events": ["link.created", "link.downloaded"]}, "one unknown type", "events"),
            ({"url": ok, "events": ["Link.Created"]}, "types are case-sensitive", "events"),
            ({"url": ok, "events": [""]}, "empty type", "events"),
            ({"url": ok, "description": 5}, "description a number", "description"),
            ({"url": ok, "description": ["x"]}, "description a list", "description"),
            ({"url": ok, "description": "x" * 501}, "description 501 characters", "description"),
            ({"url": ok, "description": "é" * 501}, "description 501 two-byte characters", "description"),
            ({"url": ok, "secret": "whsec_" + base64.b64encode(b"k" * 32).decode()}, "a chosen secret", "unknown"),
            ({"url": ok, "unknown": 1}, "an unknown field", "unknown"),
            ({"url": ok, "disabled_at": None}, "a response field", "unknown"),
        ]
        before = len(self.api.list())
        for body, label, word in cases:
            with self.subTest(label):
                self.assertError(self.api.call("POST", WEBHOOKS, body), 400, contains=[word], msg=label)
        for raw, label in [("not json", "not JSON"), ('{"url": ', "truncated JSON"), ("[]", "a JSON array"),
                           ('"http://127.0.0.1/"', "a JSON string"), ("null", "JSON null"), ("", "empty body")]:
            with self.subTest(label):
                resp = self.api.call("POST", WEBHOOKS, raw, headers={"Content-Type": "application/json"})
                self.assertError(resp, 400, msg=label)
        self.assertEqual(len(self.api.list()), before, "a refused registration created a webhook")

    def test_list_without_secrets_oldest_first(self):
        made = [self.register_here(description="list %d" % i) for i in range(3)]
        resp = self.api.call("GET", WEBHOOKS)
        self.assertStatus(resp, 200)
        self.assertNotIn("whsec_", resp.text, "a secret in the list")
        for m in made:
            self.assertNotIn(m["secret"], resp.text)
        listed = resp.json()["webhooks"]
        for w in listed:
            self.assertEqual(set(w), WEBHOOK_FIELDS, w)
        ids = [w["webhook_id"] for w in listed]
        self.assertEqual([i for i in ids if i in {m["webhook_id"] for m in made}], [m["webhook_id"] for m in made],
                         "oldest first")
        created = [parse_ts(w["created_at"]) for w in listed]
        self.assertEqual(created, sorted(created), "oldest first")
        for m in made:
            w = listed[ids.index(m["webhook_id"])]
            self.assertEqual(w, {k: v for k, v in m.items() if k != "secret"})
        # Company B sees none of them.
        self.assertFalse({w["webhook_id"] for w in self.api_b.list()} & set(ids))

    def test_delete_then_404(self):
        w = self.api.register(self.receiver.url)
        did = self.api.test(w["webhook_id"])
        resp = self.api.delete(w["webhook_id"])
        self.assertStatus(resp, 200)
        self.assertEqual(resp.json(), {"deleted": 1})
        self.assertIsNone(self.api.get(w["webhook_id"]))
        self.assertEqual(self.assertError(self.api.delete(w["webhook_id"]), 404), "webhook not found")
        self.assertError(self.api.call("POST", TEST % w["webhook_id"]), 404)
        self.assertError(self.api.call("GET", DELIVERIES % w["webhook_id"]), 404)
        self.assertError(self.api.retry(w["webhook_id"], did), 404)

    def test_unknown_ids_404(self):
        w = self.register_here()
        did = self.api.test(w["webhook_id"])
        for bogus in ("wh_000000000000000000000000", "wh_" + "f" * 24, "nope", "wh_" + w["webhook_id"][3:].upper()):
            with self.subTest(bogus):
                self.assertEqual(self.assertError(self.api.delete(bogus), 404), "webhook not found")
                self.assertError(self.api.call("POST", TEST % bogus), 404)
                self.assertError(self.api.call("GET", DELIVERIES % bogus), 404)
                self.assertError(self.api.retry(bogus, did), 404)
        for bogus in ("msg_00000000000000000000000000", "nope", did + "x"):
            with self.subTest(bogus):
                self.assertEqual(self.assertError(self.api.retry(w["webhook_id"], bogus), 404), "delivery not found")
        # A delivery of another webhook of the same company is not this one's.
        other = self.register_here()
        self.assertEqual(self.assertError(self.api.retry(other["webhook_id"], did), 404), "delivery not found")

    def test_other_company_404(self):
        w = self.register_here()
        wid = w["webhook_id"]
        did = self.api.test(wid)
        unknown = self.api.delete("wh_000000000000000000000000").json()
        for label, resp in [("delete", self.api_b.delete(wid)),
                            ("test", self.api_b.call("POST", TEST % wid)),
                            ("deliveries", self.api_b.call("GET", DELIVERIES % wid)),
                            ("retry", self.api_b.retry(wid, did))]:
            with self.subTest(label):
                self.assertError(resp, 404, msg=label)
                if label == "delete":
                    self.assertEqual(resp.json(), unknown, "another company's id must look unknown")
        self.assertIsNotNone(self.api.get(wid), "company B deleted A's webhook")
        self.assertNotIn(wid, {x["webhook_id"] for x in self.api_b.list()})
        # B's own webhook and B's test call are B's alone.
        wb = self.register_here(api=self.api_b)
        self.assertError(self.api.delete(wb["webhook_id"]), 404)
        self.assertError(self.api.retry(wid, self.api_b.test(wb["webhook_id"])), 404)

    def test_no_or_bad_api_key_401(self):
        w = self.register_here()
        wid = w["webhook_id"]
        did = self.api.test(wid)
        calls = [("POST", WEBHOOKS, {"url": self.receiver.url}), ("GET", WEBHOOKS, None),
                 ("DELETE", WEBHOOK % wid, None), ("POST", TEST % wid, None), ("GET", DELIVERIES % wid, None),
                 ("POST", RETRY % (wid, did), None)]
        for key in (None, "", "rs_live_not-a-real-key"):
            for method, path, body in calls:
                with self.subTest(key=key, call="%s %s" % (method, path)):
                    self.assertError(self.api.call(method, path, body, key=key), 401)
        self.assertIsNotNone(self.api.get(wid))
        self.assertEqual(len(self.api.deliveries(wid)), 1, "an unauthenticated call made a delivery")

    def test_methods_405(self):
        w = self.register_here()
        wid = w["webhook_id"]
        for method, path in [("PUT", WEBHOOKS), ("DELETE", WEBHOOKS), ("GET", WEBHOOK % wid), ("POST", WEBHOOK % wid),
                             ("GET", TEST % wid), ("POST", DELIVERIES % wid), ("GET", RETRY % (wid, "msg_x"))]:
            with self.subTest("%s %s" % (method, path)):
                resp = self.api.call(method, path, {} if method in ("POST", "PUT") else None)
                self.assertError(resp, 405)
                self.assertIn("allow", resp.headers)
        self.assertIsNotNone(self.api.get(wid))

    def test_at_most_20_per_company(self):
        # Company B only (its other tests leave nothing behind).
        self.assertEqual(self.api_b.list(), [])
        made = []
        try:
            for i in range(20):
                made.append(self.api_b.register(self.receiver.url, description="n%d" % i))
            resp = self.api_b.call("POST", WEBHOOKS, {"url": self.receiver.url})
            self.assertError(resp, 409)
            self.assertEqual(len(self.api_b.list()), 20)
            # Company A is not limited by B's count.
            self.register_here()
            # Deleting one makes room for one.
            self.assertEqual(self.api_b.delete(made.pop()["webhook_id"]).json(), {"deleted": 1})
            made.append(self.api_b.register(self.receiver.url))
            self.assertError(self.api_b.call("POST", WEBHOOKS, {"url": self.receiver.url}), 409)
        finally:
            for w in made:
                self.api_b.delete(w["webhook_id"])
        self.assertEqual(self.api_b.list(), [])

    def test_test_call_on_a_filtered_webhook_delivers(self):
        secret_holder = self.register_here(events=["link.revoked"])
        wid = secret_holder["webhook_id"]
        did = self.api.test(wid)
        reqs = self.receiver.wait_for(lambda r: r.webhook_id == did, 1, timeout=10)
        self.assertEqual(len(reqs), 1, "the test event did not arrive")
        self.assertEvent(reqs[0], "webhook.test", {"webhook_id": wid}, secret_holder["secret"])


class PrivateAddressGuardTest(WebhookAssertions, harness.ServerTestCase):
    """A server without --webhook-allow-private."""

    server_args = ("--webhook-retry-base", str(BASE))

    REFUSED = [
        "http://127.0.0.1:%d/hook", "http://127.8.9.10:%d/hook", "http://localhost:%d/hook",
        "http://LOCALHOST:%d/hook", "http://localhost.:%d/hook",
        "http://10.1.2.3:%d/hook", "http://172.16.0.1:%d/hook", "http://172.31.255.254:%d/hook",
        "http://192.168.1.20:%d/hook", "http://169.254.169.254:%d/latest/meta-data",
        "http://100.64.0.1:%d/hook", "http://100.127.255.254:%d/hook",
        "http://0.0.0.0:%d/hook", "http://[::1]:%d/hook", "http://[::]:%d/hook",
        "http://[fc00::1]:%d/hook", "http://[fd12:3456::1]:%d/hook", "http://[fe80::1]:%d/hook",
        "http://[::ffff:127.0.0.1]:%d/hook", "http://[::ffff:10.0.0.1]:%d/hook",
        "http://2130706433:%d/hook", "http://0x7f000001:%d/hook", "http://127.1:%d/hook",
        "https://127.0.0.1:%d/hook", "https://[::1]:%d/hook",
        "http://224.0.0.1:%d/hook", "http://[ff02::1]:%d/hook", "http://240.0.0.1:%d/hook",
        "http://255.255.255.255:%d/hook",
    ]

    def test_private_hosts_refused(self):
        api = Api(None, self.server, self.key_a)
        for template in self.REFUSED:
            url = template % 8443
            with self.subTest(url):
                self.assertError(api.call("POST", WEBHOOKS, {"url": url}), 400, msg=url)
        self.assertEqual(api.list(), [])

    def test_public_address_accepted(self):
        # Registration checks the address, it does not call it; no event is
        # produced for this company, so nothing is ever sent there.
        api = Api(None, self.server, self.key_b)
        for url in ("https://1.1.1.1/hook", "http://8.8.8.8:8080/x", "https://[2606:4700:4700::1111]/hook"):
            with self.subTest(url):
                w = api.register(url)
                self.assertEqual(w["url"], url)
                self.assertEqual(api.delete(w["webhook_id"]).json(), {"deleted": 1})


# --------------------------------------------------------------------------
# The events and their data
# --------------------------------------------------------------------------

class EventsTest(WebhookAssertions, harness.ServerTestCase):

    server_args = BASE_ARGS

    @classmethod
    def setup_data(cls):
        cls.api = Api(None, cls.server, cls.key_a)
        cls.api_b = Api(None, cls.server, cls.key_b)
        cls.receiver = wr.Receiver(wr.OK).start()
        cls.filtered_receiver = wr.Receiver(wr.OK).start()
        cls.b_receiver = wr.Receiver(wr.OK).start()
        try:
            cls.hook = cls.api.register(cls.receiver.url, description="all events")
            cls.filtered = cls.api.register(cls.filtered_receiver.url, events=["report.updated", "link.revoked"])
            cls.hook_b = cls.api_b.register(cls.b_receiver.url)
            cls.secrets = {cls.hook["webhook_id"]: cls.hook["secret"],
                           cls.filtered["webhook_id"]: cls.filtered["secret"]}
            for rid in range(500, 520):
                cls.api.put(report(rid))
            ten_days_ago = utcnow() - datetime.timedelta(days=10)
            cls.api.put(report(530, completed_date=rfc3339(ten_days_ago),
                               started_date=rfc3339(ten_days_ago - datetime.timedelta(hours=1))))
        except BaseException:
            cls._stop_receivers()
            raise

    @classmethod
    def _stop_receivers(cls):
        for r in (cls.receiver, cls.filtered_receiver, cls.b_receiver):
            r.stop()

    @classmethod
    def tearDownClass(cls):
        try:
            cls._stop_receivers()
        finally:
            super().tearDownClass()

    # -- helpers ---------------------------------------------------------------
    def one(self, type_, timeout=10, receiver=None, **data):
        receiver = receiver or self.receiver
        got = receiver.wait_events(type_, 1, timeout, **data)
        self.assertEqual(len(got), 1, "want one %s %r, got %r" % (type_, data, got))
        return got[0]

    def settle(self, seconds=1.0):
        """Long enough for an event that should not come to have come (view
        batches flush every 50 ms here; retries are not involved)."""
        time.sleep(seconds)

    def share(self, report_id, **options):
        data = self.api.share(report_id, **options)
        return data, token_of(data["signed_url"])

    # -- link.created ----------------------------------------------------------
    def test_link_created_on_share(self):
        data, _ = self.share(500, recipient="hm@acme.example", expiration_hours=2)
        req = self.one("link.created", link_id=data["link_id"])
        self.assertEvent(req, "link.created", {
            "report_id": 500, "assessment_id": 138, "link_id": data["link_id"],
            "expires_at": parse_ts(data["expires_at"]), "recipient": "hm@acme.example"}, self.hook["secret"])
        plain, _ = self.share(500)
        req = self.one("link.created", link_id=plain["link_id"])
        self.assertEvent(req, "link.created", {
            "report_id": 500, "assessment_id": 138, "link_id": plain["link_id"],
            "expires_at": parse_ts(plain["expires_at"]), "recipient": None}, self.hook["secret"])
        # Its webhook-id is the delivery_id of a link.created delivery in the list.
        listed = {d["delivery_id"]: d for d in self.api.deliveries(self.hook["webhook_id"])}
        self.assertIn(req.webhook_id, listed)
        self.assertEqual(listed[req.webhook_id]["event_type"], "link.created")
        # link.created is not one of the filtered webhook's events.
        self.settle(0.5)
        self.assertEqual(self.filtered_receiver.events("link.created"), [])

    def test_link_created_on_bulk_share_one_per_link(self):
        resp = self.api.call("POST", BULK_SHARE, {"report_ids": [501, 502, 99999, 503], "expiration_hours": 1,
                                                  "recipient": "Hiring panel"})
        self.assertStatus(resp, 200)
        entries = resp.json()["links"]
        made = [e for e in entries if "link_id" in e]
        self.assertEqual([e["report_id"] for e in made], [501, 502, 503], entries)
        for e in made:
            req = self.one("link.created", link_id=e["link_id"])
            self.assertEvent(req, "link.created", {
                "report_id": e["report_id"], "assessment_id": 138, "link_id": e["link_id"],
                "expires_at": parse_ts(e["expires_at"]), "recipient": "Hiring panel"}, self.hook["secret"])
        self.settle(0.5)
        self.assertEqual(self.receiver.events("link.created", report_id=99999), [])
        deliveries = {r.webhook_id for e in made for r in self.receiver.events("link.created", link_id=e["link_id"])}
        self.assertEqual(len(deliveries), 3, "one delivery per link")

    # -- link.viewed -----------------------------------------------------------
    def test_link_viewed_html_pdf_json_and_what_is_not_a_view(self):
        data, token = self.share(504, recipient="hm@acme.example")
        lid = data["link_id"]
        expect = {"report_id": 504, "assessment_id": 138, "link_id": lid, "recipient": "hm@acme.example"}
        self.assertStatus(self.api.open(token), 200)
        req = self.one("link.viewed", link_id=lid, views=1)
        self.assertEvent(req, "link.viewed", dict(expect, format="html", views=1, first_view=True), self.hook["secret"])
        pdf = self.api.open(token, "?format=pdf")
        self.assertStatus(pdf, 200)
        self.assertTrue(pdf.body.startswith(b"%PDF"))
        req = self.one("link.viewed", link_id=lid, views=2)
        self.assertEvent(req, "link.viewed", dict(expect, format="pdf", views=2, first_view=False), self.hook["secret"])
        # Not views: HEAD (page and PDF), a link scanner's GET.
        self.assertStatus(self.api.open(token, method="HEAD"), 200)
        self.assertStatus(self.api.open(token, "?format=pdf", method="HEAD"), 200)
        self.assertStatus(self.api.open(token, ua=SCANNER_UA), 200)
        self.settle()
        self.assertEqual(len(self.receiver.events("link.viewed", link_id=lid)), 2,
                         "HEAD or a scanner sent link.viewed: %r" % self.receiver.events("link.viewed", link_id=lid))
        # The JSON view of the link is a view too.
        js = self.api.open(token, accept="application/json")
        self.assertStatus(js, 200)
        req = self.one("link.viewed", link_id=lid, views=3)
        self.assertEvent(req, "link.viewed", dict(expect, format="json", views=3, first_view=False),
                         self.hook["secret"])
        self.settle(0.5)
        views = self.receiver.events("link.viewed", link_id=lid)
        self.assertEqual(sorted(r.data["views"] for r in views), [1, 2, 3], views)
        self.assertEqual(len({r.webhook_id for r in views}), 3)
        entry = [l for l in self.api.links(504) if l["link_id"] == lid][0]
        self.assertEqual(entry["views"], 3, "the links list and the events disagree")
        self.assertEqual(self.filtered_receiver.events("link.viewed"), [])

    def test_link_viewed_burst_every_view_once(self):
        data, token = self.share(505)
        lid = data["link_id"]
        results = []

        def view():
            results.append(self.api.open(token).status)
        threads = [threading.Thread(target=view) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        self.assertEqual(results, [200] * 12)
        views = self.receiver.wait_events("link.viewed", 12, 10, link_id=lid)
        self.assertEqual(sorted(r.data["views"] for r in views), list(range(1, 13)), views)
        self.assertEqual([r.data["first_view"] for r in views if r.data["views"] == 1], [True])
        self.assertTrue(all(r.data["first_view"] is False for r in views if r.data["views"] > 1))

    # -- link.revoked ----------------------------------------------------------
    def test_link_revoked_one_and_all(self):
        l1, _ = self.share(506, recipient="first@acme.example")
        l2, _ = self.share(506)
        l3, _ = self.share(506, recipient="third@acme.example")
        resp = self.api.call("DELETE", LINKS % 506 + "/" + l1["link_id"])
        self.assertEqual(resp.json(), {"revoked": 1})
        req = self.one("link.revoked", link_id=l1["link_id"])
        self.assertEvent(req, "link.revoked", {"report_id": 506, "link_id": l1["link_id"],
                                               "recipient": "first@acme.example"}, self.hook["secret"])
        freq = self.one("link.revoked", receiver=self.filtered_receiver, link_id=l1["link_id"])
        self.assertEvent(freq, "link.revoked", {"report_id": 506, "link_id": l1["link_id"],
                                                "recipient": "first@acme.example"}, self.filtered["secret"])
        # Revoked again: {"revoked": 0}, no second event.
        self.assertEqual(self.api.call("DELETE", LINKS % 506 + "/" + l1["link_id"]).json(), {"revoked": 0})
        resp = self.api.call("DELETE", LINKS % 506)
        self.assertEqual(resp.json(), {"revoked": 2})
        for link, recipient in ((l2, None), (l3, "third@acme.example")):
            req = self.one("link.revoked", link_id=link["link_id"])
            self.assertEvent(req, "link.revoked", {"report_id": 506, "link_id": link["link_id"],
                                                   "recipient": recipient}, self.hook["secret"])
        self.assertEqual(self.api.call("DELETE", LINKS % 506).json(), {"revoked": 0})
        self.settle()
        for link in (l1, l2, l3):
            self.assertEqual(len(self.receiver.events("link.revoked", link_id=link["link_id"])), 1, link)

    # -- link.denied -----------------------------------------------------------
    def test_link_denied_revoked(self):
        data, token = self.share(507, recipient="hm@acme.example")
        lid = data["link_id"]
        self.api.call("DELETE", LINKS % 507 + "/" + lid)
        self.assertStatus(self.api.open(token), 410)
        req = self.one("link.denied", link_id=lid)
        self.assertEvent(req, "link.denied", {"report_id": 507, "link_id": lid, "reason": "revoked",
                                              "recipient": "hm@acme.example"}, self.hook["secret"])
        # Each open is an event, HEAD and the PDF too.
        self.assertStatus(self.api.open(token, method="HEAD"), 410)
        self.assertStatus(self.api.open(token, "?format=pdf"), 410)
        got = self.receiver.wait_events("link.denied", 3, 10, link_id=lid)
        self.assertEqual(len(got), 3, got)
        self.assertEqual({r.data["reason"] for r in got}, {"revoked"})
        self.assertEqual(len({r.webhook_id for r in got}), 3)

    def test_link_denied_view_limit(self):
        data, token = self.share(508, max_views=1)
        lid = data["link_id"]
        self.assertStatus(self.api.open(token), 200)
        self.assertStatus(self.api.open(token), 410)
        req = self.one("link.denied", link_id=lid)
        self.assertEvent(req, "link.denied", {"report_id": 508, "link_id": lid, "reason": "view_limit",
                                              "recipient": None}, self.hook["secret"])
        self.one("link.viewed", link_id=lid, views=1)
        self.settle(0.5)
        self.assertEqual(len(self.receiver.events("link.viewed", link_id=lid)), 1)

    def test_link_denied_download_disabled(self):
        data, token = self.share(509, allow_download=False, recipient="Hiring panel")
        lid = data["link_id"]
        self.assertStatus(self.api.open(token, "?format=pdf"), 403)
        req = self.one("link.denied", link_id=lid)
        self.assertEvent(req, "link.denied", {"report_id": 509, "link_id": lid, "reason": "download_disabled",
                                              "recipient": "Hiring panel"}, self.hook["secret"])
        # The page itself is still a view.
        self.assertStatus(self.api.open(token), 200)
        req = self.one("link.viewed", link_id=lid)
        self.assertEqual(req.data["format"], "html")
        self.settle(0.5)
        self.assertEqual(len(self.receiver.events("link.denied", link_id=lid)), 1)

    def test_link_denied_expired(self):
        resp = self.api.call("GET", "/assessments/report/530")
        self.assertStatus(resp, 200)
        self.server.note_tokens(resp.body)
        token = token_of(resp.json()["report_link"])
        links = self.api.links(530)
        self.assertEqual(len(links), 1, links)
        lid = links[0]["link_id"]
        self.assertStatus(self.api.open(token), 410)
        req = self.one("link.denied", link_id=lid)
        self.assertEvent(req, "link.denied", {"report_id": 530, "link_id": lid, "reason": "expired",
                                              "recipient": None}, self.hook["secret"])

    def test_forged_links_send_nothing(self):
        _, token = self.share(510)
        before = len(self.receiver.events("link.denied")) + len(self.receiver.events("link.viewed"))
        forged = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
        for t in (forged, "x" + token, token[:20]):
            self.assertStatus(self.api.open(t), 404)
        self.settle()
        self.assertEqual(len(self.receiver.events("link.denied")) + len(self.receiver.events("link.viewed")), before)

    # -- report.updated --------------------------------------------------------
    def test_report_updated_on_put(self):
        rep = report(540)
        self.assertStatus(self.api.call("PUT", "/assessments/report/540", rep), 201)
        req = self.one("report.updated", report_id=540, invite_status="Completed")
        self.assertEvent(req, "report.updated", {"report_id": 540, "assessment_id": 138,
                                                 "invite_status": "Completed"}, self.hook["secret"])
        freq = self.one("report.updated", receiver=self.filtered_receiver, report_id=540)
        self.assertEvent(freq, "report.updated", {"report_id": 540, "assessment_id": 138,
                                                  "invite_status": "Completed"}, self.filtered["secret"])
        started = report(540, status="Started", assessment_id=139)
        self.assertStatus(self.api.call("PUT", "/assessments/report/540", started), 200)
        req = self.one("report.updated", report_id=540, invite_status="Started")
        self.assertEvent(req, "report.updated", {"report_id": 540, "assessment_id": 139,
                                                 "invite_status": "Started"}, self.hook["secret"])
        # A refused PUT changes nothing and sends nothing.
        bad = dict(report(540), invite_status="Exploded")
        self.assertError(self.api.call("PUT", "/assessments/report/540", bad), 400)
        self.assertError(self.api_b.call("PUT", "/assessments/report/540", report(540)), 409)
        self.settle()
        self.assertEqual(len(self.receiver.events("report.updated", report_id=540)), 2)

    def test_import_sends_no_event(self):
        # A bulk load is not news to the platform that did it (docs/decisions.md).
        path = os.path.join(self.server.tmpdir, "import-560.ndjson")
        with open(path, "w") as f:
            f.write(json.dumps(report(560)) + "\n" + json.dumps(report(561)) + "\n")
        proc = harness.run_cli(["import", path, "--db", self.server.db, "--company", self.company_a])
        self.assertEqual(proc.returncode, 0, harness.cli_describe(proc))
        self.assertStatus(self.api.call("GET", "/assessments/report/561"), 200)
        self.settle()
        self.assertEqual(self.receiver.events("report.updated", report_id=560), [])
        self.assertEqual(self.receiver.events("report.updated", report_id=561), [])

    def test_other_company_events_never_arrive(self):
        self.api_b.put(report(550))
        data = self.api_b.share(550, recipient="b@globex.example")
        self.api_b.open(token_of(data["signed_url"]))
        self.api_b.call("DELETE", LINKS % 550)
        got = self.b_receiver.wait_events(None, 4, 10, report_id=550)
        self.assertEqual(sorted(r.type for r in got), ["link.created", "link.revoked", "link.viewed",
                                                       "report.updated"], got)
        for r in got:
            self.assertDeliveryHeaders(r, self.hook_b["secret"])
        self.settle(0.5)
        for r in (self.receiver, self.filtered_receiver):
            self.assertEqual(r.events(None, report_id=550), [], "company B's events reached company A")
        self.assertEqual(self.b_receiver.events(None, report_id=500), [], "company A's events reached company B")

    # -- webhook.test and the headers -----------------------------------------
    def test_webhook_test_event_and_headers(self):
        wid = self.hook["webhook_id"]
        resp = self.api.call("POST", TEST % wid)
        self.assertStatus(resp, 202)
        did = resp.json()["delivery_id"]
        self.assertEqual(list(resp.json()), ["delivery_id"])
        reqs = self.receiver.wait_for(lambda r: r.webhook_id == did, 1, 10)
        self.assertEqual(len(reqs), 1)
        req = reqs[0]
        self.assertEvent(req, "webhook.test", {"webhook_id": wid}, self.hook["secret"])
        self.assertEqual(req.path, "/hook")
        self.assertLess(abs((parse_ts(req.event["timestamp"]) - utcnow()).total_seconds()), 10)
        entry = self.api.wait_delivery(wid, did, lambda d: d["state"] == "delivered")
        self.assertEqual(entry["delivery_id"], req.headers["webhook-id"])
        self.assertEqual(entry["event_type"], "webhook.test")
        self.assertEqual(entry["attempts"], 1)
        self.assertEqual(entry["last_status"], 200)
        self.assertIsNone(entry["next_attempt_at"])
        self.assertRegex(entry["delivered_at"], US_Z_RE)
        # The verifiers are not vacuous: a changed body, id or timestamp, or
        # another secret, fails both.
        earlier = str(int(req.headers["webhook-timestamp"]) - 1)
        tampered = [
            (self.hook["secret"], req.headers, req.body.replace(b"webhook.test", b"webhook.tesT")),
            (self.hook["secret"], dict(req.headers, **{"webhook-id": did + "x"}), req.body),
            (self.hook["secret"], dict(req.headers, **{"webhook-timestamp": earlier}), req.body),
            (self.filtered["secret"], req.headers, req.body),
        ]
        for secret, headers, body in tampered:
            with self.assertRaises(wr.VerificationError):
                wr.verify(secret, headers, body)
        results = wr.node_verify([(self.hook["secret"], req.headers, req.body)] + tampered)
        self.assertEqual(results[0], "ok", "the npm standardwebhooks library rejects the delivery")
        self.assertTrue(all(r != "ok" for r in results[1:]), results)

    def test_zz_every_delivery_of_the_class(self):
        """Every request either receiver got in this class: signed (Python
        and npm verifiers), shaped as §7 says, no candidate data, no token, no
        secret; each delivery exactly once (the receivers always said 200)."""
        reqs = [(self.hook["secret"], r) for r in self.receiver.requests()]
        reqs += [(self.filtered["secret"], r) for r in self.filtered_receiver.requests()]
        reqs += [(self.hook_b["secret"], r) for r in self.b_receiver.requests()]
        self.assertGreater(len(reqs), 30)
        for secret, r in reqs:
            self.assertDeliveryHeaders(r, secret)
            self.assertEqual(set(r.event), {"type", "timestamp", "data"}, r)
            self.assertEqual(event_schema_errors(r.event), [], "not as docs/openapi.json describes it: %r" % r)
            self.assertIn(r.type, EVENT_TYPES)
            self.assertEqual(set(r.data), DATA_FIELDS[r.type], r)
        # API keys, every link token the tests saw, the webhook secrets.
        self.assertNothingSecret([r for _, r in reqs], sorted(self.server.secrets))
        results = wr.node_verify([(s, r.headers, r.body) for s, r in reqs])
        bad = [(res, r) for res, (_, r) in zip(results, reqs) if res != "ok"]
        self.assertEqual(bad, [], "rejected by the npm standardwebhooks library")
        for receiver in (self.receiver, self.filtered_receiver, self.b_receiver):
            ids = [r.webhook_id for r in receiver.requests()]
            self.assertEqual(len(ids), len(set(ids)), "a delivery answered 200 came again")
        filtered_types = {r.type for r in self.filtered_receiver.requests()}
        self.assertLessEqual(filtered_types, {"report.updated", "link.revoked"})
        # Each link.created once per link, each view once per count.
        created = [r.data["link_id"] for r in self.receiver.events("link.created")]
        self.assertEqual(len(created), len(set(created)))
        viewed = [(r.data["link_id"], r.data["views"]) for r in self.receiver.events("link.viewed")]
        self.assertEqual(len(viewed), len(set(viewed)))
        # The deliveries list agrees: delivered on the first attempt.
        for d in self.api.deliveries(self.hook["webhook_id"]):
            self.assertEqual(set(d), DELIVERY_FIELDS, d)
            if d["state"] == "delivered":
                self.assertEqual((d["attempts"], d["last_status"], d["next_attempt_at"]), (1, 200, None), d)


# --------------------------------------------------------------------------
# Retries, 410, redirects, timeouts, the deliveries list
# --------------------------------------------------------------------------

class RetryTest(WebhookAssertions, harness.ServerTestCase):

    server_args = BASE_ARGS

    @classmethod
    def setup_data(cls):
        cls.api = Api(None, cls.server, cls.key_a)
        cls.api.put(report(600))

    def hook(self, script, events=None):
        """A receiver and a webhook of company A for this test only (deleted
        at its end, so later events of the class do not reach it)."""
        receiver = wr.Receiver(script).start()
        self.addCleanup(receiver.stop)
        w = self.api.register(receiver.url, events=events)
        self.addCleanup(self.api.delete, w["webhook_id"])
        return receiver, w

    def arrivals(self, receiver, did):
        return receiver.requests(lambda r: r.webhook_id == did)

    def test_500_then_200(self):
        receiver, w = self.hook(wr.FAIL_THEN_OK)
        did = self.api.test(w["webhook_id"])
        reqs = receiver.wait_for(lambda r: r.webhook_id == did, 2, 10)
        self.assertEqual([r.answered for r in reqs], [500, 200], reqs)
        gap = reqs[1].received_mono - reqs[0].received_mono
        self.assertGreaterEqual(gap, BASE * 0.9 - 0.01, "retried before the first retry delay (%.3f s)" % gap)
        self.assertLess(gap, BASE * 1.1 + 1.5, "first retry came %.3f s later" % gap)
        self.assertEqual(reqs[0].body, reqs[1].body, "a retry must carry the same body")
        for r in reqs:
            self.assertEvent(r, "webhook.test", {"webhook_id": w["webhook_id"]}, w["secret"])
        entry = self.api.wait_delivery(w["webhook_id"], did, lambda d: d["state"] == "delivered")
        self.assertEqual(entry["state"], "delivered", entry)
        self.assertEqual(entry["attempts"], 2, entry)
        self.assertEqual(entry["last_status"], 200, entry)
        self.assertRegex(entry["delivered_at"] or "", US_Z_RE, entry)
        self.assertIsNone(entry["next_attempt_at"], entry)
        self.assertGreaterEqual(parse_ts(entry["delivered_at"]), parse_ts(entry["created_at"]))
        time.sleep(BASE * 7)   # past the second retry's time: nothing more comes
        self.assertEqual(len(self.arrivals(receiver, did)), 2)

    def test_always_500_backs_off(self):
        receiver, w = self.hook(wr.ALWAYS_500)
        did = self.api.test(w["webhook_id"])
        reqs = receiver.wait_for(lambda r: r.webhook_id == did, 3, 10)
        self.assertEqual(len(reqs), 3, reqs)
        gaps = [b.received_mono - a.received_mono for a, b in zip(reqs, reqs[1:])]
        for i, gap in enumerate(gaps):
            want = SCHEDULE[i] * BASE / 5
            msg = "retry %d after %.3f s, want %.3f s ± 10%%" % (i + 1, gap, want)
            self.assertGreaterEqual(gap, want * 0.9 - 0.01, msg)
            self.assertLess(gap, want * 1.1 + 1.5, msg)
        self.assertEqual({r.webhook_id for r in reqs}, {did}, "the webhook-id must stay the same on every retry")
        self.assertEqual(len({r.body for r in reqs}), 1)
        entry = self.api.wait_delivery(w["webhook_id"], did, lambda d: d["attempts"] >= 3)
        now = utcnow()
        self.assertEqual(entry["state"], "pending", entry)
        self.assertEqual(entry["last_status"], 500, entry)
        self.assertIsInstance(entry["last_error"], str, entry)
        self.assertTrue(entry["last_error"], entry)
        self.assertIsNone(entry["delivered_at"], entry)
        self.assertIsNotNone(entry["next_attempt_at"], entry)
        nxt = parse_ts(entry["next_attempt_at"])
        self.assertGreater(nxt, now, "next_attempt_at is not in the future: %r" % entry)
        # The 4th attempt is 4.8 s (± 10%) after the 3rd.
        third = reqs[2].received_at
        self.assertLess(abs(nxt.timestamp() - (third + SCHEDULE[2] * BASE / 5)), SCHEDULE[2] * BASE / 5 * 0.1 + 0.5,
                        "next_attempt_at %s, the 3rd attempt at %.3f" % (entry["next_attempt_at"], third))
        self.assertEqual(entry["attempts"], len(self.arrivals(receiver, did)))
        # A retry call makes a pending delivery due now, not at next_attempt_at.
        resp = self.api.retry(w["webhook_id"], did)
        self.assertStatus(resp, 202)
        asked = time.monotonic()
        reqs = receiver.wait_for(lambda r: r.webhook_id == did, 4, 3)
        self.assertEqual(len(reqs), 4, "the retry call did not send it again")
        self.assertLess(reqs[3].received_mono - asked, 1.5, "sent at its scheduled time, not at once")

    def test_410_disables(self):
        # link.created answers 500 (stays pending), webhook.test answers 410.
        def script(req, attempt):
            return 410 if req.type == "webhook.test" else 500
        receiver, w = self.hook(script)
        wid = w["webhook_id"]
        self.api.share(600)
        first = receiver.wait_events("link.created", 1, 10)
        self.assertEqual(len(first), 1)
        pending_id = first[0].webhook_id
        did = self.api.test(wid)
        self.assertEqual(len(receiver.wait_for(lambda r: r.webhook_id == did, 1, 10)), 1)
        self.assertTrue(wait_until(lambda: (self.api.get(wid) or {}).get("disabled_at"), 5, 0.05),
                        "disabled_at not set after a 410: %r" % self.api.get(wid))
        listed = self.api.get(wid)
        self.assertRegex(listed["disabled_at"], US_Z_RE)
        self.assertGreaterEqual(parse_ts(listed["disabled_at"]), parse_ts(listed["created_at"]))
        gone = self.api.wait_delivery(wid, did, lambda d: d["state"] == "failed", 5)
        self.assertEqual((gone["state"], gone["last_status"], gone["next_attempt_at"]), ("failed", 410, None), gone)
        pending = self.api.wait_delivery(wid, pending_id, lambda d: d["state"] == "failed", 5)
        self.assertEqual(pending["state"], "failed", pending)
        self.assertEqual(pending["last_error"], "webhook disabled", pending)
        self.assertIsNone(pending["next_attempt_at"], pending)
        # Nothing more is sent to it: no retry, no new event, no test.
        count = len(receiver.requests())
        self.api.share(600)
        self.api.put(report(600))
        self.assertError(self.api.call("POST", TEST % wid), 409)
        self.assertError(self.api.retry(wid, did), 409)
        self.assertError(self.api.retry(wid, pending_id), 409)
        time.sleep(2.0)
        self.assertEqual(len(receiver.requests()), count, receiver.requests()[count:])
        # It is still listed (and deletable, by the cleanup).
        self.assertIsNotNone(self.api.get(wid))

    def test_302_not_followed(self):
        receiver, w = self.hook(wr.REDIRECT)
        did = self.api.test(w["webhook_id"])
        reqs = receiver.wait_for(lambda r: r.webhook_id == did, 2, 10)
        self.assertEqual(len(reqs), 2, "a 302 is a failure and is retried")
        self.assertEqual({r.path for r in receiver.requests()}, {"/hook"}, "the redirect was followed")
        entry = self.api.wait_delivery(w["webhook_id"], did, lambda d: d["attempts"] >= 2)
        self.assertEqual(entry["state"], "pending", entry)
        self.assertEqual(entry["last_status"], 302, entry)
        self.assertIsNone(entry["delivered_at"], entry)
        self.assertIsNone(self.api.get(w["webhook_id"])["disabled_at"])

    def test_hanging_receiver_times_out_and_api_stays_fast(self):
        receiver, w = self.hook(wr.HANG_FOREVER)
        did = self.api.test(w["webhook_id"])
        reqs = receiver.wait_for(lambda r: r.webhook_id == did, 1, 10)
        self.assertEqual(len(reqs), 1)
        first = reqs[0]
        # While the receiver hangs, the API answers at once -- also the calls
        # that make events for that very receiver.
        for i in range(8):
            start = time.monotonic()
            self.api.share(600)
            self.api.put(report(600))
            self.api.deliveries(w["webhook_id"])
            self.assertLess(time.monotonic() - start, 1.0, "API calls slowed down by a hanging receiver")
        entry = self.api.wait_delivery(w["webhook_id"], did, lambda d: d["attempts"] >= 1 and d["last_error"], 15)
        self.assertIsNotNone(entry, "the delivery never failed")
        self.assertEqual(entry["state"], "pending", entry)
        self.assertIsNone(entry["last_status"], entry)
        self.assertRegex(entry["last_error"] or "", TIMEOUT_RE, "last_error should say it timed out: %r" % entry)
        self.assertTrue(wait_until(lambda: first.client_closed_mono is not None, 3, 0.05),
                        "the server never closed the hanging connection")
        waited = first.client_closed_mono - first.received_mono
        self.assertGreaterEqual(waited, 9.5, "gave up after %.2f s, want 10 s" % waited)
        self.assertLess(waited, 12.0, "gave up after %.2f s, want 10 s" % waited)

    def test_retry_call_delivers_again_with_the_same_id(self):
        receiver, w = self.hook(wr.OK)
        wid = w["webhook_id"]
        did = self.api.test(wid)
        first = self.api.wait_delivery(wid, did, lambda d: d["state"] == "delivered")
        self.assertEqual(first["state"], "delivered", first)
        resp = self.api.retry(wid, did)
        self.assertStatus(resp, 202)
        self.assertEqual(resp.json(), {"delivery_id": did})
        reqs = receiver.wait_for(lambda r: r.webhook_id == did, 2, 10)
        self.assertEqual(len(reqs), 2, reqs)
        self.assertEqual(reqs[0].body, reqs[1].body, "a retried delivery carries the same event")
        for r in reqs:
            self.assertEvent(r, "webhook.test", {"webhook_id": wid}, w["secret"])
        again = self.api.wait_delivery(
            wid, did, lambda d: d["state"] == "delivered" and d["delivered_at"] != first["delivered_at"])
        self.assertEqual(again["state"], "delivered", again)
        self.assertGreater(parse_ts(again["delivered_at"]), parse_ts(first["delivered_at"]), again)
        self.assertEqual(again["last_status"], 200)
        self.assertEqual(len([d for d in self.api.deliveries(wid) if d["delivery_id"] == did]), 1,
                         "the retry must not be a new delivery")

    def test_delete_stops_retries(self):
        receiver, w = self.hook(wr.ALWAYS_500)
        did = self.api.test(w["webhook_id"])
        self.assertEqual(len(receiver.wait_for(lambda r: r.webhook_id == did, 1, 10)), 1)
        self.assertEqual(self.api.delete(w["webhook_id"]).json(), {"deleted": 1})
        count = len(receiver.requests())
        time.sleep(BASE * 6 + 1.0)   # the 2nd and 3rd attempts would have come by now
        self.assertLessEqual(len(receiver.requests()), count + 1,
                             "retries went on after delete: %r" % receiver.requests())
        mark = len(receiver.requests())
        time.sleep(BASE * 6)
        self.assertEqual(len(receiver.requests()), mark, "retries went on after delete")

    def metrics(self):
        resp = self.server.request("GET", "/metrics")
        self.assertStatus(resp, 200)
        out = {}
        for line in resp.text.splitlines():
            m = re.match(r'^reportshare_webhook_deliveries_total\{event_type="([a-z.]+)",outcome="([a-z]+)"\} (\d+)$',
                         line)
            if m:
                out[(m.group(1), m.group(2))] = int(m.group(3))
            m = re.match(r"^(reportshare_webhook_outbox_(?:pending|oldest_age_seconds)) ([0-9.e+-]+)$", line)
            if m:
                out[m.group(1)] = float(m.group(2))
        return out

    def test_metrics(self):
        before = self.metrics()
        self.assertIn("reportshare_webhook_outbox_pending", before)
        self.assertIn("reportshare_webhook_outbox_oldest_age_seconds", before)

        def count(m, outcome):
            return m.get(("webhook.test", outcome), 0) - before.get(("webhook.test", outcome), 0)
        receiver, w = self.hook(wr.FAIL_THEN_OK)
        self.api.test(w["webhook_id"])
        self.assertTrue(wait_until(lambda: count(self.metrics(), "delivered") == 1, 10, 0.1), self.metrics())
        m = self.metrics()
        self.assertEqual((count(m, "retry"), count(m, "delivered"), count(m, "failed")), (1, 1, 0), m)
        # A receiver that is down: one pending delivery, ageing; gone with its webhook.
        down, w2 = self.hook(wr.ALWAYS_500)
        self.api.test(w2["webhook_id"])
        self.assertTrue(wait_until(lambda: self.metrics()["reportshare_webhook_outbox_pending"] == 1, 10, 0.2),
                        self.metrics())
        self.assertTrue(wait_until(lambda: self.metrics()["reportshare_webhook_outbox_oldest_age_seconds"] > 0.5,
                                   10, 0.2), self.metrics())
        self.api.delete(w2["webhook_id"])
        self.assertTrue(wait_until(lambda: self.metrics()["reportshare_webhook_outbox_pending"] == 0, 10, 0.2),
                        self.metrics())
        self.assertEqual(self.metrics()["reportshare_webhook_outbox_oldest_age_seconds"], 0)

    def test_deliveries_list_newest_first_at_most_100(self):
        receiver, w = self.hook(wr.OK)
        wid = w["webhook_id"]
        self.assertEqual(self.api.deliveries(wid), [])
        ids = [self.api.test(wid) for _ in range(105)]
        self.assertEqual(len(set(ids)), 105)
        listed = self.api.deliveries(wid)
        self.assertEqual(len(listed), 100)
        self.assertEqual([d["delivery_id"] for d in listed], list(reversed(ids))[:100], "newest first, the last 100")
        for d in listed:
            self.assertEqual(set(d), DELIVERY_FIELDS, d)
            self.assertEqual(d["event_type"], "webhook.test")
            self.assertIn(d["state"], ("pending", "delivered"))
            self.assertIsInstance(d["attempts"], int)
            self.assertRegex(d["created_at"], US_Z_RE)
        created = [parse_ts(d["created_at"]) for d in listed]
        self.assertEqual(created, sorted(created, reverse=True))
        got = receiver.wait_for(lambda r: True, 105, 20)
        self.assertEqual(sorted(r.webhook_id for r in got), sorted(ids))
        self.assertTrue(wait_until(lambda: all(d["state"] == "delivered" for d in self.api.deliveries(wid)), 10, 0.1))
        for d in self.api.deliveries(wid):
            self.assertEqual((d["attempts"], d["last_status"], d["next_attempt_at"]), (1, 200, None), d)
            self.assertIsNone(d["last_error"], d)
            self.assertRegex(d["delivered_at"], US_Z_RE)
        # The ids are opaque and unguessable-looking: no sequence.
        self.assertTrue(all(i.startswith("msg_") for i in ids), ids[:3])


class TenAttemptsTest(WebhookAssertions, harness.ServerTestCase):
    """A tiny retry base, so that the ten attempts (5 s … 12 h, 81,755 s in
    all, scaled by 0.001/5) take about 16 s."""

    TINY = 0.001
    server_args = ("--webhook-allow-private", "--webhook-retry-base", str(TINY))

    def test_failed_after_ten_attempts_then_retry_delivers(self):
        api = Api(None, self.server, self.key_a)
        receiver = wr.Receiver(wr.ALWAYS_500).start()
        self.addCleanup(receiver.stop)
        w = api.register(receiver.url)
        self.addCleanup(api.delete, w["webhook_id"])
        did = api.test(w["webhook_id"])
        entry = api.wait_delivery(w["webhook_id"], did, lambda d: d["state"] == "failed", 40)
        self.assertEqual(entry["state"], "failed", entry)
        self.assertEqual(entry["attempts"], 10, entry)
        self.assertEqual(entry["last_status"], 500, entry)
        self.assertIsNone(entry["next_attempt_at"], entry)
        self.assertIsNone(entry["delivered_at"], entry)
        time.sleep(2.0)
        reqs = receiver.requests(lambda r: r.webhook_id == did)
        self.assertEqual(len(reqs), 10, "want exactly 10 attempts: %r" % reqs)
        gaps = [b.received_mono - a.received_mono for a, b in zip(reqs, reqs[1:])]
        for i in (5, 6, 7, 8):   # the gaps long enough to measure: 0.72, 2.16, 4.32, 8.64 s
            want = SCHEDULE[i] * self.TINY / 5
            self.assertGreaterEqual(gaps[i], want * 0.9 - 0.02, "gap %d: %.3f s, want %.3f" % (i, gaps[i], want))
            self.assertLess(gaps[i], want * 1.1 + 1.0, "gap %d: %.3f s, want %.3f" % (i, gaps[i], want))
        # A failed delivery can be retried by hand.
        receiver.script = wr.OK
        resp = api.retry(w["webhook_id"], did)
        self.assertStatus(resp, 202)
        self.assertEqual(resp.json(), {"delivery_id": did})
        entry = api.wait_delivery(w["webhook_id"], did, lambda d: d["state"] == "delivered", 10)
        self.assertEqual(entry["state"], "delivered", entry)
        self.assertEqual(entry["last_status"], 200)
        last = receiver.requests(lambda r: r.webhook_id == did)[-1]
        self.assertEqual(last.answered, 200)
        self.assertEvent(last, "webhook.test", {"webhook_id": w["webhook_id"]}, w["secret"])


# --------------------------------------------------------------------------
# Durability across kill -9; the address guard at connection time
# --------------------------------------------------------------------------

class DurabilityTest(WebhookAssertions, harness.TempServersTestCase):

    tmp_prefix = "rs-webhooks-"
    maxDiff = 6000

    def start(self, args=BASE_ARGS):
        srv = Server(self.tmp)
        self.servers.append(srv)
        key = srv.create_key("Acme-Hiring")
        srv.start(args)
        return srv, key

    def test_kill_9_loses_no_event(self):
        receiver = wr.Receiver(wr.ALWAYS_500).start()
        self.addCleanup(receiver.stop)
        srv, key = self.start()
        api = Api(self, srv, key)
        for rid in range(700, 706):
            api.put(report(rid))
        w = api.register(receiver.url)
        secret = w["secret"]

        # Round 1: the receiver fails everything, so every event must come out
        # of the outbox after the restart.
        expected = []   # (type, data subset)
        revoked = api.share(704)
        api.call("DELETE", LINKS % 704 + "/" + revoked["link_id"])
        expected += [("link.created", {"link_id": revoked["link_id"]}),
                     ("link.revoked", {"link_id": revoked["link_id"]})]
        self.assertEqual(api.open(token_of(revoked["signed_url"])).status, 410)
        expected.append(("link.denied", {"link_id": revoked["link_id"], "reason": "revoked"}))
        # A refused open changes nothing in the database but its audit, which
        # may be written with the batched views: past --view-flush-ms (50)
        # before the kill. Everything below changes the database in the request.
        time.sleep(0.3)
        for rid in range(700, 703):
            data = api.share(rid, recipient="r%d@acme.example" % rid)
            expected.append(("link.created", {"link_id": data["link_id"]}))
        api.put(report(703, status="Started"))
        expected.append(("report.updated", {"report_id": 703, "invite_status": "Started"}))
        did = api.test(w["webhook_id"])
        expected.append(("webhook.test", {"webhook_id": w["webhook_id"]}))
        srv.kill()   # SIGKILL, right after the last answer
        receiver.script = wr.OK
        srv.start(BASE_ARGS)
        # An attempt in flight at the kill is claimed by the dead process until
        # its lease ends (15 s, docs/decisions.md): allow for that.
        self.assertAllArrive(receiver, expected, secret, timeout=LEASE + 10)
        self.assertIn(did, {r.webhook_id for r in receiver.events("webhook.test")})

        # Round 2: the receiver takes everything; a burst from four threads,
        # views included, then kill -9 at once.
        live = api.share(705)
        token = token_of(live["signed_url"])
        expected2, lock, errors = [], threading.Lock(), []

        def burst(n):
            try:
                for i in range(10):
                    if i % 3 == 2:
                        self.assertEqual(api.open(token).status, 200)
                    else:
                        d = api.share((700, 701, 702, 704, 705)[(n + i) % 5])
                        with lock:
                            expected2.append(("link.created", {"link_id": d["link_id"]}))
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))
        threads = [threading.Thread(target=burst, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        self.assertEqual(errors, [])
        srv.kill()
        srv.start(BASE_ARGS)
        self.assertAllArrive(receiver, expected2, secret, timeout=LEASE + 10)
        # Views: a view lost by the kill (not yet written) sends no event; a
        # view written sends one. The two agree.
        time.sleep(1.0)
        views = [l for l in api.links(705) if l["link_id"] == live["link_id"]][0]["views"]
        want = list(range(1, views + 1))

        def view_counts():   # distinct: one may come twice (same webhook-id)
            return sorted({r.data["views"] for r in receiver.events("link.viewed", link_id=live["link_id"])})
        wait_until(lambda: view_counts() == want, LEASE + 10, 0.1)
        self.assertEqual(view_counts(), want, "views %d, view events %r" % (views, view_counts()))
        time.sleep(1.0)
        self.assertEqual(view_counts(), want, "a view event with no view")
        self.assertDuplicatesOnlyUnderOneId(receiver)

    def assertAllArrive(self, receiver, expected, secret, timeout):
        deadline = time.monotonic() + timeout
        missing = expected
        while missing and time.monotonic() < deadline:
            missing = [(t, d) for t, d in expected
                       if not receiver.requests(lambda r, t=t, d=d: r.answered == 200 and r.type == t
                                                and all((r.data or {}).get(k) == v for k, v in d.items()))]
            if missing:
                time.sleep(0.1)
        self.assertEqual(missing, [], "events lost across kill -9")
        for r in receiver.requests(lambda r: r.answered == 200):
            self.assertDeliveryHeaders(r, secret)

    def assertDuplicatesOnlyUnderOneId(self, receiver):
        by_id = {}
        for r in receiver.requests():
            by_id.setdefault(r.webhook_id, set()).add(r.body)
        self.assertEqual({i: b for i, b in by_id.items() if len(b) != 1}, {},
                         "one webhook-id carried different bodies")
        by_event = {}
        for r in receiver.requests():
            ev = r.event
            self.assertIsNotNone(ev, r)
            if ev["type"] in ("link.created", "link.revoked", "report.updated", "webhook.test"):
                key = (ev["type"], json.dumps(ev["data"], sort_keys=True), ev["timestamp"])
                by_event.setdefault(key, set()).add(r.webhook_id)
            if ev["type"] == "link.viewed":
                key = (ev["type"], ev["data"]["link_id"], ev["data"]["views"])
                by_event.setdefault(key, set()).add(r.webhook_id)
        self.assertEqual({k: v for k, v in by_event.items() if len(v) != 1}, {},
                         "an event came twice under different webhook-ids")

    def test_sigterm_with_attempts_in_flight(self):
        # A receiver that hangs holds at most PER_WEBHOOK attempts of one
        # webhook at a time; SIGTERM does not wait for them, and after a
        # restart they are delivered (their claim expires: LEASE).
        receiver = wr.Receiver(wr.HANG_FOREVER).start()
        self.addCleanup(receiver.stop)
        srv, key = self.start()
        api = Api(self, srv, key)
        w = api.register(receiver.url)
        dids = [api.test(w["webhook_id"]) for _ in range(PER_WEBHOOK + 4)]
        self.assertEqual(len(receiver.wait_for(lambda r: True, PER_WEBHOOK, 5)), PER_WEBHOOK)
        time.sleep(1.0)
        self.assertEqual(len(receiver.requests()), PER_WEBHOOK,
                         "want %d attempts at once to one webhook" % PER_WEBHOOK)
        start = time.monotonic()
        self.assertEqual(srv.stop(), 0)
        self.assertLess(time.monotonic() - start, 3.0, "SIGTERM waited for hanging deliveries")
        receiver.script = wr.OK
        srv.start(BASE_ARGS)
        got = receiver.wait_for(lambda r: r.answered == 200, len(dids), LEASE + 15)
        self.assertEqual(sorted({r.webhook_id for r in got}), sorted(dids), "deliveries lost across a restart")
        for did in dids:
            entry = api.wait_delivery(w["webhook_id"], did, lambda d: d["state"] == "delivered", 5)
            self.assertEqual(entry["state"], "delivered", entry)

    def test_address_guard_rechecked_at_connection(self):
        receiver = wr.Receiver(wr.OK).start()
        self.addCleanup(receiver.stop)
        srv, key = self.start()
        api = Api(self, srv, key)
        w = api.register(receiver.url)
        first = api.test(w["webhook_id"])
        self.assertEqual(len(receiver.wait_for(lambda r: r.webhook_id == first, 1, 10)), 1)
        self.assertEqual(srv.stop(), 0)
        srv.start(("--webhook-retry-base", str(BASE)))      # no --webhook-allow-private now
        self.assertError(api.call("POST", WEBHOOKS, {"url": receiver.url}), 400)
        did = api.test(w["webhook_id"])
        entry = api.wait_delivery(w["webhook_id"], did, lambda d: d["attempts"] >= 1 and d["last_error"], 10)
        self.assertIsNotNone(entry)
        self.assertNotEqual(entry["state"], "delivered", entry)
        self.assertIsNone(entry["last_status"], entry)
        self.assertTrue(entry["last_error"], entry)
        time.sleep(1.0)
        self.assertEqual(receiver.requests(lambda r: r.webhook_id == did), [],
                         "delivered to a loopback address without --webhook-allow-private")

    def assertError(self, resp, status, msg=""):
        self.assertEqual(resp.status, status, "%s %s" % (msg, resp))
        self.assertEqual(list(resp.json()), ["error"], resp)


# --------------------------------------------------------------------------
# HTTPS
# --------------------------------------------------------------------------

def make_pki(d):
    """A CA, a server certificate for 127.0.0.1 and localhost, and one for
    another name only, all made with the openssl command line in d."""
    openssl = shutil.which("openssl")
    if not openssl:
        raise AssertionError("the openssl command line is needed by the HTTPS tests")

    def run(*args):
        proc = subprocess.run((openssl,) + args, cwd=d, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if proc.returncode != 0:
            raise AssertionError("openssl %s failed: %s" % (" ".join(args), proc.stderr.decode()[-1000:]))
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=reportshare test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    for name, san in (("good", "IP:127.0.0.1,DNS:localhost"), ("other", "DNS:other.example")):
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
            "-subj", "/CN=" + ("localhost" if name == "good" else "other.example"))
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write("subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n" % san)
        run("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext")
    return {k: os.path.join(d, k) for k in ("ca.pem", "good.pem", "good.key", "other.pem", "other.key")}


class HttpsTest(WebhookAssertions, harness.TempServersTestCase):

    tmp_prefix = "rs-webhooks-tls-"

    @classmethod
    def setUpClass(cls):
        cls.pki_dir = tempfile.mkdtemp(prefix="rs-webhooks-pki-")
        try:
            cls.pki = make_pki(cls.pki_dir)
        except BaseException:
            shutil.rmtree(cls.pki_dir, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.pki_dir, ignore_errors=True)

    def start(self, *extra):
        srv = Server(self.tmp)
        self.servers.append(srv)
        key = srv.create_key("Acme-Hiring")
        srv.start(BASE_ARGS + extra)
        return Api(self, srv, key)

    def tls_receiver(self, name="good"):
        r = wr.Receiver(wr.OK, certfile=self.pki[name + ".pem"], keyfile=self.pki[name + ".key"]).start()
        self.addCleanup(r.stop)
        return r

    def test_with_ca_file_delivered(self):
        api = self.start("--webhook-ca-file", self.pki["ca.pem"])
        receiver = self.tls_receiver()
        for url in (receiver.url, receiver.url_with_host("localhost")):
            with self.subTest(url):
                w = api.register(url)
                did = api.test(w["webhook_id"])
                reqs = receiver.wait_for(lambda r: r.webhook_id == did, 1, 10)
                self.assertEqual(len(reqs), 1, "not delivered over TLS to %s: %r" % (
                    url, api.delivery(w["webhook_id"], did)))
                self.assertTrue(reqs[0].tls)
                self.assertEvent(reqs[0], "webhook.test", {"webhook_id": w["webhook_id"]}, w["secret"])
                entry = api.wait_delivery(w["webhook_id"], did, lambda d: d["state"] == "delivered")
                self.assertEqual((entry["state"], entry["last_status"]), ("delivered", 200), entry)
                api.delete(w["webhook_id"])

    def test_certificate_of_another_name_refused(self):
        api = self.start("--webhook-ca-file", self.pki["ca.pem"])
        receiver = self.tls_receiver("other")
        w = api.register(receiver.url)
        did = api.test(w["webhook_id"])
        entry = api.wait_delivery(w["webhook_id"], did, lambda d: d["attempts"] >= 1 and d["last_error"], 10)
        self.assertIsNotNone(entry)
        self.assertEqual(entry["state"], "pending", entry)
        self.assertIsNone(entry["last_status"], entry)
        self.assertRegex(entry["last_error"], CERT_RE, entry)
        self.assertEqual(receiver.requests(), [], "a request went to a server with the wrong certificate")

    def test_without_ca_file_certificate_error(self):
        api = self.start()
        receiver = self.tls_receiver()
        w = api.register(receiver.url)
        did = api.test(w["webhook_id"])
        entry = api.wait_delivery(w["webhook_id"], did, lambda d: d["attempts"] >= 1 and d["last_error"], 10)
        self.assertIsNotNone(entry)
        self.assertEqual(entry["state"], "pending", entry)
        self.assertIsNone(entry["last_status"], entry)
        self.assertRegex(entry["last_error"], CERT_RE, entry)
        self.assertEqual(receiver.requests(), [], "a request went through an unverified TLS connection")
        self.assertTrue(receiver.tls_failures, "the server never tried the TLS handshake")

    def test_ca_file_missing_fails_at_startup(self):
        srv = Server(self.tmp)
        self.servers.append(srv)
        with self.assertRaises(AssertionError):
            srv.start(BASE_ARGS + ("--webhook-ca-file", os.path.join(self.tmp, "no-such-ca.pem")))
        self.assertNotEqual(srv.proc.returncode, 0)
        srv.port = None
