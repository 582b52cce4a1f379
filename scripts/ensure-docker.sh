#!/usr/bin/env bash
# Makes sure a Docker Engine answers on /var/run/docker.sock: installs Debian's docker.io
# when dockerd is missing, starts it in the background when it is not running. Idempotent.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SOCK=${DOCKER_SOCK:-/var/run/docker.sock}
engine_answers() { curl -sf --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1; }

command -v curl >/dev/null || apt_install curl ca-certificates
# gVisor, for SANDBOX_RUNTIME=runsc (or a runtime's sandboxRuntime); daemon.json names it.
command -v runsc >/dev/null || apt_install runsc
engine_answers && exit 0

command -v dockerd >/dev/null || apt_install docker.io
# Engine defaults for runbox: no container logs on disk (output is taken through attach),
# live-restore so a daemon restart does not kill running sandboxes.
if [ ! -f /etc/docker/daemon.json ]; then
  mkdir -p /etc/docker
  cp "$(dirname "$0")/../deploy/docker/daemon.json" /etc/docker/daemon.json
elif ! grep -q runsc /etc/docker/daemon.json; then
  log "/etc/docker/daemon.json has no runsc runtime: SANDBOX_RUNTIME=runsc will not work (see deploy/docker/daemon.json)"
fi
if ! pgrep -x dockerd >/dev/null; then
  rm -f /var/run/docker.pid   # left behind by a dockerd killed with its session
  log "starting dockerd"
  mkdir -p /var/log/runbox
  nohup dockerd >>/var/log/runbox/dockerd.log 2>&1 &
fi
for _ in $(seq 1 120); do engine_answers && exit 0; sleep 0.5; done
log "dockerd did not answer on $SOCK within 60 s; see /var/log/runbox/dockerd.log"
tail -n 20 /var/log/runbox/dockerd.log >&2 || true
exit 1
