#!/usr/bin/env bash
# Builds the base, runner and runtime images: `build-images.sh [LANG...]` (default: all
# under deploy/runtimes). An image is skipped when one built from the same sources exists
# (label runbox.source-hash), so a second run takes seconds. Afterwards each runtime
# image carries label runbox.version, read from the image itself.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

BASE_IMAGE=${BASE_IMAGE:-runbox/base:bookworm}
RUNNER_IMAGE=${RUNNER_IMAGE:-runbox/runner:latest}
PREFIX=${RUNTIME_IMAGE_PREFIX:-runbox/}
RUNTIMES=deploy/runtimes

if [ "$BASE_IMAGE" = runbox/base:bookworm ]; then deploy/base/build-base.sh "$BASE_IMAGE"; fi

source_hash() { cat "$@" | sha256sum | cut -c1-16; }
built_hash() { docker image inspect -f '{{index .Config.Labels "runbox.source-hash"}}' "$1" 2>/dev/null || true; }

# The base image's name counts too: another BASE_IMAGE rebuilds everything on it.
runner_hash=$(source_hash $RUNTIMES/runner/Dockerfile $RUNTIMES/runner/*.[ch] <(echo "$BASE_IMAGE"))
if [ "$(built_hash "$RUNNER_IMAGE")" != "$runner_hash" ]; then
  log "building $RUNNER_IMAGE"
  docker build -q --build-arg BASE_IMAGE="$BASE_IMAGE" --label runbox.source-hash="$runner_hash" \
    -t "$RUNNER_IMAGE" $RUNTIMES/runner >/dev/null
fi

langs=("$@")
if [ ${#langs[@]} -eq 0 ]; then
  for d in $RUNTIMES/*/; do d=${d%/}; d=${d##*/}; [ "$d" = runner ] || langs+=("$d"); done
fi
for lang in "${langs[@]}"; do
  image="$PREFIX$lang:latest"
  hash=$(source_hash $RUNTIMES/$lang/Dockerfile $RUNTIMES/sandbox.Dockerfile <(echo "$runner_hash"))
  [ "$(built_hash "$image")" = "$hash" ] && continue
  log "building $image"
  # The language's own packages (cached apart from runbox-run, so a supervisor change does
  # not reinstall them), then the shared sandbox layer with the version as a label.
  docker build -q --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$image.packages" -f $RUNTIMES/$lang/Dockerfile $RUNTIMES >/dev/null
  version=$(docker run --rm --network none "$image.packages" cat /etc/runbox-version)
  docker build -q --build-arg RUNNER_IMAGE="$RUNNER_IMAGE" --build-arg PACKAGES_IMAGE="$image.packages" \
    --label runbox.version="$version" --label runbox.source-hash="$hash" \
    -t "$image" -f $RUNTIMES/sandbox.Dockerfile $RUNTIMES >/dev/null
  log "built $image (version $version)"
done
