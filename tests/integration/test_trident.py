# -*- coding: utf-8 -*-
"""dsaas.platform.trident_backend and the trident role against the lab's Kubernetes API (Trident 26.06's CRDs,
no Trident controller, no ONTAP: only the Kubernetes objects are checked).

Everything happens in a namespace of its own (dsaas-test-trident-<random>) and StorageClasses named after it;
all are removed at the end.
"""
import base64
import json
import os
import time
import uuid

import pytest

from conftest import LAB_STATE, ROOT, lab_secret, require_lab, run_module, run_playbook

kubernetes = pytest.importorskip('kubernetes')
from kubernetes.client.rest import ApiException  # noqa: E402  pylint: disable=wrong-import-position

MODULE = 'dsaas.platform.trident_backend'
CONFIG = {
    'managementLIF': '192.0.2.10',
    'dataLIF': '192.0.2.11',
    'svm': 'svm_dsaas_test',
    'nfsMountOptions': 'nfsvers=4.1',
    'autoExportPolicy': True,
    'autoExportCIDRs': ['10.0.0.0/8'],
    'labels': {'cluster': 'dsaas-test'},
    'defaults': {'spaceReserve': 'none', 'snapshotReserve': 10},
    'storage': [
        {'labels': {'dsaas_tier': 'student'}, 'defaults': {'snapshotPolicy': 'dsaas-daily', 'qosPolicy': 'dsaas-balanced'}},
        {'labels': {'dsaas_tier': 'researcher'},
         'defaults': {'snapshotPolicy': 'dsaas-hourly', 'qosPolicy': 'dsaas-performance'}},
    ],
}
SNAPSHOT_CRD = 'volumesnapshotclasses.snapshot.storage.k8s.io'


def password():
    return 'pw-%s' % uuid.uuid4().hex


@pytest.fixture(scope='module')
def k8s():
    require_lab('kubernetes')
    kubeconfig = os.path.join(LAB_STATE, 'kubernetes', 'admin.kubeconfig')
    api_client = kubernetes.config.new_client_from_config(config_file=kubeconfig)
    return dict(kubeconfig=kubeconfig, core=kubernetes.client.CoreV1Api(api_client),
                custom=kubernetes.client.CustomObjectsApi(api_client),
                storage=kubernetes.client.StorageV1Api(api_client),
                extensions=kubernetes.client.ApiextensionsV1Api(api_client))


@pytest.fixture(scope='module')
def namespace(k8s):
    name = 'dsaas-test-trident-%s' % uuid.uuid4().hex[:6]
    k8s['core'].create_namespace({'metadata': {'name': name}})
    yield name
    for storage_class in k8s['storage'].list_storage_class(label_selector='dsaas.platform/tier').items:
        if storage_class.metadata.name.startswith(name):
            k8s['storage'].delete_storage_class(storage_class.metadata.name)
    k8s['core'].delete_namespace(name)


def tbc(k8s, namespace, name):
    try:
        return k8s['custom'].get_namespaced_custom_object('trident.netapp.io', 'v1', namespace,
                                                          'tridentbackendconfigs', name)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


def tbcs(k8s, namespace):
    return [item['metadata']['name'] for item in k8s['custom'].list_namespaced_custom_object(
        'trident.netapp.io', 'v1', namespace, 'tridentbackendconfigs')['items']]


def secret(k8s, namespace, name):
    try:
        return k8s['core'].read_namespaced_secret(name, namespace)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


def secret_values(k8s, namespace, name):
    return dict((key, base64.b64decode(value).decode('utf-8')) for key, value in secret(k8s, namespace, name).data.items())


def args(k8s, namespace, name, pw, **overrides):
    base = dict(kubeconfig=k8s['kubeconfig'], namespace=namespace, name=name, driver='ontap-nas',
                ontap_username='vsadmin-trident', ontap_password=pw, config=CONFIG)
    base.update(overrides)
    return base


def versions(k8s, namespace, name):
    """resourceVersions of the TridentBackendConfig and its Secret (None when absent)."""
    config = tbc(k8s, namespace, name)
    credentials = secret(k8s, namespace, '%s-credentials' % name)
    return (config['metadata']['resourceVersion'] if config else None,
            credentials.metadata.resource_version if credentials else None)


# --------------------------------------------------------------------------------------------- module ---

def test_create_then_nothing_to_do(k8s, namespace):
    pw = password()
    first = run_module(MODULE, args(k8s, namespace, 'nas-a', pw))
    assert not first.failed, first.output
    assert first.result['changed'] is True and first.result['operation'] == 'create'
    assert first.result['backend_name'] == 'nas-a' and first.result['phase'] is None and first.result['uuid'] is None
    created = tbc(k8s, namespace, 'nas-a')
    assert created['spec']['version'] == 1 and created['spec']['storageDriverName'] == 'ontap-nas'
    assert created['spec']['credentials'] == {'name': 'nas-a-credentials', 'type': 'secret'}
    assert created['spec']['deletionPolicy'] == 'retain'
    assert created['spec']['defaults'] == {'spaceReserve': 'none', 'snapshotReserve': '10'}
    assert created['spec']['storage'][1]['defaults']['qosPolicy'] == 'dsaas-performance'
    assert secret_values(k8s, namespace, 'nas-a-credentials') == {'username': 'vsadmin-trident', 'password': pw}
    before = versions(k8s, namespace, 'nas-a')
    second = run_module(MODULE, args(k8s, namespace, 'nas-a', pw))
    assert not second.failed and second.result['changed'] is False and second.result['operation'] is None
    assert versions(k8s, namespace, 'nas-a') == before
    assert pw not in first.output + second.output


def test_check_mode_create_changes_nothing(k8s, namespace):
    run = run_module(MODULE, args(k8s, namespace, 'nas-check', password()), '--check', '--diff')
    assert not run.failed and run.result['changed'] is True and run.result['operation'] == 'create'
    assert run.result['diff']['after']['secret.password'] == '********'
    assert tbc(k8s, namespace, 'nas-check') is None and secret(k8s, namespace, 'nas-check-credentials') is None


def test_one_field_changed_only_that_field_in_the_diff(k8s, namespace):
    pw = password()
    assert not run_module(MODULE, args(k8s, namespace, 'nas-b', pw)).failed
    before = versions(k8s, namespace, 'nas-b')
    changed = args(k8s, namespace, 'nas-b', pw, config=dict(CONFIG, dataLIF='192.0.2.12'))
    check = run_module(MODULE, changed, '--check', '--diff')
    assert not check.failed and check.result['changed'] is True
    assert check.result['diff'] == {'before': {'spec.dataLIF': '192.0.2.11'}, 'after': {'spec.dataLIF': '192.0.2.12'}}
    assert versions(k8s, namespace, 'nas-b') == before, '--check changed the API'
    real = run_module(MODULE, changed, '--diff')
    assert not real.failed and real.result['changed'] is True and real.result['modified'] == ['spec.dataLIF']
    assert real.result['diff'] == check.result['diff']
    assert tbc(k8s, namespace, 'nas-b')['spec']['dataLIF'] == '192.0.2.12'
    assert versions(k8s, namespace, 'nas-b')[1] == before[1], 'the Secret was written for a spec change'


def test_pool_change_and_removed_key(k8s, namespace):
    pw = password()
    assert not run_module(MODULE, args(k8s, namespace, 'nas-c', pw)).failed
    config = dict((key, value) for key, value in CONFIG.items() if key != 'nfsMountOptions')
    config['storage'] = [CONFIG['storage'][0], dict(CONFIG['storage'][1], zone='b')]
    run = run_module(MODULE, args(k8s, namespace, 'nas-c', pw, config=config), '--diff')
    assert not run.failed
    assert run.result['diff'] == {'before': {'spec.nfsMountOptions': 'nfsvers=4.1', 'spec.storage[1].zone': None},
                                  'after': {'spec.nfsMountOptions': None, 'spec.storage[1].zone': 'b'}}
    spec = tbc(k8s, namespace, 'nas-c')['spec']
    assert 'nfsMountOptions' not in spec and spec['storage'][1]['zone'] == 'b'


def test_credential_rotation_updates_only_the_secret_and_never_prints_it(k8s, namespace):
    old, new = password(), password()
    assert not run_module(MODULE, args(k8s, namespace, 'nas-rot', old)).failed
    before = versions(k8s, namespace, 'nas-rot')
    check = run_module(MODULE, args(k8s, namespace, 'nas-rot', new), '--check', '--diff', '-vvv')
    assert not check.failed and check.result['changed'] is True and check.result['credentials_rotated'] is True
    assert versions(k8s, namespace, 'nas-rot') == before
    run = run_module(MODULE, args(k8s, namespace, 'nas-rot', new), '--diff', '-vvv')
    assert not run.failed, run.output
    assert run.result['changed'] is True and run.result['credentials_rotated'] is True
    assert run.result['modified'] == ['secret.password']
    assert run.result['diff'] == {'before': {'secret.password': '********'}, 'after': {'secret.password': '********'}}
    assert secret_values(k8s, namespace, 'nas-rot-credentials')['password'] == new
    after = versions(k8s, namespace, 'nas-rot')
    assert after[0] == before[0], 'the TridentBackendConfig was written: Trident re-reads the Secret by itself'
    assert after[1] != before[1]
    for output in (check.output, run.output):
        assert old not in output and new not in output
        assert base64.b64encode(new.encode()).decode() not in output


def test_state_absent_removes_the_config_and_its_secret(k8s, namespace):
    assert not run_module(MODULE, args(k8s, namespace, 'nas-gone', password())).failed
    assert tbc(k8s, namespace, 'nas-gone')['spec']['deletionPolicy'] == 'retain'
    gone = dict(kubeconfig=k8s['kubeconfig'], namespace=namespace, name='nas-gone', state='absent')
    check = run_module(MODULE, gone, '--check')
    assert not check.failed and check.result['changed'] is True and tbc(k8s, namespace, 'nas-gone') is not None
    run = run_module(MODULE, gone, '--diff')
    assert not run.failed and run.result['changed'] is True and run.result['operation'] == 'delete'
    assert run.result['backend_name'] == 'nas-gone'
    assert run.result['diff']['before']['secret.password'] == '********'
    assert tbc(k8s, namespace, 'nas-gone') is None and secret(k8s, namespace, 'nas-gone-credentials') is None
    again = run_module(MODULE, gone)
    assert not again.failed and again.result['changed'] is False


def test_state_absent_leaves_an_unrelated_secret(k8s, namespace):
    k8s['core'].create_namespaced_secret(namespace, {'metadata': {'name': 'nas-x-credentials'},
                                                     'stringData': {'a': 'b'}})
    run = run_module(MODULE, dict(kubeconfig=k8s['kubeconfig'], namespace=namespace, name='nas-x', state='absent'))
    assert not run.failed and run.result['changed'] is False
    assert secret(k8s, namespace, 'nas-x-credentials') is not None


BAD_INPUTS = [
    ('unknown driver', dict(driver='ontap-nass'), "driver 'ontap-nass' is not supported"),
    ('unknown key', dict(config=dict(CONFIG, managmentLIF='192.0.2.10')),
     'config.managmentLIF: unknown key managmentLIF for driver ontap-nas; did you mean managementLIF?'),
    ('key of another driver', dict(driver='ontap-san', config={'managementLIF': 'm', 'svm': 's', 'nfsMountOptions': 'x'}),
     'config.nfsMountOptions: nfsMountOptions is not read by driver ontap-san'),
    ('credentials with more than name and type', dict(config=dict(CONFIG, credentials={'name': 'c', 'password': 'x'})),
     'config.credentials may hold only name and type (found password)'),
    ('missing managementLIF and svm', dict(config={'dataLIF': '192.0.2.11'}),
     'config.managementLIF is required (the cluster or SVM management LIF); config.svm is required'),
    ('invalid CIDR', dict(config=dict(CONFIG, autoExportCIDRs=['10.0.0.0/8', '10.1.0.0/33'])),
     "config.autoExportCIDRs[1]: '10.1.0.0/33' is not a CIDR"),
]


@pytest.mark.parametrize('case,overrides,message', BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_fails_clearly_and_changes_nothing(k8s, namespace, case, overrides, message):
    before = sorted(tbcs(k8s, namespace))
    run = run_module(MODULE, args(k8s, namespace, 'nas-bad', password(), **overrides))
    assert run.failed, case
    assert message in run.msg and run.msg.endswith('nothing was changed'), run.msg
    assert sorted(tbcs(k8s, namespace)) == before and secret(k8s, namespace, 'nas-bad-credentials') is None


def test_secret_name_clash_fails_before_any_change(k8s, namespace):
    k8s['core'].create_namespaced_secret(namespace, {'metadata': {'name': 'someone-elses'}, 'stringData': {'k': 'v'}})
    mine = secret(k8s, namespace, 'someone-elses').metadata.resource_version
    run = run_module(MODULE, args(k8s, namespace, 'nas-clash', password(), secret_name='someone-elses'))
    assert run.failed
    assert run.msg.startswith('Secret %s/someone-elses already exists and is not managed by dsaas.platform' % namespace)
    assert tbc(k8s, namespace, 'nas-clash') is None
    assert secret(k8s, namespace, 'someone-elses').metadata.resource_version == mine
    pw = password()
    assert not run_module(MODULE, args(k8s, namespace, 'nas-owner', pw)).failed
    taken = run_module(MODULE, args(k8s, namespace, 'nas-thief', pw, secret_name='nas-owner-credentials'))
    assert taken.failed and 'belongs to TridentBackendConfig nas-owner' in taken.msg


def test_wait_without_a_trident_controller_times_out_with_what_it_saw(k8s, namespace):
    started = time.time()
    run = run_module(MODULE, args(k8s, namespace, 'nas-wait', password(), wait=True, wait_timeout=3))
    assert run.failed and time.time() - started < 60
    assert ('TridentBackendConfig %s/nas-wait not Bound with last operation Success after 3 s (phase none'
            % namespace) in run.msg
    assert run.msg.endswith('is the Trident controller running?')


def test_unreachable_api_is_one_line(tmp_path, namespace):
    kubeconfig = tmp_path / 'kubeconfig'
    kubeconfig.write_text(json.dumps({
        'apiVersion': 'v1', 'kind': 'Config', 'current-context': 'x',
        'clusters': [{'name': 'c', 'cluster': {'server': 'https://127.0.0.1:1', 'insecure-skip-tls-verify': True}}],
        'contexts': [{'name': 'x', 'context': {'cluster': 'c', 'user': 'u'}}],
        'users': [{'name': 'u', 'user': {'token': 'none'}}]}))
    run = run_module(MODULE, dict(kubeconfig=str(kubeconfig), namespace=namespace, name='nas-x', driver='ontap-nas',
                                  ontap_username='u', ontap_password=password(), config=CONFIG))
    assert run.failed and run.msg == 'Kubernetes API https://127.0.0.1:1: [Errno 111] Connection refused'
    missing = run_module(MODULE, dict(kubeconfig=str(tmp_path / 'none'), namespace=namespace, name='nas-x',
                                      state='absent'))
    assert missing.failed and missing.msg.startswith('Kubernetes API: cannot use kubeconfig %s' % (tmp_path / 'none'))
    assert '\n' not in run.msg + missing.msg and 'Traceback' not in run.output + missing.output


def test_namespace_must_exist(k8s):
    run = run_module(MODULE, args(k8s, 'dsaas-test-no-such-namespace', 'nas-a', password()))
    assert run.failed and 'namespace dsaas-test-no-such-namespace does not exist' in run.msg


# ----------------------------------------------------------------------------------------------- role ---

def tiers(namespace, **student):
    return [
        dict(dict(name='student', storage_class='%s-student' % namespace, selector='dsaas_tier=student',
                  snapshot_policy='dsaas-daily', qos_policy='dsaas-balanced', default=False), **student),
        dict(name='researcher', storage_class='%s-researcher' % namespace, selector='dsaas_tier=researcher',
             snapshot_policy='dsaas-hourly', qos_policy='dsaas-performance'),
    ]


def role_vars(namespace, **student):
    return dict(trident_namespace=namespace, trident_tiers=tiers(namespace, **student))


def remove_role_objects(k8s, extra, role_namespace):
    """What a role run made: the tiers' StorageClasses and its namespace (missing ones are fine)."""
    for tier in extra['trident_tiers']:
        try:
            k8s['storage'].delete_storage_class(tier['storage_class'])
        except ApiException:
            pass
    try:
        k8s['core'].delete_namespace(role_namespace)
    except ApiException:
        pass


def test_role_check_run_twice_and_the_tiers_storage_classes(k8s, namespace):
    role_namespace = namespace + '-role'
    extra = role_vars(role_namespace)
    check = run_playbook('playbooks/storage.yml', extra, '--check')
    assert check.rc == 0, check.output
    assert int(check.recap()['changed']) > 0
    assert role_namespace not in [item.metadata.name for item in k8s['core'].list_namespace().items]
    names = [item.metadata.name for item in k8s['storage'].list_storage_class().items]
    assert '%s-student' % role_namespace not in names
    try:
        first = run_playbook('playbooks/storage.yml', extra)
        assert first.rc == 0, first.output
        assert int(first.recap()['changed']) > 0
        second = run_playbook('playbooks/storage.yml', extra)
        assert second.rc == 0 and second.recap()['changed'] == '0', second.output
        assert 'VolumeSnapshotClass dsaas-trident skipped' in second.output or \
            k8s['extensions'].list_custom_resource_definition(field_selector='metadata.name=' + SNAPSHOT_CRD).items
        assert tbcs(k8s, role_namespace) == ['dsaas-nas']
        backend = tbc(k8s, role_namespace, 'dsaas-nas')
        assert backend['spec']['managementLIF'] == '192.0.2.10' and backend['spec']['deletionPolicy'] == 'retain'
        password_file = lab_secret('ontap-fake')
        assert secret_values(k8s, role_namespace, 'dsaas-nas-credentials')['password'] == password_file
        assert password_file not in first.output + second.output
        for tier in extra['trident_tiers']:
            storage_class = k8s['storage'].read_storage_class(tier['storage_class'])
            assert storage_class.provisioner == 'csi.trident.netapp.io'
            assert storage_class.parameters == {'selector': tier['selector']}
            assert storage_class.reclaim_policy == 'Retain' and storage_class.allow_volume_expansion is True
            assert storage_class.metadata.labels['dsaas.platform/tier'] == tier['name']
        # A changed selector replaces the StorageClass (parameters are immutable), then nothing to do again.
        extra['trident_tiers'][1]['selector'] = 'dsaas_tier in (researcher)'
        third = run_playbook('playbooks/storage.yml', extra)
        assert third.rc == 0, third.output
        assert k8s['storage'].read_storage_class('%s-researcher' % role_namespace).parameters == {
            'selector': 'dsaas_tier in (researcher)'}
        assert run_playbook('playbooks/storage.yml', extra).recap()['changed'] == '0'
    finally:
        remove_role_objects(k8s, extra, role_namespace)


def test_role_refuses_a_tier_that_selects_no_pool(k8s, namespace):
    role_namespace = namespace + '-nopool'
    run = run_playbook('playbooks/storage.yml', role_vars(role_namespace, selector='dsaas_tier=guest'))
    assert run.rc != 0
    assert "tier student: selector 'dsaas_tier=guest' matches no virtual pool of any backend" in run.output
    assert 'dsaas-nas_pool_0 {cluster=dsaas-lab, dsaas_tier=student}' in run.output
    assert role_namespace not in [item.metadata.name for item in k8s['core'].list_namespace().items]
    names = [item.metadata.name for item in k8s['storage'].list_storage_class().items]
    assert '%s-researcher' % role_namespace not in names


def test_role_refuses_unknown_operator_values(k8s, namespace):
    if not os.path.exists(os.path.join(ROOT, '..', 'shared', 'contracts', 'trident', 'operator-values.yaml')):
        pytest.skip('../shared/contracts is absent: the role skips the check (tested by the message)')
    extra = dict(role_vars(namespace + '-values'), trident_operator_values={'imageRegistri': 'mirror.example'})
    run = run_playbook('playbooks/storage.yml', extra)
    assert run.rc != 0
    assert 'operator values: imageRegistri is not a value of the trident-operator chart; did you mean imageRegistry?' \
        in run.output


def test_role_makes_the_volume_snapshot_class_when_the_api_exists(k8s, namespace):
    """With a stand-in of the external-snapshotter CRD (made here only if the cluster has none)."""
    role_namespace = namespace + '-snap'
    made_crd = not k8s['extensions'].list_custom_resource_definition(
        field_selector='metadata.name=' + SNAPSHOT_CRD).items
    if made_crd:
        k8s['extensions'].create_custom_resource_definition({
            # k8s.io groups need an approval annotation; the real CRD carries external-snapshotter's.
            'metadata': {'name': SNAPSHOT_CRD, 'annotations': {
                'api-approved.kubernetes.io': 'https://github.com/kubernetes-csi/external-snapshotter/pull/814'}},
            'spec': {'group': 'snapshot.storage.k8s.io', 'scope': 'Cluster',
                     'names': {'plural': 'volumesnapshotclasses', 'singular': 'volumesnapshotclass',
                               'kind': 'VolumeSnapshotClass', 'listKind': 'VolumeSnapshotClassList'},
                     'versions': [{'name': 'v1', 'served': True, 'storage': True, 'schema': {'openAPIV3Schema': {
                         'type': 'object', 'x-kubernetes-preserve-unknown-fields': True}}}]}})
        for dummy in range(30):
            crd = k8s['extensions'].read_custom_resource_definition(SNAPSHOT_CRD)
            if any(condition.type == 'Established' and condition.status == 'True'
                   for condition in crd.status.conditions or []):
                break
            time.sleep(1)
    snapshot_class = '%s-snapshots' % role_namespace
    extra = dict(role_vars(role_namespace), trident_snapshot_class=snapshot_class)
    try:
        run = run_playbook('playbooks/storage.yml', extra)
        assert run.rc == 0, run.output
        made = k8s['custom'].get_cluster_custom_object(
            'snapshot.storage.k8s.io', 'v1', 'volumesnapshotclasses', snapshot_class)
        assert made['driver'] == 'csi.trident.netapp.io' and made['deletionPolicy'] == 'Delete'
        assert run_playbook('playbooks/storage.yml', extra).recap()['changed'] == '0'
    finally:
        try:
            k8s['custom'].delete_cluster_custom_object('snapshot.storage.k8s.io', 'v1', 'volumesnapshotclasses',
                                                       snapshot_class)
        except ApiException:
            pass
        if made_crd:
            k8s['extensions'].delete_custom_resource_definition(SNAPSHOT_CRD)
        remove_role_objects(k8s, extra, role_namespace)
