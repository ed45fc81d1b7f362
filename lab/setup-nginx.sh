#!/usr/bin/env bash
# Debian's /etc/nginx as packaged, plus one TLS site.
set -euo pipefail
name=$1 H=$2
mkdir -p "$H/etc" "$H/log/nginx"
cp -a /etc/nginx "$H/etc/nginx"
mkdir -p "$H/etc/nginx/tls"
cp "$H/tls/lab.crt" "$H/tls/lab.key" "$H/etc/nginx/tls/"
cat > "$H/etc/nginx/sites-available/lab-ssl" <<CONF
# TLS site of the lab host $name.
server {
	listen 443 ssl;
	server_name $name.lab.test www.$name.lab.test;

	ssl_certificate /etc/nginx/tls/lab.crt;
	ssl_certificate_key /etc/nginx/tls/lab.key;

	root /var/www/html;
	index index.html index.nginx-debian.html;
}
CONF
ln -sf ../sites-available/lab-ssl "$H/etc/nginx/sites-enabled/lab-ssl"
