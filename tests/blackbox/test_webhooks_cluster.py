"""Webhooks (SPEC §7) on a cluster, black-box: two `serve` processes on one
PostgreSQL database share one outbox, and each delivery attempt is made by
one node. PostgreSQL only (tests/CMakeLists.txt runs this file as
blackbox_pg.test_webhooks_cluster alone); the rest of SPEC §7 is
test_webhooks.py, whose helpers this file uses.
"""

import shutil
import tempfile
import threading
import time
import unittest

import harness
import webhook_receiver as wr
from harness import Server
from test_webhooks import BASE, BASE_ARGS, Api, WebhookAssertions, report


class ClusterWebhooksTest(WebhookAssertions, unittest.TestCase):
    """Two `serve` processes on one database: each delivery attempt is made
    by one node."""

    @classmethod
    def setUpClass(cls):
        import test_cluster
        cls.tmp = tempfile.mkdtemp(prefix="rs-webhooks-cluster-")
        cls.nodes = []
        try:
            db = harness.database_for(cls.tmp)
            cls.key, _ = harness.create_key(db, "Acme-Hiring")
            cls.a, cls.b = Server(cls.tmp), Server(cls.tmp)
            cls.b.secrets = cls.a.secrets
            cls.a.secrets.add(cls.key)
            cls.nodes = [cls.a, cls.b]
            args = test_cluster.NODE_ARGS + BASE_ARGS
            cls.a.start(args)      # the first node creates the key file
            cls.b.start(args)
        except BaseException:
            cls._cleanup()
            raise

    @classmethod
    def _cleanup(cls):
        for n in cls.nodes:
            n.kill()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        harness.release_database(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        try:
            for n in cls.nodes:
                code = n.stop()
                if code != 0:
                    raise AssertionError("a node exited %r:\n%s" % (code, n.all_logs()[-3000:]))
                leaked = n.leaked_secrets()
                if leaked:
                    raise AssertionError("secrets in a node's logs:\n" + harness.describe_leaks(n.all_logs(), leaked))
        finally:
            cls._cleanup()

    def produce(self, report_ids):
        """PUTs each report, alternating nodes, from four threads."""
        apis = [Api(self, self.a, self.key), Api(self, self.b, self.key)]
        errors = []

        def work(chunk):
            try:
                for i, rid in enumerate(chunk):
                    apis[(rid + i) % 2].put(report(rid))
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))
        chunks = [report_ids[i::4] for i in range(4)]
        threads = [threading.Thread(target=work, args=(c,)) for c in chunks]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertEqual(errors, [])

    def test_200_events_each_delivered_exactly_once(self):
        receiver = wr.Receiver(wr.OK).start()
        self.addCleanup(receiver.stop)
        api = Api(self, self.a, self.key)
        w = api.register(receiver.url, events=["report.updated"])
        self.addCleanup(api.delete, w["webhook_id"])
        rids = list(range(2000, 2200))
        self.produce(rids)
        got = receiver.wait_events("report.updated", 200, 60)
        time.sleep(1.5)   # time for a duplicate to show up
        reqs = receiver.requests()
        ids = [r.webhook_id for r in reqs]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        self.assertEqual(dup, [], "delivered more than once")
        self.assertEqual(len(got), 200)
        self.assertEqual(sorted(r.data["report_id"] for r in reqs), rids)
        for r in reqs[:20]:
            self.assertEvent(r, "report.updated", {"report_id": r.data["report_id"], "assessment_id": 138,
                                                   "invite_status": "Completed"}, w["secret"])
        listed = api.deliveries(w["webhook_id"])
        self.assertEqual(len(listed), 100)
        for d in listed:
            self.assertEqual((d["state"], d["attempts"], d["last_status"]), ("delivered", 1, 200), d)

    def test_retries_claimed_by_one_node(self):
        receiver = wr.Receiver(wr.FAIL_THEN_OK).start()
        self.addCleanup(receiver.stop)
        api = Api(self, self.b, self.key)
        w = api.register(receiver.url, events=["report.updated"])
        self.addCleanup(api.delete, w["webhook_id"])
        rids = list(range(3000, 3060))
        self.produce(rids)
        receiver.wait_for(lambda r: r.answered == 200, 60, 30)
        time.sleep(BASE * 6 + 1.0)   # past the time of a (wrong) third attempt
        by_id = {}
        for r in receiver.requests():
            by_id.setdefault(r.webhook_id, []).append(r.answered)
        self.assertEqual(len(by_id), 60)
        self.assertEqual({i: a for i, a in by_id.items() if a != [500, 200]}, {},
                         "each delivery: one failed attempt, one retry, by one node each")
