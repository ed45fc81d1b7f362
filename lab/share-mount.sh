#!/usr/bin/env bash
# Mounts a directory of this machine read-only into a lab host's mount namespace, as an NFS client would
# see the issuer's export: share-mount.sh HOST SOURCE MOUNTPOINT. Undo with share-umount.sh HOST MOUNTPOINT.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "lab: run as root" >&2; exit 2; }
host=$1 src=$2 target=$3
self=$(readlink /proc/self/ns/mnt) selfpid=$(readlink /proc/self/ns/pid)
pid=
# A process of the host's own PID namespace: entering its mount namespace alone would leave /proc/self
# (and so mountpoint and mount's remount, which read /proc/self/mountinfo) unresolvable there.
for p in $(ip netns pids "${CERTFLEET_LAB_PREFIX:-cf}-$host" 2>/dev/null); do
  [ "$(readlink "/proc/$p/ns/mnt" 2>/dev/null)" != "$self" ] && [ "$(readlink "/proc/$p/ns/pid" 2>/dev/null)" != "$selfpid" ] && { pid=$p; break; }
done
[ -n "$pid" ] || { echo "lab: host $host is not up (no process in netns ${CERTFLEET_LAB_PREFIX:-cf}-$host)" >&2; exit 1; }
# A host that has just come up may still be bind-mounting its configuration trees over /etc, which
# hides a mount point made too early: retry until the mount holds.
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  if nsenter -t "$pid" -m -p -- sh -c 'mkdir -p "$2" && { mountpoint -q "$2" || { mount --bind "$1" "$2" && mount -o remount,bind,ro "$2"; }; }' sh "$src" "$target" 2>/tmp/share-mount.$$; then
    rm -f /tmp/share-mount.$$
    exit 0
  fi
  sleep 1
done
cat /tmp/share-mount.$$ >&2; rm -f /tmp/share-mount.$$
exit 1
