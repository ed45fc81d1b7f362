#!/usr/bin/env bash
# Installs the Debian packages that the tests, the lab and the demo run against.
# Idempotent: installs only what is missing, and never starts the packaged services
# (the lab starts its own instances on loopback and in network namespaces).
set -euo pipefail

packages=(pebble bind9 bind9-utils bind9-dnsutils openssl openssh-server openssh-client
          nginx apache2 tomcat10 sshfs fuse3 python3 python3-aiosmtpd iproute2 procps
          systemd ca-certificates libicu72 certbot python3-certbot-dns-rfc2136)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "prereqs: missing packages: ${missing[*]}; run as root or install them with apt-get" >&2
  exit 2
fi

echo "prereqs: installing ${missing[*]}"
# Keep package scripts from starting services that would take ports 53, 80 and 443.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; created_policy=1
fi
trap '[ $created_policy -eq 1 ] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
