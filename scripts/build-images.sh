#!/usr/bin/env bash
# Builds the base, runner and runtime images: `build-images.sh [LANG...]` (default: all
# under deploy/runtimes). An image is skipped when one built from the same sources exists
# (label runbox.source-hash), so a second run takes seconds. Afterwards each runtime
# image carries label runbox.version, read from the image itself.
#
# Progress, one line each: "[i/n] building IMAGE", "  LANG PART: step s/m : INSTRUCTION" as the
# build goes, "[i/n] built IMAGE (version V) in N s"; a failed build prints its last lines
# and the script exits 1. A worker with IMAGES_BUILD_MISSING runs this script and reads
# these lines (src/sandbox/builtin-images.ts): keep their shape.
# RUNBOX_BUILD_NO_CACHE=1 builds the language packages without Docker's cache (to measure a
# fresh machine).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

BASE_IMAGE=${BASE_IMAGE:-runbox/base:bookworm}
RUNNER_IMAGE=${RUNNER_IMAGE:-runbox/runner:latest}
PREFIX=${RUNTIME_IMAGE_PREFIX:-runbox/}
RUNTIMES=deploy/runtimes
# The classic builder: its "Step s/m" lines are the progress shown here.
export DOCKER_BUILDKIT=0
no_cache=()
if [ "${RUNBOX_BUILD_NO_CACHE:-}" = 1 ]; then no_cache=(--no-cache); fi

if [ "$BASE_IMAGE" = runbox/base:bookworm ]; then deploy/base/build-base.sh "$BASE_IMAGE"; fi

source_hash() { cat "$@" | sha256sum | cut -c1-16; }
built_hash() { docker image inspect -f '{{index .Config.Labels "runbox.source-hash"}}' "$1" 2>/dev/null || true; }

build_log=$(mktemp)
trap 'rm -f "$build_log"' EXIT

# docker_build LABEL ARGS...: docker build, its steps shown as progress lines; on failure
# the last lines of its output, and the status of docker build.
docker_build() {
  local label=$1
  shift
  # pipefail: the pipeline fails when docker build does.
  if docker build "$@" 2>&1 | tee "$build_log" | while IFS= read -r line; do
    case $line in
      Step\ *) log "  $label: step ${line#Step }" ;;
    esac
  done; then return 0; fi
  log "  $label: the build failed; its last lines:"
  tail -n 25 "$build_log" | sed 's/^/    /' >&2
  return 1
}

# The base image's name counts too: another BASE_IMAGE rebuilds everything on it.
runner_hash=$(source_hash $RUNTIMES/runner/Dockerfile $RUNTIMES/runner/*.[ch] <(echo "$BASE_IMAGE"))
if [ "$(built_hash "$RUNNER_IMAGE")" != "$runner_hash" ]; then
  log "building $RUNNER_IMAGE"
  docker_build runner --build-arg BASE_IMAGE="$BASE_IMAGE" --label runbox.source-hash="$runner_hash" \
    -t "$RUNNER_IMAGE" $RUNTIMES/runner
fi

langs=("$@")
if [ ${#langs[@]} -eq 0 ]; then
  for d in $RUNTIMES/*/; do d=${d%/}; d=${d##*/}; [ "$d" = runner ] || langs+=("$d"); done
fi
# Only what is out of date is built, and counted.
todo=()
for lang in "${langs[@]}"; do
  [ -f "$RUNTIMES/$lang/Dockerfile" ] || { log "no runtime $lang (no $RUNTIMES/$lang/Dockerfile)"; exit 2; }
  hash=$(source_hash $RUNTIMES/$lang/Dockerfile $RUNTIMES/sandbox.Dockerfile <(echo "$runner_hash"))
  [ "$(built_hash "$PREFIX$lang:latest")" = "$hash" ] || todo+=("$lang")
done
[ ${#todo[@]} -gt 0 ] || exit 0
log "${#todo[@]} runtime image(s) to build: ${todo[*]}"
i=0
for lang in "${todo[@]}"; do
  i=$((i + 1))
  image="$PREFIX$lang:latest"
  hash=$(source_hash $RUNTIMES/$lang/Dockerfile $RUNTIMES/sandbox.Dockerfile <(echo "$runner_hash"))
  started=$SECONDS
  log "[$i/${#todo[@]}] building $image"
  # The language's own packages (cached apart from runbox-run, so a supervisor change does
  # not reinstall them), then the shared sandbox layer with the version as a label.
  if ! docker_build "$lang packages" ${no_cache[@]+"${no_cache[@]}"} --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$image.packages" \
    -f $RUNTIMES/$lang/Dockerfile $RUNTIMES; then
    log "[$i/${#todo[@]}] FAILED $image after $((SECONDS - started)) s"
    exit 1
  fi
  version=$(docker run --rm --network none "$image.packages" cat /etc/runbox-version)
  if ! docker_build "$lang sandbox layer" --build-arg RUNNER_IMAGE="$RUNNER_IMAGE" --build-arg PACKAGES_IMAGE="$image.packages" \
    --label runbox.version="$version" --label runbox.source-hash="$hash" \
    -t "$image" -f $RUNTIMES/sandbox.Dockerfile $RUNTIMES; then
    log "[$i/${#todo[@]}] FAILED $image after $((SECONDS - started)) s"
    exit 1
  fi
  log "[$i/${#todo[@]}] built $image (version $version) in $((SECONDS - started)) s"
done
