#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests.
#
#   pg_server.sh start DIR   initdb into DIR/data (first time only), start the
#                            server on 127.0.0.1 (a free port, kept in DIR/port
#                            so a restart reuses it), create the database, and
#                            print its URL, also written to DIR/url:
#                              postgresql://reportshare@127.0.0.1:PORT/reportshare
#                            Already running: prints the URL again.
#   pg_server.sh stop DIR    stop it (fast shutdown) and remove DIR/url; the
#                            cluster and port stay for a restart.
#   pg_server.sh url DIR     print the URL.
#
# Trust authentication, fsync off: for tests only. PostgreSQL refuses to run as
# root, so as root the server runs as the `postgres` user (DIR is given to it).
set -euo pipefail

readonly DB_USER=reportshare
readonly DB_NAME=reportshare

die() {
  echo "pg_server.sh: $*" >&2
  exit 1
}

usage() { die "usage: pg_server.sh start|stop|url DIR"; }

[[ $# -eq 2 ]] || usage
cmd=$1
dir=$2
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# The server binaries: pg_config's bindir, else the newest versioned install.
find_bindir() {
  local candidate
  if command -v pg_config >/dev/null 2>&1; then
    candidate=$(pg_config --bindir 2>/dev/null || true)
    if [[ -x $candidate/initdb && -x $candidate/pg_ctl ]]; then
      echo "$candidate"
      return
    fi
  fi
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -V -r) \
    /usr/local/pgsql/bin; do
    if [[ -x $candidate/initdb && -x $candidate/pg_ctl ]]; then
      echo "$candidate"
      return
    fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
    return
  fi
  die "no PostgreSQL server binaries (initdb, pg_ctl) found; install the postgresql package"
}

bindir=$(find_bindir)

# Runs a command as the unprivileged user that owns the cluster.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
    return
  fi
  local port
  for port in $(seq 25432 26431); do
    if ! ss -Htln "sport = :$port" 2>/dev/null | grep -q .; then
      echo "$port"
      return
    fi
  done
  die "no free port"
}

is_running() {
  [[ -f $dir/data/PG_VERSION ]] && as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

url() { echo "postgresql://$DB_USER@127.0.0.1:$(cat "$dir/port")/$DB_NAME"; }

start() {
  if is_running; then
    url
    return
  fi
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' user"
    chown -R postgres: "$dir"
    runuser -u postgres -- test -w "$dir" ||
      die "user postgres cannot reach $dir: every parent directory must be searchable (o+x)"
  fi
  if [[ ! -f $dir/data/PG_VERSION ]]; then
    rm -rf "$dir/data"
    as_owner "$bindir/initdb" -D "$dir/data" -U "$DB_USER" --auth=trust -E UTF8 --no-locale \
      --no-sync >"$dir/initdb.log" 2>&1 || {
      cat "$dir/initdb.log" >&2
      die "initdb failed"
    }
  fi
  # A fresh port the first time; the same one on a restart, so clients that
  # were connected can reconnect (unless another process took it meanwhile).
  # Another process may also take a fresh port between the probe and the
  # bind, so try a few.
  local attempt port
  for attempt in 1 2 3 4 5; do
    if [[ $attempt -eq 1 && -s $dir/port ]]; then
      port=$(cat "$dir/port")
    else
      port=$(free_port)
    fi
    if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null; then
      break
    fi
    if [[ $attempt -eq 5 ]]; then
      tail -n 20 "$dir/log" >&2 || true
      die "server did not start"
    fi
  done
  echo "$port" | as_owner tee "$dir/port" >/dev/null
  if ! as_owner "$bindir/psql" -h 127.0.0.1 -p "$port" -U "$DB_USER" -d postgres -XAtq \
    -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -q 1; then
    as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U "$DB_USER" "$DB_NAME"
  fi
  url | as_owner tee "$dir/url.tmp" >/dev/null
  as_owner mv "$dir/url.tmp" "$dir/url"
  url
}

stop() {
  if is_running; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
  fi
  rm -f "$dir/url"  # the port (DIR/port) is kept for a restart
}

case $cmd in
  start) start ;;
  stop) stop ;;
  url) [[ -s $dir/port ]] || die "never started in $dir"; url ;;
  *) usage ;;
esac
