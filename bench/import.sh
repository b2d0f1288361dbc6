#!/usr/bin/env bash
# Import throughput and memory (issue 14, SPEC §9): generates N reports of
# NDJSON (default 100,000, in the shape of demo report 318: bench/run_helper.py
# reports), imports them with `reportshare import` into a new SQLite file and
# into a throwaway PostgreSQL (tests/support/pg_server.sh: loopback, fsync
# off), and prints for each the wall time, reports/s and the importer's peak
# RSS (/usr/bin/time's maximum resident set size).
#
# Usage: bench/import.sh [--reports N] [--bin PATH] [--no-pg]
#   --bin PATH  the binary to measure (default: the release build, built first)
#   --no-pg     SQLite only
#
# It leaves nothing running and removes its temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."

reports=100000
bin=""
pg=1
while [ $# -gt 0 ]; do
  case "$1" in
    --reports) reports=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --no-pg) pg=0; shift ;;
    *) echo "usage: bench/import.sh [--reports N] [--bin PATH] [--no-pg]" >&2; exit 2 ;;
  esac
done

say() { echo "bench/import: $*" >&2; }
die() { say "$*"; exit 1; }

if [ ! -x /usr/bin/time ]; then
  say "installing time (for the peak RSS)"
  apt-get install -y time >/dev/null || die "cannot install time"
fi
if [ -z "$bin" ]; then
  scripts/build release reportshare >/dev/null
  bin=build/release/src/app/reportshare
fi
[ -x "$bin" ] || die "no binary at $bin"

work=$(mktemp -d /tmp/rs-bench-import.XXXXXX)
chmod 755 "$work"  # pg_server.sh runs the server as postgres when root
pg_started=0
cleanup() {
  local rc=$?
  if [ "$pg_started" = 1 ]; then bash tests/support/pg_server.sh stop "$work/pg" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

python3 bench/run_helper.py reports "$reports" >"$work/reports.ndjson"
bytes=$(stat -c %s "$work/reports.ndjson")
say "$reports reports, $((bytes / 1024 / 1024)) MiB of NDJSON"

# import_into LABEL DB: one import, its line of the table on stdout.
import_into() {
  local label=$1 db=$2
  /usr/bin/time -f '%e %M' -o "$work/time" \
    "$bin" import "$work/reports.ndjson" --company Bench --db "$db" 2>"$work/import.err" ||
    { tail -n 5 "$work/import.err" >&2; die "$label: import failed"; }
  grep -q "^imported $reports report(s) for \"Bench\"; 0 failed" "$work/import.err" ||
    { tail -n 5 "$work/import.err" >&2; die "$label: not every report was imported"; }
  local seconds kib
  read -r seconds kib <"$work/time"
  awk -v l="$label" -v n="$reports" -v s="$seconds" -v k="$kib" \
    'BEGIN { printf "%-10s %9d %8.2f %10.0f %8.1f\n", l, n, s, n / s, k / 1024 }'
}

printf "%-10s %9s %8s %10s %8s\n" backend reports seconds reports/s "RSS MiB"
import_into sqlite "sqlite:$work/bench.db"
if [ "$pg" = 1 ]; then
  url=$(bash tests/support/pg_server.sh start "$work/pg" 2>"$work/pg.err") ||
    { cat "$work/pg.err" >&2; die "PostgreSQL did not start"; }
  pg_started=1
  import_into postgresql "$url"
fi
