"""Fault injection, PostgreSQL only: the database server stopped and started
again while clients write (the hardening issue; the rest is test_faults.py).

test_cluster.OutageTest.test_outage_503_then_recovery_without_restart already
stops an idle server and checks, on two nodes, 503 JSON for a GET, a share and
a link open while it is down (each within 5 s), /readyz 503, /healthz 200, and
recovery within 10 s without a restart. This test adds what that one lacks:
the stop and the start happen under a concurrent stream of writes (three
client threads PUTting new reports and sharing them); every request gets an
answer (none dropped or reset), each 2xx or a 503 JSON error, never a 500; no
write is acknowledged while the database is down; /readyz is 503 while it is
down and 200 after; writes answer 2xx again in the same process; and every
write acknowledged before the stop or after the start is there afterwards
(GET returns the report as PUT, each link is listed and opens).

Like test_cluster, it FAILS without a PostgreSQL run (REPORTSHARE_TEST_PG_FILE
or REPORTSHARE_TEST_PG): it belongs in ctest's blackbox_pg runs only. It
stops only a PostgreSQL server of its own (tests/support/pg_server.sh), never
the suite's.
"""

import os
import shutil
import subprocess
import tempfile
import time
import unittest

import harness
import test_faults as faults

HERE = os.path.dirname(os.path.abspath(__file__))
wait_until = harness.wait_until


def require_postgres():
    if harness.backend() != "postgresql":
        raise RuntimeError(
            "test_faults_pg needs the PostgreSQL run: set %s=<file holding the URL> or %s=<URL> "
            "(start one with `bash tests/support/pg_server.sh start DIR`)" % (harness.PG_FILE_ENV, harness.PG_URL_ENV))


def timed(fn):
    start = time.monotonic()
    value = fn()
    return value, time.monotonic() - start


class PostgresStoppedUnderLoadTest(harness.OwnPostgresServer, faults.FaultCase):

    @classmethod
    def setUpClass(cls):
        require_postgres()
        cls.start_own_postgres("rs-faults-pg-")

    @classmethod
    def tearDownClass(cls):
        cls.stop_own_postgres()

    def setUp(self):
        super().setUp()
        self.ensure_pg_started()
        self.db = harness.create_database(self.admin_url)
        self.addCleanup(self._drop_database)

    def _drop_database(self):
        harness.pg_server("start", self.pgdir)
        harness.drop_database(self.db)

    def test_stopped_and_restarted_under_load_nothing_acknowledged_lost(self):
        srv = self.new_server(db=self.db, signing_keys=os.path.join(self.tmp, "cluster.keys"))
        key = self.key_for(srv)
        srv.start()
        self.note_signing_secrets(srv)
        pid = srv.proc.pid
        self.assertEqual(srv.request("GET", "/readyz").status, 200)

        load = faults.WriteLoad(srv, key, threads=3, allowed=(200, 201, 503), stop_on_error=False).start()
        try:
            self.assertTrue(wait_until(lambda: load.acked() >= 150, timeout=20, step=0.05),
                            "only %d writes acknowledged before the stop: %r" % (load.acked(), dict(load.statuses)))

            harness.pg_server("stop", self.pgdir)   # fast shutdown, under load
            refused = lambda: load.count("PUT", 503) + load.count("share", 503)   # noqa: E731
            self.assertTrue(wait_until(lambda: refused() >= 20, timeout=10, step=0.05),
                            "the writers got no 503 with the database down: %r" % dict(load.statuses))
            ready, t = timed(lambda: srv.request("GET", "/readyz"))
            self.assertEqual(ready.status, 503, "/readyz with the database down: %s" % ready)
            self.assertEqual(ready.content_type, "application/json", ready)
            self.assertIsInstance(ready.json(), dict, ready)
            self.assertLess(t, 5.0, "/readyz took %.1fs with the database down" % t)
            for what, method, path, body in (
                    ("PUT", "PUT", "/assessments/report/7", harness.make_report(7)),
                    ("share", "POST", "/assessments/reports/7/share", None)):
                resp, t = timed(lambda: faults.api(srv, key, method, path, body))
                self.assertJson503(resp, "%s with the database down" % what)
                self.assertLess(t, 5.0, "%s took %.1fs with the database down" % (what, t))
            self.assertEqual(srv.request("GET", "/healthz").status, 200)
            down_acked = load.acked()
            time.sleep(0.5)
            self.assertEqual(load.acked(), down_acked, "writes acknowledged while the database was down")
            self.assertAlive(srv, pid)

            harness.pg_server("start", self.pgdir)   # same directory: same port
            started = time.monotonic()
            self.assertTrue(wait_until(lambda: srv.request("GET", "/readyz").status == 200, timeout=10, step=0.2),
                            "/readyz not 200 within 10 s of the database coming back:\n" + srv.stderr()[-3000:])
            self.assertTrue(wait_until(lambda: load.acked() >= down_acked + 60,
                                       timeout=max(1.0, 10.0 - (time.monotonic() - started)), step=0.05),
                            "writes under load not acknowledged again within 10 s: %r" % dict(load.statuses))
        finally:
            self.assertTrue(load.stop(timeout=30), "writer threads hung")
        self.assertEqual(load.errors, [], "requests that got no answer (the server never went away)")
        self.assertEqual(load.bad, [], "answers other than 2xx and 503 JSON")
        self.assertAlive(srv, pid)

        faults.verify_acknowledged(self, srv, key, load.acked_puts, load.acked_shares)
        count = int(harness.psql(self.db, "SELECT count(*) FROM reports").strip())
        self.assertGreaterEqual(count, len(load.acked_puts))
        self.assertEqual(srv.request("GET", "/readyz").status, 200)
        self.assertAlive(srv, pid)


if __name__ == "__main__":
    unittest.main()
