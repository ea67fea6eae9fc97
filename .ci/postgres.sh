#!/usr/bin/env bash
# Installs PostgreSQL from Debian's packages if it is missing, starts the
# cluster, and makes the role `agora` (password `agora`) and its database
# `agora_test` if they are missing. The tests write in fresh schemas of
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
echo "PostgreSQL $version is up with the database agora_test"
