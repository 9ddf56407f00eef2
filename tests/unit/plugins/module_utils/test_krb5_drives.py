# -*- coding: utf-8 -*-
# Department drives with the user's Kerberos ticket (module_utils/krb5_drives.py): pure, no server. The hub
# code is also run, where the lab's hub runtime exists (DSAAS_HUB_PYTHON or .lab/jupyterhub), with the real
# JupyterHub 5.5.0 / KubeSpawner 7.0.0 classes and a fake Kubernetes client.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import textwrap

import pytest

from ansible_collections.dsaas.platform.plugins.module_utils import krb5_drives
from ansible_collections.dsaas.platform.plugins.module_utils.hub_auth import EXTRA_CONFIG_KEY as AUTH_KEY
from ansible_collections.dsaas.platform.plugins.module_utils.jupyterhub_profiles import EXTRA_CONFIG_KEY as PROFILES_KEY
from ansible_collections.dsaas.platform.plugins.module_utils.krb5_drives import (
    DrivesError,
    check_realm,
    csi_manifests,
    csi_secret_data,
    default_kdcs,
    domain_from_base_dn,
    drives_errors,
    parse_unc,
    render,
    render_krb5_conf,
    validate_drives,
)

AD = {'servers': ['ldaps://dc1.corp.example:636', 'ldaps://dc2.corp.example', 'ldaps://dc1.corp.example:3269'],
      'base_dn': 'DC=corp,DC=example'}
DRIVES = [
    {'name': 'research', 'group': 'GG-Researchers', 'path': '\\\\corp.example\\dfs\\research'},
    {'name': 'teaching', 'group': 'gg-teachers', 'path': '\\\\fs1.corp.example\\teach$'},
]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


# ------------------------------------------------------------------------------------------ mapping ---

def test_unc_paths():
    assert parse_unc('\\\\localhost\\dfs\\research') == {'server': 'localhost', 'share': 'dfs', 'folders': ['research']}
    assert parse_unc('\\\\FS1.corp.example\\teach$\\') == {'server': 'fs1.corp.example', 'share': 'teach$', 'folders': []}
    assert parse_unc('\\\\10.0.0.5\\data\\a b\\c')['folders'] == ['a b', 'c']


@pytest.mark.parametrize('path', [
    '//server/share', '\\\\server', '\\\\server\\', 'C:\\data', '\\server\\share', '\\\\server\\\\share',
    '\\\\-bad\\share', '\\\\server\\sha:re', '\\\\server\\share\\..\\x', '', None, 42, 'smb://server/share',
])
def test_paths_that_are_not_unc(path):
    with pytest.raises(DrivesError, match='UNC path|not a folder name'):
        parse_unc(path)


def test_validate_drives_normalises():
    drives = validate_drives(DRIVES)
    assert drives[0] == {'name': 'research', 'group': 'GG-Researchers', 'path': DRIVES[0]['path'],
                         'server': 'corp.example', 'share': 'dfs', 'folders': ['research'],
                         'url': 'smb://corp.example/dfs/research'}
    assert drives[1]['url'] == 'smb://fs1.corp.example/teach$'
    assert validate_drives([]) == [] and validate_drives(None) == []


@pytest.mark.parametrize('drives, message', [
    ([dict(DRIVES[0], path='/mnt/research')],
     "jupyterhub_drives[0] (name 'research'): path '/mnt/research' is not a UNC path"),
    ([DRIVES[0], dict(DRIVES[1], name='research')],
     "jupyterhub_drives[1] (name 'research'): name 'research' is already used by jupyterhub_drives[0]"),
    ([dict(DRIVES[0], name='../etc')], "name '../etc' is not usable as a folder name"),
    ([dict(DRIVES[0], name='Research')], "name 'Research' is not usable as a folder name"),
    ([dict(DRIVES[0], group='')], 'jupyterhub_drives[0] (name \'research\'): group is missing or empty'),
    ([{'name': 'x', 'group': 'g'}], 'path is missing or empty'),
    ([dict(DRIVES[0], letter='H:')], 'unknown key(s) letter'),
    (['research'], 'jupyterhub_drives[0] must be a dictionary'),
    ({'research': 'x'}, 'must be a list'),
])
def test_bad_mappings_say_which_entry_and_why(drives, message):
    with pytest.raises(DrivesError) as error:
        validate_drives(drives)
    assert message in str(error.value)
    assert '\n' not in str(error.value)


# ------------------------------------------------------------------------------------------- realm ---

def test_domain_and_realm_from_the_base_dn():
    assert domain_from_base_dn('DC=lab,DC=dsaas,DC=test') == 'lab.dsaas.test'
    assert domain_from_base_dn('OU=DSAAS, dc=Corp ,DC=Example') == 'corp.example'
    assert check_realm(None, 'DC=lab,DC=dsaas,DC=test') == 'LAB.DSAAS.TEST'
    assert check_realm('', 'DC=lab,DC=dsaas,DC=test') == 'LAB.DSAAS.TEST'
    assert check_realm('LAB.DSAAS.TEST', 'DC=lab,DC=dsaas,DC=test') == 'LAB.DSAAS.TEST'


@pytest.mark.parametrize('realm', ['lab.dsaas.test', 'DSAASLAB', 'EXAMPLE.ORG', 'LAB.DSAAS'])
def test_a_realm_that_is_not_the_ad_domain_is_refused(realm):
    with pytest.raises(DrivesError) as error:
        check_realm(realm, 'DC=lab,DC=dsaas,DC=test')
    assert str(error.value) == (
        "jupyterhub_kerberos.realm %r does not match the AD domain lab.dsaas.test (dsaas_ad.base_dn "
        "DC=lab,DC=dsaas,DC=test): the realm of an AD domain is its DNS name in upper case, LAB.DSAAS.TEST" % realm)


@pytest.mark.parametrize('base_dn', ['OU=x,O=corp', '', None, 'DC=corp,OU=x'])
def test_a_base_dn_without_a_domain_is_refused(base_dn):
    with pytest.raises(DrivesError, match='base_dn'):
        domain_from_base_dn(base_dn)


def test_kdcs_default_to_the_ad_servers_host_names():
    assert default_kdcs(AD['servers']) == ['dc1.corp.example', 'dc2.corp.example']
    assert default_kdcs(['ldaps://127.0.0.1:636']) == ['127.0.0.1']
    assert default_kdcs(['dc3.corp.example', 'dc4:636']) == ['dc3.corp.example', 'dc4']


@pytest.mark.parametrize('kerberos, message', [
    ({'kdcs': ['kdc one']}, "jupyterhub_kerberos.kdcs: 'kdc one' is not host[:port]"),
    ({'kdcs': ['kdc:99999']}, 'is not host[:port]'),
    ({'kdc_timeout': 0}, 'kdc_timeout must be a positive number'),
    ({'login_timeout': 'soon'}, 'login_timeout must be a positive number'),
    ({'realms': 'X'}, 'unknown key(s) realms'),
])
def test_bad_kerberos_settings(kerberos, message):
    assert message in drives_errors(DRIVES, kerberos, AD)[0]


# -------------------------------------------------------------------------------------- krb5.conf ---

def test_krb5_conf_names_realm_and_kdcs_and_guesses_nothing():
    text = render_krb5_conf('LAB.DSAAS.TEST', ['127.0.0.1', 'kdc2:88'], 'lab.dsaas.test', ['localhost'], 3)
    assert '\tdefault_realm = LAB.DSAAS.TEST\n' in text
    for line in ('dns_lookup_kdc = false', 'dns_lookup_realm = false', 'rdns = false',
                 'dns_canonicalize_hostname = false', 'kdc_timeout = 3s', 'udp_preference_limit = 1'):
        assert '\t%s\n' % line in text
    assert '\tLAB.DSAAS.TEST = {\n\t\tkdc = 127.0.0.1\n\t\tkdc = kdc2:88\n\t}\n' in text
    assert text.endswith('[domain_realm]\n\tlocalhost = LAB.DSAAS.TEST\n\tlab.dsaas.test = LAB.DSAAS.TEST\n'
                         '\t.lab.dsaas.test = LAB.DSAAS.TEST\n')


def test_the_gssapi_library_parses_the_krb5_conf(tmp_path):
    """The rendered file is read by MIT krb5 without complaint (where the krb5 Python package is installed)."""
    krb5 = pytest.importorskip('krb5')
    conf = tmp_path / 'krb5.conf'
    conf.write_text(render_krb5_conf('LAB.DSAAS.TEST', ['127.0.0.1'], 'lab.dsaas.test', ['localhost']))
    os.environ['KRB5_CONFIG'] = str(conf)
    try:
        assert krb5.get_default_realm(krb5.init_context()) == b'LAB.DSAAS.TEST'
    finally:
        del os.environ['KRB5_CONFIG']


# ---------------------------------------------------------------------------------------- values ---

def test_no_drives_means_the_feature_is_off():
    assert render([], {}, AD) == {'values': {}, 'configmap': None, 'krb5_conf': None, 'kerberos': None,
                                  'drives': [], 'groups': []}


def test_values_fragment():
    rendered = render(DRIVES, {'kdc_timeout': 4}, AD, namespace='ns1')
    values = rendered['values']
    hub = values['hub']
    assert hub['extraFiles'] == {'dsaas-krb5-conf': {'mountPath': krb5_drives.HUB_KRB5_CONF,
                                                     'stringData': rendered['krb5_conf']}}
    assert hub['extraEnv'] == {'KRB5_CONFIG': krb5_drives.HUB_KRB5_CONF}
    config = hub['config']['DsaasDrives']
    assert config['realm'] == 'CORP.EXAMPLE' and config['mode'] == 'userland'
    assert [d['name'] for d in config['drives']] == ['research', 'teaching']
    assert config['krb5_config'] == krb5_drives.HUB_KRB5_CONF
    assert config['notebook_krb5_config'] == '/etc/dsaas/krb5/krb5.conf'
    assert hub['extraConfig'] == {krb5_drives.EXTRA_CONFIG_KEY: krb5_drives.HUB_CODE}
    assert values['singleuser']['extraEnv'] == {'KRB5_CONFIG': '/etc/dsaas/krb5/krb5.conf'}
    assert values['singleuser']['storage']['extraVolumes'] == [
        {'name': 'dsaas-krb5-conf', 'configMap': {'name': 'dsaas-krb5-conf'}}]
    assert values['singleuser']['storage']['extraVolumeMounts'] == [
        {'name': 'dsaas-krb5-conf', 'mountPath': '/etc/dsaas/krb5', 'readOnly': True}]
    assert rendered['configmap'] == {
        'apiVersion': 'v1', 'kind': 'ConfigMap',
        'metadata': {'name': 'dsaas-krb5-conf', 'namespace': 'ns1',
                     'labels': {'app.kubernetes.io/part-of': 'dsaas', 'app.kubernetes.io/component': 'krb5-conf'}},
        'data': {'krb5.conf': rendered['krb5_conf']}}
    assert 'kdc = dc1.corp.example' in rendered['krb5_conf'] and 'kdc_timeout = 4s' in rendered['krb5_conf']
    assert '\tcorp.example = CORP.EXAMPLE\n' in rendered['krb5_conf']
    assert rendered['groups'] == ['GG-Researchers', 'gg-teachers']


def test_no_chart_value_is_a_configmap():
    """The ConfigMap is a manifest the role applies, not a chart value: the chart has no such key."""
    assert '"kind": "ConfigMap"' not in json.dumps(render(DRIVES, {}, AD)['values'])


def test_the_snippet_runs_after_the_login_and_the_profiles():
    keys = sorted([krb5_drives.EXTRA_CONFIG_KEY, AUTH_KEY, PROFILES_KEY])
    assert keys[-1] == krb5_drives.EXTRA_CONFIG_KEY
    assert set(krb5_drives.RUNS_AFTER) == {AUTH_KEY, PROFILES_KEY}


def test_values_validate_against_the_chart_schema():
    jsonschema = pytest.importorskip('jsonschema')
    yaml = pytest.importorskip('yaml')
    from ansible_collections.dsaas.platform.plugins.module_utils.z2jh import merge_values, schema_errors
    chart = os.path.join(ROOT, 'roles', 'jupyterhub', 'files', 'z2jh-4.4.0')
    with open(os.path.join(chart, 'values.yaml')) as handle:
        defaults = yaml.safe_load(handle)
    with open(os.path.join(chart, 'values.schema.json')) as handle:
        schema = json.load(handle)
    assert jsonschema
    assert schema_errors(merge_values(defaults, render(DRIVES, {}, AD)['values']), schema) == []


def test_mode_must_be_known():
    assert drives_errors(DRIVES, {}, AD, mode='kernel') == ["jupyterhub_drives_mode 'kernel' is not one of userland, csi"]


def test_drives_errors_is_empty_when_fine():
    assert drives_errors(DRIVES, {'realm': 'CORP.EXAMPLE'}, AD) == []
    assert drives_errors([], {'realm': 'WRONG'}, AD) == []  # feature off: nothing to check


def test_the_hub_code_compiles_and_never_mentions_the_password_in_a_log_call():
    compile(krb5_drives.HUB_CODE, 'dsaas-smb-drives', 'exec')
    for line in krb5_drives.HUB_CODE.splitlines():
        if '.log.' in line:
            assert 'password' not in line


# ------------------------------------------------------------------------------------------- csi ---

def test_csi_manifests():
    drive = validate_drives(DRIVES)[0]
    pv, pvc = csi_manifests(drive, 'alice', 1000, 'dsaas-jupyterhub')
    assert pv['kind'] == 'PersistentVolume' and pvc['kind'] == 'PersistentVolumeClaim'
    csi = pv['spec']['csi']
    assert csi['driver'] == 'smb.csi.k8s.io'
    assert csi['volumeAttributes'] == {'source': '//corp.example/dfs', 'subDir': 'research'}
    assert csi['nodeStageSecretRef'] == {'name': 'dsaas-krb5-alice', 'namespace': 'dsaas-jupyterhub'}
    assert pv['spec']['mountOptions'][:3] == ['sec=krb5', 'cruid=1000', 'uid=1000']
    assert pv['spec']['claimRef'] == {'namespace': 'dsaas-jupyterhub', 'name': pvc['metadata']['name']}
    assert pvc['spec']['volumeName'] == pv['metadata']['name']
    assert pvc['metadata']['name'] == 'dsaas-smb-research-alice'
    assert pv['spec']['storageClassName'] == pvc['spec']['storageClassName'] == ''
    assert csi_secret_data('QUJD', 1000) == {'krb5cc_1000': 'QUJD'}
    other = csi_manifests(drive, 'bob', 1000, 'dsaas-jupyterhub')[0]
    assert other['spec']['csi']['volumeHandle'] != csi['volumeHandle']


# ------------------------------------------------------------------------------- hub code, for real ---

def _hub_python():
    python = os.environ.get('DSAAS_HUB_PYTHON') or os.path.join(ROOT, '.lab', 'jupyterhub', 'venv', 'bin', 'python')
    if not os.path.exists(python):
        pytest.skip('no lab hub runtime (lab/lab up jupyterhub)')
    return python


HUB_HARNESS = textwrap.dedent(r'''
    import asyncio, json, sys, types
    from traitlets.config import Config
    from kubernetes_asyncio.client.rest import ApiException
    from kubernetes_asyncio.client import ApiClient
    from kubernetes_asyncio.client.models import V1Container, V1Pod, V1PodSpec, V1ObjectMeta, V1SecurityContext

    args = json.loads(sys.argv[1])
    c = Config()
    c.DsaasDrives.drives = args["drives"]
    c.DsaasDrives.realm = "CORP.EXAMPLE"
    c.DsaasDrives.notebook_krb5_config = "/etc/dsaas/krb5/krb5.conf"
    calls = []
    async def earlier_pre_spawn(spawner):
        calls.append("earlier pre_spawn_hook")
    c.KubeSpawner.pre_spawn_hook = earlier_pre_spawn
    if args.get("no_gssapi"):
        sys.modules["gssapi"] = None  # import fails as on a hub without python-gssapi
    exec(args["code"])

    class Api:
        def __init__(self):
            self.secrets = {}
        async def create_namespaced_secret(self, namespace, body):
            if body["metadata"]["name"] in self.secrets:
                raise ApiException(status=409)
            self.secrets[body["metadata"]["name"]] = body
        async def replace_namespaced_secret(self, name, namespace, body):
            self.secrets[name] = body
        async def delete_namespaced_secret(self, name, namespace):
            if name not in self.secrets:
                raise ApiException(status=404)
            del self.secrets[name]

    class User:
        name = "alice"
        groups = []
        def __init__(self, state):
            self.state = state
        async def get_auth_state(self):
            return self.state

    class Log:
        def __init__(self):
            self.lines = []
        def info(self, *a):
            self.lines.append(a[0] % a[1:])
        warning = info

    class Spawner:
        uid = 1000
        fs_gid = None
        namespace = "ns1"
        _log_name = "alice"
        def __init__(self, state):
            self.user = User(state)
            self.api = Api()
            self.log = Log()
        def _expand_user_properties(self, template):
            return template.replace("{user_server}", "alice").replace("{username}", "alice")

    class Handler:
        def get_body_argument(self, name, default=None, strip=True):
            return {"password": "Typed-Pa55 "}.get(name, default)

    class Authenticator:
        log = Log()

    async def main():
        out = {}
        auth = await c.Authenticator.post_auth_hook(
            Authenticator(), Handler(), {"name": "alice", "auth_state": {"user_attributes": {"sAMAccountName": "Alice"}}})
        out["auth_state"] = auth["auth_state"]
        out["auth_log"] = Authenticator.log.lines
        spawner = Spawner(args["state"])
        await c.KubeSpawner.pre_spawn_hook(spawner)
        out["calls"] = calls
        out["secrets"] = dict(spawner.api.secrets)
        pod = V1Pod(metadata=V1ObjectMeta(name="jupyter-alice"), spec=V1PodSpec(containers=[V1Container(
            name="notebook", image="quay.io/jupyter/scipy-notebook:2025-10-20",
            # as KubeSpawner's make_pod passes container_security_context: a dict
            security_context={"runAsUser": 1000, "runAsNonRoot": True, "allowPrivilegeEscalation": False})]))
        pod = await c.KubeSpawner.modify_pod_hook(spawner, pod)
        out["pod"] = ApiClient().sanitize_for_serialization(pod)
        await c.KubeSpawner.post_stop_hook(spawner)
        out["after_stop"] = spawner.api.secrets
        await c.KubeSpawner.post_stop_hook(spawner)  # a second stop: 404 ignored
        print(json.dumps(out))

    asyncio.run(main())
''')


def _run_hub_code(state, no_gssapi=True):
    drives = render(DRIVES, {}, AD)['values']['hub']['config']['DsaasDrives']['drives']
    args = {'code': krb5_drives.HUB_CODE, 'drives': drives, 'state': state, 'no_gssapi': no_gssapi}
    result = subprocess.run([_hub_python(), '-c', HUB_HARNESS, json.dumps(args)], capture_output=True, text=True,
                            check=False, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_hub_code_with_a_ticket():
    state = {'groups': ['gg-researchers'], 'dsaas_krb5': {'ccache': 'BQQADAAB', 'expires': 4102444800}}
    out = _run_hub_code(state)
    # login without python-gssapi: the login passes, the reason is kept, the password is nowhere
    assert out['auth_state']['dsaas_krb5'] == {'error': 'the hub has no Kerberos library (python-gssapi)'}
    assert 'Typed-Pa55' not in json.dumps(out)
    assert out['calls'] == ['earlier pre_spawn_hook']
    assert list(out['secrets']) == ['dsaas-krb5-alice']
    assert out['secrets']['dsaas-krb5-alice']['data'] == {'krb5cc': 'BQQADAAB'}
    spec = out['pod']['spec']
    notebook = spec['containers'][0]
    env = dict((e['name'], e['value']) for e in notebook['env'])
    assert env['KRB5CCNAME'] == 'FILE:/var/run/dsaas-krb5/krb5cc'
    assert env['DSAAS_DRIVES_STATUS'] == 'ok'
    assert [d['name'] for d in json.loads(env['DSAAS_DRIVES'])] == ['research']
    assert env['KRB5_CONFIG'] == '/etc/dsaas/krb5/krb5.conf'
    assert {'name': 'dsaas-krb5-ccache', 'mountPath': '/var/run/dsaas-krb5', 'readOnly': True} in notebook['volumeMounts']
    assert not any(m['name'] == 'dsaas-krb5-secret' for m in notebook['volumeMounts'])
    volumes = dict((v['name'], v) for v in spec['volumes'])
    assert volumes['dsaas-krb5-secret']['secret']['defaultMode'] == 0o400
    assert volumes['dsaas-krb5-ccache']['emptyDir']['medium'] == 'Memory'
    (init,) = spec['initContainers']
    assert init['command'][:3] == ['install', '-m', '0400'] and init['image'] == notebook['image']
    assert init['securityContext'] == {'runAsUser': 1000, 'runAsNonRoot': True, 'allowPrivilegeEscalation': False,
                                       'privileged': False, 'capabilities': {'drop': ['ALL']},
                                       'seccompProfile': {'type': 'RuntimeDefault'}}
    assert spec['securityContext']['fsGroup'] == 100
    assert 'privileged' not in json.dumps(notebook) and 'add' not in json.dumps(notebook.get('securityContext'))
    assert out['after_stop'] == {}


@pytest.mark.parametrize('state, status', [
    ({'groups': ['GG-RESEARCHERS'], 'dsaas_krb5': {'error': 'the KDC of CORP.EXAMPLE did not answer within 15 s'}},
     'log in again: the KDC of CORP.EXAMPLE did not answer within 15 s'),
    ({'groups': ['gg-researchers'], 'dsaas_krb5': {'ccache': 'BQQA', 'expires': 1000}},
     'log in again: the Kerberos ticket expired (1970-01-01 00:16 UTC)'),
    ({'groups': ['gg-researchers']},
     'log in again: no Kerberos ticket from this login (it was made before drives were enabled)'),
])
def test_hub_code_without_a_usable_ticket_starts_the_server_without_a_secret(state, status):
    out = _run_hub_code(state)
    env = dict((e['name'], e['value']) for e in out['pod']['spec']['containers'][0]['env'])
    assert env['DSAAS_DRIVES_STATUS'] == status
    assert 'KRB5CCNAME' not in env
    assert out['secrets'] == {}
    assert 'initContainers' not in out['pod']['spec']


def test_hub_code_for_a_user_without_drives():
    out = _run_hub_code({'groups': ['gg-students'], 'dsaas_krb5': {'ccache': 'BQQA', 'expires': 4102444800}})
    env = dict((e['name'], e['value']) for e in out['pod']['spec']['containers'][0]['env'])
    assert env['DSAAS_DRIVES'] == '[]' and env['DSAAS_DRIVES_STATUS'] == 'ok'
    assert out['secrets'] == {}
