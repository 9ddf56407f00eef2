# shellcheck shell=bash
# Shared helpers for the lab entry point and its services. Sourced, never run.

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Per-checkout state (data dirs, pid files, generated secrets); removed by nothing but the operator.
LAB_STATE=${DSAAS_LAB_STATE:-$LAB_ROOT/.lab}
# Cross-checkout cache of slow-to-build things (provisioned AD, images, binaries), keyed by version.
LAB_CACHE=${DSAAS_LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dsaas-lab}
LAB_VENV=${DSAAS_VENV:-$LAB_ROOT/.venv}
LAB_PYTHON_VERSION=3.13
LAB_LOG=$LAB_STATE/logs

lab_say() { printf '[lab] %s\n' "$*" >&2; }
lab_die() { printf '[lab] ERROR: %s\n' "$*" >&2; exit 1; }

lab_dirs() { mkdir -p "$LAB_STATE" "$LAB_CACHE" "$LAB_LOG" "$LAB_STATE/secrets" "$LAB_STATE/run"; chmod 700 "$LAB_STATE/secrets"; }

# Debian packages, installed once; apt-get update only when something is missing.
lab_apt() {
  local missing=() p
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  lab_say "installing Debian packages: ${missing[*]}"
  apt-get update -q >"$LAB_LOG/apt-update.log" 2>&1 || lab_die "apt-get update failed (see $LAB_LOG/apt-update.log)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
    >"$LAB_LOG/apt-install.log" 2>&1 || lab_die "apt-get install ${missing[*]} failed (see $LAB_LOG/apt-install.log)"
}

# The project's Python toolchain: a venv from requirements.txt, rebuilt only when that file changes.
lab_python() {
  local py stamp want
  for py in "python$LAB_PYTHON_VERSION" "$HOME/.pyenv/versions/$LAB_PYTHON_VERSION"*/bin/python3; do
    command -v "$py" >/dev/null 2>&1 && "$py" -c 'import sys; assert sys.version_info[:2] >= (3, 12)' 2>/dev/null && break
    py=""
  done
  [ -n "$py" ] || lab_die "no Python $LAB_PYTHON_VERSION found (ansible-core 2.21 needs Python >= 3.12)"
  want=$(cat "$LAB_ROOT/requirements.txt" | sha256sum | cut -c1-16)
  stamp="$LAB_VENV/.requirements-$want"
  lab_collection_link
  [ -e "$stamp" ] && return 0
  lab_say "creating the Python environment in ${LAB_VENV#"$LAB_ROOT"/} (requirements.txt)"
  [ -x "$LAB_VENV/bin/python" ] || "$py" -m venv "$LAB_VENV" || lab_die "venv creation failed"
  "$LAB_VENV/bin/pip" install -q -r "$LAB_ROOT/requirements.txt" >"$LAB_LOG/pip.log" 2>&1 \
    || lab_die "pip install -r requirements.txt failed (see $LAB_LOG/pip.log)"
  rm -f "$LAB_VENV"/.requirements-* && touch "$stamp"
}

# ansible.cfg's collections_path finds this checkout as dsaas.platform through this link.
lab_collection_link() {
  local link="$LAB_ROOT/.ansible/collections/ansible_collections/dsaas/platform"
  [ "$(readlink "$link" 2>/dev/null)" = "$LAB_ROOT" ] && return 0
  mkdir -p "$(dirname "$link")" && ln -sfn "$LAB_ROOT" "$link"
}

# A secret generated once per lab and kept in the state directory (never in the repository).
lab_secret() {
  local f="$LAB_STATE/secrets/$1"
  if [ ! -s "$f" ]; then
    # AD password policy wants upper, lower, digit and symbol.
    printf 'Lab-%s-9x' "$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 16)" >"$f"
    chmod 600 "$f"
  fi
  cat "$f"
}

# The lab CA that every TLS service of the lab presents certificates from.
lab_ca() {
  local d="$LAB_STATE/ca"
  [ -s "$d/ca.pem" ] && return 0
  mkdir -p "$d" && chmod 700 "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=dsaas lab CA" \
    -keyout "$d/ca.key" -out "$d/ca.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    >"$LAB_LOG/ca.log" 2>&1 || lab_die "creating the lab CA failed (see $LAB_LOG/ca.log)"
  chmod 644 "$d/ca.pem"
}

# lab_cert NAME SAN-LIST: a 2048-bit server certificate signed by the lab CA, e.g. DNS:x,IP:127.0.0.1
lab_cert() {
  local name=$1 san=$2 d="$LAB_STATE/ca"
  lab_ca
  # Re-issued when the names asked for change (the .san file records what was issued).
  [ -s "$d/$name.pem" ] && [ "$(cat "$d/$name.san" 2>/dev/null)" = "$san" ] && return 0
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$(cn="${san%%,*}"; echo "${cn#*:}")" -keyout "$d/$name.key" -out "$d/$name.csr" \
    >>"$LAB_LOG/ca.log" 2>&1 || lab_die "certificate request for $name failed"
  openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 825 \
    -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san") \
    -out "$d/$name.pem" >>"$LAB_LOG/ca.log" 2>&1 || lab_die "signing the certificate for $name failed"
  chmod 600 "$d/$name.key"
  printf '%s' "$san" >"$d/$name.san"
}

# lab_port_open PORT [HOST]: true when something accepts TCP connections there.
lab_port_open() { (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null; }

# lab_wait_port PORT SECONDS WHAT
lab_wait_port() {
  local i
  for ((i = 0; i < $2 * 5; i++)); do lab_port_open "$1" && return 0; sleep 0.2; done
  return 1
}

# lab_pid_alive PIDFILE
lab_pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# lab_stop_pidfile PIDFILE NAME: stop exactly the process this lab started.
lab_stop_pidfile() {
  local pid i
  lab_pid_alive "$1" || { rm -f "$1"; return 0; }
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  rm -f "$1"
  lab_say "$2 stopped"
}

# --- Go-built binaries -------------------------------------------------------------------------
# lab_go_binary NAME VERSION BUILD_FUNCTION [ARG...]: prints $LAB_CACHE/bin/NAME-VERSION, the
# directory holding the binaries of NAME at VERSION, building it first if it is not there yet.
# A warm start only tests that directory: go is not invoked. A cold one calls
#   BUILD_FUNCTION OUTDIR [ARG...]
# in an empty work directory (its cwd) with GOBIN=OUTDIR; it must put the binaries into OUTDIR and
# return non-zero when a step fails (chain the steps with && or end each with || return).
# OUTDIR is a temporary directory beside the cache entry, moved into place only when the build
# succeeded, so a failed or interrupted build leaves the cache as it was. On failure `lab up`
# stops naming the package and go's own error (the whole output is in $LAB_LOG/go-NAME-VERSION.log).
# Go's module and build caches stay at go's defaults (GOMODCACHE, GOCACHE): content-addressed,
# safe to share with any other go use on the machine; the binaries are what this cache keeps.
LAB_GO_FLAGS=(-trimpath -p "$(nproc 2>/dev/null || echo 2)")
LAB_GO_LDFLAGS="-s -w"
lab_go_binary() {
  local name=$1 version=$2 build=$3 dir="$LAB_CACHE/bin/$1-$2" tmp work log rc start
  shift 3
  if [ -d "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then printf '%s\n' "$dir"; return 0; fi
  command -v go >/dev/null || lab_die "building $name $version needs go (not on PATH)"
  mkdir -p "$LAB_CACHE/bin" "$LAB_LOG"
  rm -rf "$LAB_CACHE/bin/.$name-$version".* # leftovers of an interrupted build
  tmp=$(mktemp -d "$LAB_CACHE/bin/.$name-$version.XXXXXX")
  work="$tmp/work" log="$LAB_LOG/go-$name-$version.log"
  mkdir -p "$tmp/out" "$work"
  lab_say "building $name $version with $(go env GOVERSION) from the Go module proxy (once; cached in ${dir/#"$HOME"/\~})"
  start=$SECONDS
  # No reliance on set -e here (bash ignores it inside && / || / if contexts): a build function
  # returns non-zero itself when a step fails.
  (
    cd "$work" && export GOBIN="$tmp/out" GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=${CGO_ENABLED:-0} \
      && "$build" "$tmp/out" "$@"
  ) >"$log" 2>&1 && rc=0 || rc=$?
  if [ "$rc" -ne 0 ] || [ -z "$(ls -A "$tmp/out")" ]; then
    rm -rf "$tmp"
    lab_die "go build of $name $version failed: $(lab_go_error "$log") (full output: $log)"
  fi
  chmod 755 "$tmp/out"
  mv -T "$tmp/out" "$dir" 2>/dev/null || [ -d "$dir" ] || { rm -rf "$tmp"; lab_die "cannot move the $name build into $dir"; }
  rm -rf "$tmp"
  printf '%s %s %ss\n' "$name" "$version" "$((SECONDS - start))" >>"$LAB_LOG/go-build-times.log"
  lab_say "built $name $version in $((SECONDS - start))s"
  printf '%s\n' "$dir"
}

# The line of a go log that says what went wrong: the first error-looking line (go's progress
# lines and this lab's own markers skipped), else the last line.
lab_go_error() {
  local line
  line=$(grep -v -E '^(go: (downloading|creating|finding|found|added|upgraded|extracting) |## )' "$1" 2>/dev/null \
    | grep -m1 -i -E 'error|cannot|can.t|fail|refused|not found|no such|missing|undefined|invalid|unknown|timeout|denied|forbidden|not available|no matching|dial tcp|\.go:[0-9]+:[0-9]+:') \
    || line=$(grep -v '^[[:space:]]*$' "$1" 2>/dev/null | tail -n 1)
  line=${line#"${line%%[![:space:]]*}"}
  printf '%s' "${line:0:400}"
}

# Build functions for lab_go_binary.
# lab_go_install OUTDIR PACKAGE@VERSION...: plain `go install` (modules without replace directives).
lab_go_install() {
  local out=$1; shift
  GOBIN=$out go install "${LAB_GO_FLAGS[@]}" -ldflags "$LAB_GO_LDFLAGS" "$@"
}

# lab_go_wrapper MODULE@VERSION [go get args...]: in the current (work) directory, a wrapper module
# that requires MODULE@VERSION; for modules whose own replace directives make `go install` fail.
lab_go_wrapper() {
  go mod init dsaas.lab/wrapper && go mod edit -require="$1"
}

# lab_cert_eku NAME SUBJECT EKU [SAN-LIST]: a 2048-bit certificate from the lab CA with the given
# subject (e.g. /CN=kubernetes-admin/O=system:masters) and extended key usage (clientAuth, or
# serverAuth,clientAuth with a SAN list like lab_cert's): client certificates and peer certificates.
lab_cert_eku() {
  local name=$1 subj=$2 eku=$3 san=${4:-} d="$LAB_STATE/ca"
  lab_ca
  [ -s "$d/$name.pem" ] && return 0
  openssl req -newkey rsa:2048 -nodes -subj "$subj" -keyout "$d/$name.key" -out "$d/$name.csr" \
    >>"$LAB_LOG/ca.log" 2>&1 || lab_die "certificate request for $name failed"
  openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 825 \
    -extfile <(printf 'extendedKeyUsage=%s\n' "$eku"; [ -z "$san" ] || printf 'subjectAltName=%s\n' "$san") \
    -out "$d/$name.pem" >>"$LAB_LOG/ca.log" 2>&1 || lab_die "signing the certificate for $name failed"
  chmod 600 "$d/$name.key"
}

# lab_daemon PIDFILE LOGFILE COMMAND...: start COMMAND detached (own session, stdin closed), output
# appended to LOGFILE, its pid in PIDFILE (for lab_pid_alive / lab_stop_pidfile).
lab_daemon() {
  local pidfile=$1 log=$2
  shift 2
  mkdir -p "$(dirname "$pidfile")" "$(dirname "$log")"
  setsid "$@" </dev/null >>"$log" 2>&1 &
  printf '%s\n' "$!" >"$pidfile"
}

# --- Cached Python runtimes (the hub's, the notebook's) --------------------------------------------
# lab_find_python X.Y: prints the interpreter of exactly Python X.Y: pythonX.Y on PATH, else the
# newest pyenv X.Y.*; returns 1 (printing nothing) when there is none.
lab_find_python() {
  local want=$1 py pyenv=()
  mapfile -t pyenv < <(printf '%s\n' "$HOME/.pyenv/versions/$want".*/bin/python3 | sort -V -r)
  for py in "python$want" "${pyenv[@]}"; do
    if command -v "$py" >/dev/null 2>&1 \
      && "$py" -c "import sys; assert '%d.%d' % sys.version_info[:2] == '$want'" 2>/dev/null; then
      command -v "$py"
      return 0
    fi
  done
  return 1
}

# lab_runtime_key PYTHON TEXT...: a 16-hex cache key from the texts given (requirement lines, versions,
# recipe numbers; each one or more lines) and the exact version of PYTHON.
lab_runtime_key() {
  local py=$1 ver
  shift
  ver=$("$py" -c 'import platform; print(platform.python_version())')
  { printf '%s\n' "$@"; echo "python=$ver"; } | sha256sum | cut -c1-16
}

# lab_runtime_linked DIR LINK: the runtime in DIR is complete and LINK (in this checkout's state) points to it.
lab_runtime_linked() { [ -e "$1/.complete" ] && [ "$(readlink "$2" 2>/dev/null)" = "$1" ]; }

# lab_cached_runtime DIR BUILD_FUNCTION [ARG...]: makes sure the cache entry DIR is complete.
# A complete entry has DIR/.complete (written last); otherwise, under a lock beside DIR (one build
# per entry even when two checkouts start at once: the second waits, then finds it), DIR is emptied
# and `BUILD_FUNCTION DIR [ARG...]` builds it in place (a venv cannot be moved). A build function
# that fails removes nothing itself: DIR is removed here, so an interrupted or failed build is
# rebuilt, never reused. Returns the build function's status.
lab_cached_runtime() {
  local dir=$1 build=$2 lock rc=0
  shift 2
  [ -e "$dir/.complete" ] && return 0
  mkdir -p "$(dirname "$dir")"
  exec {lock}>"$(dirname "$dir")/.lock"
  flock "$lock"
  if [ ! -e "$dir/.complete" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    if "$build" "$dir" "$@"; then touch "$dir/.complete"; else rc=$?; rm -rf "$dir"; fi
  fi
  exec {lock}>&-
  return $rc
}
