#!/usr/bin/env bash
# Benchmark 3: deploying a new certificate to N nginx hosts (network namespaces at 10.78.I.2 with sshd and
# nginx, see fleet.sh), certfleet deploy vs an Ansible playbook with forks = N: copy the two files, nginx -t,
# reload handler. Each run deploys a freshly made certificate, so every host really changes and reloads.
# Usage: sudo bench/deploy.sh   (SIZES="10 50 100", RUNS=3; WARMUP=0 skips the warm-up; TOOLS="certfleet ansible":
# TOOLS=certfleet measures certfleet only, TOOLS=ansible (or CERTFLEET_DEPLOY=0) Ansible only; a certfleet deploy
# still running after DEPLOY_TIMEOUT=300 s is reported as stalled)
RUNS=${RUNS:-3}
source "$(dirname "$0")/lib.sh"
source "$BENCH_DIR/fleet.sh"
TOOLS=${TOOLS:-certfleet ansible}
[ "${CERTFLEET_DEPLOY:-1}" = 1 ] || TOOLS=${TOOLS//certfleet/}
ANSIBLE=0
case " $TOOLS " in *" ansible "*) ANSIBLE=1; need ansible-playbook ;; esac
need ssh openssl /usr/bin/time
SIZES=${SIZES:-10 50 100}
MAX=$(echo "$SIZES" | tr ' ' '\n' | sort -n | tail -1)

CF=$(certfleet_bin)
machine_line
fleet_up "$MAX"

# ---------------------------------------------------------------- Ansible
mkdir -p "$WORK/ansible/cp"
cat > "$WORK/ansible/ansible.cfg" <<EOF
[defaults]
host_key_checking = True
gathering = explicit
retry_files_enabled = False
interpreter_python = /usr/bin/python3
timeout = 30
[ssh_connection]
pipelining = True
control_path_dir = $WORK/ansible/cp
ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=$FLEET/known_hosts -o StrictHostKeyChecking=yes
EOF
cat > "$WORK/ansible/deploy.yml" <<'EOF'
- hosts: web
  gather_facts: false
  tasks:
    - name: certificate chain
      ansible.builtin.copy: { src: "{{ cert_dir }}/fullchain.pem", dest: /etc/nginx/tls/bench.crt, mode: "0644" }
      notify: reload nginx
    - name: private key
      ansible.builtin.copy: { src: "{{ cert_dir }}/privkey.pem", dest: /etc/nginx/tls/bench.key, mode: "0600" }
      notify: reload nginx
    - name: configuration test
      ansible.builtin.command: nginx -t
      changed_when: false
  handlers:
    - name: reload nginx
      ansible.builtin.command: nginx -s reload
EOF
inventory() {
  { echo "[web]"; for i in $(seq "$1"); do echo "h$i ansible_host=$(fleet_addr "$i")"; done
    echo "[web:vars]"; echo "ansible_user=root"; echo "ansible_ssh_private_key_file=$FLEET/id_ed25519"; } > "$WORK/ansible/hosts.$1"
}

new_cert() { # a new certificate and key in $WORK/certs/$1/{fullchain,privkey}.pem
  local d=$WORK/certs/$1
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -sha256 -subj "/CN=example.test" \
    -addext "subjectAltName=DNS:example.test,DNS:*.example.test" -keyout "$d/privkey.pem" -out "$d/fullchain.pem" 2>/dev/null
  echo "$d"
}

run_ansible() { # N RUN
  local d
  d=$(new_cert "a.$1.$2")
  ANSIBLE_CONFIG=$WORK/ansible/ansible.cfg timed "ansible-N$1" ansible-playbook -i "$WORK/ansible/hosts.$1" --forks "$1" \
    -e "cert_dir=$d" "$WORK/ansible/deploy.yml"
  grep -q "failed=0" "$WORK/last.ansible-N$1.log" || die "ansible reported failures"
  for i in 1 "$1"; do # the first and the last host now serve the new certificate
    echo | timeout 5 openssl s_client -connect "$(fleet_addr "$i"):443" 2>/dev/null | openssl x509 -noout -fingerprint -sha256 \
      | grep -q "$(openssl x509 -in "$d/fullchain.pem" -noout -fingerprint -sha256 | cut -d= -f2)" || die "host $i does not serve the new certificate after Ansible"
  done
}

# ---------------------------------------------------------------- certfleet
# certfleet deploy (when this build has the command): files, nginx -t, reload, and a TLS handshake on each
# endpoint that uses the files (8443 here), per host; canary 0 and one batch of N, like Ansible's forks = N.
CF_DEPLOY=0
case " $TOOLS " in *" certfleet "*) "$CF" deploy --help > /dev/null 2>&1 && CF_DEPLOY=1 ;; esac
cf_config() { # N
  local i
  {
    echo "stateDir: $WORK/cfstate"
    echo "acme: { directory: https://127.0.0.1:14000/dir, email: ops@example.test }"
    echo "dns: { providers: { lab: { type: rfc2136, server: 127.0.0.1:53, tsigKeyName: k, tsigAlgorithm: hmac-sha256, tsigSecret: env:BENCH_UNUSED } } }"
    echo "ssh: { knownHosts: $FLEET/known_hosts, parallelism: $1 }"
    echo "hosts:"
    for i in $(seq "$1"); do echo "  h$i: { address: $(fleet_addr "$i"), identityFile: $FLEET/id_ed25519 }"; done
    echo "groups:"
    echo "  web: [$(seq -s, -f 'h%g' "$1")]"
    echo "certificates:"
    echo "  site00000:"
    echo "    domains: [site00000.example.test, \"*.site00000.example.test\"]"
    echo "    dnsProvider: lab"
    echo "    deploy:"
    echo "      - { to: \"@web\", method: push, path: /etc/nginx/certfleet, services: [nginx] }"
    echo "rollout: { canary: 0, batch: $1, parallelism: $1 }"
  } > "$WORK/cf.$1.yaml"
}
run_certfleet() { # N RUN: a new version of site00000 in the store (bench generator), then deploy it
  "$GEN" generate-store --state "$WORK/cfstate" --config "$WORK/gen.yaml" --count 1 --history 0 > /dev/null
  if ! BENCH_UNUSED=c2VjcmV0 TIMED_SOFT=1 timed "certfleet-N$1" timeout "${DEPLOY_TIMEOUT:-300}" "$CF" --config "$WORK/cf.$1.yaml" deploy site00000; then
    note "certfleet deploy to $1 hosts failed or stalled (> ${DEPLOY_TIMEOUT:-300} s): $(grep -c 'Deployed: deployed and verified' "$WORK/last.certfleet-N$1.log") host(s) verified"
    echo "stalled" > "$WORK/stalled.$1"
  fi
}
if [ $CF_DEPLOY = 1 ]; then
  GEN=$(bench_generator)
fi

MIN=$(echo "$SIZES" | tr ' ' '\n' | sort -n | head -1)
if [ "${WARMUP:-1}" = 1 ]; then
  note "warm-up"
  if [ $ANSIBLE = 1 ]; then inventory "$MIN"; run_ansible "$MIN" 0; fi
  if [ $CF_DEPLOY = 1 ]; then cf_config "$MIN"; run_certfleet "$MIN" 0; fi
  rm -f "$WORK"/t.* "$WORK"/stalled.*
fi

for n in $SIZES; do
  if [ $ANSIBLE = 1 ]; then inventory "$n"; fi
  [ $CF_DEPLOY = 1 ] && cf_config "$n"
  for r in $(seq "$RUNS"); do
    note "N=$n run $r/$RUNS"
    if [ $CF_DEPLOY = 1 ] && [ $((r % 2)) = 0 ]; then run_certfleet "$n" "$r"; fi
    if [ $ANSIBLE = 1 ]; then run_ansible "$n" "$r"; fi
    if [ $CF_DEPLOY = 1 ] && [ $((r % 2)) = 1 ]; then run_certfleet "$n" "$r"; fi
  done
done

echo
echo "deployment of a new certificate to N nginx hosts over SSH ($RUNS interleaved runs per N)"
table_head
for n in $SIZES; do
  if [ -f "$WORK/stalled.$n" ]; then printf '| %-28s | %8s | %8s | %12s | %12s |\n' "certfleet-N$n" "stalled" "-" "-" "-"
  elif [ $CF_DEPLOY = 1 ]; then row "certfleet-N$n"; elif [[ " $TOOLS " = *" certfleet "* ]]; then printf '| %-28s | %8s | %8s | %12s | %12s |\n' "certfleet-N$n" pending pending pending pending; fi
  if [ $ANSIBLE = 1 ]; then row "ansible-N$n"; fi
done
if [ $CF_DEPLOY = 1 ] && [ $ANSIBLE = 1 ]; then
  for n in $SIZES; do echo "N=$n: ansible/certfleet $(ratio "$(median "certfleet-N$n" 1)" "$(median "ansible-N$n" 1)")x"; done
elif [ $CF_DEPLOY = 0 ] && [[ " $TOOLS " = *" certfleet "* ]]; then
  echo "certfleet deploy: pending (this build has no deploy command)"
fi
echo "max RSS: largest single process (/usr/bin/time %M); group: peak of the controller's whole process tree (cgroup v1 memory, RSS + page cache it charged)"
