"""The log audit of a whole black-box run (issue 10): no API key, link token,
signing key, webhook secret, candidate name or candidate email in any log line
or metric of any server the suite started, and no sanitizer report in any
server's stderr.

  audit_logs.py --reset DIR   empty DIR before the suite (ctest fixture setup)
  audit_logs.py DIR           check every record in DIR (fixture cleanup)

harness.py writes one record per server run into $REPORTSHARE_TEST_AUDIT_DIR:
the run's stdout and stderr, its last /metrics, and the secrets and personal
data the suite gave it. Beside those exact strings, the check looks for the
shapes of secrets anywhere (an API key, a link token in a URL, a webhook
secret, an email address), so a secret the harness did not note is caught too.
Python 3 standard library only.
"""

import glob
import json
import os
import re
import shutil
import sys

# The demo data's candidates (src/app/demo.cc), which `serve --demo` stores.
DEMO_PERSONAL = [
    "Priya Raman", "priya@example.com", "अनन्या शर्मा", "ananya.sharma@example.in",
    "ليلى حداد", "layla.haddad@example.com", "Jonathan Alexander Montgomery-Wellington",
    "jonathan.mw@example.co.uk", "王小明",
]

SHAPES = {
    # "rs_" + 43 Base64url characters (service/api_keys.h).
    "an API key": re.compile(r"rs_[A-Za-z0-9_-]{43}"),
    # A token after the link path: the access log names the route instead.
    "a link token": re.compile(r"/reports/shared/[A-Za-z0-9_-]{16}"),
    "a webhook secret": re.compile(r"whsec_[A-Za-z0-9+/]{16}"),
    # A sanitizer build's report (ASan, UBSan, LSan, TSan): a bug whatever
    # the test then saw.
    "a sanitizer report": re.compile(
        r"ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|SUMMARY: UndefinedBehaviorSanitizer"
        r"|\bruntime error: "),
    "an email address": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
}


# The one thing a server prints that holds a secret on purpose: `serve
# --demo`'s banner, which shows the demo company's new API key once, and a
# curl line with it (README). Only that block is left out of the check.
DEMO_BANNER = re.compile(r"(?ms)^reportshare demo: .*?^Try it:\n  curl [^\n]*\n")


def reset(directory):
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    return 0


def excerpt(text, needle_at, width=80):
    start = max(0, needle_at - width)
    return text[start:needle_at + width].replace("\n", "\\n")


def check(directory):
    paths = sorted(glob.glob(os.path.join(directory, "*.json")))
    if not paths:
        print("audit: no server record in %s: the suite ran no server, or the "
              "harness did not write its records" % directory)
        return 1
    problems = []
    lines = metrics = secrets_checked = 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            record = json.load(f)
        parts = {"stdout": record["stdout"], "stderr": DEMO_BANNER.sub("", record["stderr"], count=1),
                 "metrics": record.get("metrics") or ""}
        lines += record["stdout"].count("\n") + record["stderr"].count("\n")
        metrics += parts["metrics"].count("\n")
        needles = [(s, "a secret it was given") for s in record["secrets"]]
        needles += [(p, "candidate data") for p in record["personal"] + DEMO_PERSONAL]
        secrets_checked += len(record["secrets"])
        for where, text in parts.items():
            for needle, kind in needles:
                at = text.find(needle)
                if at >= 0:
                    problems.append("%s %s: %s in %s: ...%s..." % (
                        os.path.basename(path), record.get("test", ""), kind, where,
                        excerpt(text, at)))
            for kind, shape in SHAPES.items():
                m = shape.search(text)
                if m:
                    problems.append("%s %s: %s in %s: ...%s..." % (
                        os.path.basename(path), record.get("test", ""), kind, where,
                        excerpt(text, m.start())))
    print("audit: %d server runs, %d log lines, %d metric lines, %d secrets looked for"
          % (len(paths), lines, metrics, secrets_checked))
    if lines == 0:
        print("audit: the servers logged nothing at all: the capture is broken")
        return 1
    for p in problems:
        print("LEAK:", p)
    return 1 if problems else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "--reset":
        return reset(argv[2])
    if len(argv) == 2:
        return check(argv[1])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
