#!/usr/bin/env bash
# Generates the man page reportshare.1.gz from the binary's own help, with
# help2man: `reportshare --help` (the commands), `reportshare serve --help`
# (as the section SERVE OPTIONS) and --version, plus the hand-written
# sections of packaging/reportshare.h2m (files, the unit, see also).
# Run by the build (the target reportshare_man), never by hand.
#   packaging/man.sh BINARY OUTPUT.1.gz
#
# help2man runs its program through the shell as `PROGRAM --help`; PROGRAM
# is this script in --emit mode, which prints both help texts as one, under
# the name "reportshare" (not the build path CLI11 would print).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" = "--emit" ]; then
  bin=$2
  case "$3" in
    --version) exec -a reportshare "$bin" --version ;;
    --help)
      # Without its title line: the page's DESCRIPTION is reportshare.h2m's.
      (exec -a reportshare "$bin" --help) | tail -n +2
      echo
      echo "Serve options:"
      # The options alone, without serve's own title and usage line. The
      # render worker count defaults to the core count of the machine that
      # runs serve, not of the one that built the page: its help says so.
      (exec -a reportshare "$bin" serve --help) | sed -n '/^Options:/,$p' | tail -n +2 |
        sed -E 's/^(  --render-workers INT:INT in \[[0-9]+ - [0-9]+\])=[0-9]+/\1/'
      ;;
    *) echo "man.sh --emit: unexpected $3" >&2; exit 2 ;;
  esac
  exit 0
fi

if [ $# -ne 2 ]; then
  echo "usage: packaging/man.sh BINARY OUTPUT.1.gz" >&2
  exit 2
fi
bin=$(realpath "$1")
out=$2
command -v help2man >/dev/null || { echo "man.sh: help2man is not installed (scripts/setup)" >&2; exit 1; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
# --no-discard-stderr: the help goes to stdout anyway; a failure shows.
help2man --no-info --no-discard-stderr --section 1 \
  --name "signed, time-limited links to candidates' assessment reports" \
  --include "$here/reportshare.h2m" \
  --output "$tmp" \
  "bash $(printf '%q' "$here/man.sh") --emit $(printf '%q' "$bin")"
# A page with no serve option means the help changed shape: fail the build.
grep -qF 'public\-url' "$tmp" || { echo "man.sh: no serve options in the page" >&2; exit 1; }
gzip -9n <"$tmp" >"$out.tmp"
mv "$out.tmp" "$out"
