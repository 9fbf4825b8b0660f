# Run once by the official postgres image when it initialises the primary of
# docker-compose.yml's `cluster` profile (mounted into /docker-entrypoint-initdb.d, where the
# image sources it with `set -e` in force): a role the standby streams WAL as, the physical
# replication slot it streams from (so the primary keeps the WAL a lagging standby still
# needs), and a pg_hba.conf line that lets the role connect for replication from the compose
# network. The image's own `host all all all` line does not cover replication connections.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=password="$POSTGRES_REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
SELECT pg_create_physical_replication_slot('standby');
SQL
echo "host replication replicator all scram-sha-256" >>"$PGDATA/pg_hba.conf"
