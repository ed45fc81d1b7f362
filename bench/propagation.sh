#!/usr/bin/env bash
# Benchmark 2: time to certificate when the DNS provider publishes late. The OVH API simulator publishes
# into BIND D seconds after each refresh (D = 0, 5, 30); certfleet and `lego --dns ovh` both talk to it and
# both check propagation at that BIND. Target: certfleet within D + 2 s.
# certbot-dns-ovh cannot be pointed at the simulator (its endpoint is a region name, not a URL); it sleeps
# a fixed --dns-ovh-propagation-seconds, 120 s by default, whatever D is: that figure is printed for comparison.
# Usage: sudo bench/propagation.sh   (RUNS=3 by default; DELAYS="0 5 30"; PROPAGATION_INTERVAL=250ms sets certfleet's
# dns.propagation.interval, the cap of its propagation back-off, instead of the default 500ms)
RUNS=${RUNS:-3}
source "$(dirname "$0")/lib.sh"
need lego dotnet /usr/bin/time curl
DELAYS=${DELAYS:-0 5 30}

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
    timeout: 120s
    nameservers: ["127.0.0.1:53"]${PROPAGATION_INTERVAL:+
    interval: $PROPAGATION_INTERVAL}
  providers:
    ovh:
      type: ovh
      endpoint: $OVH_BASE
      applicationKey: $OVH_AK
      applicationSecret: env:BENCH_OVH_APPLICATION_SECRET
      consumerKey: $OVH_CK
certificates:
  example:
    domains: [example.test, "*.example.test"]
    dnsProvider: ovh
EOF
  BENCH_OVH_APPLICATION_SECRET=$OVH_AS timed "certfleet-D$2" "$CF" --config "$d/certfleet.yaml" issue example
  test -s "$d/state/live/example/fullchain.pem" || die "certfleet wrote no certificate"
}

run_lego() {
  local d=$WORK/lego.$1
  mkdir -p "$d"
  OVH_ENDPOINT=$OVH_BASE OVH_APPLICATION_KEY=$OVH_AK OVH_APPLICATION_SECRET=$OVH_AS OVH_CONSUMER_KEY=$OVH_CK \
    OVH_PROPAGATION_TIMEOUT=120 LEGO_CA_CERTIFICATES=$PEBBLE_ROOT \
    timed "lego-D$2" lego --accept-tos --email ops@example.test --server "$PEBBLE_DIR_URL" --path "$d" \
    --dns ovh --dns.resolvers 127.0.0.1:53 -d example.test -d '*.example.test' run
  test -s "$d/certificates/example.test.crt" || die "lego wrote no certificate"
}

for D in $DELAYS; do
  start_ovhsim "${D}s"
  [ "$D" = "$(echo "$DELAYS" | awk '{print $1}')" ] && { note "warm-up"; run_certfleet warm "$D"; run_lego warm "$D"; rm -f "$WORK"/t.*; }
  for i in $(seq "$RUNS"); do
    note "D=${D}s run $i/$RUNS"
    if [ $((i % 2)) = 1 ]; then run_certfleet "$D.$i" "$D"; run_lego "$D.$i" "$D"; else run_lego "$D.$i" "$D"; run_certfleet "$D.$i" "$D"; fi
  done
  bind_clear
done

echo
echo "time to certificate through the OVH simulator (publication delay D), $RUNS interleaved runs per D"
printf '| %-5s | %14s | %10s | %9s | %14s | %12s | %9s |\n' "D s" "certfleet wall" "over D" "<= D+2?" "lego wall" "lego/ours" "certbot"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' ------- ---------------- ------------ ----------- ---------------- -------------- -----------
for D in $DELAYS; do
  c=$(median "certfleet-D$D" 1); l=$(median "lego-D$D" 1)
  over=$(awk -v c="$c" -v d="$D" 'BEGIN { printf "%.2f", c - d }')
  ok=$(awk -v o="$over" 'BEGIN { print (o <= 2 ? "yes" : "no") }')
  printf '| %-5s | %14s | %10s | %9s | %14s | %12s | %9s |\n' "$D" "$c" "$over" "$ok" "$l" "$(ratio "$c" "$l")" ">= 120"
done
echo "certbot column: certbot-dns-ovh waits --dns-ovh-propagation-seconds (default 120) after adding the records, whatever D is."
