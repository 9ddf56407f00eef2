# shellcheck shell=bash
# MinIO: the S3 object store the platform's backups and tool stack write to.
# Built with `go install github.com/minio/minio@MINIO_VERSION` (MinIO tags releases as
# RELEASE.<date>, not semver, so the Go module proxy serves commits as pseudo-versions; this one is
# the newest it serves), stamped like upstream's build script does for a development build.
# Serves HTTPS with a lab CA certificate on 127.0.0.1 (S3 clients verify against
# $LAB_STATE/ca/ca.pem), single drive in the state directory, the web console off. The lab's access
# key is MinIO's root credential: access key MINIO_ACCESS_KEY, secret from lab_secret minio.

MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
MINIO_PORT=${DSAAS_LAB_MINIO_PORT:-19000}
MINIO_ACCESS_KEY=dsaas-lab
MINIO_DIR=$LAB_STATE/minio
MINIO_PIDFILE=$LAB_STATE/run/minio.pid

minio_build() {
  local out=$1 v=$MINIO_VERSION ts commit ld p=github.com/minio/minio/cmd
  # v0.0.0-YYYYMMDDhhmmss-commit12 -> the commit's time and id
  ts=$(sed -E 's/^v0\.0\.0-([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})-.*/\1-\2-\3T\4:\5:\6Z/' <<<"$v")
  commit=${v##*-}
  ld="$LAB_GO_LDFLAGS -X $p.Version=$ts -X $p.ReleaseTag=DEVELOPMENT.${ts//:/-} -X $p.CommitID=$commit -X $p.ShortCommitID=$commit"
  GOBIN=$out go install "${LAB_GO_FLAGS[@]}" -ldflags "$ld" "github.com/minio/minio@$v"
}

minio_packages() { echo openssl; }

minio_running() { lab_pid_alive "$MINIO_PIDFILE" && lab_port_open "$MINIO_PORT"; }

minio_up() {
  local bin i log=$LAB_LOG/minio.log
  lab_dirs
  bin=$(lab_go_binary minio "$MINIO_VERSION" minio_build) || exit 1
  mkdir -p "$MINIO_DIR/data" "$MINIO_DIR/certs/CAs" "$LAB_STATE/bin" && chmod 700 "$MINIO_DIR"
  ln -sfn "$bin/minio" "$LAB_STATE/bin/minio"
  lab_cert minio "DNS:localhost,IP:127.0.0.1"
  install -m 644 "$LAB_STATE/ca/minio.pem" "$MINIO_DIR/certs/public.crt"
  install -m 600 "$LAB_STATE/ca/minio.key" "$MINIO_DIR/certs/private.key"
  install -m 644 "$LAB_STATE/ca/ca.pem" "$MINIO_DIR/certs/CAs/lab-ca.pem"
  lab_secret minio >/dev/null
  lab_pid_alive "$MINIO_PIDFILE" && lab_stop_pidfile "$MINIO_PIDFILE" minio # alive but not listening
  lab_port_open "$MINIO_PORT" && lab_die "port $MINIO_PORT (minio) is taken by something this lab did not start"
  # Credentials through the environment of the process only (not on its command line).
  MINIO_ROOT_USER=$MINIO_ACCESS_KEY MINIO_ROOT_PASSWORD=$(lab_secret minio) MINIO_BROWSER=off \
    MINIO_UPDATE=off MINIO_CALLHOME_ENABLE=off \
    lab_daemon "$MINIO_PIDFILE" "$log" "$bin/minio" server --quiet --anonymous \
    --address "127.0.0.1:$MINIO_PORT" --certs-dir "$MINIO_DIR/certs" "$MINIO_DIR/data"
  for ((i = 0; i < 150; i++)); do
    lab_pid_alive "$MINIO_PIDFILE" || break
    [ "$(minio_health)" = 200 ] && return 0
    sleep 0.2
  done
  lab_die "MinIO did not answer https://127.0.0.1:$MINIO_PORT/minio/health/live: $(tail -n 1 "$log") (see $log)"
}

minio_health() {
  "$LAB_VENV/bin/python" -c 'import sys, urllib.request, ssl
try:
    r = urllib.request.urlopen(sys.argv[1], context=ssl.create_default_context(cafile=sys.argv[2]), timeout=2)
    print(r.status)
except Exception as e:
    print(getattr(e, "code", 0))' "https://127.0.0.1:$MINIO_PORT/minio/health/live" "$LAB_STATE/ca/ca.pem" 2>/dev/null
}

minio_down() { lab_stop_pidfile "$MINIO_PIDFILE" minio; }

minio_address() { echo "https://127.0.0.1:$MINIO_PORT"; }

minio_env() {
  printf 'export DSAAS_MINIO_ENDPOINT=%q DSAAS_MINIO_HOST=127.0.0.1 DSAAS_MINIO_PORT=%s\n' "https://127.0.0.1:$MINIO_PORT" "$MINIO_PORT"
  printf 'export DSAAS_MINIO_ACCESS_KEY=%q DSAAS_MINIO_SECRET_KEY_FILE=%q DSAAS_MINIO_CA=%q\n' \
    "$MINIO_ACCESS_KEY" "$LAB_STATE/secrets/minio" "$LAB_STATE/ca/ca.pem"
}
