#!/usr/bin/env bash
# Stops every lab host and removes its namespaces, veths, mount points and state. Idempotent.
set -uo pipefail
LAB_DIR=${CERTFLEET_LAB_DIR:-/var/lib/certfleet-lab}
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${CERTFLEET_LAB_PREFIX:-cf}

[ "${CERTFLEET_LAB_LOCKED:-}" = 1 ] || exec 9>"/run/certfleet-lab-$PREFIX.lock"
[ "${CERTFLEET_LAB_LOCKED:-}" = 1 ] || flock -w 120 9 || { echo "lab: another hosts-up/down holds /run/certfleet-lab-$PREFIX.lock" >&2; exit 1; }

while read -r name idx _; do
  case "$name" in ''|'#'*) continue ;; esac
  ns=$PREFIX-$name
  if ip netns list | grep -qw "$ns"; then
    # Every process of the host runs in its namespace; kill exactly those.
    pids=$(ip netns pids "$ns" 2>/dev/null)
    [ -n "$pids" ] && kill $pids 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
      sleep 0.2
    done
    pids=$(ip netns pids "$ns" 2>/dev/null)
    [ -n "$pids" ] && kill -9 $pids 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  fi
  ip link del "${PREFIX}h-$name" 2>/dev/null
done < "$HERE/hosts.conf"

# Mount points the lab had to create on this machine (it records them when it does), unless another lab's
# hosts still mount over them: removing a directory detaches the mounts on it in every namespace.
if [ -f "$LAB_DIR/created-dirs" ] && ! ip netns list | grep -q -- '-rocky9'; then
  while read -r d; do rmdir "$d" 2>/dev/null; done < "$LAB_DIR/created-dirs"
fi
rm -rf "$LAB_DIR"
exit 0
