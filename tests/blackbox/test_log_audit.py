"""The log audit itself (audit_logs.py) finds what it looks for, so the
suite-wide check after the black-box run (blackbox.log_audit) can fail."""

import json
import os
import shutil
import tempfile
import unittest

import audit_logs

KEY = "rs_" + "A" * 43
DEMO_BANNER = ("\nreportshare demo: company \"Acme Talent (demo)\" with reports 318\n"
               "API key: %s   (key id k_a53b17c9f1; shown once)\n\nTry it:\n"
               "  curl -s -X POST -H 'apiKey: %s' http://127.0.0.1:1/x\n\n" % (KEY, KEY))


class LogAuditTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rs-audit-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def record(self, name, stdout="", stderr='{"msg":"listening"}\n', metrics="", secrets=(),
               personal=()):
        with open(os.path.join(self.dir, name + ".json"), "w", encoding="utf-8") as f:
            json.dump({"test": "t", "stdout": stdout, "stderr": stderr, "metrics": metrics,
                       "secrets": list(secrets), "personal": list(personal)}, f)

    def test_clean_records_pass(self):
        self.record("a", stdout='{"route":"/assessments/bp/reports/shared/{token}"}\n',
                    secrets=["s3cr3t-token-value"], personal=["Some Candidate"])
        self.assertEqual(audit_logs.check(self.dir), 0)

    def test_the_demo_banner_alone_is_left_out(self):
        self.record("a", stderr=DEMO_BANNER + '{"msg":"listening"}\n')
        self.assertEqual(audit_logs.check(self.dir), 0)

    def test_no_records_fail(self):
        self.assertEqual(audit_logs.check(self.dir), 1)

    def test_each_leak_fails(self):
        leaks = {
            "given secret in stderr": dict(stderr="x s3cr3t-token-value y\n",
                                           secrets=["s3cr3t-token-value"]),
            "candidate name in a metric": dict(metrics='m{name="Some Candidate"} 1\n',
                                               personal=["Some Candidate"]),
            "demo candidate": dict(stdout="Priya Raman\n"),
            "api key shape": dict(stdout="rs_" + "A" * 43 + "\n"),
            "token in a path": dict(stdout="/assessments/bp/reports/shared/AQAAAAGe6gbl8xRPbgYv\n"),
            "webhook secret shape": dict(stderr="whsec_" + "a" * 32 + "\n"),
            "email shape": dict(stderr="to hm@acme.example\n"),
            "tsan report": dict(stderr="==1==WARNING: ThreadSanitizer: data race (pid=1)\n"),
            "asan report": dict(stderr="==1==ERROR: AddressSanitizer: heap-use-after-free\n"),
            "ubsan report": dict(stderr="x.cc:3:5: runtime error: signed integer overflow\n"),
            "api key after the demo banner": dict(stderr=DEMO_BANNER + "rs_" + "B" * 43 + "\n"),
        }
        for what, kwargs in leaks.items():
            with self.subTest(what):
                for p in os.listdir(self.dir):
                    os.remove(os.path.join(self.dir, p))
                self.record("a", **kwargs)
                self.assertEqual(audit_logs.check(self.dir), 1, what)

    def test_reset_empties_the_directory(self):
        self.record("a")
        audit_logs.reset(self.dir)
        self.assertEqual(os.listdir(self.dir), [])


if __name__ == "__main__":
    unittest.main()
