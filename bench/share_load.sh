#!/usr/bin/env bash
# Share requests/s on SQLite vs PostgreSQL, measured in one go on this machine.
# Usage: bench/share_load.sh [SECONDS_PER_ROUND] [ROUNDS]
# Builds the release binary if needed, starts a throwaway PostgreSQL, runs
# wrk (2 threads, 16 connections) against POST /assessments/reports/318/share
# for each backend in alternating rounds, and prints the median req/s of each
# and their ratio. Stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
rounds="${2:-3}"
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }
bash scripts/build release reportshare >/dev/null
bin="$PWD/build/release/src/app/reportshare"

work=$(mktemp -d /tmp/rs-bench-XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  bash tests/support/pg_server.sh stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

pg_url=$(bash tests/support/pg_server.sh start "$work/pg" | tail -n 1)

start_node() {  # NAME DB -> sets PORT_<NAME>, KEY_<NAME>
  local name=$1 db=$2
  local key
  key=$("$bin" keys create --company Bench --db "$db" 2>/dev/null | head -n 1)
  "$bin" serve --listen 127.0.0.1:0 --db "$db" --signing-keys "$work/$name.keys" \
    --rate-limit 0 >"$work/$name.out" 2>"$work/$name.err" &
  pids+=($!)
  local port=""
  for _ in $(seq 100); do
    port=$(grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' "$work/$name.err" | grep -oE '[0-9]+$' || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$work/$name.err" >&2; exit 1; }
  curl -sf -X PUT -H "apiKey: $key" -H 'Content-Type: application/json' \
    --data-binary @- "http://127.0.0.1:$port/assessments/report/318" >/dev/null <<'JSON'
{"report_id":318,"assessment_id":138,"assessment_name":"Backend Engineer Screening",
 "candidate_id":5012,"name":"Priya Raman","email":"priya@example.com","invite_status":"Completed",
 "started_date":"2025-07-09T06:02:11Z","completed_date":"2025-07-09T06:58:40Z","cut_off":60,
 "overall_percentage":72.5,"offtab_count":2,"registration_fields":[],
 "sections":[{"section":"Python","percentage":80,"skill_wise_score":[{"skill":"DS","percentage":90}]}]}
JSON
  printf -v "PORT_$name" '%s' "$port"
  printf -v "KEY_$name" '%s' "$key"
}

start_node sqlite "sqlite:$work/bench.db"
start_node postgres "$pg_url"

run_wrk() {  # PORT KEY -> req/s
  cat >"$work/share.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"expiration_hours": 2}'
wrk.headers["apiKey"] = "$2"
wrk.headers["Content-Type"] = "application/json"
LUA
  wrk -t2 -c16 -d"${secs}s" -s "$work/share.lua" \
    "http://127.0.0.1:$1/assessments/reports/318/share" | awk '/Requests\/sec/ {print $2}'
}

declare -a sqlite_rps postgres_rps
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
  s=$(run_wrk "$PORT_sqlite" "$KEY_sqlite")
  p=$(run_wrk "$PORT_postgres" "$KEY_postgres")
  sqlite_rps+=("$s")
  postgres_rps+=("$p")
  echo "round $r: sqlite ${s} req/s, postgresql ${p} req/s"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms=$(median "${sqlite_rps[@]}")
mp=$(median "${postgres_rps[@]}")
echo "median share req/s: sqlite $ms, postgresql $mp, postgresql/sqlite $(awk -v a="$mp" -v b="$ms" 'BEGIN {printf "%.2f", a/b}')"
