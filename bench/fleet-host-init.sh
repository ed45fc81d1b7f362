#!/usr/bin/env bash
# PID 1 of one bench host, inside its own network, mount and PID namespaces: its own /etc/nginx, /run and
# /var/log, then sshd and nginx. A lighter cousin of lab/host-init.sh (no OS masquerade, nginx only).
set -euo pipefail
H=$1
mount --bind "$H/etc/nginx" /etc/nginx
mount --bind "$H/run" /run
mount --bind "$H/log" /var/log
/usr/sbin/sshd -f "$H/sshd_config"
nginx
while true; do sleep 3600 & wait $! || true; done
