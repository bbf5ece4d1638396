#!/usr/bin/env bash
# The project's test command (README): installs what it needs, type-checks, then runs every test in
# three phases so the heavy ones do not fight over this 2-core machine:
#   fast:  unit, golden, rules, dashboard, parser and HTTP tests (parallel);
#   heavy: end to end (real Prometheus + Alertmanager), the Debian package in a clean Debian 12
#          root, TLS against a real Prometheus, one file at a time;
#   lab:   the qemu lab (three real dm-multipath VMs; Debian 12 and 13 nodes under systemd).
# The suites are named once, in vitest.config.ts.
# Extra arguments go to every vitest run (e.g. a name filter). Ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npx tsc --noEmit

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
for phase in fast heavy lab; do
  echo "== $phase"
  npx vitest run --project "$phase" --reporter=default --reporter=json --outputFile="$results/$phase.json" "$@" || status=1
done
node scripts/test-summary.mjs "$results" "$status"
