# shellcheck shell=bash
# samba_ad: a Samba Active Directory domain controller on loopback only.
#
#   realm LAB.DSAAS.TEST, domain DSAASLAB, DC dc1; LDAPS on 127.0.0.1:636 with a lab-CA certificate.
#   Everything (databases, pid/lock/state/cache/private dirs, smb.conf) lives in $LAB_STATE/samba-ad;
#   nothing is written to /etc or /var/lib/samba. The internal DNS server is disabled (no port 53).
#   Seeded by lab/samba_ad_seed.py (OU=DSAAS: users, groups, a bind service account).
#   Also a file server with a department share and a DFS root (samba_ad_shares, below), reached as
#   \\localhost\dfs\research with Kerberos through $LAB_STATE/krb5.conf (KDC 127.0.0.1:88).
#
# Provisioning + seeding is slow-ish, so the result is cached in $LAB_CACHE as a tarball keyed by the
# Samba version and the contents of this file and the seed script. The tarball carries the three
# secrets (ad-administrator, ad-bind, ad-users) so a fresh state directory restored from it gets the
# passwords that match the database. smb.conf is never cached: it is rendered at every start from
# the current state paths, and the TLS certificate comes from this state directory's lab CA.
# Sourced by lab/lab after lib.sh; every function is `set -euo pipefail`-safe.

SAMBA_AD_DIR=$LAB_STATE/samba-ad
SAMBA_AD_CONF=$SAMBA_AD_DIR/etc/smb.conf
SAMBA_AD_PIDFILE=$LAB_STATE/run/samba-ad.pid
SAMBA_AD_SEED=$LAB_ROOT/lab/samba_ad_seed.py
SAMBA_AD_SELF=$LAB_ROOT/lab/services/20-samba-ad.sh
SAMBA_AD_REALM=LAB.DSAAS.TEST
SAMBA_AD_DOMAIN=DSAASLAB
SAMBA_AD_BASE_DN=DC=lab,DC=dsaas,DC=test
SAMBA_AD_URI=ldaps://127.0.0.1:636
SAMBA_AD_BIND_USER=svc-dsaas-bind@lab.dsaas.test
SAMBA_AD_BIND_DN="CN=svc-dsaas-bind,OU=Service Accounts,OU=DSAAS,$SAMBA_AD_BASE_DN"
SAMBA_AD_SECRETS=(ad-administrator ad-bind ad-users)
# The department drives. Clients name the server "localhost": there is no DNS and /etc/hosts is not
# edited, localhost resolves to 127.0.0.1 everywhere and is already in the DC's certificate; the DC's
# machine account gets the SPN cifs/localhost so the KDC issues tickets for that name.
SAMBA_AD_SMB_SERVER=localhost
SAMBA_AD_SPNS=(cifs/localhost)
SAMBA_AD_SHARES_CONF=$SAMBA_AD_DIR/etc/shares.conf
SAMBA_AD_SHARES_DIR=$SAMBA_AD_DIR/state/shares
SAMBA_AD_KRB5_CONF=$LAB_STATE/krb5.conf
# winbindd's socket where smbd looks for it. smbd maps the SIDs of an SMB session's user to uids
# through libwbclient, which only knows the directory compiled into Debian's Samba (the
# `winbindd socket directory` parameter moves winbindd's socket, not libwbclient's idea of it): with
# the socket anywhere else every SMB session setup fails with NT_STATUS_INTERNAL_ERROR. So winbindd
# listens there: runtime state in /run (Debian's samba package makes /run/samba), nothing in /etc.
SAMBA_AD_WINBINDD_SOCKET_DIR=/run/samba/winbindd

samba_ad_packages() { echo samba samba-ad-dc samba-dsdb-modules winbind krb5-user ldb-tools; }

samba_ad_address() { echo "$SAMBA_AD_URI"; }

samba_ad_running() { lab_pid_alive "$SAMBA_AD_PIDFILE" && lab_port_open 636; }

samba_ad_env() {
  printf 'export DSAAS_AD_URI=%q\n' "$SAMBA_AD_URI"
  printf 'export DSAAS_AD_BASE_DN=%q\n' "$SAMBA_AD_BASE_DN"
  printf 'export DSAAS_AD_BIND_DN=%q\n' "$SAMBA_AD_BIND_DN"
  printf 'export DSAAS_AD_BIND_USER=%q\n' "$SAMBA_AD_BIND_USER"
  printf 'export DSAAS_AD_BIND_PASSWORD_FILE=%q\n' "$LAB_STATE/secrets/ad-bind"
  printf 'export DSAAS_AD_USERS_PASSWORD_FILE=%q\n' "$LAB_STATE/secrets/ad-users"
  printf 'export DSAAS_AD_CA_FILE=%q\n' "$LAB_STATE/ca/ca.pem"
  printf 'export DSAAS_AD_REALM=%q\n' "$SAMBA_AD_REALM"
  # Kerberos clients and the department drives (samba_ad_shares); only files in $LAB_STATE, no /etc.
  printf 'export KRB5_CONFIG=%q\n' "$SAMBA_AD_KRB5_CONF"
  printf 'export DSAAS_KRB5_CONFIG=%q\n' "$SAMBA_AD_KRB5_CONF"
  printf 'export DSAAS_KRB5_REALM=%q\n' "$SAMBA_AD_REALM"
  printf 'export DSAAS_KRB5_KDC=%q\n' "127.0.0.1:88"
  printf 'export DSAAS_SMB_SERVER=%q\n' "$SAMBA_AD_SMB_SERVER"
  printf 'export DSAAS_SMB_RESEARCH=%q\n' "\\\\$SAMBA_AD_SMB_SERVER\\research"
  printf 'export DSAAS_DFS_ROOT=%q\n' "\\\\$SAMBA_AD_SMB_SERVER\\dfs"
  printf 'export DSAAS_DFS_RESEARCH=%q\n' "\\\\$SAMBA_AD_SMB_SERVER\\dfs\\research"
  printf 'export DSAAS_SMB_RESEARCH_GROUP=%q\n' dsaas-researchers
}

# The cache key: Samba version + this file + the seed script.
_samba_ad_key() {
  local ver
  ver=$(samba --version | awk '{print $2}')
  printf '%s-%s' "$ver" "$(cat "$SAMBA_AD_SELF" "$SAMBA_AD_SEED" | sha256sum | cut -c1-16)"
}

# A fingerprint of the secrets the database was built with (detects a state dir whose secrets changed).
_samba_ad_secrets_sig() {
  local s
  for s in "${SAMBA_AD_SECRETS[@]}"; do [ -s "$LAB_STATE/secrets/$s" ] || { echo missing; return 0; }; done
  (cd "$LAB_STATE/secrets" && cat "${SAMBA_AD_SECRETS[@]}") | sha256sum | cut -c1-16
}

# smb.conf, rendered from the current state paths at every start (never cached).
_samba_ad_conf() {
  local t=$SAMBA_AD_DIR c=$LAB_STATE/ca
  mkdir -p "$t/etc" "$t/run" "$t/state" "$t/cache" "$t/private" "$t/bind-dns"
  # winbindd makes its socket directory, not the parent (Debian's samba makes it, not in every container)
  mkdir -p "$(dirname "$SAMBA_AD_WINBINDD_SOCKET_DIR")"
  # the shares' include file exists before samba reads smb.conf (samba_ad_shares fills it once provisioned)
  [ -e "$SAMBA_AD_SHARES_CONF" ] || : >"$SAMBA_AD_SHARES_CONF"
  cat >"$SAMBA_AD_CONF" <<EOF
# Generated by lab/services/20-samba-ad.sh at every start; edits are overwritten.
[global]
	netbios name = DC1
	workgroup = $SAMBA_AD_DOMAIN
	realm = $SAMBA_AD_REALM
	server role = active directory domain controller
	# no internal DNS (port 53) and no dynamic DNS/SPN updates (there is no DNS to update)
	server services = -dns -dnsupdate
	interfaces = lo
	bind interfaces only = yes
	idmap_ldb:use rfc2307 = yes
	private dir = $t/private
	lock directory = $t
	state directory = $t/state
	cache directory = $t/cache
	binddns dir = $t/bind-dns
	pid directory = $t/run
	ncalrpc dir = $t/run/ncalrpc
	# where libwbclient (smbd's SID -> uid mapping) looks; see SAMBA_AD_WINBINDD_SOCKET_DIR
	winbindd socket directory = $SAMBA_AD_WINBINDD_SOCKET_DIR
	ntp signd socket directory = $t/run/ntp_signd
	usershare path = $t/usershares
	log file = $LAB_LOG/samba-ad.log
	max log size = 10000
	log level = 1
	tls enabled = yes
	tls keyfile = $c/samba-ad.key
	tls certfile = $c/samba-ad.pem
	tls cafile = $c/ca.pem
	# Samba's default, spelled out: simple binds need TLS (LDAPS or StartTLS).
	ldap server require strong auth = yes

[sysvol]
	path = $t/state/sysvol
	read only = no

[netlogon]
	path = $t/state/sysvol/lab.dsaas.test/scripts
	read only = no

include = $SAMBA_AD_SHARES_CONF
EOF
}

# samba-tool with the administrator password kept out of argv (and so out of `ps`).
_samba_ad_provision() {
  local t=$SAMBA_AD_DIR
  lab_say "provisioning the Samba AD domain $SAMBA_AD_REALM (log: $LAB_LOG/samba-ad-provision.log)"
  rm -rf "$t"
  _samba_ad_conf
  lab_secret ad-administrator >/dev/null
  SAMBA_AD_ADMINPASS_FILE=$LAB_STATE/secrets/ad-administrator /usr/bin/python3 -c '
import os, runpy, sys
with open(os.environ.pop("SAMBA_AD_ADMINPASS_FILE")) as f:
    sys.argv = ["samba-tool"] + sys.argv[1:] + ["--adminpass=" + f.read().strip()]
runpy.run_path("/usr/bin/samba-tool", run_name="__main__")
' domain provision -s "$SAMBA_AD_CONF" --targetdir="$t" --use-rfc2307 \
    --realm="$SAMBA_AD_REALM" --domain="$SAMBA_AD_DOMAIN" --host-name=dc1 \
    --server-role=dc --dns-backend=NONE \
    >"$LAB_LOG/samba-ad-provision.log" 2>&1 \
    || lab_die "samba-tool domain provision failed (see $LAB_LOG/samba-ad-provision.log)"
  # provision keeps a pre-existing smb.conf; ours is re-rendered at every start anyway
}

_samba_ad_seed() {
  local s
  for s in ad-bind ad-users; do lab_secret "$s" >/dev/null; done
  lab_say "seeding OU=DSAAS (log: $LAB_LOG/samba-ad-seed.log)"
  DSAAS_AD_URI=$SAMBA_AD_URI DSAAS_AD_BASE_DN=$SAMBA_AD_BASE_DN DSAAS_AD_CA_FILE=$LAB_STATE/ca/ca.pem \
    DSAAS_AD_ADMIN_PASSWORD_FILE=$LAB_STATE/secrets/ad-administrator \
    DSAAS_AD_BIND_PASSWORD_FILE=$LAB_STATE/secrets/ad-bind \
    DSAAS_AD_USERS_PASSWORD_FILE=$LAB_STATE/secrets/ad-users \
    "$LAB_VENV/bin/python" "$SAMBA_AD_SEED" >"$LAB_LOG/samba-ad-seed.log" 2>&1 \
    || { _samba_ad_stop; lab_die "seeding the AD failed (see $LAB_LOG/samba-ad-seed.log)"; }
}

_samba_ad_cache_file() { echo "$LAB_CACHE/samba-ad-$1.tar.gz"; }

# Snapshot of the stopped, seeded database plus its secrets; written atomically, readable by us only.
_samba_ad_save() {
  local f tmp
  f=$(_samba_ad_cache_file "$1")
  tmp=$(mktemp "$f.XXXXXX")
  (umask 077 && tar -czf "$tmp" --xattrs --xattrs-include='*' -C "$LAB_STATE" \
    --exclude=samba-ad/etc --exclude=samba-ad/run --exclude=samba-ad/.lab-ready \
    --exclude=samba-ad/msg.sock --exclude=samba-ad/msg.lock \
    --warning=no-file-ignored samba-ad "${SAMBA_AD_SECRETS[@]/#/secrets/}") || { rm -f "$tmp"; lab_die "writing $f failed"; }
  chmod 600 "$tmp" && mv -f "$tmp" "$f"
  lab_say "cached the provisioned AD in $f"
}

_samba_ad_restore() {
  local f tmp s
  f=$(_samba_ad_cache_file "$1")
  lab_say "restoring the provisioned AD from $f"
  tmp=$(mktemp -d "$LAB_STATE/.samba-ad-restore.XXXXXX")
  if ! tar -xzf "$f" --xattrs --xattrs-include='*' -C "$tmp" || [ ! -s "$tmp/samba-ad/private/sam.ldb" ]; then
    rm -rf "$tmp"
    lab_say "the cached AD is unreadable; removing it"
    rm -f "$f"
    return 1
  fi
  rm -rf "$SAMBA_AD_DIR"
  mv "$tmp/samba-ad" "$SAMBA_AD_DIR"
  for s in "${SAMBA_AD_SECRETS[@]}"; do install -m 600 "$tmp/secrets/$s" "$LAB_STATE/secrets/$s"; done
  rm -rf "$tmp"
}

_samba_ad_start() {
  local t=$SAMBA_AD_DIR i
  rm -f "$t/run/samba.pid"
  samba -s "$SAMBA_AD_CONF" </dev/null >>"$LAB_LOG/samba-ad.out" 2>&1 \
    || lab_die "samba failed to start (see $LAB_LOG/samba-ad.out and $LAB_LOG/samba-ad.log)"
  for ((i = 0; i < 150; i++)); do lab_pid_alive "$t/run/samba.pid" && break; sleep 0.2; done
  lab_pid_alive "$t/run/samba.pid" || lab_die "samba did not start (see $LAB_LOG/samba-ad.log)"
  cp "$t/run/samba.pid" "$SAMBA_AD_PIDFILE"
  lab_wait_port 636 60 || { _samba_ad_stop; lab_die "samba did not open 636 (see $LAB_LOG/samba-ad.log)"; }
}

# PID and all its descendants (smbd and winbindd run in sessions of their own, so not by session).
_samba_ad_tree() {
  ps -eo pid=,ppid= | awk -v root="$1" '{ parent[$1] = $2 }
    END { tree[root] = 1
          do { more = 0; for (c in parent) if (!(c in tree) && (parent[c] in tree)) { tree[c] = 1; more = 1 } } while (more)
          for (c in tree) print c }'
}

# Stop the daemon this lab started, then whatever is left of its process tree.
_samba_ad_stop() {
  local i p tree=() left=()
  lab_pid_alive "$SAMBA_AD_PIDFILE" || { rm -f "$SAMBA_AD_PIDFILE"; return 0; }
  mapfile -t tree < <(_samba_ad_tree "$(cat "$SAMBA_AD_PIDFILE")")
  lab_stop_pidfile "$SAMBA_AD_PIDFILE" samba_ad
  for ((i = 0; i < 25; i++)); do
    left=()
    for p in "${tree[@]}"; do kill -0 "$p" 2>/dev/null && left+=("$p"); done
    [ ${#left[@]} -gt 0 ] || return 0
    if [ "$i" -lt 20 ]; then kill "${left[@]}" 2>/dev/null || true; else kill -9 "${left[@]}" 2>/dev/null || true; fi
    sleep 0.2
  done
  return 0
}

# --- Department drives: a share with an NT ACL from an AD group, under a DFS root ----------------
#   [research]  $SAMBA_AD_SHARES_DIR/research; NT ACL: dsaas-researchers modify (and so its nested
#               group dsaas-research-lab-a), Domain Admins and SYSTEM full control, nobody else.
#   [dfs]       $SAMBA_AD_SHARES_DIR/dfs, `msdfs root = yes`, link research -> \\localhost\research;
#               any authenticated user may read the root (to be referred), the link target decides.
# The share definitions are an include file of smb.conf, so they are applied to a running DC with a
# reload (smbcontrol), never a restart; nothing of this is part of the provisioning or its cache key
# input beyond this file's text. Idempotent: a stamp in $SAMBA_AD_DIR records what was applied, and
# goes away with the database (a re-provision or a restore removes $SAMBA_AD_DIR).
#
# On a running DC `lab/lab up samba-ad` applies it (samba_ad_refresh), without a restart.

# The Kerberos client configuration of the lab (KRB5_CONFIG): the KDC by address, no DNS at all.
_samba_ad_krb5_conf() {
  local tmp
  tmp=$(mktemp "$SAMBA_AD_KRB5_CONF.XXXXXX")
  cat >"$tmp" <<EOF
# Generated by lab/services/20-samba-ad.sh (samba_ad_shares); edits are overwritten.
[libdefaults]
	default_realm = $SAMBA_AD_REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false

[realms]
	$SAMBA_AD_REALM = {
		kdc = 127.0.0.1:88
		admin_server = 127.0.0.1:464
		kpasswd_server = 127.0.0.1:464
	}

[domain_realm]
	$SAMBA_AD_SMB_SERVER = $SAMBA_AD_REALM
	lab.dsaas.test = $SAMBA_AD_REALM
	.lab.dsaas.test = $SAMBA_AD_REALM
EOF
  chmod 644 "$tmp" && mv -f "$tmp" "$SAMBA_AD_KRB5_CONF"
}

# The include file of smb.conf with the two shares.
_samba_ad_shares_conf() {
  local d=$SAMBA_AD_SHARES_DIR
  cat <<EOF
# Generated by lab/services/20-samba-ad.sh (samba_ad_shares); edits are overwritten.
[research]
	comment = DSAAS research department drive (lab)
	path = $d/research
	read only = no

[dfs]
	comment = DFS root of the department drives (lab)
	path = $d/dfs
	msdfs root = yes
	read only = yes
EOF
}

# samba-tool on this DC's configuration and database (local, no network, no credentials).
_samba_ad_tool() { samba-tool "$@" -s "$SAMBA_AD_CONF"; }

_samba_ad_sid() {
  _samba_ad_tool group show "$1" -H "$SAMBA_AD_DIR/private/sam.ldb" --attributes=objectSid \
    | awk '$1 == "objectSid:" { print $2 }'
}

# _samba_ad_ntacl SDDL PATH SHARE: set the NT ACL of PATH (the directory only; what is created in it
# inherits). Access masks in hex: Samba 4.17's SDDL parser reads "FA" as 0x1ff, not 0x1f01ff.
_samba_ad_ntacl() {
  _samba_ad_tool ntacl set --service="$3" "$1" "$2" >>"$LAB_LOG/samba-ad-shares.log" 2>&1 \
    || lab_die "setting the NT ACL of $2 failed (see $LAB_LOG/samba-ad-shares.log)"
}

# A DC started before winbindd's socket moved to SAMBA_AD_WINBINDD_SOCKET_DIR has it in its state
# directory: give smbd a path to it there without a restart, a hard link (a symlink fails
# libwbclient's checks), possible when /run and the state are on one file system; else ask for a restart.
_samba_ad_winbindd_socket() {
  local old=$SAMBA_AD_DIR/run/winbindd/pipe new=$SAMBA_AD_WINBINDD_SOCKET_DIR/pipe
  [ -S "$old" ] || return 0
  [ "$old" -ef "$new" ] && return 0
  mkdir -p "$SAMBA_AD_WINBINDD_SOCKET_DIR" && chmod 755 "$SAMBA_AD_WINBINDD_SOCKET_DIR"
  ln -f "$old" "$new" 2>/dev/null \
    || lab_say "WARNING: smbd cannot reach this DC's winbindd (SMB sessions fail with NT_STATUS_INTERNAL_ERROR): restart it (lab/lab down samba-ad && lab/lab up samba-ad)"
}

samba_ad_shares() {
  local d=$SAMBA_AD_SHARES_DIR stamp=$SAMBA_AD_DIR/.lab-shares want sid spn spns tmp include
  include="include = $SAMBA_AD_SHARES_CONF"
  _samba_ad_krb5_conf
  [ -s "$SAMBA_AD_DIR/private/sam.ldb" ] || lab_die "no provisioned AD in $SAMBA_AD_DIR (lab/lab up samba-ad)"
  _samba_ad_winbindd_socket
  want=$( { _samba_ad_shares_conf; printf '%s\n' "${SAMBA_AD_SPNS[@]}" "$include"; declare -f samba_ad_shares _samba_ad_ntacl; } \
    | sha256sum | cut -c1-16)
  if [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ] && grep -qxF "$include" "$SAMBA_AD_CONF" 2>/dev/null; then
    return 0
  fi
  lab_say "samba_ad: department drives \\\\$SAMBA_AD_SMB_SERVER\\research and \\\\$SAMBA_AD_SMB_SERVER\\dfs (log: $LAB_LOG/samba-ad-shares.log)"
  mkdir -p "$d/research" "$d/dfs"
  # the DFS link: a symlink whose target names the share (\\server\share)
  [ "$(readlink "$d/dfs/research" 2>/dev/null)" = "msdfs:$SAMBA_AD_SMB_SERVER\\research" ] \
    || ln -sfn "msdfs:$SAMBA_AD_SMB_SERVER\\research" "$d/dfs/research"
  tmp=$(mktemp "$SAMBA_AD_SHARES_CONF.XXXXXX")
  _samba_ad_shares_conf >"$tmp" && chmod 644 "$tmp" && mv -f "$tmp" "$SAMBA_AD_SHARES_CONF"
  # smb.conf of a DC started before this include existed: append it (it is rendered with it since)
  grep -qxF "$include" "$SAMBA_AD_CONF" || printf '\n%s\n' "$include" >>"$SAMBA_AD_CONF"
  sid=$(_samba_ad_sid dsaas-researchers)
  [ -n "$sid" ] || lab_die "group dsaas-researchers not found in the AD (seeded by lab/samba_ad_seed.py)"
  # 0x1f01ff = full control; 0x1301bf = modify: read, write, append, execute/traverse, delete,
  # attributes, no ACL or owner change; 0x1200a9 = read and execute
  _samba_ad_ntacl "O:DAG:DAD:PAI(A;OICI;0x1f01ff;;;SY)(A;OICI;0x1f01ff;;;DA)(A;OICI;0x1301bf;;;$sid)" "$d/research" research
  # the DFS root: readable (to be referred) by every authenticated user
  _samba_ad_ntacl "O:DAG:DAD:PAI(A;OICI;0x1f01ff;;;SY)(A;OICI;0x1f01ff;;;DA)(A;OICI;0x1200a9;;;AU)" "$d/dfs" dfs
  spns=$(_samba_ad_tool spn list 'DC1$' -H "$SAMBA_AD_DIR/private/sam.ldb" 2>>"$LAB_LOG/samba-ad-shares.log") \
    || lab_die "listing the SPNs of DC1\$ failed (see $LAB_LOG/samba-ad-shares.log)"
  for spn in "${SAMBA_AD_SPNS[@]}"; do
    awk '{ print $1 }' <<<"$spns" | grep -qixF "$spn" && continue
    _samba_ad_tool spn add "$spn" 'DC1$' -H "$SAMBA_AD_DIR/private/sam.ldb" >>"$LAB_LOG/samba-ad-shares.log" 2>&1 \
      || lab_die "adding the SPN $spn to DC1\$ failed (see $LAB_LOG/samba-ad-shares.log)"
  done
  # a running smbd reads the new shares now (new connections would after its periodic check anyway)
  if lab_pid_alive "$SAMBA_AD_DIR/run/smbd.pid" || lab_pid_alive "$SAMBA_AD_PIDFILE"; then
    smbcontrol -s "$SAMBA_AD_CONF" smbd reload-config >>"$LAB_LOG/samba-ad-shares.log" 2>&1 \
      || lab_die "smbcontrol smbd reload-config failed (see $LAB_LOG/samba-ad-shares.log)"
  fi
  echo "$want" >"$stamp"
}

samba_ad_up() {
  local key ready fresh=0
  lab_dirs
  lab_cert samba-ad "DNS:dc1.lab.dsaas.test,DNS:localhost,IP:127.0.0.1"
  # a daemon from this state dir that is up but not answering (or lost its pid file): stop it first
  [ -s "$SAMBA_AD_PIDFILE" ] || { [ -s "$SAMBA_AD_DIR/run/samba.pid" ] && cp "$SAMBA_AD_DIR/run/samba.pid" "$SAMBA_AD_PIDFILE"; } || true
  _samba_ad_stop
  lab_port_open 636 && lab_die "port 636 is already taken by something this lab did not start"

  key=$(_samba_ad_key)
  ready="$key $(_samba_ad_secrets_sig)"
  if [ -s "$SAMBA_AD_DIR/private/sam.ldb" ] && [ "$(cat "$SAMBA_AD_DIR/.lab-ready" 2>/dev/null || true)" = "$ready" ]; then
    : # this state dir already holds the current provisioned + seeded domain
  elif [ -s "$(_samba_ad_cache_file "$key")" ] && _samba_ad_restore "$key"; then
    ready="$key $(_samba_ad_secrets_sig)"
  else
    _samba_ad_provision
    fresh=1
  fi
  _samba_ad_conf
  _samba_ad_start
  if [ "$fresh" = 1 ]; then
    _samba_ad_seed
    ready="$key $(_samba_ad_secrets_sig)"
    # snapshot a quiescent database: stop, archive, start again
    _samba_ad_stop
    _samba_ad_save "$key"
    _samba_ad_start
  fi
  echo "$ready" >"$SAMBA_AD_DIR/.lab-ready"
  samba_ad_shares
  lab_say "samba_ad up on $SAMBA_AD_URI (base $SAMBA_AD_BASE_DN)"
}

# `lab up` on a running DC: the department drives (and krb5.conf) without a restart.
samba_ad_refresh() { samba_ad_shares; }

samba_ad_down() {
  _samba_ad_stop
  # the hard link _samba_ad_winbindd_socket made for a DC of the old layout
  if [ -S "$SAMBA_AD_DIR/run/winbindd/pipe" ] && [ "$SAMBA_AD_DIR/run/winbindd/pipe" -ef "$SAMBA_AD_WINBINDD_SOCKET_DIR/pipe" ]; then
    rm -f "$SAMBA_AD_WINBINDD_SOCKET_DIR/pipe"
  fi
}
