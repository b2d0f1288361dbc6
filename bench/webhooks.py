#!/usr/bin/env python3
"""Webhook delivery under a burst of views (issue 12): latency and outbox throughput.

Usage: bench/webhooks.py [--views N] [--pg] [--bin PATH]

Starts reportshare (release build, SQLite by default; --pg starts a throwaway
PostgreSQL with tests/support/pg_server.sh) with one webhook registered to a
receiver on loopback that answers 200 at once, shares one link, then opens it
N times (default 10,000) from 4 client threads as fast as the server answers.
Every view is a link.viewed event. Prints, per event type:
  - latency: receiver arrival minus the event's own timestamp (the instant of
    the view, in the body), p50 / p99 / max;
  - outbox throughput: events delivered per second from the first view to the
    last delivery.
Also the views/s the burst achieved. Everything it starts, it stops.
"""
import argparse
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Receiver(http.server.ThreadingHTTPServer):
    """Answers 200 at once; appends "arrival type timestamp webhook-id" lines to `out`."""
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, out):
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.out = out


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        now = time.time()
        event = json.loads(body)
        ts = datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00")).timestamp()
        with self.server.lock:
            self.server.out.write(f"{now} {event['type']} {ts} {self.headers['webhook-id']}\n")
            self.server.out.flush()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def percentile(values, p):
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


def run_receiver(port_file, out_file):
    """The receiver's own process, so the load generator's threads do not slow it."""
    with open(out_file, "a") as out:
        receiver = Receiver(out)
        with open(port_file + ".tmp", "w") as f:
            f.write(str(receiver.server_address[1]))
        os.rename(port_file + ".tmp", port_file)
        receiver.serve_forever()


def read_arrivals(path):
    arrivals = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 4:
                arrivals.append((float(parts[0]), parts[1], float(parts[2]), parts[3]))
    return arrivals


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--receiver":
        run_receiver(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--views", type=int, default=10000)
    ap.add_argument("--pg", action="store_true")
    ap.add_argument("--bin", default=os.environ.get("REPORTSHARE_BIN"))
    ap.add_argument("--view-flush-ms", type=int, default=100)
    args = ap.parse_args()

    binary = args.bin
    if not binary:
        subprocess.run(["bash", "scripts/build", "release", "reportshare"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        binary = os.path.join(ROOT, "build/release/src/app/reportshare")

    work = tempfile.mkdtemp(prefix="rs-webhook-bench-")
    os.chmod(work, 0o755)
    procs = []
    arrivals_file = work + "/arrivals"
    receiver = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--receiver",
                                 work + "/receiver.port", arrivals_file])
    procs.append(receiver)
    try:
        for _ in range(100):
            if os.path.exists(work + "/receiver.port"):
                break
            time.sleep(0.05)
        with open(work + "/receiver.port") as f:
            receiver_port = int(f.read())
        if args.pg:
            out = subprocess.run(["bash", "tests/support/pg_server.sh", "start", work + "/pg"],
                                 cwd=ROOT, check=True, capture_output=True, text=True).stdout
            db = out.strip().splitlines()[-1]
        else:
            db = "sqlite:" + work + "/bench.db"
        server = subprocess.Popen(
            [binary, "serve", "--demo", "--db", db, "--signing-keys", work + "/keys",
             "--listen", "127.0.0.1:0", "--rate-limit", "0", "--webhook-allow-private",
             "--view-flush-ms", str(args.view_flush_ms)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        procs.append(server)
        port = key = None
        deadline = time.time() + 60
        while time.time() < deadline and not (port and key):
            line = server.stderr.readline()
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            port = port or (m and m.group(1))
            k = re.search(r"\b(rs_[A-Za-z0-9_-]{20,})", line)
            key = key or (k and k.group(1))
        if not (port and key):
            sys.exit("server did not start")
        log_lines = []

        def drain():
            with open(work + "/server.err", "w") as keep:
                for line in server.stderr:
                    keep.write(line)
                    if '"level":"warning"' in line or '"level":"error"' in line:
                        log_lines.append(line.strip())

        threading.Thread(target=drain, daemon=True).start()

        def call(method, path, body=None):
            c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
            c.request(method, path, body=json.dumps(body) if body is not None else None,
                      headers={"apiKey": key, "Content-Type": "application/json"})
            r = c.getresponse()
            data = r.read()
            c.close()
            return r.status, json.loads(data) if data else None

        status, hook = call("POST", "/assessments/webhooks",
                            {"url": f"http://127.0.0.1:{receiver_port}/hook"})
        assert status == 201, (status, hook)
        status, share = call("POST", "/assessments/reports/318/share", {"expiration_hours": 2})
        assert status == 200, (status, share)
        path = "/" + share["signed_url"].split("/", 3)[3]

        per_thread = args.views // 4
        total_views = per_thread * 4
        errors = []

        def viewer():
            c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
            for _ in range(per_thread):
                c.request("GET", path, headers={"User-Agent": "Mozilla/5.0 Chrome/120 bench"})
                r = c.getresponse()
                r.read()
                if r.status != 200:
                    errors.append(r.status)

        start = time.time()
        threads = [threading.Thread(target=viewer) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        burst_s = time.time() - start
        if errors:
            sys.exit(f"{len(errors)} views failed: {errors[:5]}")

        expected = total_views + 1  # the views and the link.created
        deadline = time.time() + 600
        while time.time() < deadline:
            if len({a[3] for a in read_arrivals(arrivals_file)}) >= expected:
                break
            time.sleep(0.2)
        arrivals = read_arrivals(arrivals_file)
        ids = [a[3] for a in arrivals]
        print(f"backend: {'postgresql' if args.pg else 'sqlite'}; views: {total_views} in "
              f"{burst_s:.2f} s ({total_views / burst_s:.0f}/s); deliveries received: "
              f"{len(arrivals)} (distinct webhook-ids: {len(set(ids))}; expected {expected}; "
              f"duplicates: {len(ids) - len(set(ids))})")
        for kind in sorted({a[1] for a in arrivals}):
            lat = [(a[0] - a[2]) * 1000 for a in arrivals if a[1] == kind]
            print(f"  {kind}: n={len(lat)} latency p50 {percentile(lat, 50):.1f} ms, "
                  f"p99 {percentile(lat, 99):.1f} ms, max {max(lat):.1f} ms")
        viewed = [a for a in arrivals if a[1] == "link.viewed"]
        if viewed:
            span = max(a[0] for a in viewed) - start
            print(f"  outbox throughput: {len(viewed) / span:.0f} deliveries/s "
                  f"(first view to last delivery, {span:.2f} s)")
        if log_lines:
            print(f"  server warnings/errors: {len(log_lines)}; first: {log_lines[0][:300]}")
        if len(set(ids)) < expected:
            sys.exit("not every event arrived")
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        if args.pg:
            subprocess.run(["bash", "tests/support/pg_server.sh", "stop", work + "/pg"], cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if os.environ.get("KEEP"):
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
