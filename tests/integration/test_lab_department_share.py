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
interpreter and the runtime bound back in) set up before the privileges are dropped. The helpers (ticket, unprivileged
run) are in drives.py, shared with test_drives_notebook.py.
"""
import os
import uuid

import pytest

from conftest import lab_secret
from drives import REALM, STATUS_ACCESS_DENIED, kinit, make_lab, on_disk, owner_of, run_unprivileged


@pytest.fixture(scope='module')
def lab():
    yield from make_lab()


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
