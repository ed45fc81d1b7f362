#!/usr/bin/env bash
# RHEL/Rocky layout (/etc/httpd, conf.d/ssl.conf from mod_ssl) served by Debian's apache2 binary
# through a wrapper named httpd, as the packaged binary would be.
set -euo pipefail
name=$1 H=$2
e="$H/etc/httpd"
mkdir -p "$e/conf" "$e/conf.d" "$e/conf.modules.d" "$H/etc/pki/tls/certs" "$H/etc/pki/tls/private" "$H/log/httpd" "$H/run/httpd"
cp "$HERE/httpd/httpd.conf" "$e/conf/httpd.conf"
cp "$HERE/httpd/ssl.conf" "$e/conf.d/ssl.conf"
cp "$HERE/httpd/00-base.conf" "$HERE/httpd/00-mpm.conf" "$HERE/httpd/00-ssl.conf" "$e/conf.modules.d/"
ln -sfn /usr/lib/apache2/modules "$e/modules"
ln -sfn ../../var/log/httpd "$e/logs"
ln -sfn /run/httpd "$e/run"
cp "$H/tls/lab.crt" "$H/etc/pki/tls/certs/localhost.crt"
cp "$H/tls/lab.key" "$H/etc/pki/tls/private/localhost.key"
sed -i "s|@NAME@|$name|g" "$e/conf/httpd.conf" "$e/conf.d/ssl.conf"
cat > "$H/sbin/httpd" <<'WRAP'
#!/bin/sh
# The RHEL binary name and layout, Debian's apache2 underneath.
exec /usr/sbin/apache2 -d /etc/httpd -f conf/httpd.conf "$@"
WRAP
cat > "$H/sbin/dnf" <<'WRAP'
#!/bin/sh
echo "dnf: lab stand-in; no packages here" >&2
exit 1
WRAP
chmod 755 "$H/sbin/httpd" "$H/sbin/dnf"
