# -*- coding: utf-8 -*-
"""Department drives inside the user's notebook server (roles/jupyterhub/files/dsaas_drives.py), against the lab's
real share \\\\localhost\\dfs\\research (a DFS link to \\\\localhost\\research, dsaas-researchers only).

What the hub does is imitated: a ticket from the password with gssapi into a FILE ccache, mode 0400 owned by the
notebook's uid; then `jupyter server` from the notebook runtime runs as that uid with no capabilities and an
environment of only KRB5CCNAME, KRB5_CONFIG, DSAAS_DRIVES, DSAAS_DRIVES_STATUS, HOME and PATH, with
jupyter_server_config_dsaas_drives.py as its config. The tests then talk to it over the REST API the way
JupyterLab's file browser does (/api/contents/...), and run the Python API (dsaas_drives.DriveFS) in a process of
the same kind. Helpers shared with test_lab_department_share.py are in drives.py.
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from conftest import ROOT, lab_secret
from drives import NOBODY, REALM, STATUS_ACCESS_DENIED, assert_unprivileged, kinit, make_lab, on_disk, \
    proc_status, unprivileged_command

FILES = os.path.join(ROOT, 'roles', 'jupyterhub', 'files')
CONFIG = os.path.join(FILES, 'jupyter_server_config_dsaas_drives.py')
SERVER_ENV = {'KRB5CCNAME', 'KRB5_CONFIG', 'DSAAS_DRIVES', 'DSAAS_DRIVES_STATUS', 'HOME', 'PATH'}


@pytest.fixture(scope='module')
def lab():
    yield from make_lab()


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Server:
    """A jupyter server of one user, as uid NOBODY, with the drives contents manager."""

    def __init__(self, lab, label, ccache, status='ok', drives=None, krb5_config=None, config=CONFIG):
        self.label = label
        self.home = tempfile.mkdtemp(prefix='home-%s-' % label, dir=lab['WORKDIR'])
        with open(os.path.join(self.home, 'notes.txt'), 'w') as handle:
            handle.write('a file in the home directory\n')
        for path in (self.home, os.path.join(self.home, 'notes.txt')):
            os.chown(path, NOBODY, NOBODY)
        os.chmod(self.home, 0o700)
        self.port = _free_port()
        self.token = uuid.uuid4().hex
        self.url = 'http://127.0.0.1:%d' % self.port
        venv_bin = os.path.dirname(lab['DSAAS_NOTEBOOK_PYTHON'])
        if drives is None:
            drives = json.dumps([{'name': 'research', 'path': lab['DSAAS_DFS_RESEARCH']}])
        self.env = {'KRB5CCNAME': ccache, 'KRB5_CONFIG': krb5_config or lab['KRB5_CONFIG'], 'DSAAS_DRIVES': drives,
                    'DSAAS_DRIVES_STATUS': status, 'HOME': self.home, 'PATH': venv_bin + ':/usr/bin:/bin'}
        argv = [lab['DSAAS_NOTEBOOK_PYTHON'], '-m', 'jupyter_server', '--config=' + config, '--ServerApp.ip=127.0.0.1',
                '--ServerApp.port=%d' % self.port, '--ServerApp.port_retries=0', '--ServerApp.open_browser=False',
                '--ServerApp.root_dir=' + self.home, '--IdentityProvider.token=' + self.token]
        self.log_path = os.path.join(lab['WORKDIR'], 'server-%s.log' % label)
        self.log = open(self.log_path, 'w')  # pylint: disable=consider-using-with
        visible = sorted({FILES, os.path.dirname(config)} | ({os.path.dirname(krb5_config)} if krb5_config else set()))
        self.process = subprocess.Popen(unprivileged_command(lab, argv, self.env, visible=visible),  # pylint: disable=consider-using-with
                                        stdout=self.log, stderr=subprocess.STDOUT, env={'PATH': '/usr/bin:/bin'},
                                        start_new_session=True)
        self.started = time.monotonic()

    def wait(self, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, 'jupyter server %s exited:\n%s' % (self.label, self.output())
            try:
                status, _body = self.request('GET', '/api/status')
                if status == 200:
                    self.startup = time.monotonic() - self.started
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError('jupyter server %s did not answer:\n%s' % (self.label, self.output()))

    def output(self):
        self.log.flush()
        with open(self.log_path) as handle:
            return handle.read()

    def request(self, method, path, body=None):
        """(HTTP status, decoded JSON or None) for an authenticated request, like JupyterLab's."""
        data = json.dumps(body).encode() if body is not None else None
        path, _sep, query = path.partition('?')
        request = urllib.request.Request(self.url + urllib.parse.quote(path) + _sep + query, data=data, method=method,
                                         headers={'Authorization': 'token ' + self.token,
                                                  'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                text = response.read().decode()
                return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as err:
            text = err.read().decode()
            try:
                result = json.loads(text)
            except ValueError:
                result = {'message': text}
            if err.code >= 500:  # the server's side of it, for the assertion message
                result['server_log'] = self.output()[-6000:]
            return err.code, result

    def contents(self, method, path, body=None, query=''):
        status, result = self.request(method, '/api/contents/' + path.strip('/') + query, body)
        return status, result

    def running(self):
        return self.process.poll() is None and self.request('GET', '/api/status')[0] == 200

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(timeout=15)
        self.log.close()


@pytest.fixture(scope='module')
def tickets(lab):
    password = lab_secret('ad-users')
    result = {user: kinit(lab, user, password) for user in ('carol', 'bob')}
    for user, ticket in result.items():
        assert ticket['ok'], (user, ticket)
    return result


@pytest.fixture(scope='module')
def servers(lab, tickets):
    """The module's servers, started together (startup is the slow part) and stopped at the end."""
    missing = os.path.join(os.path.dirname(tickets['carol']['ccache'][len('FILE:'):]), 'no-such-ccache')
    started = {'carol': Server(lab, 'carol', tickets['carol']['ccache']),
               'bob': Server(lab, 'bob', tickets['bob']['ccache']),
               'no-ticket': Server(lab, 'no-ticket', 'FILE:' + missing),
               'hub-says': Server(lab, 'hub-says', tickets['carol']['ccache'],
                                  status='log in again: the password could not be verified at login')}
    try:
        for server in started.values():
            server.wait()
        yield started
    finally:
        for server in started.values():
            server.stop()


def names(model):
    return sorted(entry['name'] for entry in model['content'])


def test_server_runs_unprivileged_without_a_password(servers):
    password = lab_secret('ad-users')
    for server in servers.values():
        pid = server.process.pid
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            argv = handle.read().split(b'\0')
        assert b'jupyter_server' in argv, argv  # the exec chain ends in the server itself
        assert_unprivileged(proc_status(pid))
        with open('/proc/%d/environ' % pid, 'rb') as handle:
            environ = dict(item.split(b'=', 1) for item in handle.read().split(b'\0') if b'=' in item)
        assert {key.decode() for key in environ} == SERVER_ENV, sorted(environ)
        assert password.encode() not in b'\0'.join(argv), 'password on the command line'
        assert all(password.encode() not in value for value in environ.values()), 'password in the environment'


def test_carol_lists_writes_reads_renames_deletes_through_the_file_browser_api(servers):
    server = servers['carol']
    status, root = server.contents('GET', '')
    assert status == 200, root
    assert {'drives', 'notes.txt'} <= set(names(root)), root
    status, top = server.contents('GET', 'drives')
    assert status == 200 and names(top) == ['research'], top
    status, listing = server.contents('GET', 'drives/research')
    assert status == 200, listing
    assert listing['type'] == 'directory' and listing['format'] == 'json', listing
    name = 'nb-carol-%s.txt' % uuid.uuid4().hex[:8]
    text = 'written from JupyterLab by carol\nzweite Zeile: äöü\n'
    path = 'drives/research/' + name
    status, saved = server.contents('PUT', path, {'type': 'file', 'format': 'text', 'content': text})
    try:
        assert status in (200, 201), saved
        assert saved['path'] == path and saved['type'] == 'file' and saved['content'] is None, saved
        with open(on_disk(name), encoding='utf-8') as handle:
            assert handle.read() == text  # really on the share
        status, got = server.contents('GET', path, query='?type=file&format=text&content=1')
        assert status == 200 and got['content'] == text and got['format'] == 'text', got
        status, got64 = server.contents('GET', path, query='?type=file&format=base64&content=1')
        assert status == 200 and got64['format'] == 'base64', got64
        status, listing = server.contents('GET', 'drives/research')
        entry = next(item for item in listing['content'] if item['name'] == name)
        assert entry['type'] == 'file' and entry['size'] == len(text.encode()), entry
        renamed = 'drives/research/renamed-' + name
        status, moved = server.contents('PATCH', path, {'path': renamed})
        assert status == 200 and moved['path'] == renamed, moved
        assert not os.path.exists(on_disk(name)) and os.path.exists(on_disk('renamed-' + name))
        status, _gone = server.contents('GET', path)
        assert status == 404
        status, _deleted = server.contents('DELETE', renamed)
        assert status == 204, _deleted
        assert not os.path.exists(on_disk('renamed-' + name))
    finally:
        for leftover in (name, 'renamed-' + name):
            if os.path.exists(on_disk(leftover)):
                os.unlink(on_disk(leftover))
    # the home directory still works as usual
    status, notes = server.contents('GET', 'notes.txt', query='?content=1')
    assert status == 200 and notes['content'] == 'a file in the home directory\n', notes
    status, saved = server.contents('PUT', 'home-file.txt', {'type': 'file', 'format': 'text', 'content': 'home\n'})
    assert status in (200, 201), saved
    with open(os.path.join(server.home, 'home-file.txt')) as handle:
        assert handle.read() == 'home\n'
    assert os.stat(os.path.join(server.home, 'home-file.txt')).st_uid == NOBODY
    assert not os.path.exists(os.path.join(server.home, 'drives')), 'the virtual directory leaked onto the disk'


def test_carol_new_untitled_notebook_and_directory_on_the_drive(servers):
    server = servers['carol']
    folder = 'dir-%s' % uuid.uuid4().hex[:8]
    try:
        status, made = server.contents('PUT', 'drives/research/' + folder, {'type': 'directory'})
        assert status in (200, 201) and made['type'] == 'directory', made
        status, notebook = server.contents('POST', 'drives/research/' + folder, {'type': 'notebook'})
        assert status == 201 and notebook['name'] == 'Untitled.ipynb', notebook
        status, opened = server.contents('GET', notebook['path'], query='?content=1')
        assert status == 200 and opened['type'] == 'notebook' and opened['content']['nbformat'] == 4, opened
        status, checkpoint = server.request('POST', '/api/contents/%s/checkpoints' % notebook['path'])
        assert status == 201, checkpoint
        assert not os.path.exists(on_disk(os.path.join(folder, '.ipynb_checkpoints'))), 'no checkpoint files on the share'
        status, _deleted = server.contents('DELETE', notebook['path'])
        assert status == 204
        status, _deleted = server.contents('DELETE', 'drives/research/' + folder)
        assert status == 204, _deleted
    finally:
        shutil.rmtree(on_disk(folder), ignore_errors=True)


def test_bob_outside_the_group_is_refused_with_a_clear_error_and_the_server_keeps_running(servers):
    server = servers['bob']
    status, top = server.contents('GET', 'drives')
    assert status == 200 and names(top) == ['research'], top
    status, listing = server.contents('GET', 'drives/research')
    assert status == 403, listing
    assert 'Access denied' in listing['message'] and 'research' in listing['message'], listing
    name = 'nb-bob-%s.txt' % uuid.uuid4().hex[:8]
    status, saved = server.contents('PUT', 'drives/research/' + name, {'type': 'file', 'format': 'text', 'content': 'bob\n'})
    assert status == 403 and 'Access denied' in saved['message'], saved
    assert not os.path.exists(on_disk(name))
    assert server.running()
    status, notes = server.contents('GET', 'notes.txt', query='?content=1')
    assert status == 200 and notes['content'].startswith('a file in the home'), notes


@pytest.mark.parametrize('label, reason', [('no-ticket', 'no Kerberos ticket'),
                                           ('hub-says', 'the password could not be verified at login')])
def test_without_a_usable_ticket_the_drive_says_log_in_again(servers, label, reason):
    server = servers[label]
    assert server.running()
    status, root = server.contents('GET', '')
    assert status == 200 and {'drives', 'notes.txt'} <= set(names(root)), root
    status, listing = server.contents('GET', 'drives/research')
    assert status == 200, listing
    assert listing['writable'] is False and listing['message'] == 'log in again: ' + reason, listing
    [marker] = listing['content']
    assert marker['name'] == 'LOG IN AGAIN - %s.txt' % reason and marker['writable'] is False, marker
    status, opened = server.contents('GET', marker['path'], query='?content=1')
    assert status == 200 and 'log in again' in opened['content'].lower(), opened
    status, saved = server.contents('PUT', 'drives/research/x.txt', {'type': 'file', 'format': 'text', 'content': 'x'})
    assert status == 403 and 'log in again: ' + reason in saved['message'], saved
    status, notes = server.contents('GET', 'notes.txt', query='?content=1')
    assert status == 200, notes
    assert server.running()


def test_expired_ticket_says_log_in_again(lab):
    """A ticket that has expired by the time the drive is opened (kinit -l 2s; gssapi's lifetime request is not honoured
    by the KDC, so MIT's kinit is used for this one): the marker names the reason."""
    home = tempfile.mkdtemp(prefix='ccache-expired-', dir=lab['WORKDIR'])
    ccache = os.path.join(home, 'krb5cc')
    completed = subprocess.run(['kinit', '-l', '2s', 'carol@' + REALM], input=lab_secret('ad-users') + '\n', text=True,
                               capture_output=True, timeout=30, check=False,
                               env={'KRB5_CONFIG': lab['KRB5_CONFIG'], 'KRB5CCNAME': 'FILE:' + ccache, 'PATH': '/usr/bin:/bin'})
    if completed.returncode != 0:
        pytest.skip('kinit -l 2s failed: %s' % completed.stderr)
    for path in (home, ccache):
        os.chown(path, NOBODY, NOBODY)
    os.chmod(ccache, 0o400)
    time.sleep(2.5)
    server = Server(lab, 'expired', 'FILE:' + ccache)
    try:
        server.wait()
        status, listing = server.contents('GET', 'drives/research')
        assert status == 200 and listing['message'] == 'log in again: Kerberos ticket expired', listing
        assert names(listing) == ['LOG IN AGAIN - Kerberos ticket expired.txt'], listing
        assert server.running()
    finally:
        server.stop()


PYTHON_API = r'''
import json, sys
import dsaas_drives, smbclient._pool
carol_ccache, bob_ccache, research, name = sys.argv[1:5]
drives = [{'name': 'research', 'path': research}]
out = {'default_drives': dsaas_drives.drives()}
carol = dsaas_drives.DriveFS(ccache=carol_ccache, drives=drives)
bob = dsaas_drives.DriveFS(ccache=bob_ccache, drives=drives)

def attempt(function, *args):
    try:
        return {'ok': True, 'value': function(*args)}
    except OSError as err:
        return {'ok': False, 'type': type(err).__name__, 'ntstatus': getattr(err, 'ntstatus', None), 'error': str(err)}

out['carol_info'] = carol.info(check=True)
out['bob_info'] = bob.info(check=True)
out['carol_write'] = attempt(carol.write_text, 'research/' + name, 'carol via DriveFS\n')
out['bob_read'] = attempt(bob.read_text, 'research/' + name)
out['bob_write'] = attempt(bob.write_text, 'drives/research/' + name + '.bob', 'bob\n')
out['bob_list'] = attempt(bob.listdir, research)
out['carol_read'] = attempt(carol.read_text, research + '\\' + name)
with carol.open('research/' + name, 'a') as handle:
    handle.write('appended\n')
out['carol_read_again'] = attempt(carol.read_text, 'research/' + name)
out['carol_list'] = attempt(lambda: name in carol.listdir('research'))
out['carol_remove'] = attempt(carol.remove, 'research/' + name)
out['carol_exists_after'] = carol.exists('research/' + name)
out['global_pool'] = sorted(smbclient._pool._SMB_CONNECTIONS)
out['carol_connections'] = sorted(carol.connection_cache)
out['bob_connections'] = sorted(bob.connection_cache)
out['carol_sessions'] = [str(s.username) for c in carol.connection_cache.values() for s in c.session_table.values()]
out['bob_sessions'] = [str(s.username) for c in bob.connection_cache.values() for s in c.session_table.values()]
carol.close(); bob.close()
out['after_close'] = [sorted(carol.connection_cache), sorted(bob.connection_cache)]
print(json.dumps(out))
'''


def test_python_api_two_users_in_one_process_stay_apart_and_the_global_pool_is_unused(lab, tickets):
    script = os.path.join(lab['WORKDIR'], 'python_api.py')
    with open(script, 'w') as handle:
        handle.write(PYTHON_API)
    os.chmod(script, 0o644)
    name = 'api-carol-%s.txt' % uuid.uuid4().hex[:8]
    # no KRB5CCNAME: both tickets are named explicitly; DSAAS_DRIVES unset: drives() is empty
    env = {'KRB5_CONFIG': lab['KRB5_CONFIG'], 'PYTHONPATH': FILES}
    argv = [lab['DSAAS_NOTEBOOK_PYTHON'], script, tickets['carol']['ccache'], tickets['bob']['ccache'],
            lab['DSAAS_DFS_RESEARCH'], name]
    completed = subprocess.run(unprivileged_command(lab, argv, env, visible=[FILES]), capture_output=True, text=True,
                               timeout=120, check=False, env={'PATH': '/usr/bin:/bin'})
    try:
        assert completed.returncode == 0, completed.stdout + completed.stderr
        out = json.loads(completed.stdout.strip().splitlines()[-1])
    finally:
        for leftover in (name, name + '.bob'):
            if os.path.exists(on_disk(leftover)):
                os.unlink(on_disk(leftover))
    assert out['default_drives'] == []
    assert out['carol_info'] == [{'name': 'research', 'path': lab['DSAAS_DFS_RESEARCH'], 'status': 'ok'}], out
    assert out['bob_info'][0]['status'] == 'access denied', out
    assert out['carol_write']['ok'], out['carol_write']
    for key in ('bob_read', 'bob_write', 'bob_list'):
        assert out[key]['ntstatus'] == STATUS_ACCESS_DENIED, (key, out[key])
    assert out['carol_read'] == {'ok': True, 'value': 'carol via DriveFS\n'}, out
    assert out['carol_read_again'] == {'ok': True, 'value': 'carol via DriveFS\nappended\n'}, out
    assert out['carol_list'] == {'ok': True, 'value': True}
    assert out['carol_remove']['ok'] and out['carol_exists_after'] is False, out
    # smbprotocol's process-global pool (smbclient._pool._SMB_CONNECTIONS) was never used
    assert out['global_pool'] == [], out['global_pool']
    assert out['carol_connections'] == ['localhost:445'] and out['bob_connections'] == ['localhost:445'], out
    assert out['carol_sessions'] and all(tickets['carol']['ccache'] in s for s in out['carol_sessions']), out
    assert out['bob_sessions'] and all(tickets['bob']['ccache'] in s for s in out['bob_sessions']), out
    assert out['after_close'] == [[], []]
