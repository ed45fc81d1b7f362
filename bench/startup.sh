#!/usr/bin/env bash
# Process start cost of certfleet under publish options: the default framework-dependent build, ReadyToRun,
# single-file (self-contained, ReadyToRun), and trimmed. Each variant is published from this checkout into
# /tmp/bench-publish-VARIANT (a variant that fails to publish is reported, not fatal), then timed on
# `certfleet --version` and on `status --json` with a one-certificate configuration (config load + DI).
# Usage: sudo bench/startup.sh   (RUNS=10; VARIANTS="default r2r single trim")
RUNS=${RUNS:-10}
source "$(dirname "$0")/lib.sh"
need dotnet /usr/bin/time
VARIANTS=${VARIANTS:-default r2r single trim}
RID=linux-x64

publish() { # VARIANT
  local out=/tmp/bench-publish-$1 args=()
  case $1 in
    default) args=() ;;
    r2r)     args=(-r "$RID" --self-contained false -p:PublishReadyToRun=true) ;;
    single)  args=(-r "$RID" --self-contained true -p:PublishSingleFile=true -p:PublishReadyToRun=true) ;;
    trim)    args=(-r "$RID" --self-contained true -p:PublishTrimmed=true -p:PublishReadyToRun=true) ;;
    *) die "unknown variant $1" ;;
  esac
  [ -x "$out/certfleet" ] && return 0
  note "publishing $1"
  dotnet publish "$REPO/src/Certfleet.Cli" -c Release -o "$out" --artifacts-path "/tmp/art-bench-$1" -v q -nologo "${args[@]}" \
    > "$WORK/publish.$1.log" 2>&1
}

machine_line
mkdir -p "$WORK/st"
cat > "$WORK/st/certfleet.yaml" <<EOF
stateDir: $WORK/st/state
acme: { directory: https://127.0.0.1:14000/dir, email: ops@example.test }
dns: { providers: { lab: { type: rfc2136, server: 127.0.0.1:53, tsigKeyName: k, tsigAlgorithm: hmac-sha256, tsigSecret: env:BENCH_UNUSED } } }
certificates:
  example: { domains: [example.test, "*.example.test"], dnsProvider: lab }
EOF
export BENCH_UNUSED=c2VjcmV0
ok=()
for v in $VARIANTS; do
  if publish "$v"; then ok+=("$v"); else
    note "$v did not publish: $(grep -m3 -E 'error|warning' "$WORK/publish.$v.log" | cut -c1-300)"
  fi
done
for r in $(seq 0 "$RUNS"); do # interleaved; run 0 is a warm-up
  for v in "${ok[@]}"; do
    timed "$v-version" "/tmp/bench-publish-$v/certfleet" --version
    timed "$v-status" "/tmp/bench-publish-$v/certfleet" --config "$WORK/st/certfleet.yaml" status --json
    [ "$r" = 0 ] && rm -f "$WORK/t.$v-version" "$WORK/t.$v-status"
  done
done

echo
echo "certfleet start cost by publish option ($RUNS runs each, after one warm-up)"
table_head
for v in "${ok[@]}"; do row "$v-version"; row "$v-status"; done
for v in "${ok[@]}"; do echo "$v: $(du -sh "/tmp/bench-publish-$v" | cut -f1) on disk"; done
for v in $VARIANTS; do printf '%s\n' "${ok[@]}" | grep -qx "$v" || echo "$v: did not publish (see the note above)"; done
