#!/usr/bin/env bash
# What the test suites need beyond the service's own setup, each only where missing:
# chromium (the playground's browser test drives it through playwright-core),
# redis-sentinel (the Sentinel failover test starts its own sentinels) and docker-compose
# (npm run test:compose). Idempotent.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
apt_install chromium redis-sentinel docker-compose
# Debian's redis-sentinel package starts a system sentinel on 26379 through its init script
# where it can; the tests start their own on free ports and never rely on it.
