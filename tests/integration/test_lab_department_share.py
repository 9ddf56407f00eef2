# -*- coding: utf-8 -*-
"""Department drives without privileges: the lab's SMB share \\\\localhost\\research under the DFS root
\\\\localhost\\dfs (lab/services/20-samba-ad.sh, samba_ad_shares) reached with a Kerberos ticket alone.

The way the platform does it: the hub gets the user's ticket at login with the password
(gss_acquire_cred_with_password + gss_store_cred_into a FILE ccache, python-gssapi); the notebook
process then runs as an unprivileged uid with no capabilities and only KRB5CCNAME and KRB5_CONFIG in its
environment, and reaches the share in userland (smbprotocol's smbclient, Kerberos, DFS referral), no
mount, no password. Everything that needs gssapi/smbprotocol runs with the lab's notebook runtime
(lab/services/85-notebook.sh, DSAAS_NOTEBOOK_PYTHON) in a subprocess of its own.

Here the runtime lives under /root (the lab cache), which is mode 0700: the unprivileged process sees it
the way a pod sees its image, through a private mount namespace (a tmpfs over /root with only the
interpreter and the runtime bound back in) set up before the privileges are dropped.
"""
import json
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest

from conftest import LAB_STATE, lab_env, lab_secret, require_lab

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


@pytest.fixture(scope='module')
def lab():
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


def run_unprivileged(lab, ops, ccache=None):
    """CLIENT as uid/gid NOBODY, no supplementary groups, no capabilities (inheritable, bounding, hence
    effective), with an environment of KRB5_CONFIG (+ KRB5CCNAME when given) and nothing else."""
    python = lab['DSAAS_NOTEBOOK_PYTHON']
    env = ['KRB5_CONFIG=' + lab['KRB5_CONFIG']] + (['KRB5CCNAME=' + ccache] if ccache else [])
    drop = ['setpriv', '--reuid=%d' % NOBODY, '--regid=%d' % NOBODY, '--clear-groups',
            '--inh-caps=-all', '--bounding-set=-all', '--', 'env', '-i'] + env + \
           [python, os.path.join(lab['WORKDIR'], 'client.py'), json.dumps(ops)]
    # what NOBODY must read: the interpreter's installation (pyvenv.cfg home), the runtime, krb5.conf
    venv = os.path.dirname(os.path.dirname(python))
    with open(os.path.join(venv, 'pyvenv.cfg')) as handle:
        home = dict(line.split(' = ', 1) for line in handle.read().splitlines() if ' = ' in line)['home']
    needed = [os.path.dirname(os.path.realpath(home)), os.path.realpath(venv), os.path.realpath(lab['KRB5_CONFIG'])]
    hidden = sorted({_hidden(path) for path in needed} - {None})
    if hidden:
        assert hidden == ['/root'], 'cannot make %s visible to uid %d' % (hidden, NOBODY)
        stash = tempfile.mkdtemp(prefix='stash-', dir=lab['WORKDIR'])
        script = ('set -e; stash=$1; shift; mount --bind /root "$stash"; mount -t tmpfs -o mode=755 tmpfs /root; '
                  'for p in %s; do rel=${p#/root/}; if [ -d "$stash/$rel" ]; then mkdir -p "$p"; '
                  'else mkdir -p "$(dirname "$p")"; : >"$p"; fi; mount --bind "$stash/$rel" "$p"; done; '
                  'exec "$@"') % ' '.join("'%s'" % path for path in needed if path.startswith('/root/'))
        command = ['unshare', '--mount', '--propagation', 'private', '--', 'bash', '-c', script, 'bash', stash] + drop
    else:
        command = drop
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, env={'PATH': '/usr/bin:/bin'})
    assert completed.returncode == 0, completed.stdout + completed.stderr
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    status = result['status']
    # really unprivileged: nobody's ids, no groups, no capabilities at all
    assert status['Uid'].split() == [str(NOBODY)] * 4 and status['Gid'].split() == [str(NOBODY)] * 4, status
    assert status['Groups'] == '', status
    for cap in ('CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'):
        assert int(status[cap], 16) == 0, status
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


def test_ticket_alone_reaches_the_share_through_dfs_as_nobody(lab):
    ticket = kinit(lab, 'carol', lab_secret('ad-users'))
    assert ticket['ok'], ticket
    assert ticket['principal'] == 'carol@' + REALM
    name = 'carol-%s.txt' % uuid.uuid4().hex[:8]
    path = lab['DSAAS_DFS_RESEARCH'] + '\\' + name
    text = 'written by carol with her ticket alone\n'
    # the default ccache (KRB5CCNAME) and a connection cache of this user's own
    ops = [{'do': 'listdir', 'path': lab['DSAAS_DFS_RESEARCH'], 'cache': 'carol'},
           {'do': 'write', 'path': path, 'text': text, 'cache': 'carol'},
           {'do': 'read', 'path': path, 'cache': 'carol'},
           {'do': 'listdir', 'path': lab['DSAAS_DFS_RESEARCH'], 'cache': 'carol'},
           {'do': 'remove', 'path': path, 'cache': 'carol'}]
    listed, wrote, read, listed_after, removed = run_unprivileged(lab, ops, ccache=ticket['ccache'])
    assert listed['ok'], listed
    assert name not in listed['value']
    assert wrote['ok'], wrote
    assert read == {'ok': True, 'value': text}
    assert name in listed_after['value']
    assert removed['ok'], removed
    assert not os.path.exists(on_disk(name))


def test_user_outside_the_group_is_denied(lab):
    ticket = kinit(lab, 'bob', lab_secret('ad-users'))
    assert ticket['ok'], ticket
    path = lab['DSAAS_DFS_RESEARCH'] + '\\bob-%s.txt' % uuid.uuid4().hex[:8]
    ops = [{'do': 'listdir', 'path': lab['DSAAS_DFS_RESEARCH'], 'cache': 'bob'},
           {'do': 'write', 'path': path, 'text': 'bob was here\n', 'cache': 'bob'}]
    for result in run_unprivileged(lab, ops, ccache=ticket['ccache']):
        assert not result['ok'], result
        assert result['ntstatus'] == STATUS_ACCESS_DENIED, result
        assert 'STATUS_ACCESS_DENIED' in result['error'], result


@pytest.mark.parametrize('user, allowed', [('erin', True), ('mallory', False), ('frank', False)])
def test_group_membership_decides_including_nesting(lab, user, allowed):
    """erin is in dsaas-researchers only through the nested group dsaas-research-lab-a."""
    ticket = kinit(lab, user, lab_secret('ad-users'))
    assert ticket['ok'], ticket
    [listed] = run_unprivileged(lab, [{'do': 'listdir', 'path': lab['DSAAS_DFS_RESEARCH'], 'cache': user}],
                                ccache=ticket['ccache'])
    if allowed:
        assert listed['ok'], listed
    else:
        assert listed['ntstatus'] == STATUS_ACCESS_DENIED, listed


def test_two_users_in_one_process_never_share_a_session(lab):
    carol = kinit(lab, 'carol', lab_secret('ad-users'))
    bob = kinit(lab, 'bob', lab_secret('ad-users'))
    assert carol['ok'] and bob['ok'], (carol, bob)
    name = 'carol-%s.txt' % uuid.uuid4().hex[:8]
    path = lab['DSAAS_DFS_RESEARCH'] + '\\' + name
    # no KRB5CCNAME at all: each call names its user's ccache and uses a connection cache of its own
    ops = [{'do': 'write', 'path': path, 'text': 'carol\n', 'cache': 'carol', 'ccache': carol['ccache']},
           {'do': 'read', 'path': path, 'cache': 'bob', 'ccache': bob['ccache']},
           {'do': 'write', 'path': path + '.bob', 'text': 'bob\n', 'cache': 'bob', 'ccache': bob['ccache']},
           {'do': 'read', 'path': path, 'cache': 'carol', 'ccache': carol['ccache']}]
    wrote, bob_read, bob_wrote, carol_read = run_unprivileged(lab, ops)
    try:
        assert wrote['ok'], wrote
        assert owner_of(on_disk(name)).lower() == 'dsaaslab\\carol'
        assert bob_read['ntstatus'] == STATUS_ACCESS_DENIED, bob_read
        assert bob_wrote['ntstatus'] == STATUS_ACCESS_DENIED, bob_wrote
        assert carol_read == {'ok': True, 'value': 'carol\n'}
    finally:
        if os.path.exists(on_disk(name)):
            os.unlink(on_disk(name))


def test_process_global_pool_leaks_the_first_session(lab):
    """Why the per-user connection cache matters: smbprotocol's process-global pool with username-less
    Kerberos calls hands bob carol's session (switching KRB5CCNAME does not help)."""
    carol = kinit(lab, 'carol', lab_secret('ad-users'))
    bob = kinit(lab, 'bob', lab_secret('ad-users'))
    name = 'leak-%s.txt' % uuid.uuid4().hex[:8]
    path = lab['DSAAS_DFS_RESEARCH'] + '\\' + name
    ops = [{'do': 'write', 'path': path, 'text': 'carol\n', 'env_ccache': carol['ccache']},
           {'do': 'read', 'path': path, 'env_ccache': bob['ccache']},
           {'do': 'read', 'path': path, 'env_ccache': bob['ccache'], 'cache': 'bob-own'}]
    wrote, leaked, own = run_unprivileged(lab, ops)
    try:
        assert wrote['ok'], wrote
        assert leaked == {'ok': True, 'value': 'carol\n'}, 'the global pool no longer leaks: %s' % leaked
        assert own['ntstatus'] == STATUS_ACCESS_DENIED, own
    finally:
        if os.path.exists(on_disk(name)):
            os.unlink(on_disk(name))


def test_wrong_password_is_refused_by_the_kdc(lab):
    result = kinit(lab, 'carol', 'not-' + lab_secret('ad-users'))
    assert not result['ok']
    assert result['type'] == 'MissingCredentialsError', result
    assert result['error'].endswith('Preauthentication failed'), result['error']


def test_unreachable_kdc_is_a_clear_error_within_seconds(lab):
    with open(lab['KRB5_CONFIG']) as handle:
        config = handle.read()
    assert 'kdc = 127.0.0.1:88' in config
    bad = os.path.join(lab['WORKDIR'], 'krb5-unreachable.conf')
    with open(bad, 'w') as handle:
        handle.write(config.replace('kdc = 127.0.0.1:88', 'kdc = 127.0.0.1:1'))
    result = kinit(lab, 'carol', lab_secret('ad-users'), krb5_config=bad)
    assert not result['ok']
    assert result['error'].endswith("Cannot contact any KDC for realm '%s'" % REALM), result['error']
    assert result['seconds'] < 5, result
