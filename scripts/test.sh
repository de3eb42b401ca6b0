#!/usr/bin/env bash
# Runs the whole suite with bun's runner and closes with the one line CI reads:
# "N passed, N failed". Exits non-zero when anything failed or the runner itself failed.
set -u
cd "$(dirname "$0")/.."
BUN=node_modules/.bin/bun
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$BUN" test --timeout 60000 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -Eo '^ *[0-9]+ pass$' "$log" | tail -1 | grep -Eo '[0-9]+')
failed=$(grep -Eo '^ *[0-9]+ fail$' "$log" | tail -1 | grep -Eo '[0-9]+')
passed=${passed:-0}
failed=${failed:-0}
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
