#!/usr/bin/env bash
# Builds the two images docker-compose.yml takes from a registry elsewhere, out of Debian
# packages and this host's Node.js, for machines that reach no container registry:
#   runbox/node:20   the debootstrap base (runbox/base:bookworm) plus this host's node and npm
#   runbox/redis:7   the same base plus Debian's redis-server
# Then: NODE_IMAGE=runbox/node:20 REDIS_IMAGE=runbox/redis:7 docker-compose up --build ...
# Skips an image already built (runbox/node:20 is rebuilt when the host's node changes).
# runbox/node:20 trusts the certificate authorities this host added (e.g. a TLS proxy's),
# so that npm ci inside the service build reaches the registry as the host does.
# Debian 12's own nodejs is 18, older than runbox needs (20), hence the host's binary: it
# must be a glibc build of Node.js 20 or later (NodeSource's package or an official tarball).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/.." && pwd)

BASE_IMAGE=${BASE_IMAGE:-runbox/base:bookworm}
NODE_IMAGE=${NODE_IMAGE:-runbox/node:20}
REDIS_IMAGE=${REDIS_IMAGE:-runbox/redis:7}

"$ROOT/deploy/base/build-base.sh" "$BASE_IMAGE"

node_bin=$(readlink -f "$(command -v node)")
node_version=$("$node_bin" --version)
if [ "$(printf '%s' "$node_version" | sed -E 's/^v([0-9]+).*/\1/')" -lt 20 ]; then
  log "this host's node is $node_version; the service image needs Node.js 20 or later"
  exit 1
fi
if [ "$(docker image inspect -f '{{ index .Config.Labels "org.runbox.node" }}' "$NODE_IMAGE" 2>/dev/null)" != "$node_version" ]; then
  npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)
  context=$(mktemp -d /tmp/runbox-node-image.XXXXXX)
  trap 'rm -rf "$context"' EXIT
  cp "$ROOT/deploy/node/Dockerfile" "$context/"
  cp "$node_bin" "$context/node"
  cp -a "$npm_dir" "$context/npm"
  mkdir "$context/extra-ca"
  find /usr/local/share/ca-certificates -name '*.crt' -exec cp {} "$context/extra-ca/" \; 2>/dev/null || true
  log "building $NODE_IMAGE (node $node_version from this host)"
  docker build -q --force-rm --build-arg BASE_IMAGE="$BASE_IMAGE" --label org.runbox.node="$node_version" -t "$NODE_IMAGE" "$context" >/dev/null
fi

if ! docker image inspect "$REDIS_IMAGE" >/dev/null 2>&1; then
  log "building $REDIS_IMAGE (Debian's redis-server)"
  docker build -q --force-rm --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$REDIS_IMAGE" "$ROOT/deploy/redis-image" >/dev/null
fi
