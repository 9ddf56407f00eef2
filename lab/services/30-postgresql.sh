# shellcheck shell=bash
# PostgreSQL (Debian) on its own port and data directory: stands in for the site's database server.
PG_PORT=${DSAAS_LAB_PG_PORT:-55432}
PG_DIR=$LAB_STATE/postgresql
PG_USER=dsaas            # the platform's login role (owner of the platform's databases)
PG_DATABASE=dsaas
PG_HUB_DATABASE=jupyterhub  # the hub's database (hub.db of the jupyterhub role), owned by the platform's role

pg_bin() { find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1; }

postgresql_packages() { echo postgresql; }

postgresql_running() {
  lab_pid_alive "$PG_DIR/data/postmaster.pid.lab" && lab_port_open "$PG_PORT"
}

postgresql_up() {
  local bin
  bin=$(pg_bin)
  [ -n "$bin" ] || lab_die "PostgreSQL binaries not found under /usr/lib/postgresql"
  mkdir -p "$PG_DIR"
  chown postgres:postgres "$PG_DIR"
  if [ ! -s "$PG_DIR/data/PG_VERSION" ]; then
    lab_say "initialising PostgreSQL in ${PG_DIR#"$LAB_ROOT"/}"
    local pwfile="$PG_DIR/.superuser-pw"
    lab_secret pg-superuser >"$pwfile"; chown postgres "$pwfile"; chmod 600 "$pwfile"
    runuser -u postgres -- "$bin/initdb" -D "$PG_DIR/data" -U postgres --auth=scram-sha-256 \
      --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 >"$LAB_LOG/postgresql-initdb.log" 2>&1 \
      || lab_die "initdb failed (see $LAB_LOG/postgresql-initdb.log)"
    rm -f "$pwfile"
    cat >>"$PG_DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DIR'
CONF
  fi
  runuser -u postgres -- "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgresql.log" -w -t 60 start \
    >/dev/null || lab_die "PostgreSQL did not start on 127.0.0.1:$PG_PORT (see $PG_DIR/postgresql.log)"
  head -n 1 "$PG_DIR/data/postmaster.pid" >"$PG_DIR/data/postmaster.pid.lab"
  postgresql_seed
}

# The platform's role and database; idempotent, password from the lab's secrets.
postgresql_seed() {
  local pw
  pw=$(lab_secret pg-dsaas)
  PGPASSWORD=$(lab_secret pg-superuser) psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
    -v user="$PG_USER" -v pw="$pw" -v db="$PG_DATABASE" -v hubdb="$PG_HUB_DATABASE" >"$LAB_LOG/postgresql-seed.log" 2>&1 <<'SQL' || lab_die "seeding PostgreSQL failed (see $LAB_LOG/postgresql-seed.log)"
SELECT format('CREATE ROLE %I LOGIN', :'user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \gexec
ALTER ROLE :"user" WITH LOGIN PASSWORD :'pw';
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'user') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'hubdb', :'user') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'hubdb') \gexec
SQL
}

postgresql_down() {
  runuser -u postgres -- "$(pg_bin)/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 \
    || lab_stop_pidfile "$PG_DIR/data/postmaster.pid.lab" postgresql
  rm -f "$PG_DIR/data/postmaster.pid.lab"
  lab_say "postgresql stopped"
}

postgresql_address() { echo "postgresql://127.0.0.1:$PG_PORT/$PG_DATABASE"; }

postgresql_env() {
  printf 'export DSAAS_PG_HOST=127.0.0.1 DSAAS_PG_PORT=%s DSAAS_PG_USER=%s DSAAS_PG_DATABASE=%s DSAAS_PG_HUB_DATABASE=%s\n' "$PG_PORT" "$PG_USER" "$PG_DATABASE" "$PG_HUB_DATABASE"
  printf 'export DSAAS_PG_PASSWORD_FILE=%q\n' "$LAB_STATE/secrets/pg-dsaas"
}
