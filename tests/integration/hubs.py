# -*- coding: utf-8 -*-
"""A JupyterHub process of the tests' own: the lab's hub runtime (JupyterHub 5.5.0 as pinned in the z2jh hub
image, behind configurable-http-proxy) on free loopback ports, configured by the lab's one emulation of the
chart's hub pod, lab/hub/jupyterhub_config.py, from a values document coalesced onto the chart's values.yaml
the way lab/hub/run.py does it (z2jh.merge_values).

Without KUBECONFIG the hub keeps JupyterHub's default spawner: these hubs serve logins and pages, never pods.
"""
import os
import re
import secrets
import signal
import socket
import subprocess
import time

import pytest
import requests
import yaml

from conftest import ROOT, lab_env

from ansible_collections.dsaas.platform.plugins.module_utils.z2jh import merge_values

HUB_CONFIG = os.path.join(ROOT, 'lab', 'hub', 'jupyterhub_config.py')
CHART_DEFAULTS = os.path.join(ROOT, 'roles', 'jupyterhub', 'files', 'z2jh-4.4.0', 'values.yaml')


def hub_runtime():
    """DSAAS_HUB_* of the lab's jupyterhub runtime (`lab/lab env jupyterhub`); skips when it is incomplete."""
    env = {key: value for key, value in lab_env('jupyterhub').items() if key.startswith('DSAAS_HUB_')}
    for key in ('DSAAS_HUB_JUPYTERHUB', 'DSAAS_HUB_CHP'):
        if not os.access(env.get(key, ''), os.X_OK):
            pytest.skip('lab jupyterhub runtime incomplete (%s): lab/lab up jupyterhub' % key)
    return env


def free_ports(count):
    sockets = [socket.socket() for dummy in range(count)]
    try:
        for sock in sockets:
            sock.bind(('127.0.0.1', 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class Hub:
    """One JupyterHub process (with its configurable-http-proxy) on loopback, from a values fragment."""

    def __init__(self, runtime, workdir, values):
        self.dir = str(workdir)
        self.token = secrets.token_hex(32)
        # the test's API client, the z2jh way: hub.services + hub.loadRoles
        client = {'hub': {'services': {'dsaas-test': {'apiToken': self.token}},
                          'loadRoles': {'dsaas-test': {'services': ['dsaas-test'],
                                                       'scopes': ['admin:users', 'admin:auth_state', 'read:groups']}}}}
        with open(CHART_DEFAULTS) as handle:
            merged = merge_values(yaml.safe_load(handle), values, client)
        # may hold a service account's password: 0600, removed when the hub stops
        self.values_file = os.path.join(self.dir, 'values.yaml')
        with open(os.open(self.values_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w') as handle:
            yaml.safe_dump(merged, handle)
        port, api_port, proxy_api_port = free_ports(3)
        self.url = 'http://127.0.0.1:%d' % port
        env = dict(os.environ, DSAAS_HUB_VALUES=self.values_file, DSAAS_HUB_DIR=self.dir, DSAAS_HUB_PORT=str(port),
                   DSAAS_HUB_API_PORT=str(api_port), DSAAS_HUB_PROXY_API_PORT=str(proxy_api_port),
                   DSAAS_HUB_CHP=runtime['DSAAS_HUB_CHP'],
                   # auth_state encryption; the chart sets c.CryptKeeper.keys from its Secret instead
                   JUPYTERHUB_CRYPT_KEY=secrets.token_hex(32))
        for name in ('CONFIGPROXY_AUTH_TOKEN', 'KUBECONFIG', 'KUBERNETES_SERVICE_HOST'):  # no API: default spawner
            env.pop(name, None)
        self.log_file = os.path.join(self.dir, 'jupyterhub.log')
        self.log_handle = open(self.log_file, 'w')
        self.process = subprocess.Popen([runtime['DSAAS_HUB_JUPYTERHUB'], '-f', HUB_CONFIG, '--debug'],
                                        cwd=self.dir, env=env, stdout=self.log_handle, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise AssertionError('jupyterhub exited with %s:\n%s' % (self.process.returncode, self.log()[-4000:]))
            try:
                if requests.get(self.url + '/hub/api', timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        self.stop()
        raise AssertionError('jupyterhub did not answer on %s within 90 s:\n%s' % (self.url, self.log()[-4000:]))

    def log(self):
        with open(self.log_file) as handle:
            return handle.read()

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the hub, its proxy and its services, nothing else
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.log_handle.close()
        if os.path.exists(self.values_file):
            os.remove(self.values_file)

    def login(self, username, password):
        """The login form, as a browser posts it: (session, response of the POST)."""
        session = requests.Session()
        page = session.get(self.url + '/hub/login', timeout=30)
        assert page.status_code == 200, page.text
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
        form = {'username': username, 'password': password, '_xsrf': xsrf}
        response = session.post(self.url + '/hub/login', data=form, allow_redirects=False, timeout=120)
        return session, response

    def whoami(self, session):
        """The user of a browser session: /hub/api/user with the page's XSRF token, as the UI calls it."""
        home = session.get(self.url + '/hub/home', timeout=30, allow_redirects=False)
        if home.status_code != 200:
            return None
        xsrf = re.search(r'xsrf_token: "([^"]+)"', home.text) or re.search(r'name="_xsrf" value="([^"]+)"', home.text)
        response = session.get(self.url + '/hub/api/user', headers={'X-XSRFToken': xsrf.group(1)}, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()['name']

    def user(self, name):
        """The user model as an admin sees it (auth_state included), or None."""
        response = requests.get(self.url + '/hub/api/users/' + name, timeout=30,
                                headers={'Authorization': 'token ' + self.token})
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        return response.json()
