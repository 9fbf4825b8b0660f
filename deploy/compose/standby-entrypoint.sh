#!/usr/bin/env bash
# Entrypoint of the streaming standby of docker-compose.yml's `cluster` profile. On the first
# start (an empty data volume) it copies the primary with pg_basebackup, through the
# replication slot the primary made for it, and writes `primary_conninfo` and
# `standby.signal`, so that PostgreSQL starts as a hot standby that streams from the primary.
# Then, as on every later start, it hands over to the image's own entrypoint, which finds
# the data directory initialised and starts the server as user postgres.
#
# Promote it when the primary is gone (feedbackd's replicas then find it by
# target_session_attrs=read-write and reconnect by themselves):
#   docker compose exec -u postgres pg-standby psql -c 'SELECT pg_promote()'
set -euo pipefail

: "${PGDATA:=/var/lib/postgresql/data}"
primary=${PRIMARY_HOST:-pg-primary}
port=${PRIMARY_PORT:-5432}
password=${POSTGRES_REPLICATION_PASSWORD:?set the replication role password}
# The password goes into primary_conninfo, a conninfo string inside a quoted setting: keep
# it to characters that need no quoting in either.
if [[ ! $password =~ ^[A-Za-z0-9._~+/=-]+$ ]]; then
  echo "standby: POSTGRES_REPLICATION_PASSWORD may hold only A-Z a-z 0-9 . _ ~ + / = -" >&2
  exit 1
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  until gosu postgres pg_isready -q -h "$primary" -p "$port"; do
    echo "standby: waiting for $primary" >&2
    sleep 1
  done
  echo "standby: copying $primary with pg_basebackup" >&2
  PGPASSWORD=$password gosu postgres pg_basebackup --pgdata="$PGDATA" --host="$primary" \
    --port="$port" --username=replicator --no-password --wal-method=stream --slot=standby \
    --checkpoint=fast
  # application_name is the name the primary's synchronous_standby_names waits for.
  cat >>"$PGDATA/postgresql.auto.conf" <<CONF
primary_conninfo = 'host=$primary port=$port user=replicator password=$password application_name=standby'
primary_slot_name = 'standby'
CONF
  gosu postgres touch "$PGDATA/standby.signal"
fi

exec docker-entrypoint.sh "$@"
