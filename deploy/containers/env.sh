# Podman settings for machines like the CI's: root, no systemd, no container daemon, loopback only.
# Source it (". deploy/containers/env.sh") before podman or podman-compose; build-standins.sh does.
# WORKSHOP_CONTAINERS is where podman keeps its images and containers (default /var/tmp/workshop-containers).
WORKSHOP_CONTAINERS="${WORKSHOP_CONTAINERS:-/var/tmp/workshop-containers}"
mkdir -p "$WORKSHOP_CONTAINERS/storage" "$WORKSHOP_CONTAINERS/run"
# root may not raise rlimits here, and podman's default nofile is above the hard limit;
# crun refuses this kernel's hybrid cgroup layout, so runc, with cgroupfs (there is no systemd).
cat > "$WORKSHOP_CONTAINERS/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
cat > "$WORKSHOP_CONTAINERS/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$WORKSHOP_CONTAINERS/storage"
runroot = "$WORKSHOP_CONTAINERS/run"
CONF
# No registry: "FROM python:3.11-slim" must resolve to the local stand-in, never to a download.
cat > "$WORKSHOP_CONTAINERS/registries.conf" <<CONF
unqualified-search-registries = []
short-name-mode = "disabled"
CONF
export CONTAINERS_CONF="$WORKSHOP_CONTAINERS/containers.conf"
export CONTAINERS_STORAGE_CONF="$WORKSHOP_CONTAINERS/storage.conf"
export CONTAINERS_REGISTRIES_CONF="$WORKSHOP_CONTAINERS/registries.conf"
# The OCI format silently drops HEALTHCHECK.
export BUILDAH_FORMAT=docker
