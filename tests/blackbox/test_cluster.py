"""Several nodes behind one PostgreSQL database (SPEC §2.4 "a revoked link
answers 410 ... on every node of a cluster", §2.5 /readyz, §3 `--db
postgresql://…` with one shared `--signing-keys` file).

PostgreSQL only: ctest registers this file only as blackbox_pg.test_cluster,
with REPORTSHARE_TEST_PG_FILE pointing at the fixture server. Run by hand
without that (or REPORTSHARE_TEST_PG) it FAILS, on purpose: a cluster test
that silently skips would look like a pass.

The outage test starts (and stops, and restarts) a PostgreSQL server of its
own with tests/support/pg_server.sh; the shared fixture server is never
stopped here.
"""

import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import threading
import time
import unittest

import harness
import test_link_options as link_options
from harness import SHARED_PREFIX, Server, cli_describe, create_key, make_report, request, run_cli, token_of

HERE = os.path.dirname(os.path.abspath(__file__))
# The nodes of a cluster sit behind one public name (else each builds links on
# its own listen address and report_link differs by node).
NODE_ARGS = ("--public-url", "https://reports.example.com")


def require_postgres():
    if harness.backend() != "postgresql":
        raise RuntimeError(
            "test_cluster needs PostgreSQL: set %s=<file holding the URL> or %s=<URL> "
            "(start one with `bash tests/support/pg_server.sh start DIR`; ctest runs this file "
            "as blackbox_pg.test_cluster against its 'pg' fixture)" % (harness.PG_FILE_ENV, harness.PG_URL_ENV))


wait_until = harness.wait_until


def start_all(servers, args=NODE_ARGS):
    """Starts the servers at the same time (one thread each); raises the first failure."""
    errors = []

    def go(srv):
        try:
            srv.start(args)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=go, args=(s,)) for s in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=harness.STARTUP_TIMEOUT + 10)
    if errors:
        raise errors[0]


def inspect_key_id(db, token):
    proc = run_cli(["link", "inspect", token, "--db", db])
    fields = dict(re.findall(r"^(\w+):\s+(.*)$", proc.stdout.decode("utf-8", "replace"), re.M))
    if "key_id" not in fields:
        raise AssertionError("link inspect shows no key_id: " + cli_describe(proc))
    return int(fields["key_id"])


class ClusterBase(unittest.TestCase):
    """Helpers for tests that talk to several nodes with one company's key."""

    maxDiff = 4000

    def call(self, node, method, path, body=None, key=None, headers=None, timeout=harness.SOCKET_TIMEOUT):
        hdrs = harness._normalize_headers(headers)
        hdrs.append(("apiKey", key or self.key))
        return node.request(method, path, hdrs, body, timeout)

    def put(self, node, report, key=None):
        resp = self.call(node, "PUT", "/assessments/report/%d" % report["report_id"], report, key=key)
        self.assertIn(resp.status, (200, 201), "PUT on %s: %s" % (self.name_of(node), resp))
        return resp

    def share(self, node, report_id, hours=None):
        body = None if hours is None else {"expiration_hours": hours}
        resp = self.call(node, "POST", "/assessments/reports/%d/share" % report_id, body)
        self.assertEqual(resp.status, 200, "share on %s: %s" % (self.name_of(node), resp))
        return token_of(resp.json()["signed_url"])

    def open_link(self, node, token, query=""):
        return node.request("GET", SHARED_PREFIX + token + query)

    def links(self, node, report_id):
        resp = self.call(node, "GET", "/assessments/reports/%d/links" % report_id)
        self.assertEqual(resp.status, 200, resp)
        return resp.json()["links"]

    def link_id_of(self, node, report_id, known=()):
        """The link id of the newest link of report_id not in known."""
        fresh = [l for l in self.links(node, report_id) if l["link_id"] not in known]
        self.assertTrue(fresh, "no new link listed on %s" % self.name_of(node))
        return fresh[0]["link_id"]

    def name_of(self, node):
        return getattr(node, "name", "node")

    def assertJsonError(self, resp, status, msg=""):
        self.assertEqual(resp.status, status, "%s %s" % (msg, resp))
        self.assertEqual(resp.content_type, "application/json", "%s %s" % (msg, resp))
        data = resp.json()
        self.assertEqual(list(data.keys()), ["error"], "%s %s" % (msg, resp))
        self.assertTrue(data["error"].strip(), resp)
        self.assertNotIn(self.key, resp.text, "API key in an error body")
        self.assertNotRegex(resp.text.lower(), r"postgres(ql)?://|select |insert |update |stack",
                            "error body leaks internals: %s" % resp)

    def stop_and_check(self, nodes):
        """SIGTERM every node: each exits 0, no secret in any log."""
        for node in nodes:
            code = node.stop()
            self.assertEqual(code, 0, "%s did not exit 0 on SIGTERM:\n%s"
                             % (self.name_of(node), node.all_logs()[-4000:]))
        for node in nodes:
            logs = node.all_logs()
            leaked = node.leaked_secrets(logs)
            self.assertEqual(leaked, [], "secrets in the logs of %s:\n%s"
                             % (self.name_of(node), harness.describe_leaks(logs, leaked)))


# --------------------------------------------------------------------------
# Two nodes on the suite's PostgreSQL server, one database, one key file
# --------------------------------------------------------------------------

class TwoNodesBase(ClusterBase):
    """Two `serve` processes on one fresh database with one signing key file,
    and two companies' keys (cls.key, cls.other_key)."""

    @classmethod
    def setUpClass(cls):
        require_postgres()
        cls.tmp = tempfile.mkdtemp(prefix="rs-cluster-")
        cls.db = harness.database_for(cls.tmp)
        cls.keyfile = harness.signing_keys_for(cls.db)
        cls.nodes = []
        try:
            cls.key, _ = create_key(cls.db, "Acme-Hiring")
            cls.other_key, _ = create_key(cls.db, "Globex-Talent")
            cls.a = Server(cls.tmp)
            cls.b = Server(cls.tmp)
            cls.a.name, cls.b.name = "node A", "node B"
            cls.b.secrets = cls.a.secrets            # one set: nothing may leak on any node
            cls.a.secrets.update({cls.key, cls.other_key})
            cls.nodes = [cls.a, cls.b]
            cls.a.start(NODE_ARGS)                   # the first node creates the key file
            cls.b.start(NODE_ARGS)                   # the second one loads it
        except BaseException:
            cls._cleanup()
            raise

    @classmethod
    def _cleanup(cls):
        for node in cls.nodes:
            node.kill()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        harness.release_database(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        try:
            codes = [(n.name, n.stop()) for n in cls.nodes]
            bad = [(name, c) for name, c in codes if c != 0]
            if bad:
                raise AssertionError("nodes did not exit 0 on SIGTERM: %r\n%s"
                                     % (bad, "\n".join(n.all_logs()[-3000:] for n in cls.nodes)))
            for n in cls.nodes:
                leaked = n.leaked_secrets()
                if leaked:
                    raise AssertionError("secrets in the logs of %s:\n%s"
                                         % (n.name, harness.describe_leaks(n.all_logs(), leaked)))
        finally:
            cls._cleanup()


class TwoNodesTest(TwoNodesBase):

    def test_key_file_shared_and_0600(self):
        self.assertEqual(self.a.signing_keys_path, self.b.signing_keys_path)
        self.assertTrue(os.path.exists(self.keyfile), "no key file at %s" % self.keyfile)
        self.assertEqual(stat.S_IMODE(os.stat(self.keyfile).st_mode), 0o600)

    def test_link_minted_on_a_opens_on_b_revoke_on_b_seen_by_a(self):
        self.put(self.a, make_report(318))
        known = {l["link_id"] for l in self.links(self.a, 318)}
        token = self.share(self.a, 318, hours=2)
        self.assertEqual(self.open_link(self.b, token).status, 200, "link minted on A, opened on B")
        self.assertEqual(self.open_link(self.a, token).status, 200, "link minted on A, opened on A")
        link_id = self.link_id_of(self.b, 318, known)   # B lists the link A minted
        resp = self.call(self.b, "DELETE", "/assessments/reports/318/links/" + link_id)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.json(), {"revoked": 1})
        gone_a = self.open_link(self.a, token)
        self.assertEqual(gone_a.status, 410, "revoked on B, next open on A: %s" % gone_a)
        self.assertEqual(self.open_link(self.b, token).status, 410, "revoked on B, open on B")
        self.assertEqual(self.open_link(self.a, token, "?format=pdf").status, 410, "PDF of a revoked link on A")
        again = self.call(self.a, "DELETE", "/assessments/reports/318/links/" + link_id)
        self.assertEqual(again.json(), {"revoked": 0}, again)

        # revoke-all on A kills links minted on B, seen from B
        t1 = self.share(self.b, 318)
        t2 = self.share(self.a, 318)
        self.assertEqual(self.open_link(self.a, t1).status, 200)
        self.assertEqual(self.open_link(self.b, t2).status, 200)
        resp = self.call(self.a, "DELETE", "/assessments/reports/318/links")
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.json(), {"revoked": 2})
        self.assertEqual(self.open_link(self.b, t1).status, 410, "revoke-all on A, link of B opened on B")
        self.assertEqual(self.open_link(self.b, t2).status, 410, "revoke-all on A, link of A opened on B")

    def test_concurrent_views_on_both_nodes_add_up(self):
        self.put(self.a, make_report(319))
        token = self.share(self.b, 319)
        link_id = self.link_id_of(self.a, 319)
        statuses = []
        lock = threading.Lock()

        def worker(n):
            got = []
            for i in range(25):
                node = self.a if (i + n) % 2 == 0 else self.b
                try:
                    got.append(self.open_link(node, token).status)
                except Exception as e:  # noqa: BLE001
                    got.append(repr(e))
            with lock:
                statuses.extend(got)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        self.assertEqual(statuses, [200] * 100, "every open must answer 200: %r"
                         % sorted(set(map(str, statuses))))

        def views_on(node):
            return {l["link_id"]: l for l in self.links(node, 319)}[link_id]["views"]

        seen = {}
        for node in (self.a, self.b):
            # the list flushes the node's own queue; the other node's views land within ~1 s
            wait_until(lambda: views_on(node) >= 100, timeout=3.0, step=0.2)
            seen[node.name] = views_on(node)
        self.assertEqual(seen, {"node A": 100, "node B": 100},
                         "4 threads x 25 opens alternating A/B: views listed on each node")
        link = {l["link_id"]: l for l in self.links(self.a, 319)}[link_id]
        self.assertIsNotNone(link["last_viewed_at"], link)

    def test_report_put_on_a_get_on_b(self):
        rep = make_report(321, name="Zoë Ångström")
        resp = self.put(self.a, rep)
        self.assertEqual(resp.status, 201, resp)
        got = self.call(self.b, "GET", "/assessments/report/321")
        self.assertEqual(got.status, 200, got)
        self.assertEqual(got.json()["name"], "Zoë Ångström")
        resp = self.put(self.b, make_report(321, name="Replaced On B"))
        self.assertEqual(resp.status, 200, "replacing from the other node: %s" % resp)
        self.assertEqual(self.call(self.a, "GET", "/assessments/report/321").json()["name"], "Replaced On B")
        # The id belongs to Acme: Globex gets 409 on either node, nothing changes.
        for node in (self.a, self.b):
            clash = self.call(node, "PUT", "/assessments/report/321", make_report(321, name="Globex"),
                              key=self.other_key)
            self.assertJsonError(clash, 409, "other company's id on %s:" % node.name)
            self.assertJsonError(self.call(node, "GET", "/assessments/report/321", key=self.other_key), 404)
        self.assertEqual(self.call(self.b, "GET", "/assessments/report/321").json()["name"], "Replaced On B")
        # report_link is "the same URL on every call" -- on every node too.
        la = self.call(self.a, "GET", "/assessments/report/321").json().get("report_link")
        lb = self.call(self.b, "GET", "/assessments/report/321").json().get("report_link")
        self.a.note_tokens(str(la))
        self.assertEqual(la, lb, "report_link differs between nodes")
        self.assertEqual(self.open_link(self.b, token_of(la)).status, 200)

    def test_concurrent_replacements_converge(self):
        self.put(self.a, make_report(322, name="Initial"))
        results = {"A": [], "B": []}
        barrier = threading.Barrier(2)

        def writer(label, node):
            barrier.wait(timeout=10)
            for i in range(20):
                rep = make_report(322, name="%s-%02d" % (label, i))
                try:
                    results[label].append(self.call(node, "PUT", "/assessments/report/322", rep).status)
                except Exception as e:  # noqa: BLE001
                    results[label].append(repr(e))

        threads = [threading.Thread(target=writer, args=("A", self.a)),
                   threading.Thread(target=writer, args=("B", self.b))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        for label, got in results.items():
            self.assertEqual(len(got), 20, results)
            self.assertTrue(all(s in (200, 201) for s in got), "PUTs on node %s: %r" % (label, got))
        ga = self.call(self.a, "GET", "/assessments/report/322")
        gb = self.call(self.b, "GET", "/assessments/report/322")
        self.assertEqual(ga.status, 200, ga)
        self.assertEqual(gb.status, 200, gb)
        self.a.note_tokens(ga.body + gb.body)
        ja, jb = ga.json(), gb.json()
        self.assertEqual(ja, jb, "the two nodes disagree on report 322 after concurrent replacements")
        names = {"A-%02d" % i for i in range(20)} | {"B-%02d" % i for i in range(20)}
        self.assertIn(ja["name"], names)
        # and a single stored version: a fresh PDF/links list does not disagree either
        self.assertEqual(ja["report_id"], 322)

    def test_concurrent_first_put_creates_once(self):
        """Both nodes PUT the same new id at the same moment: one 201, one 200;
        two companies racing for a new id: one 201, one 409."""
        for rid in range(340, 346):
            barrier = threading.Barrier(2)
            out = {}
            same_company = rid % 2 == 0

            def go(label, node, key):
                barrier.wait(timeout=10)
                out[label] = self.call(node, "PUT", "/assessments/report/%d" % rid,
                                       make_report(rid, name="Racer " + label), key=key)

            keys = (self.key, self.key) if same_company else (self.key, self.other_key)
            threads = [threading.Thread(target=go, args=("A", self.a, keys[0])),
                       threading.Thread(target=go, args=("B", self.b, keys[1]))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=30)
            got = sorted(r.status for r in out.values())
            want = [200, 201] if same_company else [201, 409]
            self.assertEqual(got, want, "report %d (%s): %r" % (
                rid, "same company" if same_company else "two companies", {k: str(v) for k, v in out.items()}))

    def test_rotation_reaches_both_nodes(self):
        self.put(self.a, make_report(323))
        old = self.share(self.a, 323)
        self.assertEqual(inspect_key_id(self.db, old), 1)
        proc = run_cli(["keys", "rotate-signing", "--db", self.db, "--signing-keys", self.keyfile])
        self.assertEqual(proc.returncode, 0, cli_describe(proc))
        rotated = {}

        def both_on_key_2():
            for node in (self.a, self.b):
                if rotated.get(node.name) != 2:
                    rotated[node.name] = inspect_key_id(self.db, self.share(node, 323))
            return all(rotated.get(n.name) == 2 for n in (self.a, self.b))

        started = time.monotonic()
        ok = wait_until(both_on_key_2, timeout=3.0, step=0.2)
        self.assertTrue(ok, "after rotate-signing, key id of new links by node: %r (waited %.1fs)"
                        % (rotated, time.monotonic() - started))
        new_a, new_b = self.share(self.a, 323), self.share(self.b, 323)
        for node in (self.a, self.b):
            self.assertEqual(self.open_link(node, old).status, 200, "pre-rotation link on %s" % node.name)
            self.assertEqual(self.open_link(node, new_a).status, 200, "A's new link on %s" % node.name)
            self.assertEqual(self.open_link(node, new_b).status, 200, "B's new link on %s" % node.name)

    def test_zzz_nodes_alive_and_logs_clean(self):
        for node in self.nodes:
            self.assertTrue(node.alive(), "%s died:\n%s" % (node.name, node.logs()[-4000:]))
            self.assertEqual(node.request("GET", "/healthz").status, 200)
            leaked = node.leaked_secrets()
            self.assertEqual(leaked, [], "secrets in the logs of %s:\n%s"
                             % (node.name, harness.describe_leaks(node.all_logs(), leaked)))


class TwoNodesLinkOptionsTest(TwoNodesBase):
    """SPEC §5 on two nodes: the view limit is exact across them, options minted
    on one hold on the other, and both derive one pseudonym."""

    def share_with(self, node, report_id, key=None, **options):
        resp = self.call(node, "POST", link_options.SHARE % report_id, options, key=key)
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(set(resp.json()), link_options.SHARE_FIELDS)
        return token_of(resp.json()["signed_url"]), resp.json()["link_id"]

    def entry(self, node, report_id, link_id, query=""):
        resp = self.call(node, "GET", link_options.LINKS % report_id + query)
        self.assertEqual(resp.status, 200, resp)
        found = [l for l in resp.json()["links"] if l["link_id"] == link_id]
        return found[0] if found else None

    def open(self, node, token, query="", accept=None):
        return node.request("GET", SHARED_PREFIX + token + query, {"Accept": accept} if accept else {})

    def race(self, token, per_node=10, mix=False):
        jobs = []
        for i in range(2 * per_node):
            node = self.a if i % 2 == 0 else self.b
            q = [("", None), ("?format=pdf", None), ("", "application/json")][(i // 2) % 3 if mix else 0]
            jobs.append(lambda node=node, q=q: (node.name, self.open(node, token, q[0], q[1]).status))
        return link_options.simultaneous(jobs)

    def test_max_views_exact_across_nodes(self):
        self.put(self.a, make_report(2000, name="Cluster Candidate"))
        for max_views, mix in ((3, False), (3, True), (1, False), (7, True)):
            with self.subTest(max_views=max_views, mix=mix):
                token, link_id = self.share_with(self.a, 2000, max_views=max_views)
                results = self.race(token, mix=mix)
                statuses = sorted((r[1] if isinstance(r, tuple) else r for r in results), key=str)
                self.assertEqual(statuses, [200] * max_views + [410] * (20 - max_views),
                                 "10 opens on each node at once, max_views %d: %r" % (max_views, results))
                for node in (self.a, self.b):
                    js = self.open(node, token, accept="application/json")
                    self.assertEqual(js.status, 410, js)
                    self.assertEqual(js.json(), {"error": link_options.VIEW_LIMIT_MESSAGE})
                    self.assertEqual(node.request("HEAD", SHARED_PREFIX + token).status, 410)
                    self.assertIsNotNone(self.entry(node, 2000, link_id, "?state=expired"),
                                         "out of views, listed as expired on %s" % node.name)
                    # the audit's views land on every node within a moment
                    got = link_options.wait_until(lambda: self.entry(node, 2000, link_id)["views"] == max_views, 3.0, 0.2)
                    self.assertTrue(got, "views on %s: %r" % (node.name, self.entry(node, 2000, link_id)))

    def test_options_minted_on_one_node_hold_on_the_other(self):
        self.put(self.a, make_report(2001, name="Cluster Quorble"))
        token, link_id = self.share_with(self.b, 2001, allow_download=False, variant="anonymized",
                                    recipient="hm@acme.example", language="de", max_views=4)
        want = {"allow_download": False, "variant": "anonymized", "recipient": "hm@acme.example",
                "language": "de", "max_views": 4, "watermark": False}
        for node in (self.a, self.b):
            e = self.entry(node, 2001, link_id, "?recipient=hm%40acme.example&state=live")
            self.assertIsNotNone(e, node.name)
            self.assertEqual({k: e[k] for k in want}, want)
            self.assertEqual(self.open(node, token, "?format=pdf").status, 403, node.name)
            page = self.open(node, token)
            self.assertEqual(page.status, 200)
            self.assertNotIn("Quorble", page.text)
            self.assertEqual(link_options.download_hrefs(page.text), [])
        names = {self.open(n, token, accept="application/json").json()["name"] for n in (self.a, self.b)}
        self.assertEqual(len(names), 1, "the nodes show different pseudonyms: %r" % names)
        self.assertEqual([self.open(n, token).status for n in (self.a, self.b)], [410, 410])
        revoke = self.call(self.a, "DELETE", link_options.LINKS % 2001 + "/" + link_id)
        self.assertEqual(revoke.json(), {"revoked": 1})
        self.assertIsNotNone(self.entry(self.b, 2001, link_id, "?state=revoked"))

    def test_first_pseudonym_of_a_company_raced_on_both_nodes(self):
        # A company whose pseudonym key does not exist yet: both nodes make
        # it at the same moment and must agree on one.
        self.put(self.a, make_report(2002, name="Initech Quorble"), key=self.other_key)
        t1, _ = self.share_with(self.a, 2002, key=self.other_key, variant="anonymized")
        t2, _ = self.share_with(self.b, 2002, key=self.other_key, variant="anonymized")
        jobs = []
        for i in range(8):
            node, tok = (self.a, t1) if i % 2 == 0 else (self.b, t2)
            jobs.append(lambda node=node, tok=tok: self.open(node, tok, accept="application/json"))
        results = link_options.simultaneous(jobs)
        for r in results:
            self.assertFalse(isinstance(r, str), r)
            self.assertEqual(r.status, 200, r)
        names = {r.json()["name"] for r in results}
        self.assertEqual(len(names), 1, "one report, one company, several pseudonyms: %r" % names)
        self.assertRegex(names.pop(), "^" + link_options.PSEUDONYM_RE.pattern + "$")

    def test_zzz_options_nodes_alive_and_logs_clean(self):
        for node in self.nodes:
            self.assertTrue(node.alive(), "%s died:\n%s" % (node.name, node.logs()[-4000:]))
            self.assertEqual(node.request("GET", "/healthz").status, 200)
            logs = node.all_logs()
            self.assertEqual(node.leaked_secrets(), [])
            for pii in ("Quorble", "hm@acme.example", "Cluster Candidate"):
                self.assertNotIn(pii, logs, "candidate data or recipient in the logs of %s" % node.name)


# --------------------------------------------------------------------------

# --------------------------------------------------------------------------
# Starting a cluster
# --------------------------------------------------------------------------

class ClusterStartTest(ClusterBase):

    def setUp(self):
        require_postgres()
        self.tmp = tempfile.mkdtemp(prefix="rs-cluster-start-")
        self.db = harness.database_for(self.tmp)
        self.nodes = []

    def tearDown(self):
        for n in self.nodes:
            n.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)
        harness.release_database(self.tmp)

    def test_nodes_started_together_on_an_empty_database_share_one_key(self):
        self.key, _ = create_key(self.db, "Acme-Hiring")
        a, b = Server(self.tmp), Server(self.tmp)
        a.name, b.name = "node A", "node B"
        b.secrets = a.secrets
        a.secrets.add(self.key)
        self.nodes = [a, b]
        start_all([a, b])
        self.assertEqual(stat.S_IMODE(os.stat(a.signing_keys_path).st_mode), 0o600)
        self.put(a, make_report(318))
        ta, tb = self.share(a, 318), self.share(b, 318)
        self.assertEqual(self.open_link(b, ta).status, 200, "A's link on B (both started at once)")
        self.assertEqual(self.open_link(a, tb).status, 200, "B's link on A (both started at once)")
        self.stop_and_check([a, b])

    def test_postgres_without_signing_keys_refuses_to_start(self):
        proc = subprocess.run([harness.BIN, "serve", "--listen", "127.0.0.1:0", "--db", self.db],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=15,
                              env=harness.clean_env(), cwd=self.tmp)
        self.assertNotEqual(proc.returncode, 0, cli_describe(proc))
        self.assertIn("--signing-keys", proc.stderr.decode("utf-8", "replace"), cli_describe(proc))


# --------------------------------------------------------------------------
# Database outage: a PostgreSQL server of this test's own
# --------------------------------------------------------------------------

class OutageTest(harness.OwnPostgresServer, ClusterBase):

    @classmethod
    def setUpClass(cls):
        require_postgres()
        cls.start_own_postgres("rs-outage-pg-")

    @classmethod
    def tearDownClass(cls):
        cls.stop_own_postgres()

    def setUp(self):
        self.ensure_pg_started()
        self.tmp = tempfile.mkdtemp(prefix="rs-outage-")
        self.db = harness.create_database(self.admin_url)
        self.keyfile = os.path.join(self.tmp, "cluster.keys")
        self.key, _ = create_key(self.db, "Acme-Hiring")
        self.a = Server(self.tmp, db=self.db, signing_keys=self.keyfile)
        self.b = Server(self.tmp, db=self.db, signing_keys=self.keyfile)
        self.a.name, self.b.name = "node A", "node B"
        self.b.secrets = self.a.secrets
        self.a.secrets.add(self.key)
        self.nodes = [self.a, self.b]

    def tearDown(self):
        for n in self.nodes:
            n.kill()
        try:
            harness.pg_server("start", self.pgdir)
            harness.drop_database(self.db)
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def timed(self, fn):
        start = time.monotonic()
        resp = fn()
        return resp, time.monotonic() - start

    def test_outage_503_then_recovery_without_restart(self):
        self.a.start(NODE_ARGS)
        self.b.start(NODE_ARGS)
        pids = (self.a.proc.pid, self.b.proc.pid)
        self.put(self.a, make_report(318))
        token = self.share(self.b, 318)
        for node in self.nodes:
            self.assertEqual(node.request("GET", "/readyz").status, 200)
            self.assertEqual(self.open_link(node, token).status, 200)

        harness.pg_server("stop", self.pgdir)
        for node in self.nodes:
            ready, t = self.timed(lambda: node.request("GET", "/readyz"))
            self.assertEqual(ready.status, 503, "/readyz on %s with the database down: %s" % (node.name, ready))
            self.assertEqual(ready.content_type, "application/json", ready)
            self.assertIsInstance(ready.json(), dict, ready)
            self.assertLess(t, 5.0, "/readyz on %s took %.1fs" % (node.name, t))
            api, t = self.timed(lambda: self.call(node, "GET", "/assessments/report/318"))
            self.assertJsonError(api, 503, "API on %s with the database down:" % node.name)
            self.assertLess(t, 5.0, "API call on %s took %.1fs" % (node.name, t))
            share, t = self.timed(lambda: self.call(node, "POST", "/assessments/reports/318/share"))
            self.assertJsonError(share, 503, "share on %s with the database down:" % node.name)
            self.assertLess(t, 5.0, "share on %s took %.1fs" % (node.name, t))
            link, t = self.timed(lambda: node.request("GET", SHARED_PREFIX + token,
                                                      {"Accept": "application/json"}))
            self.assertEqual(link.status, 503, "link open on %s with the database down: %s" % (node.name, link))
            self.assertLess(t, 5.0, "link open on %s took %.1fs" % (node.name, t))
            health = node.request("GET", "/healthz")
            self.assertEqual(health.status, 200, "/healthz must not depend on the database: %s" % health)

        harness.pg_server("start", self.pgdir)   # same DIR: same port
        started = time.monotonic()
        for node in self.nodes:
            ok = wait_until(lambda: node.request("GET", "/readyz").status == 200,
                            timeout=max(0.5, 10.0 - (time.monotonic() - started)), step=0.25)
            self.assertTrue(ok, "/readyz on %s not 200 within 10 s of the database coming back: %s\n%s"
                            % (node.name, node.request("GET", "/readyz"), node.stderr()[-3000:]))
        for node in self.nodes:
            ok = wait_until(lambda: self.call(node, "GET", "/assessments/report/318").status == 200,
                            timeout=max(0.5, 10.0 - (time.monotonic() - started)), step=0.25)
            self.assertTrue(ok, "API on %s after recovery: %s"
                            % (node.name, self.call(node, "GET", "/assessments/report/318")))
            self.assertEqual(self.open_link(node, token).status, 200, "old link on %s after recovery" % node.name)
            fresh = self.share(node, 318)
            other = self.b if node is self.a else self.a
            self.assertEqual(self.open_link(other, fresh).status, 200)
        self.assertEqual((self.a.proc.pid, self.b.proc.pid), pids, "nodes were restarted")
        self.assertTrue(self.a.alive() and self.b.alive())
        self.stop_and_check(self.nodes)

    def test_sigterm_during_outage_exits_zero(self):
        """Views still queued when the database goes away must not keep a node from draining."""
        self.a.start(NODE_ARGS)
        self.b.start(NODE_ARGS)
        self.put(self.a, make_report(318))
        token = self.share(self.a, 318)
        for node in self.nodes:
            self.assertEqual(self.open_link(node, token).status, 200)   # views queued
        harness.pg_server("stop", self.pgdir)
        for node in self.nodes:
            start = time.monotonic()
            code = node.stop(timeout=15)
            self.assertEqual(code, 0, "%s exit code on SIGTERM with the database down:\n%s"
                             % (node.name, node.all_logs()[-3000:]))
            self.assertLess(time.monotonic() - start, 15)
        self.stop_and_check(self.nodes)


if __name__ == "__main__":
    unittest.main()
