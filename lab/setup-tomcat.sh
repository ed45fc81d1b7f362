#!/usr/bin/env bash
# Debian's tomcat10 with its own CATALINA_BASE (bind-mounted on /var/lib/tomcat10) and a TLS connector
# on 443 with a PKCS#12 keystore.
set -euo pipefail
name=$1 H=$2
b="$H/catalina"
mkdir -p "$b/conf" "$b/logs" "$b/work" "$b/temp" "$b/webapps/ROOT" "$b/lib"
cp /usr/share/tomcat10/etc/*.xml /usr/share/tomcat10/etc/*.properties "$b/conf/"
echo "lab $name" > "$b/webapps/ROOT/index.html"
openssl pkcs12 -export -name tomcat -passout pass:changeit -in "$H/tls/lab.crt" -inkey "$H/tls/lab.key" -out "$b/conf/lab.p12"
cp "$HERE/tomcat/server.xml" "$b/conf/server.xml"
