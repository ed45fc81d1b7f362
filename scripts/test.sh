#!/usr/bin/env bash
# The whole test suite: installs the real peers (Pebble, BIND, sshd, web servers), builds,
# runs every test project and ends with one line "N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

"$root/scripts/prereqs.sh" || { echo "0 passed, 1 failed"; exit 1; }

results="$root/TestResults"
rm -rf "$results"
mkdir -p "$results"

if ! dotnet build Certfleet.slnx -c Release -nologo -clp:ErrorsOnly; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

projects=()
for p in tests/*/*.csproj; do
  case "$(basename "$p" .csproj)" in *Tests) projects+=("$p");; esac
done

status=0
for p in "${projects[@]}"; do
  name=$(basename "$p" .csproj)
  echo "== $name"
  dotnet test "$p" -c Release --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
    --results-directory "$results" "$@" || status=1
done

passed=0; failed=0
for p in "${projects[@]}"; do
  name=$(basename "$p" .csproj)
  trx="$results/$name.trx"
  if [ ! -f "$trx" ]; then
    echo "no results from $name (the test host crashed or did not start)"
    failed=$((failed + 1)); continue
  fi
  counters=$(grep -o '<Counters [^>]*' "$trx" | head -1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
done

[ "$failed" -gt 0 ] && status=1
echo "$passed passed, $failed failed"
exit $status
