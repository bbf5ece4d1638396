#!/usr/bin/env bash
# The README's first command (`npm run demo`): a simulated multipath cluster (the real exporter per
# node on a fake multipathd), a real Prometheus with our rules and a real Alertmanager with our
# routes, all on 127.0.0.1, and the cluster health matrix refreshing in the terminal. Installs what
# it needs on Debian when root; otherwise says exactly what to install. Options: --once,
# --scenario FILE (docs/demo.md). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
DEPS_PROFILE=demo bash scripts/install-deps.sh
exec node --import tsx src/sim/demo.ts "$@"
