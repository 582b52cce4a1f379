#!/usr/bin/env bash
# Builds the base image runtime images start from, out of Debian packages alone
# (debootstrap + docker import), for machines that reach no container registry.
# Elsewhere pass BASE_IMAGE=debian:bookworm-slim to the runtime builds instead.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

IMAGE=${1:-runbox/base:bookworm}
SUITE=${SUITE:-bookworm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if docker image inspect "$IMAGE" >/dev/null 2>&1; then exit 0; fi
apt_install debootstrap
ROOTFS=$(mktemp -d /tmp/runbox-rootfs.XXXXXX)
trap 'rm -rf "$ROOTFS"' EXIT
log "debootstrap $SUITE into $ROOTFS (about a minute)"
debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$MIRROR" >/dev/null
# Keep images small and apt usable inside later builds.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
tar -C "$ROOTFS" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["/bin/bash"]' - "$IMAGE" >/dev/null
log "built $IMAGE"
