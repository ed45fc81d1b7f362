#!/usr/bin/env bash
# Shared helpers of the benchmarks: the peers on loopback (BIND, Pebble, the OVH simulator), certfleet's
# build, timing with /usr/bin/time, medians and ratios, and cleanup of everything a script started.
# Sourced by the bench/*.sh scripts; not meant to be run alone.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
RUNS=${RUNS:-5}

die() { echo "bench: $*" >&2; exit 2; }
note() { echo "bench: $*" >&2; }

[ "$(id -u)" -eq 0 ] || die "run as root (BIND listens on port 53, the fleet needs network namespaces)"

# One benchmark at a time: they share port 53 on loopback and the 10.78.0.0/16 namespaces.
exec 8>/run/certfleet-bench.lock
flock -n 8 || die "another benchmark holds /run/certfleet-bench.lock"

WORK=$(mktemp -d /tmp/certfleet-bench.XXXXXX)
chmod 700 "$WORK"
BENCH_PIDS=()
BENCH_CLEANUPS=()

bench_cleanup() {
  local rc=$? i
  set +e
  for ((i = ${#BENCH_CLEANUPS[@]} - 1; i >= 0; i--)); do eval "${BENCH_CLEANUPS[$i]}"; done
  for pid in "${BENCH_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${BENCH_PIDS[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null
  done
  # Whatever a timed command left in its memory group (e.g. Ansible's forks when it was interrupted).
  local cg=/sys/fs/cgroup/memory/certfleet-bench-$$
  if [ -d "$cg" ]; then
    kill $(cat "$cg/cgroup.procs") 2>/dev/null; sleep 0.5; kill -9 $(cat "$cg/cgroup.procs") 2>/dev/null
    sleep 0.2; rmdir "$cg" 2>/dev/null
  fi
  [ -n "${KEEP_WORK:-}" ] && note "kept $WORK" || rm -rf "$WORK"
  exit $rc
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

on_exit() { BENCH_CLEANUPS+=("$1"); }

need() { for t in "$@"; do command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || die "$t missing; see bench/README.md (apt-get install ...)"; done; }

# Waits until host:port answers TCP, for at most $3 seconds.
wait_tcp() {
  local deadline=$((SECONDS + ${3:-20}))
  until timeout 0.5 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.1
  done
}

# A TCP port free on 127.0.0.1 at the time of asking.
free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 30000))
    ss -Htanu | awk '{print $5}' | grep -q ":$p\$" || { echo "$p"; return; }
  done
  die "no free port"
}

# ---------------------------------------------------------------- certfleet
# CERTFLEET_BIN: a published certfleet to use; otherwise the checkout is published into /tmp/bench-certfleet
# (Release, framework-dependent, ReadyToRun as docs/install.md publishes it), again whenever the checkout's commit differs
# from the one published there (uncommitted changes are not noticed: delete the folder to republish).
certfleet_bin() {
  if [ -n "${CERTFLEET_BIN:-}" ]; then
    [ -x "$CERTFLEET_BIN" ] || die "CERTFLEET_BIN=$CERTFLEET_BIN is not executable"
    echo "$CERTFLEET_BIN"; return
  fi
  local rev
  rev=$(git -C "$REPO" rev-parse HEAD 2>/dev/null || echo unknown)
  if [ ! -x /tmp/bench-certfleet/certfleet ] || [ "$(cat /tmp/bench-certfleet/.revision 2>/dev/null)" != "$rev" ]; then
    note "publishing certfleet $rev from $REPO into /tmp/bench-certfleet"
    rm -rf /tmp/bench-certfleet
    dotnet publish "$REPO/src/Certfleet.Cli" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
      -o /tmp/bench-certfleet --artifacts-path /tmp/art-bench -v q -nologo >&2 \
      || die "dotnet publish failed"
    echo "$rev" > /tmp/bench-certfleet/.revision
  fi
  note "certfleet: /tmp/bench-certfleet, commit $rev"
  echo /tmp/bench-certfleet/certfleet
}

# The OVH simulator's dll (built once from the checkout unless OVHSIM_DLL is set).
ovhsim_dll() {
  local dll=${OVHSIM_DLL:-/tmp/art-bench/bin/Certfleet.OvhSimulator/release/Certfleet.OvhSimulator.dll}
  if [ ! -f "$dll" ]; then
    note "building the OVH simulator"
    dotnet build "$REPO/tests/Certfleet.OvhSimulator" -c Release --artifacts-path /tmp/art-bench -v q -nologo >&2 || die "simulator build failed"
  fi
  echo "$dll"
}

# The store generator bench/Certfleet.Bench (BENCH_GEN: a built one to use instead).
bench_generator() {
  if [ -n "${BENCH_GEN:-}" ]; then echo "$BENCH_GEN"; return; fi
  dotnet build "$BENCH_DIR/Certfleet.Bench" -c Release --artifacts-path /tmp/art-bench -v q -nologo >&2 || die "generator build failed"
  echo /tmp/art-bench/bin/Certfleet.Bench/release/Certfleet.Bench
}

# ---------------------------------------------------------------- BIND
# named authoritative for example.test on 127.0.0.1:53 and [::1]:53, updatable with TSIG key
# "certfleet-bench" (hmac-sha256). Port 53, and every timed command sees /etc/resolv.conf pointing at it
# (see timed), because lego checks propagation at the zone's authoritative nameservers by name
# (ns.example.test) on port 53 through the system resolver; so every client reaches the same server.
TSIG_NAME=certfleet-bench
TSIG_ALG=hmac-sha256
start_bind() {
  need named nsupdate dig
  ss -Hlnu | awk '{print $4}' | grep -Eq '(^|:|\])53$' && die "port 53 is taken on this machine; stop that DNS server first"
  local d=$WORK/bind
  mkdir -p "$d"
  TSIG_SECRET=$(head -c 32 /dev/urandom | base64)
  cat > "$d/named.conf" <<EOF
options {
  directory "$d";
  pid-file "$d/named.pid";
  session-keyfile "$d/session.key";
  managed-keys-directory "$d";
  listen-on port 53 { 127.0.0.1; };
  listen-on-v6 port 53 { ::1; };
  recursion no;
  notify no;
  dnssec-validation no;
  allow-query { any; };
  allow-transfer { none; };
};
controls { };
key "$TSIG_NAME" { algorithm $TSIG_ALG; secret "$TSIG_SECRET"; };
logging { channel file { file "$d/named.log"; severity info; print-time yes; }; category default { file; }; category lame-servers { null; }; };
zone "example.test" {
  type primary;
  file "$d/example.test.zone";
  journal "$d/example.test.zone.jnl";
  update-policy { grant $TSIG_NAME zonesub ANY; };
};
EOF
  cat > "$d/example.test.zone" <<EOF
\$TTL 1
@ IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 1
@ IN NS ns.example.test.
ns IN A 127.0.0.1
EOF
  echo "nameserver 127.0.0.1" > "$WORK/resolv.conf"
  printf 'key "%s" { algorithm %s; secret "%s"; };\n' "$TSIG_NAME" "$TSIG_ALG" "$TSIG_SECRET" > "$d/update.key"
  printf '%s\n' "$TSIG_SECRET" > "$d/tsig.secret"
  chmod 600 "$d/update.key" "$d/tsig.secret"
  /usr/sbin/named -f -n 1 -c "$d/named.conf" > "$d/console.log" 2>&1 8>&- &
  BENCH_PIDS+=($!)
  for _ in $(seq 150); do
    dig +short +norec +time=1 +tries=1 @127.0.0.1 -p 53 example.test SOA 2>/dev/null | grep -q hostmaster && { BIND_DIR=$d; return; }
    sleep 0.1
  done
  cat "$d/console.log" "$d/named.log" >&2 2>/dev/null
  die "named did not answer on 127.0.0.1:53"
}

# Removes every _acme-challenge TXT left over (a peer that failed half-way).
bind_clear() {
  printf 'server 127.0.0.1 53\nupdate delete _acme-challenge.example.test. TXT\nsend\n' | nsupdate -k "$BIND_DIR/update.key" 2>/dev/null || true
}

# ---------------------------------------------------------------- Pebble
# Pebble on a free port with a TLS certificate from a throw-away root ($PEBBLE_ROOT), validating DNS-01
# against the BIND above. No validation sleep, no nonce rejection, no authorization reuse: every client
# gets the same full order each run.
start_pebble() {
  need pebble openssl
  local d=$WORK/pebble port mgmt
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -sha256 -subj "/CN=certfleet bench Pebble TLS root" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$d/root.key" -out "$d/root.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" -keyout "$d/key.pem" -out "$d/leaf.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' > "$d/leaf.ext"
  openssl x509 -req -in "$d/leaf.csr" -CA "$d/root.pem" -CAkey "$d/root.key" -CAcreateserial -days 1 -sha256 -extfile "$d/leaf.ext" -out "$d/cert.pem" 2>/dev/null
  chmod 600 "$d/key.pem" "$d/root.key"
  port=$(free_port); mgmt=$(free_port)
  cat > "$d/pebble-config.json" <<EOF
{ "pebble": { "listenAddress": "127.0.0.1:$port", "managementListenAddress": "127.0.0.1:$mgmt",
  "certificate": "$d/cert.pem", "privateKey": "$d/key.pem", "httpPort": $(free_port), "tlsPort": $(free_port),
  "ocspResponderURL": "", "externalAccountBindingRequired": false } }
EOF
  (cd "$d" && PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 exec /usr/bin/pebble -config "$d/pebble-config.json" -dnsserver 127.0.0.1:53) > "$d/pebble.log" 2>&1 8>&- &
  BENCH_PIDS+=($!)
  PEBBLE_DIR_URL=https://127.0.0.1:$port/dir
  PEBBLE_ROOT=$d/root.pem
  for _ in $(seq 150); do
    curl -fsS --cacert "$PEBBLE_ROOT" "$PEBBLE_DIR_URL" >/dev/null 2>&1 && return
    sleep 0.1
  done
  cat "$d/pebble.log" >&2
  die "pebble did not answer $PEBBLE_DIR_URL"
}

# ---------------------------------------------------------------- OVH simulator
OVH_AK=benchAppKey012345
OVH_AS=benchAppSecretAbCdEfGhIjKlMnOpQrSt
OVH_CK=benchConsumerKey0000000000000000
# start_ovhsim DELAY: the simulator publishing into the BIND above after DELAY (5s, 30s...).
start_ovhsim() {
  local dll port
  dll=$(ovhsim_dll)
  port=$(free_port)
  stop_ovhsim
  dotnet "$dll" --urls "http://127.0.0.1:$port" --bind 127.0.0.1:53 --tsig-key-file "$BIND_DIR/update.key" \
    --app "$OVH_AK:$OVH_AS" --consumer-key "$OVH_CK" --zone example.test --delay "$1" > "$WORK/ovhsim.log" 2>&1 8>&- &
  OVHSIM_PID=$!
  BENCH_PIDS+=($OVHSIM_PID)
  OVH_BASE=http://127.0.0.1:$port/1.0
  wait_tcp 127.0.0.1 "$port" 30 || { cat "$WORK/ovhsim.log" >&2; die "the OVH simulator did not start"; }
}
stop_ovhsim() {
  [ -n "${OVHSIM_PID:-}" ] || return 0
  # The simulator may hang on SIGTERM (seen with .NET 10): give it 3 s, then SIGKILL.
  kill "$OVHSIM_PID" 2>/dev/null
  for _ in $(seq 30); do kill -0 "$OVHSIM_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$OVHSIM_PID" 2>/dev/null
  wait "$OVHSIM_PID" 2>/dev/null || true
  OVHSIM_PID=
}

# ---------------------------------------------------------------- timing
# timed LABEL CMD...: runs CMD under /usr/bin/time, appends "wall cpu maxrss_kb" to $WORK/t.LABEL;
# output goes to $WORK/last.LABEL.log. A failing command fails the benchmark (a fast failure is no result).
timed() {
  local label=$1; shift
  local out=$WORK/time.out cg=/sys/fs/cgroup/memory/certfleet-bench-$$ group=0
  # The whole process tree's peak (RSS + page cache it charged) from a cgroup v1 memory group when there
  # is one; /usr/bin/time's %M is the largest single process only.
  # A private mount namespace whose /etc/resolv.conf names the bench BIND (only for this command).
  [ -f "$WORK/resolv.conf" ] && set -- unshare --mount --propagation private bash -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$WORK/resolv.conf" "$@"
  if [ -w /sys/fs/cgroup/memory ] && mkdir -p "$cg" 2>/dev/null; then
    echo 0 > "$cg/memory.max_usage_in_bytes" 2>/dev/null || true
    set -- bash -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg" "$@"
  fi
  if ! /usr/bin/time -f '%e %U %S %M' -o "$out" "$@" > "$WORK/last.$label.log" 2>&1 8>&-; then
    if [ -d "$cg" ]; then kill -9 $(cat "$cg/cgroup.procs") 2>/dev/null; sleep 0.2; rmdir "$cg" 2>/dev/null; fi
    tail -n 30 "$WORK/last.$label.log" >&2
    [ -n "${TIMED_SOFT:-}" ] && return 1
    die "$label failed (log above)"
  fi
  if [ -d "$cg" ]; then
    group=$(( $(cat "$cg/memory.max_usage_in_bytes") / 1024 ))
    rmdir "$cg" 2>/dev/null || true
  fi
  awk -v g="$group" '{ printf "%s %.2f %s %s\n", $1, $2 + $3, $4, g }' "$out" >> "$WORK/t.$label"
}

# median of column $2 (1 wall s, 2 cpu s, 3 peak RSS kB) of $WORK/t.$1
median() {
  awk -v c="$2" '{ print $c }' "$WORK/t.$1" | sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 == 0) print "-"; else printf "%.2f\n", b / a }'; }

# row LABEL [PEER]: one result line: medians of wall, CPU, peak RSS, and the peer's wall over ours.
# row LABEL: medians of wall, CPU, largest process's peak RSS, and the process group's peak.
row() {
  local w c m g
  w=$(median "$1" 1); c=$(median "$1" 2); m=$(median "$1" 3); g=$(median "$1" 4)
  printf '| %-28s | %8s | %8s | %12s | %12s |\n' "$1" "$w" "$c" "$(awk -v m="$m" 'BEGIN { printf "%.0f", m / 1024 }')" \
    "$(awk -v g="$g" 'BEGIN { if (g + 0 == 0) print "-"; else printf "%.0f", g / 1024 }')"
}
table_head() {
  printf '| %-28s | %8s | %8s | %12s | %12s |\n' "what (median of $RUNS)" "wall s" "CPU s" "max RSS MB" "group MB"
  printf '|%s|%s|%s|%s|%s|\n' ------------------------------ ---------- ---------- -------------- --------------
}

machine_line() {
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg) at start; $(date -u +%FT%TZ)"
}
