#!/bin/sh
# Creates the cluster on first start, then runs the server in the foreground.
# POSTGRES_PASSWORD set: password (scram) authentication over TCP; unset: trust, which is
# for throwaway test databases only. POSTGRES_DB names a database to create. POSTGRES_USER
# (with POSTGRES_USER_PASSWORD) names a login role that owns that database and is neither a
# superuser nor BYPASSRLS, so row-level security binds it. UTF8, whatever the (absent)
# locales: SQL_ASCII would hand clients bytes instead of text.
set -eu
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  if [ -n "${POSTGRES_PASSWORD:-}" ]; then
    printf '%s\n' "$POSTGRES_PASSWORD" >/tmp/pwfile
    "$bin/initdb" -D "$PGDATA" -U postgres --encoding=UTF8 --locale=C --pwfile=/tmp/pwfile --auth-host=scram-sha-256 \
      --auth-local=trust >/dev/null
    rm -f /tmp/pwfile
  else
    "$bin/initdb" -D "$PGDATA" -U postgres --encoding=UTF8 --locale=C --auth=trust >/dev/null
  fi
  echo "host all all 0.0.0.0/0 $([ -n "${POSTGRES_PASSWORD:-}" ] && echo scram-sha-256 || echo trust)" \
    >>"$PGDATA/pg_hba.conf"
  if [ -n "${POSTGRES_USER:-}" ] && [ "$POSTGRES_USER" != postgres ]; then
    "$bin/postgres" --single -D "$PGDATA" postgres >/dev/null <<SQL
CREATE ROLE "$POSTGRES_USER" LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '${POSTGRES_USER_PASSWORD:-}';
SQL
  fi
  if [ -n "${POSTGRES_DB:-}" ]; then
    "$bin/postgres" --single -D "$PGDATA" postgres >/dev/null <<SQL
CREATE DATABASE "$POSTGRES_DB" OWNER "${POSTGRES_USER:-postgres}";
SQL
  fi
fi
exec "$bin/postgres" -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/tmp \
  -c fsync=off  # throwaway data: durability buys nothing here
