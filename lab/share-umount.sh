#!/usr/bin/env bash
# Undoes share-mount.sh: share-umount.sh HOST MOUNTPOINT (and removes the empty mount point).
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "lab: run as root" >&2; exit 2; }
host=$1 target=$2
self=$(readlink /proc/self/ns/mnt) selfpid=$(readlink /proc/self/ns/pid)
for p in $(ip netns pids "${CERTFLEET_LAB_PREFIX:-cf}-$host" 2>/dev/null); do
  if [ "$(readlink "/proc/$p/ns/mnt" 2>/dev/null)" != "$self" ] && [ "$(readlink "/proc/$p/ns/pid" 2>/dev/null)" != "$selfpid" ]; then
    nsenter -t "$p" -m -p -- sh -c 'if mountpoint -q "$1"; then umount "$1"; fi; rmdir "$1" 2>/dev/null || true' sh "$target"
    exit 0
  fi
done
exit 0
