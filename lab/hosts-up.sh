#!/usr/bin/env bash
# Brings up the certfleet lab: one network + mount + PID namespace per host (lab/hosts.conf), each with
# its own sshd and a real web server from the Debian packages serving TLS on 443.
# Idempotent: a lab that is already up and answering is left alone. Undo with lab/hosts-down.sh.
set -euo pipefail
LAB_DIR=${CERTFLEET_LAB_DIR:-/var/lib/certfleet-lab}
# A second lab (the demo's) runs beside the tests' one with its own prefix and network.
PREFIX=${CERTFLEET_LAB_PREFIX:-cf} NET=${CERTFLEET_LAB_NET:-10.77}
HERE=$(cd "$(dirname "$0")" && pwd)
export LAB_DIR HERE PREFIX NET

[ "$(id -u)" -eq 0 ] || { echo "lab: run as root (network namespaces need it)" >&2; exit 2; }
for tool in ip unshare sshd nginx apache2 openssl ssh-keygen; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "lab: $tool missing; run scripts/prereqs.sh" >&2; exit 2; }
done

answers() { timeout 0.5 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
addr() { echo "$NET.0.$((4 * $1 + 2))"; }

# One bring-up at a time, check included, so that two test runs never tear down each other's lab.
exec 9>"/run/certfleet-lab-$PREFIX.lock"
flock -w 120 9 || { echo "lab: another hosts-up/down holds /run/certfleet-lab-$PREFIX.lock" >&2; exit 1; }

if [ -f "$LAB_DIR/up" ]; then
  ok=1
  while read -r name idx os server port; do
    case "$name" in ''|'#'*|down) continue ;; esac
    answers "$(addr "$idx")" "$port" || ok=0
  done < "$HERE/hosts.conf"
  [ $ok -eq 1 ] && { echo "lab: already up ($LAB_DIR)"; exit 0; }
fi

CERTFLEET_LAB_LOCKED=1 "$HERE/hosts-down.sh" 9>&-

mkdir -p "$LAB_DIR"
chmod 755 "$LAB_DIR"
: > "$LAB_DIR/created-dirs"
mountpoint_dir() { # a bind target that this Debian machine lacks (e.g. /etc/httpd); removed again by hosts-down
  if [ ! -e "$1" ]; then mkdir -p "$1"; echo "$1" >> "$LAB_DIR/created-dirs"; fi
}

# The controller's key and the known_hosts file certfleet checks.
ssh-keygen -q -t ed25519 -N '' -C certfleet-lab -f "$LAB_DIR/id_ed25519"
cp "$LAB_DIR/id_ed25519.pub" "$LAB_DIR/authorized_keys"
chmod 600 "$LAB_DIR/id_ed25519"
: > "$LAB_DIR/known_hosts"
: > "$LAB_DIR/hosts.tsv"

while read -r name idx os server port; do
  case "$name" in ''|'#'*) continue ;; esac
  H="$LAB_DIR/hosts/$name"
  ns=$PREFIX-$name
  a=$(addr "$idx"); gw="$NET.0.$((4 * idx + 1))"
  mkdir -p "$H"/{ssh,run/sshd,run/lock,log,sbin,tls,root}
  chmod 700 "$H/root"
  cp "$HERE/os-release/$os" "$H/os-release"

  # Network: a /30 per host so no bridge is needed; traffic stays on this machine.
  ip netns add "$ns"
  ip link add "${PREFIX}h-$name" type veth peer name eth0 netns "$ns"
  ip addr add "$gw/30" dev "${PREFIX}h-$name"
  ip link set "${PREFIX}h-$name" up
  ip -n "$ns" addr add "$a/30" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up

  # Host keys, and what the controller's known_hosts says about them.
  ssh-keygen -q -t ed25519 -N '' -f "$H/ssh/ssh_host_ed25519_key"
  ssh-keygen -q -t ecdsa -b 256 -N '' -f "$H/ssh/ssh_host_ecdsa_key"
  [ "$name" = rocky9 ] && ssh-keygen -q -t rsa -b 2048 -N '' -f "$H/ssh/ssh_host_rsa_key"
  known=$([ "$port" = 22 ] && echo "$a" || echo "[$a]:$port")
  case "$name" in
    debian12) # hashed, as HashKnownHosts yes writes them
      for k in "$H"/ssh/ssh_host_*_key.pub; do echo "$known $(cut -d' ' -f1,2 "$k")"; done > "$H/kh"
      ssh-keygen -q -H -f "$H/kh" >/dev/null 2>&1 && cat "$H/kh" >> "$LAB_DIR/known_hosts"; rm -f "$H/kh" "$H/kh.old" ;;
    ubuntu24)
      for k in "$H"/ssh/ssh_host_*_key.pub; do echo "$name.lab.test,$known $(cut -d' ' -f1,2 "$k")"; done >> "$LAB_DIR/known_hosts" ;;
    rekey) # recorded keys that the host no longer has: it was "reinstalled"
      ssh-keygen -q -t ed25519 -N '' -f "$H/old_ed25519"
      ssh-keygen -q -t ecdsa -b 256 -N '' -f "$H/old_ecdsa"
      echo "$known $(cut -d' ' -f1,2 "$H/old_ed25519.pub")" >> "$LAB_DIR/known_hosts"
      echo "$known $(cut -d' ' -f1,2 "$H/old_ecdsa.pub")" >> "$LAB_DIR/known_hosts" ;;
    *)
      for k in "$H"/ssh/ssh_host_*_key.pub; do echo "$known $(cut -d' ' -f1,2 "$k")"; done >> "$LAB_DIR/known_hosts" ;;
  esac

  {
    echo "Port $port"
    echo "ListenAddress $a"
    for k in "$H"/ssh/ssh_host_*_key; do echo "HostKey $k"; done
    echo "PidFile /run/sshd.pid"
    echo "AuthorizedKeysFile $LAB_DIR/authorized_keys"
    echo "PermitRootLogin prohibit-password"
    echo "PasswordAuthentication no"
    echo "KbdInteractiveAuthentication no"
    echo "UsePAM no"
    echo "StrictModes no"
    echo "AllowTcpForwarding yes"
    echo "Subsystem sftp internal-sftp"
  } > "$H/ssh/sshd_config"

  # A self-signed certificate per host (P-256, 30 days).
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -sha256 \
    -subj "/CN=$name.lab.test" -addext "subjectAltName=DNS:$name.lab.test,DNS:www.$name.lab.test" \
    -keyout "$H/tls/lab.key" -out "$H/tls/lab.crt" 2>/dev/null
  chmod 600 "$H/tls/lab.key"

  "$HERE/setup-$server.sh" "$name" "$H"
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$a" "$port" "$os" "$server" >> "$LAB_DIR/hosts.tsv"
  [ "$server" = httpd ] && { mountpoint_dir /etc/httpd; mountpoint_dir /etc/pki; }

  # PID 1 of the host is a shell (no systemd, as on these machines); it mounts the host's tree and starts its daemons.
  ip netns exec "$ns" unshare --pid --fork --mount-proc --propagation private \
    setsid bash "$HERE/host-init.sh" "$name" "$H" "$server" > "$H/init.log" 2>&1 < /dev/null 9>&- &
done < "$HERE/hosts.conf"

# Wait until every host answers (Tomcat's JVM is the slowest).
deadline=$((SECONDS + 45))
while read -r name idx os server port; do
  case "$name" in ''|'#'*|down) continue ;; esac
  a=$(addr "$idx")
  ports="$port"; [ "$server" != none ] && ports="$port 443"
  for p in $ports; do
    until answers "$a" "$p"; do
      [ $SECONDS -gt $deadline ] && { echo "lab: $name ($a:$p) did not come up; see $LAB_DIR/hosts/$name/init.log" >&2; exit 1; }
      sleep 0.2
    done
  done
done < "$HERE/hosts.conf"

# "down" runs no sshd (host-init.sh); "rekey" answers with keys other than the recorded ones (see above).
touch "$LAB_DIR/up"
echo "lab: up ($LAB_DIR; hosts in $LAB_DIR/hosts.tsv, key $LAB_DIR/id_ed25519, known_hosts $LAB_DIR/known_hosts)"
