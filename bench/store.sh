#!/usr/bin/env bash
# Benchmark 4: a large store. The bench generator (bench/Certfleet.Bench) writes COUNT lineages through
# CertificateStore (archive versions, live links, meta.json; ages spread over 90 days so some are due),
# as many history entries, and a certfleet.yaml configuring every lineage. Then: `status --json`,
# `renew --dry-run` and `history` where this build has them. Target: each under 2 s and 200 MB at 10,000.
# Usage: sudo bench/store.sh   (COUNTS="1000 10000", RUNS=3, VERSIONS=1)
RUNS=${RUNS:-3}
source "$(dirname "$0")/lib.sh"
need dotnet /usr/bin/time
COUNTS=${COUNTS:-1000 10000}
VERSIONS=${VERSIONS:-1}

CF=$(certfleet_bin)
machine_line
GEN=$(bench_generator)

has() { "$CF" "$@" --help > /dev/null 2>&1; }
COMMANDS=("status --json")
has renew && COMMANDS+=("renew --dry-run")
has history && COMMANDS+=("history")

for n in $COUNTS; do
  note "generating $n lineages"
  "$GEN" generate-store --state "$WORK/s$n/state" --config "$WORK/s$n/certfleet.yaml" --count "$n" --versions "$VERSIONS" --history "$n" >&2
done

export BENCH_TSIG_SECRET=c2VjcmV0
for n in $COUNTS; do
  for r in $(seq 0 "$RUNS"); do # run 0 is a warm-up
    for c in "${COMMANDS[@]}"; do
      label="${c%% *}-$n"
      # shellcheck disable=SC2086 # the command's words
      timed "$label" "$CF" --config "$WORK/s$n/certfleet.yaml" $c
      [ "$r" = 0 ] && rm -f "$WORK/t.$label"
    done
  done
  grep -q '"site00000"' "$WORK/last.status-$n.log" || die "status --json did not list site00000"
done

echo
echo "store of N lineages ($VERSIONS version(s) each, N history entries); $RUNS runs after one warm-up"
table_head
for n in $COUNTS; do
  for c in "${COMMANDS[@]}"; do row "${c%% *}-$n"; done
done
has renew || echo "renew --dry-run: pending (this build has no renew command)"
has history || echo "history: pending (this build has no history command)"
size=$(du -sh "$WORK/s$(echo "$COUNTS" | tr ' ' '\n' | sort -n | tail -1)/state" | cut -f1)
echo "largest store on disk: $size"
