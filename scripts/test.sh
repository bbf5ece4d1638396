#!/usr/bin/env bash
# The project's test command (README): installs what it needs, type-checks, runs every test
# (unit, promtool rules, dashboard queries, real Prometheus/Alertmanager end to end, the qemu lab).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npx tsc --noEmit
npx vitest run "$@"
