# Bench fleet: N hosts, each in network namespace cfb-I at 10.78.I.2 (a /30 with 10.78.I.1 on this side),
# with its own sshd and nginx serving TLS on 443 (files placed by Ansible) and 8443 (by certfleet deploy). Sourced after lib.sh; fleet_up registers fleet_down.
# Addresses stay in 10.78.0.0/16 on veth pairs that this script creates: no traffic leaves the machine.

fleet_addr() { echo "10.78.$1.2"; }

fleet_up() {
  local n=$1 i H
  need ip unshare sshd nginx ssh-keygen openssl
  [ "$n" -le 250 ] || die "at most 250 hosts (one /24 of 10.78.0.0/16 each)"
  FLEET=$WORK/fleet
  FLEET_N=$n
  mkdir -p "$FLEET"
  on_exit fleet_down
  ssh-keygen -q -t ed25519 -N '' -C certfleet-bench -f "$FLEET/id_ed25519"
  cp "$FLEET/id_ed25519.pub" "$FLEET/authorized_keys"
  : > "$FLEET/known_hosts"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -sha256 -subj "/CN=www.example.test" \
    -addext "subjectAltName=DNS:example.test,DNS:*.example.test" -keyout "$FLEET/initial.key" -out "$FLEET/initial.crt" 2>/dev/null
  for i in $(seq "$n"); do
    H=$FLEET/h$i
    ip link del "cfbh-$i" 2>/dev/null || true
    ip netns del "cfb-$i" 2>/dev/null || true
    mkdir -p "$H"/{run/sshd,log/nginx,etc}
    cp -a /etc/nginx "$H/etc/nginx"
    sed -i 's/^worker_processes .*/worker_processes 1;/' "$H/etc/nginx/nginx.conf"
    rm -f "$H/etc/nginx/sites-enabled/"*
    mkdir -p "$H/etc/nginx/tls"
    cp "$FLEET/initial.crt" "$H/etc/nginx/tls/bench.crt"
    install -m 600 "$FLEET/initial.key" "$H/etc/nginx/tls/bench.key"
    cat > "$H/etc/nginx/sites-enabled/bench-ssl" <<CONF
server {
	listen $(fleet_addr "$i"):443 ssl;
	server_name example.test *.example.test;
	ssl_certificate /etc/nginx/tls/bench.crt;
	ssl_certificate_key /etc/nginx/tls/bench.key;
	root /var/www/html;
}
# What certfleet deploy places (push to /etc/nginx/certfleet): seeded with the initial certificate, which
# the first deploy replaces with its links through current/.
server {
	listen $(fleet_addr "$i"):8443 ssl;
	server_name site00000.example.test *.site00000.example.test;
	ssl_certificate /etc/nginx/certfleet/site00000/fullchain.pem;
	ssl_certificate_key /etc/nginx/certfleet/site00000/privkey.pem;
	root /var/www/html;
}
CONF
    mkdir -p "$H/etc/nginx/certfleet/site00000"
    cp "$FLEET/initial.crt" "$H/etc/nginx/certfleet/site00000/fullchain.pem"
    install -m 600 "$FLEET/initial.key" "$H/etc/nginx/certfleet/site00000/privkey.pem"
    ssh-keygen -q -t ed25519 -N '' -f "$H/ssh_host_ed25519_key"
    echo "$(fleet_addr "$i") $(cut -d' ' -f1,2 "$H/ssh_host_ed25519_key.pub")" >> "$FLEET/known_hosts"
    printf '%s\n' "ListenAddress $(fleet_addr "$i")" "HostKey $H/ssh_host_ed25519_key" "PidFile /run/sshd.pid" \
      "AuthorizedKeysFile $FLEET/authorized_keys" "PermitRootLogin prohibit-password" "PasswordAuthentication no" \
      "KbdInteractiveAuthentication no" "UsePAM no" "StrictModes no" "MaxStartups 200" "Subsystem sftp internal-sftp" > "$H/sshd_config"

    ip netns add "cfb-$i"
    ip link add "cfbh-$i" type veth peer name eth0 netns "cfb-$i"
    ip addr add "10.78.$i.1/30" dev "cfbh-$i"
    ip link set "cfbh-$i" up
    ip -n "cfb-$i" addr add "$(fleet_addr "$i")/30" dev eth0
    ip -n "cfb-$i" link set eth0 up
    ip -n "cfb-$i" link set lo up
    ip netns exec "cfb-$i" unshare --pid --fork --mount-proc --propagation private \
      setsid bash "$BENCH_DIR/fleet-host-init.sh" "$H" > "$H/init.log" 2>&1 < /dev/null 8>&- &
  done
  for i in $(seq "$n"); do
    wait_tcp "$(fleet_addr "$i")" 22 30 && wait_tcp "$(fleet_addr "$i")" 443 30 \
      || { cat "$FLEET/h$i/init.log" >&2; die "bench host $i did not come up"; }
  done
  note "fleet: $n hosts up"
}

# Stops every process of every bench namespace (ip netns pids: exactly those) and removes namespaces and veths.
fleet_down() {
  local ns pids
  for ns in $(ip netns list | awk '$1 ~ /^cfb-[0-9]+$/ { print $1 }'); do
    pids=$(ip netns pids "$ns" 2>/dev/null)
    [ -n "$pids" ] && kill $pids 2>/dev/null
  done
  sleep 0.3
  for ns in $(ip netns list | awk '$1 ~ /^cfb-[0-9]+$/ { print $1 }'); do
    pids=$(ip netns pids "$ns" 2>/dev/null)
    [ -n "$pids" ] && kill -9 $pids 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    ip link del "cfbh-${ns#cfb-}" 2>/dev/null
  done
  return 0
}
