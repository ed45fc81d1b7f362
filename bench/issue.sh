#!/usr/bin/env bash
# Benchmark 1: issuance of example.test + *.example.test on the local Pebble with BIND (RFC 2136),
# certfleet vs certbot --dns-rfc2136 vs lego --dns rfc2136; interleaved runs, each with a fresh account
# and state; then the start cost of `certfleet --version`.
# Usage: sudo bench/issue.sh   (RUNS=5 by default; CERTFLEET_BIN=... to measure another build)
source "$(dirname "$0")/lib.sh"
need certbot lego openssl curl dig /usr/bin/time
/usr/bin/python3 -c 'import certbot_dns_rfc2136' 2>/dev/null || die "python3-certbot-dns-rfc2136 missing"

CF=$(certfleet_bin)
start_bind
start_pebble
machine_line

run_certfleet() {
  local d=$WORK/cf.$1
  mkdir -p "$d"
  cat > "$d/certfleet.yaml" <<EOF
stateDir: $d/state
acme:
  directory: $PEBBLE_DIR_URL
  email: ops@example.test
  caBundle: $PEBBLE_ROOT
dns:
  propagation:
    nameservers: ["127.0.0.1:53"]
  providers:
    lab:
      type: rfc2136
      server: 127.0.0.1:53
      tsigKeyName: $TSIG_NAME
      tsigAlgorithm: $TSIG_ALG
      tsigSecret: file:$BIND_DIR/tsig.secret
certificates:
  example:
    domains: [example.test, "*.example.test"]
    dnsProvider: lab
EOF
  timed certfleet "$CF" --config "$d/certfleet.yaml" issue example
  test -s "$d/state/live/example/fullchain.pem" || die "certfleet wrote no certificate"
}

run_certbot() {
  local d=$WORK/cb.$1
  mkdir -p "$d"
  cat > "$d/rfc2136.ini" <<EOF
dns_rfc2136_server = 127.0.0.1
dns_rfc2136_port = 53
dns_rfc2136_name = $TSIG_NAME
dns_rfc2136_secret = $TSIG_SECRET
dns_rfc2136_algorithm = ${TSIG_ALG^^}
EOF
  chmod 600 "$d/rfc2136.ini"
  REQUESTS_CA_BUNDLE=$PEBBLE_ROOT timed certbot certbot certonly --non-interactive --agree-tos -m ops@example.test \
    --server "$PEBBLE_DIR_URL" --config-dir "$d/etc" --work-dir "$d/work" --logs-dir "$d/logs" \
    --dns-rfc2136 --dns-rfc2136-credentials "$d/rfc2136.ini" --dns-rfc2136-propagation-seconds 0 \
    --cert-name example -d example.test -d '*.example.test'
  test -s "$d/etc/live/example/fullchain.pem" || die "certbot wrote no certificate"
}

# lego's RFC 2136 provider solves authorizations one after the other and waits RFC2136_SEQUENCE_INTERVAL
# (default 60 s) between them; apex + wildcard are two authorizations. "lego" runs with 1 s, its best
# case; "lego-default" with the default, once.
run_lego() {
  local d=$WORK/lego.$1 label=${2:-lego} seq=${3:-1}
  mkdir -p "$d"
  RFC2136_SEQUENCE_INTERVAL=$seq RFC2136_NAMESERVER=127.0.0.1:53 RFC2136_TSIG_KEY=$TSIG_NAME. RFC2136_TSIG_SECRET=$TSIG_SECRET \
    RFC2136_TSIG_ALGORITHM=$TSIG_ALG. LEGO_CA_CERTIFICATES=$PEBBLE_ROOT \
    timed "$label" lego --accept-tos --email ops@example.test --server "$PEBBLE_DIR_URL" --path "$d" \
    --dns rfc2136 --dns.resolvers 127.0.0.1:53 -d example.test -d '*.example.test' run
  test -s "$d/certificates/example.test.crt" || die "lego wrote no certificate"
}

# One warm-up of each (page cache, Python bytecode, .NET's first start), not counted.
note "warm-up"
run_certfleet warm; run_certbot warm; run_lego warm; bind_clear
rm -f "$WORK"/t.*

for i in $(seq "$RUNS"); do
  note "run $i/$RUNS"
  # Rotate the order so no tool always runs right after another one.
  case $((i % 3)) in
    0) run_certfleet "$i"; run_certbot "$i"; run_lego "$i" ;;
    1) run_certbot "$i"; run_lego "$i"; run_certfleet "$i" ;;
    2) run_lego "$i"; run_certfleet "$i"; run_certbot "$i" ;;
  esac
  bind_clear
done

note "lego with its default sequence interval (once)"
run_lego default lego-default 60
bind_clear

for i in $(seq $((RUNS * 2))); do timed certfleet-version "$CF" --version; done
for i in $(seq $((RUNS * 2))); do timed certbot-version certbot --version; done
for i in $(seq $((RUNS * 2))); do timed lego-version lego --version; done

echo
echo "issuance of example.test + *.example.test (Pebble PEBBLE_VA_NOSLEEP=1, BIND on loopback), $RUNS interleaved runs"
table_head
row certfleet
row certbot
row lego
row lego-default
echo "lego-default: one run, RFC2136_SEQUENCE_INTERVAL=60 (lego default); lego: RFC2136_SEQUENCE_INTERVAL=1"
echo "certbot/certfleet: $(ratio "$(median certfleet 1)" "$(median certbot 1)")x   lego/certfleet: $(ratio "$(median certfleet 1)" "$(median lego 1)")x (wall, medians)"
echo
RUNS=$((RUNS * 2)) table_head
row certfleet-version
row certbot-version
row lego-version
