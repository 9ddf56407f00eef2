# -*- coding: utf-8 -*-
"""Department drives, the hub and collection side (no SMB share needed): playbooks/jupyterhub.yml with the lab
inventory (one drive: dsaas-researchers -> \\\\localhost\\dfs\\research) renders the krb5.conf ConfigMap and the
hub's Kerberos/spawn hooks, the lab hub loads them, a second run and --check change nothing, every bad input fails
in one line before any change, and the csi-driver-smb variant's per-user PersistentVolume and claim are accepted
by the lab API server (server-side dry run). The login -> ticket -> Secret -> notebook -> SMB path is proven
end to end elsewhere (it needs the lab's SMB share and the notebook runtime).
"""
import json
import os
import re

import pytest
import yaml

from conftest import LAB_STATE, run_playbook
# the module's fixture: the playbook run, run again and run in check mode
from test_jupyterhub import deployed  # noqa: F401  pylint: disable=unused-import
from test_jupyterhub import HUB_PID, NAMESPACE, PLAYBOOK, fingerprint, kubectl

HUB_LOG = os.path.join(LAB_STATE, 'hub', 'jupyterhub.log')
CONFIGMAP = 'dsaas-krb5-conf'
DRIVE = {'name': 'research', 'group': 'dsaas-researchers', 'path': '\\\\localhost\\dfs\\research'}


def configmap_version():
    return kubectl('get', 'configmap', CONFIGMAP, '-o', 'jsonpath={.metadata.resourceVersion}').stdout


def test_second_run_and_check_change_nothing(deployed):
    assert deployed['second'].recap()['changed'] == '0', deployed['second'].output[-3000:]
    assert deployed['check'].recap()['changed'] == '0', deployed['check'].output[-3000:]


def test_configmap_holds_the_krb5_conf(deployed):
    result = kubectl('get', 'configmap', CONFIGMAP, '-o', 'json')
    assert result.returncode == 0, result.stderr
    conf = json.loads(result.stdout)['data']['krb5.conf']
    assert '\tdefault_realm = LAB.DSAAS.TEST\n' in conf
    assert '\t\tkdc = 127.0.0.1\n' in conf
    assert '\tdns_lookup_kdc = false\n' in conf and '\trdns = false\n' in conf
    assert '\tlocalhost = LAB.DSAAS.TEST\n' in conf
    # the hub gets the same file
    assert deployed['values']['hub']['extraFiles'][CONFIGMAP]['stringData'] == conf


def test_values_carry_the_drives_and_the_hooks(deployed):
    hub = deployed['values']['hub']
    drives = hub['config']['DsaasDrives']
    assert drives['realm'] == 'LAB.DSAAS.TEST'
    assert [(d['name'], d['group'], d['path']) for d in drives['drives']] == [
        ('research', 'dsaas-researchers', '\\\\localhost\\dfs\\research')]
    assert 'dsaas-smb-drives' in hub['extraConfig']
    assert sorted(hub['extraConfig'])[-1] == 'dsaas-smb-drives'
    assert hub['extraEnv']['KRB5_CONFIG'] == drives['krb5_config']


def test_the_lab_hub_loads_the_drives_code(deployed):
    with open(HUB_LOG) as handle:
        log = handle.read()
    start = log.rfind('Loading extra config: dsaas-ad-auth')
    assert start >= 0
    tail = log[start:]
    assert 'Loading extra config: dsaas-smb-drives' in tail
    assert 'Traceback' not in tail.split('JupyterHub is now running')[0]
    assert os.path.exists(HUB_PID)


@pytest.mark.parametrize('extra, message', [
    ({'jupyterhub_drives': [dict(DRIVE, group='dsaas-no-such-group')]}, 'dsaas-no-such-group'),
    ({'jupyterhub_drives': [dict(DRIVE, path='/mnt/research')]},
     "jupyterhub_drives[0] (name 'research'): path '/mnt/research' is not a UNC path \\\\server\\share[\\folder...]; "
     "nothing was changed"),
    ({'jupyterhub_drives': [DRIVE, dict(DRIVE, group='dsaas-students')]},
     "jupyterhub_drives[1] (name 'research'): name 'research' is already used by jupyterhub_drives[0]; nothing was changed"),
    ({'jupyterhub_kerberos': {'realm': 'DSAASLAB'}},
     "jupyterhub_kerberos.realm 'DSAASLAB' does not match the AD domain lab.dsaas.test (dsaas_ad.base_dn "
     "DC=lab,DC=dsaas,DC=test): the realm of an AD domain is its DNS name in upper case, LAB.DSAAS.TEST; "
     "nothing was changed"),
])
def test_bad_input_fails_in_one_line_and_changes_nothing(deployed, extra, message):
    before = fingerprint(), configmap_version()
    run = run_playbook(PLAYBOOK, extra)
    assert run.rc != 0
    assert message in run.output, run.output[-3000:]
    assert (fingerprint(), configmap_version()) == before
    assert 'Traceback' not in run.output
    failed = [line for line in run.output.splitlines() if line.startswith(('fatal:', 'failed:'))]
    assert len(failed) == 1, run.output[-3000:]


def test_csi_variant_is_accepted_by_the_api_server(deployed):
    """The per-user PersistentVolume and claim of csi-driver-smb, rendered by the collection, pass the lab API
    server's validation and admission (server-side dry run). Nothing is created: no csi-driver-smb runs here."""
    from ansible_collections.dsaas.platform.plugins.module_utils.krb5_drives import csi_manifests, validate_drives
    manifests = []
    for drive in validate_drives([DRIVE]):
        manifests.extend(csi_manifests(drive, 'carol', 1000, NAMESPACE))
    document = yaml.safe_dump_all(manifests)
    result = kubectl('apply', '--dry-run=server', '-f', '-', stdin=document, namespace=None)
    assert result.returncode == 0, result.stderr
    assert re.search(r'persistentvolume/\S+ created \(server dry run\)', result.stdout), result.stdout
    assert re.search(r'persistentvolumeclaim/dsaas-smb-research-carol created \(server dry run\)', result.stdout)
    assert kubectl('get', 'pvc', 'dsaas-smb-research-carol').returncode != 0  # nothing was created


def test_csi_mode_runs_the_dry_run_in_the_role(deployed):
    run = run_playbook(PLAYBOOK, {'jupyterhub_drives_mode': 'csi'}, '--check')
    assert run.rc == 0, run.output[-3000:]
    assert re.search(r'csi-driver-smb volumes of the drives \(server-side dry run\)\] \*+\nok: \[localhost\]',
                     run.output), run.output[-3000:]
