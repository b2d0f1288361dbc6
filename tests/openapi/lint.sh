#!/usr/bin/env bash
# Lints the OpenAPI description with Redocly's linter (pinned in
# package.json, installed by scripts/setup) and fails on any problem, warnings
# included.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
doc=${1:-$here/../../docs/openapi.json}
redocly=$here/node_modules/.bin/redocly
if [ ! -x "$redocly" ]; then
  echo "openapi lint: $redocly is missing; run scripts/setup" >&2
  exit 1
fi
# Redocly exits non-zero on errors; it reports warnings as "You have N warnings".
out=$("$redocly" lint --format=stylish "$doc" 2>&1) || { echo "$out"; exit 1; }
echo "$out"
if grep -qE 'You have [0-9]+ warnings?' <<<"$out"; then
  echo "openapi lint: warnings are failures here" >&2
  exit 1
fi
