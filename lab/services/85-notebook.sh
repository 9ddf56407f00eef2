# shellcheck shell=bash
# notebook: the runtime of a single-user notebook server that reaches department drives (SMB/DFS)
# with the user's Kerberos ticket, for tests that run such code as an unprivileged uid.
#
# A runtime, not a daemon, like the hub's (80-jupyterhub.sh): `up` makes sure a Python 3.12 venv
# with the pins below exists in the cache and links it into this checkout's state ($LAB_STATE/notebook);
# `running` means it is present and linked; `down` removes the link and nothing else.
#
# Pins: smbprotocol (userland SMB 2/3 with DFS referrals; no kernel mount, no privilege), pyspnego
# with its Kerberos extra (gssapi + krb5, both built from source against Debian's libkrb5-dev: there
# are no wheels for them here, so a cold build compiles them), fsspec (its SMB filesystem is
# smbprotocol's), jupyter-server and jupyter-fs (the contents manager that mounts such filesystems).
# The versions pyspnego[kerberos] would pick are pinned explicitly (gssapi, krb5) so the build is
# reproducible. Kerberos clients use the lab's krb5.conf (KRB5_CONFIG from `lab/lab env samba-ad`).
#
# Cache: $LAB_CACHE/notebook/<key>, key = hash of the requirement lines, the exact Python version and
# NOTEBOOK_RECIPE; built in place under a lock with a .complete stamp (lab_cached_runtime).

NOTEBOOK_PYTHON_VERSION=3.12
# Bump when the way the runtime is built changes.
NOTEBOOK_RECIPE=1
NOTEBOOK_PINS=(
  smbprotocol==1.17.0
  'pyspnego[kerberos]==0.12.4'
  gssapi==1.12.0
  krb5==0.10.0
  fsspec==2026.9.0
  jupyter-server==2.21.1
  jupyter-fs==1.2.1
)
NOTEBOOK_LINK=$LAB_STATE/notebook

# libkrb5-dev (krb5-config, headers) and gcc build gssapi and krb5; krb5-user gives kinit/klist for
# debugging. Python's own headers come with the 3.12 interpreter (pyenv), not from python3-dev.
notebook_packages() { echo libkrb5-dev krb5-user gcc; }

_notebook_dir() {
  local py
  py=$(lab_find_python "$NOTEBOOK_PYTHON_VERSION") || return 1
  printf '%s/notebook/%s\n' "$LAB_CACHE" \
    "$(lab_runtime_key "$py" "$(printf '%s\n' "${NOTEBOOK_PINS[@]}")" "recipe=$NOTEBOOK_RECIPE")"
}

notebook_running() {
  local dir
  dir=$(_notebook_dir) || return 1
  lab_runtime_linked "$dir" "$NOTEBOOK_LINK"
}

# _notebook_build DIR PYTHON: the venv into DIR (called by lab_cached_runtime, under its lock).
_notebook_build() {
  local dir=$1 py=$2 log=$LAB_LOG/notebook-install.log start=$SECONDS
  printf '%s\n' "${NOTEBOOK_PINS[@]}" >"$dir/requirements.txt"
  lab_say "installing the notebook runtime with $("$py" --version) (once; cached in ${dir/#"$HOME"/\~}; compiles gssapi and krb5, a few minutes)"
  {
    echo "## $(date -u +%FT%TZ) $dir"
    "$py" -m venv "$dir/venv" \
      && "$dir/venv/bin/python" -m pip install -q --disable-pip-version-check -r "$dir/requirements.txt" \
      && "$dir/venv/bin/python" -c 'import smbclient, spnego, gssapi, krb5, fsspec, jupyter_server, jupyterfs
from gssapi.raw import acquire_cred_with_password, store_cred_into  # the extensions the hub side needs
print("notebook runtime imports ok")'
  } >>"$log" 2>&1 || return 1
  printf 'notebook runtime %s %ss\n' "$(basename "$dir")" "$((SECONDS - start))" >>"$LAB_LOG/notebook-install-times.log"
  lab_say "notebook runtime installed in $((SECONDS - start))s"
}

notebook_up() {
  local dir py log=$LAB_LOG/notebook-install.log
  lab_dirs
  py=$(lab_find_python "$NOTEBOOK_PYTHON_VERSION") || lab_die "no Python $NOTEBOOK_PYTHON_VERSION found (python$NOTEBOOK_PYTHON_VERSION on PATH or ~/.pyenv/versions/$NOTEBOOK_PYTHON_VERSION.*)"
  command -v krb5-config >/dev/null || lab_die "krb5-config not found: building gssapi and krb5 needs Debian's libkrb5-dev"
  dir=$(_notebook_dir)
  lab_cached_runtime "$dir" _notebook_build "$py" \
    || lab_die "installing the notebook runtime failed: $(grep -i -m1 -E 'error|not found|no matching|failed' "$log" || tail -n 1 "$log") (see $log)"
  ln -sfn "$dir" "$NOTEBOOK_LINK"
}

notebook_down() { rm -f "$NOTEBOOK_LINK"; lab_say "notebook runtime unlinked (cache kept)"; }

notebook_address() { echo "runtime ${NOTEBOOK_LINK/#"$LAB_ROOT"\//}"; }

notebook_env() {
  printf 'export DSAAS_NOTEBOOK_VENV=%q DSAAS_NOTEBOOK_PYTHON=%q\n' "$NOTEBOOK_LINK/venv" "$NOTEBOOK_LINK/venv/bin/python"
}
