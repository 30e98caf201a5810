#!/usr/bin/env bash
# Build local stand-ins for the base images compose.yaml and the Dockerfile name (python:3.11-slim,
# postgres:15, redis:7, nginx:1.27) from Debian packages, for machines with podman but no registry.
# Needs root and: podman buildah runc mmdebstrap uidmap fuse-overlayfs (Debian packages).
# Usage: deploy/containers/build-standins.sh [--force]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"

force="${1:-}"
mirror="${DEBIAN_MIRROR:-$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}"
mirror="${mirror:-http://deb.debian.org/debian}"

have() { podman image exists "$1" && [ "$force" != "--force" ]; }

if ! have localhost/debian-local:bookworm; then
    tar="$WORKSHOP_CONTAINERS/base.tar"
    # The host's extra CA certificates go in too: package mirrors may be reached through a proxy that needs them.
    mmdebstrap --quiet --variant=minbase --include=ca-certificates,passwd \
        --customize-hook='for c in /usr/local/share/ca-certificates/*.crt; do [ -e "$c" ] && cp "$c" "$1/usr/local/share/ca-certificates/"; done; chroot "$1" update-ca-certificates >/dev/null' \
        bookworm "$tar" "$mirror"
    podman import --quiet "$tar" localhost/debian-local:bookworm >/dev/null
    rm -f "$tar"
fi

for standin in python:3.11-slim postgres:15 redis:7 nginx:1.27; do
    if have "localhost/$standin"; then
        continue
    fi
    podman build --quiet --network host --pull=never --format docker \
        -t "localhost/$standin" "$here/standins/${standin%%:*}" >/dev/null
    echo "built localhost/$standin"
done
