# -*- coding: utf-8 -*-
"""Department drives end to end, on the lab: the jupyterhub playbook with the lab inventory (drive `research` =
\\\\localhost\\dfs\\research for dsaas-researchers) runs the lab's hub; a user logs in through the login form, the
hub gets their Kerberos ticket from the Samba KDC, and at spawn writes it into the user's Secret and the user's pod
into the lab API (namespace enforcing Pod Security restricted). The pod cannot run on the lab's kwok nodes, so its
notebook server is run here as the pod would run it: the notebook runtime's `jupyter server` with the files the
chart mounts (from the rendered values), the krb5.conf from the lab API's ConfigMap, the pod's environment and the
cache the init container installs (0400, the notebook uid), as an unprivileged uid with no capabilities. It reaches
the drive through the DFS path with the ticket alone. When the server stops, the Secret is gone.
"""
import base64
import json
import os
import time

import pytest
import yaml

from conftest import lab_secret, run_playbook
from drives import NOBODY, make_lab
from test_drives_notebook import Server, names
from test_hub_ad_login import USERS_OU, Directory
from test_jupyterhub import PLAYBOOK, VALUES, Browser, get_json, kubectl

SERVER_CONFIG = 'jupyter_server_config.py'


@pytest.fixture(scope='module')
def lab():
    yield from make_lab()


@pytest.fixture(scope='module')
def deployed(lab):
    run = run_playbook(PLAYBOOK)
    assert run.rc == 0, run.output[-4000:]
    with open(VALUES) as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope='module')
def password():
    return lab_secret('ad-users')


def wait_for(what, probe, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError('%s: not within %d s' % (what, timeout))


def clean(user):
    for kind, name in (('pod', 'jupyter-' + user), ('pvc', 'claim-' + user), ('secret', 'dsaas-krb5-' + user)):
        kubectl('delete', kind, name, '--ignore-not-found', '--wait=false')


def spawn(browser):
    """Spawn the default profile; (pod, Secret or None) once the pod exists in the lab API."""
    clean(browser.name)
    response = browser.spawn('basic')
    assert response.status_code == 302, response.text[:500]
    pod = wait_for('pod jupyter-%s' % browser.name, lambda: get_json('get', 'pod', 'jupyter-' + browser.name), 60)
    return pod, get_json('get', 'secret', 'dsaas-krb5-' + browser.name)


def stop_and_wait_for_the_secret_to_go(browser, timeout=120):
    """Stop the server (a pending spawn on kwok ends at the latest with singleuser.startTimeout, 60 s in the lab)."""
    browser.stop()
    wait_for('Secret dsaas-krb5-%s removed' % browser.name,
             lambda: get_json('get', 'secret', 'dsaas-krb5-' + browser.name) is None, timeout)


def environment(container):
    return {item['name']: item.get('value') for item in container.get('env', [])}


def assert_restricted(pod):
    """No privileged flag, no added capability, all dropped, non-root: in every container of the pod."""
    security = pod['spec'].get('securityContext', {})
    for container in pod['spec']['containers'] + pod['spec'].get('initContainers', []):
        context = container.get('securityContext', {})
        assert not context.get('privileged'), container['name']
        assert not context.get('capabilities', {}).get('add'), container['name']
        assert context.get('capabilities', {}).get('drop') == ['ALL'], container['name']
        assert context.get('allowPrivilegeEscalation') is False, container['name']
        assert context.get('runAsNonRoot', security.get('runAsNonRoot')) is True, container['name']


def pod_files(deployed, lab):
    """The notebook side of the chart's singleuser.extraFiles, written where a test server can read them."""
    folder = os.path.join(lab['WORKDIR'], 'usr-local-etc-jupyter')
    os.makedirs(folder, exist_ok=True)
    for extra in deployed['singleuser']['extraFiles'].values():
        target = os.path.join(folder, os.path.basename(extra['mountPath']))
        with open(target, 'w') as handle:
            handle.write(extra['stringData'])
        os.chmod(target, 0o644)
    return os.path.join(folder, SERVER_CONFIG)


def configmap_krb5_conf(lab):
    configmap = get_json('get', 'configmap', 'dsaas-krb5-conf')
    folder = os.path.join(lab['WORKDIR'], 'etc-dsaas-krb5')
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, 'krb5.conf')
    with open(path, 'w') as handle:
        handle.write(configmap['data']['krb5.conf'])
    os.chmod(path, 0o644)
    return path


def init_container_copy(secret, lab, user):
    """What the init container does: the Secret's cache, installed 0400 for the notebook uid."""
    folder = os.path.join(lab['WORKDIR'], 'run-dsaas-krb5-' + user)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, 'krb5cc')
    with open(path, 'wb') as handle:
        handle.write(base64.b64decode(secret['data']['krb5cc']))
    for item, mode in ((folder, 0o700), (path, 0o400)):
        os.chown(item, NOBODY, NOBODY)
        os.chmod(item, mode)
    return 'FILE:' + path


def test_researcher_reaches_the_drive_with_the_ticket_from_login_alone(deployed, lab, password):
    carol = Browser('carol', password)
    assert carol.login.status_code == 302
    pod, secret = spawn(carol)
    server = None
    try:
        # the pod the lab API accepted in a namespace that enforces restricted
        assert_restricted(pod)
        notebook = pod['spec']['containers'][0]
        env = environment(notebook)
        assert env['DSAAS_DRIVES_STATUS'] == 'ok'
        assert [drive['name'] for drive in json.loads(env['DSAAS_DRIVES'])] == ['research']
        assert env['KRB5CCNAME'].startswith('FILE:')
        mounts = {m['mountPath']: m for m in notebook['volumeMounts']}
        assert mounts[os.path.dirname(env['KRB5CCNAME'][len('FILE:'):])].get('readOnly') is True
        # the ticket, and no password anywhere: pod spec, Secret, environment
        assert secret is not None, 'no Secret dsaas-krb5-carol'
        cache = base64.b64decode(secret['data']['krb5cc'])
        assert cache[:2] == b'\x05\x04', 'not a Kerberos credential cache'
        for document in (json.dumps(pod), json.dumps(secret), cache.decode('latin-1')):
            for form in (password, base64.b64encode(password.encode()).decode()):
                assert form not in document
        # the notebook server as the pod runs it
        server = Server(lab, 'carol-e2e', init_container_copy(secret, lab, 'carol'), status=env['DSAAS_DRIVES_STATUS'],
                        drives=env['DSAAS_DRIVES'], krb5_config=configmap_krb5_conf(lab),
                        config=pod_files(deployed, lab)).wait()
        name = 'e2e-%d.txt' % os.getpid()
        status, listing = server.contents('GET', 'drives/research')
        assert status == 200, listing
        status, saved = server.contents('PUT', 'drives/research/' + name,
                                        {'type': 'file', 'format': 'text', 'content': 'written by carol\n'})
        assert status in (200, 201), saved
        status, read = server.contents('GET', 'drives/research/' + name)
        assert status == 200 and read['content'] == 'written by carol\n'
        assert name in names(server.contents('GET', 'drives/research')[1])
        assert server.contents('DELETE', 'drives/research/' + name)[0] == 204
        assert password not in ' '.join('%s=%s' % item for item in server.env.items())
    finally:
        if server:
            server.stop()
        stop_and_wait_for_the_secret_to_go(carol)
        clean('carol')


def test_student_gets_no_drive_and_no_ticket_secret(deployed, password):
    bob = Browser('bob', password)
    pod, secret = spawn(bob)
    try:
        assert_restricted(pod)
        env = environment(pod['spec']['containers'][0])
        assert json.loads(env.get('DSAAS_DRIVES') or '[]') == []
        assert secret is None
    finally:
        bob.stop()
        clean('bob')


@pytest.fixture
def dead_kdc(deployed):
    """The hub's krb5.conf names a KDC that does not answer (a closed port); the lab's again afterwards."""
    run = run_playbook(PLAYBOOK, {'jupyterhub_kerberos': {'realm': '', 'kdcs': ['127.0.0.1:1'], 'kdc_timeout': 2,
                                                          'login_timeout': 10}})
    assert run.rc == 0, run.output[-4000:]
    yield
    run = run_playbook(PLAYBOOK)
    assert run.rc == 0, run.output[-4000:]


def test_kdc_not_answering_at_login_keeps_login_and_server_and_says_why(dead_kdc, password):
    carol = Browser('carol', password)
    assert carol.login.status_code == 302, 'the login itself must still work'
    pod, secret = spawn(carol)
    try:
        env = environment(pod['spec']['containers'][0])
        assert env['DSAAS_DRIVES_STATUS'].startswith('log in again:'), env['DSAAS_DRIVES_STATUS']
        assert 'KDC' in env['DSAAS_DRIVES_STATUS']
        assert [drive['name'] for drive in json.loads(env['DSAAS_DRIVES'])] == ['research']
        assert secret is None
    finally:
        carol.stop()
        clean('carol')


# userAccountControl NORMAL_ACCOUNT | USE_DES_KEY_ONLY: the directory still takes the password (the LDAP bind of the
# login works), the KDC refuses every ticket: "KDC has no support for encryption type".
NORMAL_ACCOUNT = 0x200
USE_DES_KEY_ONLY = 0x200000


def test_user_whose_ticket_the_kdc_refuses_logs_in_and_the_drive_says_why(deployed, password):
    directory = Directory()
    erin = 'CN=erin,' + USERS_OU
    before = directory.account_control(erin)
    assert before == NORMAL_ACCOUNT, before
    try:
        directory.account_control(erin, NORMAL_ACCOUNT | USE_DES_KEY_ONLY)
        user = Browser('erin', password)
        assert user.login.status_code == 302, 'the login itself must still work'
        pod, secret = spawn(user)
        try:
            env = environment(pod['spec']['containers'][0])
            assert env['DSAAS_DRIVES_STATUS'].startswith('log in again:'), env['DSAAS_DRIVES_STATUS']
            assert 'encryption type' in env['DSAAS_DRIVES_STATUS'], env['DSAAS_DRIVES_STATUS']
            assert secret is None
        finally:
            user.stop()
            clean('erin')
    finally:
        directory.account_control(erin, before)
