#!/bin/sh
# What the public postgres image's entrypoint does with compose.yaml's settings: a first
# start creates the cluster with POSTGRES_USER, POSTGRES_DB and the password in
# POSTGRES_PASSWORD_FILE, listening on the network with password authentication.
set -eu
if [ "$(id -u)" = 0 ]; then
  install -d -o postgres -g postgres -m 0700 "$PGDATA"
  install -d -o postgres -g postgres /run/postgresql
  cp "$POSTGRES_PASSWORD_FILE" /run/postgresql/.pw && chown postgres /run/postgresql/.pw
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile=/run/postgresql/.pw --auth-host=scram-sha-256 --auth-local=trust >/dev/null
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres -c "CREATE DATABASE \"$POSTGRES_DB\"" >/dev/null
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
rm -f /run/postgresql/.pw
exec "$@" -D "$PGDATA" -c listen_addresses='*'
