#!/usr/bin/env bash
# Installs PostgreSQL from Debian's packages if it is missing, starts the
# cluster, and makes the test database `agora_test` owned by the role
# `agora` (password `agora`), from scratch on every run. Needs root.
set -euo pipefail

if ! command -v pg_ctlcluster > /dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql > /dev/null
fi
version=$(ls /etc/postgresql | sort -n | tail -1)
pg_ctlcluster "$version" main start 2> /dev/null || pg_ctlcluster "$version" main status > /dev/null
as_postgres() { su postgres -c "$1"; }
as_postgres "psql -q -c \"DROP DATABASE IF EXISTS agora_test\""
as_postgres "psql -q -c \"DROP ROLE IF EXISTS agora\""
as_postgres "psql -q -c \"CREATE ROLE agora LOGIN PASSWORD 'agora'\""
as_postgres "createdb -O agora agora_test"
echo "PostgreSQL $version is up with the database agora_test"
