#!/usr/bin/env bash
# Installs PostgreSQL from Debian's packages if it is missing, starts the
# cluster, and makes the role `agora` (password `agora`) and its database
# `agora_test` if they are missing, and serves TLS with a certificate the
# tests trust (`/var/lib/postgresql/agora-tls/ca.crt`). The tests write in fresh schemas of
# their own, so a database left from an earlier run does no harm. Needs
# root.
set -euo pipefail

if ! command -v pg_ctlcluster > /dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql > /dev/null
fi
version=$(ls /etc/postgresql | sort -n | tail -1)
pg_ctlcluster "$version" main start 2> /dev/null || pg_ctlcluster "$version" main status > /dev/null
as_postgres() { (cd / && su postgres -c "$1"); }
if ! as_postgres "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname = 'agora'\"" | grep -q 1; then
  as_postgres "psql -q -c \"CREATE ROLE agora LOGIN PASSWORD 'agora'\""
fi
if ! as_postgres "psql -tAc \"SELECT 1 FROM pg_database WHERE datname = 'agora_test'\"" | grep -q 1; then
  as_postgres "createdb -O agora agora_test"
fi
# TLS with a certificate authority of the tests' own, for `localhost`: the
# tests of TLS connections verify the server against it. Made once.
tls=/var/lib/postgresql/agora-tls
if [ ! -f "$tls/server.crt" ]; then
  mkdir -p "$tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Agora test CA" \
    -keyout "$tls/ca.key" -out "$tls/ca.crt" 2> /dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$tls/server.key" -out "$tls/server.csr" 2> /dev/null
  printf 'subjectAltName = DNS:localhost\n' > "$tls/server.ext"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" \
    -CAcreateserial -days 3650 -extfile "$tls/server.ext" -out "$tls/server.crt" 2> /dev/null
  chown -R postgres:postgres "$tls"
  chmod 600 "$tls/server.key" "$tls/ca.key"
  chmod 644 "$tls/ca.crt"
fi
as_postgres "psql -q -c \"ALTER SYSTEM SET ssl = on\" \
  -c \"ALTER SYSTEM SET ssl_cert_file = '$tls/server.crt'\" \
  -c \"ALTER SYSTEM SET ssl_key_file = '$tls/server.key'\" \
  -c \"SELECT pg_reload_conf()\"" > /dev/null
echo "PostgreSQL $version is up with the database agora_test (TLS: $tls/ca.crt)"
