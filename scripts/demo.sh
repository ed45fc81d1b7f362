#!/usr/bin/env bash
# certfleet's whole job on a local lab, in one command:
#   installs what is missing (apt), builds, starts the lab (Pebble, BIND, the OVH API simulator,
#   test hosts with nginx, Apache in both layouts and Tomcat, the share mounted on two of them), writes a
#   demo configuration, then runs inventory -> check -> issue (wildcard through the OVH simulator) ->
#   deploy -> check again, which ends with what each endpoint serves.
# Run it again to reuse what is there. `scripts/demo.sh down` stops the lab and removes it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
demo=${CERTFLEET_DEMO_DIR:-/var/lib/certfleet-demo}
ready="$demo/lab.ready"

lab_pid() { [ -f "$ready" ] && pid=$(cat "$ready") && kill -0 "$pid" 2>/dev/null && echo "$pid"; }

if [ "${1:-}" = "down" ]; then
  if pid=$(lab_pid); then
    echo "demo: stopping the lab (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  fi
  rm -rf "$demo"
  echo "demo: removed $demo"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (the lab creates network namespaces)" >&2; exit 2; }
"$root/scripts/prereqs.sh"
mkdir -p "$demo"
echo "demo: building"
dotnet build "$root/tests/Certfleet.DemoLab" -c Release -nologo -v:q -o "$demo/lab-bin" >"$demo/build.log" 2>&1 \
  || { tail -20 "$demo/build.log" >&2; echo "demo: the build failed; see $demo/build.log" >&2; exit 1; }
dotnet publish "$root/src/Certfleet.Cli" -c Release -nologo -v:q -o "$demo/bin" >>"$demo/build.log" 2>&1 \
  || { tail -20 "$demo/build.log" >&2; echo "demo: publishing certfleet failed; see $demo/build.log" >&2; exit 1; }

if pid=$(lab_pid); then
  echo "demo: reusing the running lab (pid $pid)"
else
  # A new lab is a new CA: what was issued by the previous Pebble is worthless.
  rm -rf "$demo/state"
  echo "demo: starting the lab"
  CERTFLEET_REPO=$root nohup dotnet "$demo/lab-bin/Certfleet.DemoLab.dll" --dir "$demo" > "$demo/lab.log" 2>&1 &
  lab=$!
  for _ in $(seq 1 180); do [ -f "$ready" ] && break; kill -0 "$lab" 2>/dev/null || break; sleep 1; done
  [ -f "$ready" ] || { echo "demo: the lab did not start; see $demo/lab.log" >&2; tail -20 "$demo/lab.log" >&2; exit 1; }
fi

cf() { echo; echo "\$ certfleet $*"; "$demo/bin/certfleet" --config "$demo/certfleet.yaml" "$@"; }

cf inventory
cf check || echo "demo: check found problems: expected before the first deployment (the web servers already point at the files certfleet will place, and still serve their self-signed certificates)"
if [ -e "$demo/state/live/lab/fullchain.pem" ]; then
  cf renew
else
  cf issue lab
fi
cf deploy lab
echo
echo "=== report: every endpoint, the certificate it serves now, and the store ==="
cf check
cf status
echo
echo "demo: done. Configuration: $demo/certfleet.yaml; tear down with: scripts/demo.sh down"
