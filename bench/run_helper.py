#!/usr/bin/env python3
"""Helpers of bench/run (standard library only).

  run_helper.py reports N            NDJSON of N reports (ids 1..N) on stdout
  run_helper.py nginx-conf TEMPLATE DIR PORT BODY_FILE TLS_PORT
                                     the nginx config on stdout (HTTPS on
                                     TLS_PORT with DIR/tls.pem, DIR/tls.key)
  run_helper.py free-port            a free loopback TCP port
  run_helper.py bulk-zip URL KEY PID FIRST_ID N SINGLES W
                                     the bulk ZIP scenario: times one
                                     POST /assessments/reports/download of N
                                     distinct cold ids from FIRST_ID against
                                     SINGLES single downloads of other cold
                                     ids, samples the RSS of PID; JSON on stdout
  run_helper.py summarize RAW META OUT_JSON
                                     the table on stdout and the JSON file
"""

import http.client
import io
import json
import socket
import statistics
import sys
import threading
import time
import urllib.parse
import zipfile

# Report 318 is the demo report of bench/demo_report.h (SPEC §1, 6 sections);
# the others have the same shape with other numbers and names.
SECTIONS = [
    ("Python", 80, [("Data structures", 90), ("Standard library", 75), ("Testing", 70)]),
    ("SQL", 65, [("Joins", 70), ("Indexes", 60), ("Transactions", 65)]),
    ("System design", 70, [("Caching", 80), ("Queues", 60)]),
    ("HTTP & APIs", 85, [("REST semantics", 90), ("Authentication", 80)]),
    ("Debugging", 55, [("Reading stack traces", 60), ("Profiling", 50)]),
    ("Communication", 78, [("Written explanation", 78)]),
]


def report(i):
    demo = i == 318
    shift = 0 if demo else (i * 7) % 21 - 10
    pct = lambda p: max(0, min(100, p + shift))  # noqa: E731
    return {
        "report_id": i,
        "assessment_id": 138,
        "assessment_name": "Backend Engineer Screening",
        "candidate_id": 5012 if demo else 100000 + i,
        "name": "Priya Raman" if demo else f"Candidate {i}",
        "email": "priya@example.com" if demo else f"candidate{i}@example.com",
        "invite_status": "Completed",
        "started_date": "2025-07-09T06:02:11Z",
        "completed_date": "2025-07-09T06:58:40Z",
        "cut_off": 60,
        "overall_percentage": 72.5 if demo else float(pct(72)),
        "offtab_count": 2,
        "registration_fields": [
            {"label": "Phone", "value": "+91 98450 00000"},
            {"label": "City", "value": "Bengaluru"},
            {"label": "Experience", "value": "5 years"},
        ],
        "sections": [
            {
                "section": name,
                "percentage": pct(p),
                "skill_wise_score": [{"skill": s, "percentage": pct(sp)} for s, sp in skills],
            }
            for name, p, skills in SECTIONS
        ],
    }


def cmd_reports(n):
    # Reports differ in their id, candidate and shift (i * 7 % 21): serialize
    # one report per shift, then only swap those fields in (100,000 in ~1 s).
    templates = {}
    out = []
    for i in range(1, int(n) + 1):
        if i == 318:
            out.append(json.dumps(report(i), separators=(",", ":")))
            continue
        shift = (i * 7) % 21
        if shift not in templates:
            r = report(i)
            r.update(report_id=-1, candidate_id=-2, name="@NAME@", email="@EMAIL@")
            templates[shift] = json.dumps(r, separators=(",", ":"))
        out.append(
            templates[shift]
            .replace(":-1,", f":{i},", 1)
            .replace(":-2,", f":{100000 + i},", 1)
            .replace("@NAME@", f"Candidate {i}")
            .replace("@EMAIL@", f"candidate{i}@example.com")
        )
    sys.stdout.write("\n".join(out) + "\n")


def cmd_nginx_conf(template, directory, port, body_file, tls_port):
    with open(body_file, encoding="utf-8") as f:
        body = f.read()
    # Inside nginx's single quotes: no quote, backslash or variable expansion.
    if any(c in body for c in "'\\$"):
        sys.exit("run_helper: the share body has a character nginx would interpret")
    with open(template, encoding="utf-8") as f:
        text = f.read()
    text = (text.replace("@DIR@", directory).replace("@PORT@", port)
            .replace("@TLS_PORT@", tls_port))
    sys.stdout.write(text.replace("@SHARE_BODY@", body))


def cmd_free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])


def rss_kib(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cmd_bulk_zip(url, key, pid, first_id, n, singles, workers):
    """One bulk download of n cold reports: time to the response header and
    to the first body byte, the total, and the server's RSS growth (sampled
    every 5 ms), against the mean time of one cold single download."""
    u = urllib.parse.urlsplit(url)
    first_id, n, singles, workers = int(first_id), int(n), int(singles), int(workers)

    def post(path, body):
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
        conn.request("POST", path, body=body, headers={"apiKey": key, "Content-Type": "application/json"})
        return conn, conn.getresponse()

    # One render, cold: ids after the bulk range, each rendered once.
    single_s = []
    for i in range(singles):
        t = time.monotonic()
        conn, resp = post(f"/assessments/reports/{first_id + n + i}/download", b"")
        data = resp.read()
        conn.close()
        if resp.status != 200 or not data.startswith(b"%PDF-"):
            sys.exit(f"run_helper: single download failed: {resp.status}")
        single_s.append(time.monotonic() - t)
    one = statistics.mean(single_s)

    rss_before = rss_kib(pid)
    peak = [rss_before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib(pid))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    body = json.dumps({"report_ids": list(range(first_id, first_id + n))}).encode()
    t0 = time.monotonic()
    conn, resp = post("/assessments/reports/download", body)
    t_header = time.monotonic() - t0
    first = resp.read(1)
    t_first = time.monotonic() - t0
    data = first + resp.read()
    total = time.monotonic() - t0
    conn.close()
    done.set()
    sampler.join()
    rss_after = rss_kib(pid)
    if resp.status != 200:
        sys.exit(f"run_helper: bulk download failed: {resp.status}")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    if len(names) != n or "errors.json" in names:
        sys.exit(f"run_helper: the ZIP holds {len(names)} entries, not {n} PDFs")
    budget = 1.25 * n * one / workers
    json.dump({
        "reports": n,
        "render_workers": workers,
        "zip_bytes": len(data),
        "header_s": round(t_header, 4),
        "first_byte_s": round(t_first, 4),
        "total_s": round(total, 3),
        "one_render_s": round(one, 5),
        "n_renders_over_w_s": round(n * one / workers, 3),
        "x_n_renders_over_w": round(total / (n * one / workers), 3),
        "target_total_s": round(budget, 3),
        "rss_before_kib": rss_before,
        "rss_peak_kib": peak[0],
        "rss_after_kib": rss_after,
        "rss_growth_kib": peak[0] - rss_before,
    }, sys.stdout)
    print()


def fmt_ms(us):
    return f"{us / 1000:.2f}"


def cmd_summarize(raw_file, meta_file, out_file):
    """RAW: one JSON object per wrk run (path, conns, round, wrk summary,
    server CPU ticks); META: the run's settings, RSS and sizes."""
    with open(meta_file, encoding="utf-8") as f:
        meta = json.load(f)
    runs = []
    with open(raw_file, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                runs.append(json.loads(line))
    tick_us = 1e6 / meta["clock_ticks_per_second"]
    paths = []
    for p in runs:
        name = p["path"]
        if any(r["path"] == name for r in paths):
            continue
        row = {"path": name, "server": p["server"], "request": p["request"], "baseline": p["baseline"]}
        for conns in (64, 4):
            rs = [r for r in runs if r["path"] == name and r["connections"] == conns]
            if not rs:
                continue
            rps = [r["requests"] / (r["duration_us"] / 1e6) for r in rs]
            key = f"c{conns}"
            row[key] = {
                "req_per_s_median": round(statistics.median(rps)),
                "req_per_s_rounds": [round(x) for x in rps],
                "p50_ms_median": round(statistics.median(r["p50_us"] for r in rs) / 1000, 3),
                "p99_ms_median": round(statistics.median(r["p99_us"] for r in rs) / 1000, 3),
                "bytes_per_response": round(sum(r["bytes"] for r in rs) / sum(r["requests"] for r in rs)),
            }
            if conns == 64:
                ticks = sum(r["cpu_ticks"] for r in rs)
                reqs = sum(r["requests"] for r in rs)
                row["cpu_us_per_req"] = round(ticks * tick_us / reqs, 1)
        paths.append(row)
    by_name = {r["path"]: r for r in paths}
    for r in paths:
        base = by_name.get(r["baseline"])
        if base and "c64" in r and "c64" in base:
            r["x_nginx_req_per_s"] = round(r["c64"]["req_per_s_median"] / base["c64"]["req_per_s_median"], 3)
            if base.get("cpu_us_per_req"):
                r["x_nginx_cpu"] = round(r["cpu_us_per_req"] / base["cpu_us_per_req"], 1)
    result = dict(meta)
    result["results"] = paths
    with open(out_file, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
        f.write("\n")

    head = ["path", "req/s", "× nginx", "p50@64", "p99@64", "p50@4", "p99@4", "CPU µs/req", "× nginx CPU"]
    rows = []
    for r in paths:
        c64, c4 = r.get("c64", {}), r.get("c4", {})
        base = "" if r["baseline"] == r["path"] else f" ({r['baseline']})"
        rows.append([
            r["path"],
            f"{c64.get('req_per_s_median', 0):,}",
            f"{r.get('x_nginx_req_per_s', 0):.3f}{base}",
            fmt_ms(c64.get("p50_ms_median", 0) * 1000),
            fmt_ms(c64.get("p99_ms_median", 0) * 1000),
            fmt_ms(c4.get("p50_ms_median", 0) * 1000),
            fmt_ms(c4.get("p99_ms_median", 0) * 1000),
            f"{r.get('cpu_us_per_req', 0):.1f}",
            f"{r.get('x_nginx_cpu', 0):.1f}",
        ])
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(" --- " for _ in head) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    plain, tls = by_name.get("new-conn"), by_name.get("new-conn-tls")
    if plain and tls and "c64" in plain and "c64" in tls:
        print()
        print(f"new connections per second over TLS / plain: reportshare "
              f"{tls['c64']['req_per_s_median'] / plain['c64']['req_per_s_median']:.3f}", end="")
        ng_plain, ng_tls = by_name.get("nginx-new-conn"), by_name.get("nginx-new-conn-tls")
        if ng_plain and ng_tls and "c64" in ng_plain and "c64" in ng_tls:
            print(f", nginx {ng_tls['c64']['req_per_s_median'] / ng_plain['c64']['req_per_s_median']:.3f}",
                  end="")
        print(f"; a TLS handshake costs reportshare {tls.get('cpu_us_per_req', 0) - plain.get('cpu_us_per_req', 0):.0f} "
              "µs of server CPU")
    print()
    print("latencies in ms; req/s at 64 connections, medians of "
          f"{meta['rounds']} round(s) of {meta['seconds_c64']} s (64 conns) and "
          f"{meta['seconds_c4']} s (4 conns); CPU from /proc over the 64-connection runs")
    rss = meta["rss_kib"]
    print("RSS at the end (MiB): " + ", ".join(f"{k} {v / 1024:.1f}" for k, v in rss.items()))
    bulk = meta.get("bulk_zip")
    if bulk:
        print(f"bulk ZIP of {bulk['reports']} cold reports: header {bulk['header_s'] * 1000:.1f} ms, "
              f"first byte {bulk['first_byte_s'] * 1000:.1f} ms, total {bulk['total_s']:.2f} s = "
              f"{bulk['x_n_renders_over_w']:.2f} × (N × one render {bulk['one_render_s'] * 1000:.1f} ms"
              f" / W={bulk['render_workers']}), RSS growth "
              f"{bulk['rss_growth_kib'] / 1024:.1f} MiB (peak {bulk['rss_peak_kib'] / 1024:.1f} MiB)")


def main(argv):
    commands = {
        "reports": cmd_reports,
        "nginx-conf": cmd_nginx_conf,
        "free-port": cmd_free_port,
        "bulk-zip": cmd_bulk_zip,
        "summarize": cmd_summarize,
    }
    if len(argv) < 2 or argv[1] not in commands:
        sys.exit(__doc__)
    commands[argv[1]](*argv[2:])


if __name__ == "__main__":
    main(sys.argv)
