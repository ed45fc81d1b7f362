#!/usr/bin/env bash
# Debian/Ubuntu layout: /etc/apache2 as packaged, with a2enmod ssl and a2ensite default-ssl done by hand.
set -euo pipefail
name=$1 H=$2
mkdir -p "$H/etc" "$H/log/apache2" "$H/run/apache2" "$H/run/lock/apache2"
cp -a /etc/apache2 "$H/etc/apache2"
e="$H/etc/apache2"
for m in ssl.load ssl.conf socache_shmcb.load; do ln -sf "../mods-available/$m" "$e/mods-enabled/$m"; done
ln -sf ../sites-available/default-ssl.conf "$e/sites-enabled/default-ssl.conf"
mkdir -p "$e/tls"
cp "$H/tls/lab.crt" "$H/tls/lab.key" "$e/tls/"
sed -i -e "s|/etc/ssl/certs/ssl-cert-snakeoil.pem|/etc/apache2/tls/lab.crt|" \
       -e "s|/etc/ssl/private/ssl-cert-snakeoil.key|/etc/apache2/tls/lab.key|" \
       -e "0,/ServerAdmin/s|\(\s*\)ServerAdmin\(.*\)|\1ServerName $name.lab.test\n\1ServerAlias www.$name.lab.test\n\1ServerAdmin\2|" \
       "$e/sites-available/default-ssl.conf"
echo "ServerName $name.lab.test" > "$e/conf-enabled/lab-servername.conf"
