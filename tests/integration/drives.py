# -*- coding: utf-8 -*-
"""Shared helpers for the department-drive tests (SMB/DFS with a Kerberos ticket, lab service samba-ad + notebook):
a ticket the way the hub gets it (gssapi, FILE ccache owned by an unprivileged uid), and processes run as that uid
with no capabilities in a private mount namespace (so that the lab's runtime under /root is visible to it).

Used by test_lab_department_share.py and test_drives_notebook.py.
"""
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import LAB_STATE, lab_env, require_lab

REALM = 'LAB.DSAAS.TEST'
NOBODY = 65534
GROUP = 'dsaas-researchers'

# Hub side: a TGT from the password, stored into a FILE ccache (password on stdin, never in argv or env).
KINIT = r'''
import json, sys, time
import gssapi
from gssapi.raw import acquire_cred_with_password, store_cred_into
principal, ccache = sys.argv[1], sys.argv[2]
password = sys.stdin.read().encode()
start = time.monotonic()
try:
    name = gssapi.Name(principal, gssapi.NameType.kerberos_principal)
    creds = acquire_cred_with_password(name, password, usage='initiate').creds
    store_cred_into({b'ccache': ccache.encode()}, creds, usage='initiate', mech=gssapi.MechType.kerberos,
                    overwrite=True)
    out = {'ok': True, 'principal': str(gssapi.Credentials(base=creds).name)}
except gssapi.exceptions.GSSError as err:
    out = {'ok': False, 'type': type(err).__name__, 'error': str(err), 'maj': err.maj_code, 'min': err.min_code}
out['seconds'] = round(time.monotonic() - start, 3)
print(json.dumps(out))
'''

# Notebook side: SMB operations with the ticket only. Each op names a connection cache ("global" is
# smbprotocol's process-global pool) and either an explicit ccache (spnego.KerberosCCache as the
# username) or a KRB5CCNAME to switch to before the call (username-less: the default ccache).
CLIENT = r'''
import json, os, sys
import smbclient, spnego

def status():
    with open('/proc/self/status') as handle:
        fields = dict(line.split(':', 1) for line in handle if ':' in line)
    return {key: fields[key].strip() for key in ('Uid', 'Gid', 'Groups', 'CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb')}

caches = {}
results = []
for op in json.loads(sys.argv[1]):
    kwargs = {'auth_protocol': 'kerberos'}
    if op.get('cache', 'global') != 'global':
        kwargs['connection_cache'] = caches.setdefault(op['cache'], {})
    if op.get('ccache'):
        kwargs['username'] = spnego.KerberosCCache(ccache=op['ccache'])
    if op.get('env_ccache'):
        os.environ['KRB5CCNAME'] = op['env_ccache']
    path = op['path']
    try:
        if op['do'] == 'listdir':
            value = sorted(smbclient.listdir(path, **kwargs))
        elif op['do'] == 'write':
            with smbclient.open_file(path, mode='w', **kwargs) as handle:
                handle.write(op['text'])
            value = None
        elif op['do'] == 'read':
            with smbclient.open_file(path, mode='r', **kwargs) as handle:
                value = handle.read()
        elif op['do'] == 'remove':
            value = smbclient.remove(path, **kwargs)
        results.append({'ok': True, 'value': value})
    except Exception as err:  # the test asserts on the kind of failure
        results.append({'ok': False, 'type': type(err).__name__, 'ntstatus': getattr(err, 'ntstatus', None),
                        'error': str(err)})
print(json.dumps({'status': status(), 'env': sorted(os.environ), 'results': results}))
'''

STATUS_ACCESS_DENIED = 0xC0000022


def make_lab():
    """The lab's environment for a module-scoped fixture `lab` (yield from make_lab()): KRB5_CONFIG,
    DSAAS_DFS_RESEARCH, DSAAS_NOTEBOOK_PYTHON, and WORKDIR (a temporary directory with kinit.py and client.py)."""
    require_lab('samba-ad')
    require_lab('notebook')
    env = lab_env('samba-ad')
    env.update(lab_env('notebook'))
    for key in ('KRB5_CONFIG', 'DSAAS_DFS_RESEARCH', 'DSAAS_NOTEBOOK_PYTHON'):
        if not env.get(key):
            pytest.skip('%s missing from lab/lab env: lab/lab up samba-ad notebook' % key)
    if not os.path.exists(env['KRB5_CONFIG']):
        pytest.skip('%s missing: lab/lab up samba-ad' % env['KRB5_CONFIG'])
    workdir = tempfile.mkdtemp(prefix='dsaas-drives-')
    os.chmod(workdir, 0o755)
    for name, text in (('kinit.py', KINIT), ('client.py', CLIENT)):
        with open(os.path.join(workdir, name), 'w') as handle:
            handle.write(text)
        os.chmod(os.path.join(workdir, name), 0o644)
    env['WORKDIR'] = workdir
    yield env
    shutil.rmtree(workdir, ignore_errors=True)


def kinit(lab, user, password, krb5_config=None):
    """The hub's step: a TGT for USER from PASSWORD into a fresh FILE ccache readable only by NOBODY."""
    home = tempfile.mkdtemp(prefix='ccache-%s-' % user, dir=lab['WORKDIR'])
    ccache = os.path.join(home, 'krb5cc')
    completed = subprocess.run(
        [lab['DSAAS_NOTEBOOK_PYTHON'], os.path.join(lab['WORKDIR'], 'kinit.py'), '%s@%s' % (user, REALM), 'FILE:' + ccache],
        input=password, capture_output=True, text=True, timeout=60, check=False,
        env={'KRB5_CONFIG': krb5_config or lab['KRB5_CONFIG'], 'PATH': '/usr/bin:/bin'})
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    if result['ok']:
        os.chown(home, NOBODY, NOBODY)
        os.chmod(home, 0o700)
        os.chown(ccache, NOBODY, NOBODY)
        os.chmod(ccache, 0o400)
        result['ccache'] = 'FILE:' + ccache
    return result


def _hidden(path):
    """The first ancestor of PATH that NOBODY cannot traverse (mode without o+x), or None."""
    parts = os.path.realpath(path).split(os.sep)
    for i in range(2, len(parts)):
        ancestor = os.sep.join(parts[:i])
        if not os.stat(ancestor).st_mode & 0o001:
            return ancestor
    return None


def unprivileged_command(lab, argv, env, visible=()):
    """The command that runs ARGV as uid/gid NOBODY, no supplementary groups, no capabilities (inheritable,
    bounding, hence effective), with exactly the environment ENV (a dict). The lab's runtime lives under /root
    (0700): a private mount namespace puts a tmpfs over /root and binds back only the interpreter's installation,
    the notebook runtime, krb5.conf and the paths in VISIBLE, before the privileges are dropped.
    unshare, bash, setpriv and env all exec: the command's pid is ARGV's pid."""
    python = lab['DSAAS_NOTEBOOK_PYTHON']
    drop = ['setpriv', '--reuid=%d' % NOBODY, '--regid=%d' % NOBODY, '--clear-groups',
            '--inh-caps=-all', '--bounding-set=-all', '--', 'env', '-i'] + \
        ['%s=%s' % item for item in sorted(env.items())] + list(argv)
    # what NOBODY must read: the interpreter's installation (pyvenv.cfg home), the runtime, krb5.conf
    venv = os.path.dirname(os.path.dirname(python))
    with open(os.path.join(venv, 'pyvenv.cfg')) as handle:
        home = dict(line.split(' = ', 1) for line in handle.read().splitlines() if ' = ' in line)['home']
    needed = [os.path.dirname(os.path.realpath(home)), os.path.realpath(venv), os.path.realpath(lab['KRB5_CONFIG'])] + \
        [os.path.realpath(path) for path in visible]
    hidden = sorted({_hidden(path) for path in needed} - {None})
    if not hidden:
        return drop
    assert hidden == ['/root'], 'cannot make %s visible to uid %d' % (hidden, NOBODY)
    stash = tempfile.mkdtemp(prefix='stash-', dir=lab['WORKDIR'])
    script = ('set -e; stash=$1; shift; mount --bind /root "$stash"; mount -t tmpfs -o mode=755 tmpfs /root; '
              'for p in %s; do rel=${p#/root/}; if [ -d "$stash/$rel" ]; then mkdir -p "$p"; '
              'else mkdir -p "$(dirname "$p")"; : >"$p"; fi; mount --bind "$stash/$rel" "$p"; done; '
              'exec "$@"') % ' '.join("'%s'" % path for path in needed if path.startswith('/root/'))
    return ['unshare', '--mount', '--propagation', 'private', '--', 'bash', '-c', script, 'bash', stash] + drop


def proc_status(pid='self'):
    """Ids, groups and capability sets of a process, from /proc/PID/status."""
    with open('/proc/%s/status' % pid) as handle:
        fields = dict(line.split(':', 1) for line in handle if ':' in line)
    return {key: fields[key].strip() for key in ('Uid', 'Gid', 'Groups', 'CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb')}


def assert_unprivileged(status):
    """Really unprivileged: nobody's ids, no groups, no capabilities at all."""
    assert status['Uid'].split() == [str(NOBODY)] * 4 and status['Gid'].split() == [str(NOBODY)] * 4, status
    assert status['Groups'] == '', status
    for cap in ('CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'):
        assert int(status[cap], 16) == 0, status


def run_unprivileged(lab, ops, ccache=None):
    """CLIENT as uid/gid NOBODY, no supplementary groups, no capabilities (inheritable, bounding, hence
    effective), with an environment of KRB5_CONFIG (+ KRB5CCNAME when given) and nothing else."""
    env = {'KRB5_CONFIG': lab['KRB5_CONFIG']}
    if ccache:
        env['KRB5CCNAME'] = ccache
    command = unprivileged_command(lab, [lab['DSAAS_NOTEBOOK_PYTHON'], os.path.join(lab['WORKDIR'], 'client.py'),
                                         json.dumps(ops)], env)
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, env={'PATH': '/usr/bin:/bin'})
    assert completed.returncode == 0, completed.stdout + completed.stderr
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert_unprivileged(result['status'])
    # and nothing but the Kerberos variables in the environment: no password anywhere
    assert set(result['env']) <= {'KRB5_CONFIG', 'KRB5CCNAME', 'LC_CTYPE'}, result['env']
    return result['results']


def owner_of(path_on_disk):
    """DOMAIN\\name of the AD account that owns a file of the share on the DC's disk (winbind uid -> SID -> name)."""
    uid = os.stat(path_on_disk).st_uid
    sid = subprocess.run(['wbinfo', '--uid-to-sid=%d' % uid], capture_output=True, text=True, check=True).stdout.strip()
    return subprocess.run(['wbinfo', '--sid-to-name=' + sid], capture_output=True, text=True, check=True).stdout.rsplit(' ', 1)[0]


def on_disk(name):
    return os.path.join(LAB_STATE, 'samba-ad', 'state', 'shares', 'research', name)
