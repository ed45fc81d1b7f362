#!/usr/bin/env bash
# PID 1 of one bench host, inside its own network, mount and PID namespaces: its own /etc/nginx, /run and
# /var/log, then sshd and nginx. A lighter cousin of lab/host-init.sh (no OS masquerade, nginx only).
set -euo pipefail
H=$1
# An empty home for root, as on a fresh server: the controller's own ~/.bashrc (which bash reads for every
# command sshd runs) would otherwise run on each host too; a pyenv init there serialises every SSH command
# of every host on one lock file under the shared /root and made both tools look many times slower.
mkdir -p "$H/root"
chmod 700 "$H/root"
mount --bind "$H/root" /root
mount --bind "$H/etc/nginx" /etc/nginx
mount --bind "$H/run" /run
mount --bind "$H/log" /var/log
/usr/sbin/sshd -f "$H/sshd_config"
nginx
while true; do sleep 3600 & wait $! || true; done
