# -*- coding: utf-8 -*-
"""Shared fixtures for the tests that run against the lab's real services (lab/lab up)."""
import json
import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB_STATE = os.environ.get('DSAAS_LAB_STATE') or os.path.join(ROOT, '.lab')
Z2JH_CONTRACTS = os.path.join(os.path.dirname(ROOT), 'shared', 'contracts', 'z2jh')
VENV_BIN = os.path.dirname(sys.executable)
# The checkout as the dsaas.platform collection (the link lab/lab makes), for tests that import its code.
sys.path.insert(0, os.path.join(ROOT, '.ansible', 'collections'))


def lab_env(service):
    """The variables `lab/lab env SERVICE` exports, as a dict."""
    out = subprocess.run(['bash', '-c', 'eval "$("$0" env "$1")" && env -0', os.path.join(ROOT, 'lab', 'lab'), service],
                         capture_output=True, text=True, check=True).stdout
    return dict(item.split('=', 1) for item in out.split('\0') if '=' in item)


def z2jh_contract():
    """z2jh 4.4's values.yaml and values schema from ../shared/contracts/z2jh: (defaults, schema), to check values
    with z2jh.merge_values / z2jh.schema_errors; skips when the contracts or jsonschema are absent."""
    if not os.path.isdir(Z2JH_CONTRACTS):
        pytest.skip('no ../shared/contracts/z2jh beside the checkout')
    pytest.importorskip('jsonschema')
    with open(os.path.join(Z2JH_CONTRACTS, 'values.yaml')) as handle:
        defaults = yaml.safe_load(handle)
    with open(os.path.join(Z2JH_CONTRACTS, 'values.schema.yaml')) as handle:
        schema = yaml.safe_load(handle)
    return defaults, schema


def lab_secret(name):
    path = os.path.join(LAB_STATE, 'secrets', name)
    if not os.path.exists(path):
        pytest.skip('lab secret %s missing: run lab/lab up first' % name)
    with open(path) as handle:
        return handle.read().strip()


def lab_is_up(service):
    result = subprocess.run([os.path.join(ROOT, 'lab', 'lab'), 'status', service],
                            capture_output=True, text=True, check=False)
    return result.returncode == 0


def require_lab(service):
    if not lab_is_up(service):
        pytest.skip('lab service %s is not up (lab/lab up %s)' % (service, service))


class PlaybookRun:
    def __init__(self, completed):
        self.rc = completed.returncode
        self.output = completed.stdout + completed.stderr

    def recap(self):
        """changed/failed counts of the PLAY RECAP line for localhost."""
        for line in self.output.splitlines():
            if line.startswith('localhost') and 'ok=' in line:
                return dict(part.split('=') for part in line.split()[2:])
        raise AssertionError('no PLAY RECAP in output:\n' + self.output)


def run_playbook(playbook, extra_vars=None, *args):
    """ansible-playbook from the checkout, on the lab inventory, with optional extra vars (JSON)."""
    cmd = [os.path.join(VENV_BIN, 'ansible-playbook'), '-i', os.path.join(ROOT, 'inventories', 'lab'),
           os.path.join(ROOT, playbook)]
    if extra_vars is not None:
        cmd += ['-e', json.dumps(extra_vars)]
    cmd += list(args)
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', DSAAS_LAB_STATE=LAB_STATE)
    return PlaybookRun(subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env,
                                      check=False, timeout=600))


@pytest.fixture
def lab_ad():
    """The lab inventory's AD connection with real values (the same dict preflight uses)."""
    require_lab('samba-ad')
    return {
        'servers': ['ldaps://127.0.0.1:636'],
        'tls_mode': 'ldaps',
        'ca_file': os.path.join(LAB_STATE, 'ca', 'ca.pem'),
        'bind_user': 'svc-dsaas-bind@lab.dsaas.test',
        'bind_password': lab_secret('ad-bind'),
        'timeout': 5,
    }


@pytest.fixture
def lab_postgresql():
    require_lab('postgresql')
    return {
        'host': '127.0.0.1',
        'port': 55432,
        'user': 'dsaas',
        'password': lab_secret('pg-dsaas'),
        'database': 'dsaas',
        'ssl_mode': 'disable',
    }


class ModuleRun:
    def __init__(self, completed):
        self.rc = completed.returncode
        self.output = completed.stdout + completed.stderr
        try:
            # -vvv writes its own lines before the JSON document of the json callback.
            start = completed.stdout.index('{') if completed.stdout.startswith('{') \
                else completed.stdout.index('\n{') + 1
            document = json.JSONDecoder().raw_decode(completed.stdout[start:])[0]
            self.result = document['plays'][0]['tasks'][0]['hosts']['localhost']
        except (ValueError, KeyError, IndexError):
            raise AssertionError('no JSON result from ansible:\n' + self.output)

    @property
    def failed(self):
        return bool(self.result.get('failed'))

    @property
    def msg(self):
        return self.result.get('msg', '')


def run_module(module, args, *options):
    """One module on localhost (ad-hoc, JSON callback) with the collection from the checkout."""
    cmd = [os.path.join(VENV_BIN, 'ansible'), 'localhost', '-i', os.path.join(ROOT, 'inventories', 'lab'),
           '-m', module, '-a', json.dumps(args)] + list(options)
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_LOAD_CALLBACK_PLUGINS='1',
               ANSIBLE_STDOUT_CALLBACK='ansible.posix.json', DSAAS_LAB_STATE=LAB_STATE)
    return ModuleRun(subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, check=False,
                                    timeout=300))


@pytest.fixture
def lab_ad_admin(lab_ad):
    """The lab AD connection as the domain administrator (may write)."""
    return dict(lab_ad, bind_user='Administrator@lab.dsaas.test', bind_password=lab_secret('ad-administrator'))


@pytest.fixture
def lab_vcenter():
    require_lab('vcsim')
    return {'hostname': '127.0.0.1', 'port': 18989, 'username': 'administrator@vsphere.local',
            'password': lab_secret('vcsim'), 'validate_certs': True,
            'ca_file': os.path.join(LAB_STATE, 'ca', 'ca.pem')}


@pytest.fixture
def lab_kubernetes():
    require_lab('kubernetes')
    return {'kubeconfig': os.path.join(LAB_STATE, 'kubernetes', 'admin.kubeconfig'),
            'api_url': 'https://127.0.0.1:16443'}


@pytest.fixture
def lab_minio():
    require_lab('minio')
    return {'endpoint': 'https://127.0.0.1:19000', 'ca_file': os.path.join(LAB_STATE, 'ca', 'ca.pem')}


ONLY = ('dsaas_ad', 'dsaas_postgresql', 'dsaas_vcenter', 'dsaas_kubernetes', 'dsaas_minio')


def only(**peers):
    """Extra vars that check just the given peers (every other one set to null: skipped)."""
    extra = dict((name, None) for name in ONLY)
    extra.update(peers)
    return extra
