#!/usr/bin/env bash
# PID 1 of one lab host, inside its own network, mount and PID namespaces.
set -euo pipefail
name=$1 H=$2 server=$3

mount --bind "$H/os-release" /etc/os-release
mount --bind "$H/run" /run
mount --bind "$H/log" /var/log
mount --bind "$H/sbin" /usr/local/sbin
# The host's own /root: root's sessions must not run this machine's dotfiles (a shell init that takes a lock
# or waits on the network would stall every command certfleet sends).
mount --bind "$H/root" /root
case "$server" in
  nginx)   mount --bind "$H/etc/nginx" /etc/nginx ;;
  apache2) mount --bind "$H/etc/apache2" /etc/apache2 ;;
  httpd)   mount --bind "$H/etc/httpd" /etc/httpd; mount --bind "$H/etc/pki" /etc/pki ;;
  tomcat)  mount --bind "$H/catalina" /var/lib/tomcat10 ;;
esac

# The machine has every package installed; a host shows only its own web server.
empty="$H/../../empty"; mkdir -p "$empty"
mask_file() { [ -e "$1" ] && mount --bind /dev/null "$1"; return 0; }
mask_dir() { [ -d "$1" ] && mount --bind "$empty" "$1"; return 0; }
[ "$server" = nginx ] || { mask_file /usr/sbin/nginx; mask_dir /etc/nginx; }
[ "$server" = apache2 ] || { mask_file /usr/sbin/apache2ctl; mask_file /usr/sbin/apachectl; mask_dir /etc/apache2; }
[ "$server" = httpd ] || [ "$server" = apache2 ] || mask_file /usr/sbin/apache2
[ "$server" = tomcat ] || { mask_dir /usr/share/tomcat10; mask_dir /etc/tomcat10; mask_dir /var/lib/tomcat10; }

# The "down" host is routed but nothing listens on it.
[ "$name" = down ] || /usr/sbin/sshd -f "$H/ssh/sshd_config"
# A web server that fails to start must not take sshd down with it: that is a finding for certfleet.
case "$server" in
  nginx)   nginx ;;
  apache2) apache2ctl start ;;
  httpd)   /usr/local/sbin/httpd -k start ;;
  tomcat)  CATALINA_HOME=/usr/share/tomcat10 CATALINA_BASE=/var/lib/tomcat10 CATALINA_PID=/run/tomcat10.pid \
             JAVA_OPTS="-Xmx128m -XX:TieredStopAtLevel=1 -Xshare:auto" /usr/share/tomcat10/bin/catalina.sh start ;;
esac || echo "lab: $name: $server did not start" >&2
echo "lab: $name started"

# Reap orphans like an init would, forever.
while true; do sleep 3600 & wait $! || true; done
