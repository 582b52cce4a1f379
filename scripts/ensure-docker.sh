#!/usr/bin/env bash
# Makes sure a Docker Engine answers on /var/run/docker.sock: installs Debian's docker.io
# when dockerd is missing, starts it in the background when it is not running. Idempotent.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SOCK=${DOCKER_SOCK:-/var/run/docker.sock}

command -v curl >/dev/null || apt_install curl ca-certificates
# gVisor, for SANDBOX_RUNTIME=runsc (or a runtime's sandboxRuntime); daemon.json names it.
command -v runsc >/dev/null || apt_install runsc
# Engine defaults for runbox, in place before docker.io is installed (its package may start
# dockerd at once): no container logs on disk (output is taken through attach), live-restore
# so a daemon restart does not kill running sandboxes, and the runsc runtime.
if [ ! -f /etc/docker/daemon.json ]; then
  mkdir -p /etc/docker
  cp "$(dirname "$0")/../deploy/docker/daemon.json" /etc/docker/daemon.json
elif ! grep -q runsc /etc/docker/daemon.json; then
  log "/etc/docker/daemon.json has no runsc runtime: SANDBOX_RUNTIME=runsc will not work (see deploy/docker/daemon.json)"
fi
engine_answers "$SOCK" && exit 0

command -v dockerd >/dev/null || apt_install docker.io
start_dockerd "$SOCK" /var/run/docker.pid /var/log/runbox/dockerd.log -H "unix://$SOCK"
