#!/usr/bin/env bash
# Makes sure redis-server is installed (the one-process mode starts it as a child; tests
# start their own). Idempotent.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
command -v redis-server >/dev/null || apt_install redis-server
# Debian's package starts a system redis on 6379 through its init script where it can;
# runbox never relies on it.
