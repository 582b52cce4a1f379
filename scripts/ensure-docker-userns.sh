#!/usr/bin/env bash
# A second Docker Engine beside the main one, with userns-remap (deploy/docker/daemon.userns.json):
# root in its containers is uid 100000+ on the host. The root-inside tests run against it;
# the main engine keeps its images and settings. `ensure-docker-userns.sh [IMAGE...]` starts
# it where it is not running and copies the named images from the main engine (default:
# the bash runtime) where its copy differs. Idempotent; needs the main engine.
#
# In production one engine is configured with daemon.userns.json instead, and the images
# are built on it (`make images` with DOCKER_HOST pointing at it).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

SOCK=${USERNS_DOCKER_SOCK:-/run/runbox-userns/docker.sock}
ROOT=${USERNS_DOCKER_ROOT:-/var/lib/runbox-userns}
run_dir=$(dirname "$SOCK")
mkdir -p "$run_dir" "$ROOT"

# Its own data root, exec root, socket and containerd namespaces (it shares a system
# containerd where one runs, so its containers and images stay apart), and a bridge of its own
# without iptables rules (sandboxes have no network), so it leaves the main engine's
# networking alone. (Not `--bridge none`: a dockerd without a bridge deletes docker0.)
BRIDGE=${USERNS_DOCKER_BRIDGE:-rbuserns0}
command -v ip >/dev/null || apt_install iproute2
ip link show "$BRIDGE" >/dev/null 2>&1 || ip link add name "$BRIDGE" type bridge
start_dockerd "$SOCK" "$run_dir/dockerd.pid" /var/log/runbox/dockerd-userns.log \
  --config-file deploy/docker/daemon.userns.json \
  --data-root "$ROOT/docker" --exec-root "$run_dir/exec" -H "unix://$SOCK" \
  --containerd-namespace runbox-userns --containerd-plugins-namespace runbox-userns-plugins \
  --bridge "$BRIDGE" --iptables=false --ip6tables=false --ip-masq=false

images=("$@")
[ ${#images[@]} -eq 0 ] && images=("${RUNTIME_IMAGE_PREFIX:-runbox/}bash:latest")
for image in "${images[@]}"; do
  want=$(docker image inspect -f '{{.Id}}' "$image")
  have=$(DOCKER_HOST="unix://$SOCK" docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  [ "$want" = "$have" ] && continue
  log "copying $image to the userns-remap engine"
  docker save "$image" | DOCKER_HOST="unix://$SOCK" docker load -q >/dev/null
done
