#!/usr/bin/env bash
# The project's test command (README): installs what it needs, type-checks, then runs every test in
# three phases so the heavy ones do not fight over this 2-core machine:
#   1. unit, golden, rules, dashboard, parser and HTTP tests (parallel);
#   2. the heavy suites one file at a time: end to end (real Prometheus + Alertmanager), the Debian
#      package in a clean Debian 12 root, TLS against a real Prometheus;
#   3. the qemu lab (three real dm-multipath VMs).
# Extra arguments go to every vitest run (e.g. a name filter). Ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npx tsc --noEmit

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
HEAVY=(test/e2e test/packaging test/io/web-server.prometheus.test.ts)
LAB=(test/lab)
status=0
run() {
  local name=$1
  shift
  echo "== $name"
  npx vitest run --reporter=default --reporter=json --outputFile="$results/$name.json" "$@" || status=1
}
run fast $(printf -- '--exclude=%s/** ' test/e2e test/packaging test/lab) --exclude=test/io/web-server.prometheus.test.ts "$@"
run heavy --no-file-parallelism "${HEAVY[@]}" "$@"
run lab --no-file-parallelism "${LAB[@]}" "$@"

node -e '
const fs = require("fs");
const phaseFailed = process.argv[2] !== "0";
let passed = 0, failed = 0, files = 0;
for (const f of fs.readdirSync(process.argv[1])) {
  const r = JSON.parse(fs.readFileSync(`${process.argv[1]}/${f}`, "utf8"));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  // A file that failed without a failed test did not load (syntax error, failing hook): count it.
  failed += r.testResults.filter((f) => f.status === "failed" && !f.assertionResults.some((a) => a.status === "failed")).length;
  files += r.testResults.length;
}
if (files === 0 || passed === 0) { console.log("tests: 0 passed, 1 failed (no test ran)"); process.exit(1); }
// A phase that crashed before reporting still fails the run: never print "0 failed" then.
if (phaseFailed && failed === 0) failed = 1;
console.log(`tests: ${passed} passed, ${failed} failed`);
' "$results" "$status"
exit $status
