# -*- coding: utf-8 -*-
# Trident backend validation, desired objects, diff views, selectors, tiers, operator values: no server.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64

import pytest

from ansible_collections.dsaas.platform.plugins.module_utils.diff import MASK, compute_change
from ansible_collections.dsaas.platform.plugins.module_utils.trident import (
    MANAGED_BY,
    MANAGED_BY_LABEL,
    OWNER_ANNOTATION,
    SECRET_VIEW_SECRETS,
    TridentConfigError,
    backend_pools,
    backend_status,
    backend_view,
    commented_keys,
    desired_backend_config,
    desired_secret,
    desired_view,
    flatten,
    operator_values_errors,
    parse_selector,
    secret_clash,
    secret_data,
    secret_merge_patch,
    selector_matches,
    storage_class,
    storage_class_replacements,
    tier_errors,
    validate_backend,
    wait_verdict,
)

NAS_CONFIG = {
    'managementLIF': '10.0.0.1',
    'dataLIF': '10.0.0.2',
    'svm': 'svm_dsaas',
    'nfsMountOptions': 'nfsvers=4.1',
    'autoExportPolicy': True,
    'autoExportCIDRs': ['10.20.30.0/24', 'fd00::/64'],
    'labels': {'cluster': 'dsaas'},
    'defaults': {'spaceReserve': 'none', 'snapshotReserve': 10, 'snapshotDir': True, 'unixPermissions': '0755'},
    'storage': [
        {'labels': {'dsaas_tier': 'student'}, 'zone': 'a',
         'defaults': {'snapshotPolicy': 'dsaas-daily', 'qosPolicy': 'dsaas-balanced'}},
        {'labels': {'dsaas_tier': 'researcher'},
         'defaults': {'snapshotPolicy': 'dsaas-hourly', 'qosPolicy': 'dsaas-performance'}},
    ],
}


def params(**overrides):
    base = dict(name='dsaas-nas', namespace='trident', state='present', driver='ontap-nas', config=NAS_CONFIG,
                ontap_username='vsadmin', ontap_password='s3cret', chap=None, secret_name=None)
    base.update(overrides)
    return base


def errors_of(**overrides):
    with pytest.raises(TridentConfigError) as caught:
        validate_backend(params(**overrides))
    return caught.value.errors


# ------------------------------------------------------------------------------------ validation ---

def test_valid_nas_config_is_normalized_to_trident_types():
    spec, secret_name = validate_backend(params())
    assert secret_name == 'dsaas-nas-credentials'
    assert spec['autoExportPolicy'] is True
    assert spec['defaults'] == {'spaceReserve': 'none', 'snapshotReserve': '10', 'snapshotDir': 'true',
                                'unixPermissions': '0755'}
    assert spec['storage'][0]['defaults']['snapshotPolicy'] == 'dsaas-daily'


@pytest.mark.parametrize('driver', ['ontap-nas', 'ontap-nas-economy', 'ontap-nas-flexgroup', 'ontap-san'])
def test_every_supported_driver_accepts_the_minimal_config(driver):
    spec, dummy = validate_backend(params(driver=driver, config={'managementLIF': 'mgmt', 'svm': 'svm1'}))
    assert spec == {'managementLIF': 'mgmt', 'svm': 'svm1'}


def test_unknown_driver_lists_the_supported_ones_and_the_nearest():
    (error,) = errors_of(driver='ontap-nass')
    assert "driver 'ontap-nass' is not supported" in error
    assert 'ontap-nas-flexgroup' in error and 'did you mean ontap-nas?' in error


def test_unknown_key_names_it_and_the_nearest_valid_key():
    errors = errors_of(config=dict(NAS_CONFIG, managmentLIF='x'))
    assert errors == ['config.managmentLIF: unknown key managmentLIF for driver ontap-nas; did you mean managementLIF?']


def test_missing_key_is_not_reported_twice_when_its_typo_is():
    errors = errors_of(config={'managmentLIF': 'x', 'svm': 'svm1'})
    assert len(errors) == 1 and 'did you mean managementLIF?' in errors[0]


def test_unknown_keys_in_defaults_and_pools_name_their_path():
    config = dict(NAS_CONFIG, defaults={'snapshotPolicyy': 'x'},
                  storage=[{'labels': {'a': 'b'}, 'defualts': {}}])
    errors = errors_of(config=config)
    assert 'config.defaults.snapshotPolicyy: unknown key snapshotPolicyy for driver ontap-nas; ' \
           'did you mean snapshotPolicy?' in errors
    assert 'config.storage[0].defualts: unknown key defualts for driver ontap-nas; did you mean defaults?' in errors


def test_key_of_another_driver_says_whose_it_is():
    errors = errors_of(driver='ontap-san', config={'managementLIF': 'm', 'svm': 's', 'nfsMountOptions': 'x',
                                                   'defaults': {'exportPolicy': 'p'}})
    assert errors == [
        'config.nfsMountOptions: nfsMountOptions is not read by driver ontap-san '
        '(it is an option of ontap-nas, ontap-nas-economy, ontap-nas-flexgroup)',
        'config.defaults.exportPolicy: exportPolicy is not read by driver ontap-san '
        '(it is an option of ontap-nas, ontap-nas-economy, ontap-nas-flexgroup)']
    errors = errors_of(driver='ontap-nas-flexgroup', config={'managementLIF': 'm', 'svm': 's', 'aggregate': 'a'})
    assert errors == ['config.aggregate: aggregate is not read by driver ontap-nas-flexgroup '
                      '(it is an option of ontap-nas, ontap-nas-economy, ontap-san)']


def test_credentials_only_name_and_type():
    errors = errors_of(config=dict(NAS_CONFIG, credentials={'name': 'x', 'type': 'secret', 'password': 'p'}))
    assert len(errors) == 1 and errors[0].startswith('config.credentials may hold only name and type (found password)')
    errors = errors_of(config=dict(NAS_CONFIG, credentials={'name': 'x', 'type': 'awsarn'}))
    assert "only type 'secret'" in errors[0]


def test_credentials_name_becomes_the_secret_name():
    spec, secret_name = validate_backend(params(config=dict(NAS_CONFIG, credentials={'name': 'ontap-creds'})))
    assert secret_name == 'ontap-creds' and 'credentials' not in spec
    assert errors_of(config=dict(NAS_CONFIG, credentials={'name': 'a'}), secret_name='b') == [
        "config.credentials.name 'a' and secret_name 'b' differ; give one of them"]


def test_secrets_and_fixed_fields_are_refused_in_config():
    errors = errors_of(config=dict(NAS_CONFIG, password='p', chapInitiatorSecret='c', backendName='x', version=1))
    assert any(error.startswith('config.password: Trident refuses credentials in the spec') for error in errors)
    assert any(error.startswith('config.chapInitiatorSecret: Trident refuses') for error in errors)
    assert 'config.backendName: set by the backend_name option, not in config' in errors
    assert 'config.version: set by always 1, not in config' in errors


def test_missing_management_lif_and_svm():
    assert errors_of(config={'dataLIF': '10.0.0.2'}) == [
        'config.managementLIF is required (the cluster or SVM management LIF)',
        'config.svm is required (the SVM Trident provisions volumes in)']


@pytest.mark.parametrize('cidr', ['10.0.0.0/33', '10.0.0.0', 'nonsense/8', '2001:db8::/129'])
def test_invalid_cidr_in_auto_export_cidrs(cidr):
    errors = errors_of(config=dict(NAS_CONFIG, autoExportCIDRs=['10.0.0.0/8', cidr]))
    assert len(errors) == 1 and errors[0].startswith("config.autoExportCIDRs[1]: %r is not a CIDR" % cidr)


def test_value_types():
    errors = errors_of(config=dict(NAS_CONFIG, autoExportPolicy='maybe', labels={'a': ['x']},
                                   defaults={'unixPermissions': 493}))
    assert "config.autoExportPolicy: autoExportPolicy must be true or false, not 'maybe'" in errors
    assert 'config.labels.a: a must be a string, not list' in errors
    assert any('unixPermissions must be a quoted string' in error for error in errors)
    spec, dummy = validate_backend(params(config=dict(NAS_CONFIG, autoExportPolicy='True', autoExportCIDRs='10.0.0.0/8')))
    assert spec['autoExportPolicy'] is True and spec['autoExportCIDRs'] == ['10.0.0.0/8']


def test_names_and_credentials_required_when_present():
    errors = errors_of(name='Bad_Name', ontap_password=None, namespace='a.b')
    assert any(error.startswith("name 'Bad_Name' is not a valid Kubernetes name") for error in errors)
    assert any(error.startswith("namespace 'a.b' is not a valid Kubernetes name") for error in errors)
    assert 'ontap_password is required with state=present (it goes into the credentials Secret)' in errors


def test_chap_needed_with_use_chap():
    errors = errors_of(driver='ontap-san', config={'managementLIF': 'm', 'svm': 's', 'useCHAP': True})
    assert errors[0].startswith('config.useCHAP is true: give the chap option')


def test_absent_needs_only_names():
    spec, secret_name = validate_backend(params(state='absent', driver=None, config={}, ontap_password=None))
    assert spec == {} and secret_name == 'dsaas-nas-credentials'


# -------------------------------------------------------------------------------- desired objects ---

def test_desired_backend_config_fixed_fields():
    spec, secret_name = validate_backend(params())
    tbc = desired_backend_config('dsaas-nas', 'trident', 'ontap-nas', spec, secret_name)
    assert tbc['apiVersion'] == 'trident.netapp.io/v1' and tbc['kind'] == 'TridentBackendConfig'
    assert tbc['metadata'] == {'name': 'dsaas-nas', 'namespace': 'trident', 'labels': {MANAGED_BY_LABEL: MANAGED_BY}}
    assert tbc['spec']['version'] == 1
    assert tbc['spec']['storageDriverName'] == 'ontap-nas'
    assert tbc['spec']['backendName'] == 'dsaas-nas'
    assert tbc['spec']['credentials'] == {'name': 'dsaas-nas-credentials', 'type': 'secret'}
    assert tbc['spec']['deletionPolicy'] == 'retain'
    other = desired_backend_config('x', 'trident', 'ontap-san', {}, 's', backend_name='b', deletion_policy='delete')
    assert other['spec']['backendName'] == 'b' and other['spec']['deletionPolicy'] == 'delete'


def test_desired_secret_holds_the_credentials_base64_and_is_marked_ours():
    secret = desired_secret('dsaas-nas-credentials', 'trident', 'dsaas-nas', secret_data('vsadmin', 'pä$s'))
    assert secret['type'] == 'Opaque'
    assert base64.b64decode(secret['data']['password']).decode('utf-8') == 'pä$s'
    assert secret['metadata']['labels'] == {MANAGED_BY_LABEL: MANAGED_BY}
    assert secret['metadata']['annotations'] == {OWNER_ANNOTATION: 'dsaas-nas'}
    chap = secret_data('u', 'p', {'username': 'cu', 'initiator_secret': 'ci', 'target_username': 'tu',
                                  'target_initiator_secret': 'ti'})
    assert chap == {'username': 'u', 'password': 'p', 'chapUsername': 'cu', 'chapInitiatorSecret': 'ci',
                    'chapTargetUsername': 'tu', 'chapTargetInitiatorSecret': 'ti'}


def test_secret_clash_only_for_secrets_not_ours_for_this_backend():
    ours = desired_secret('s', 'trident', 'dsaas-nas', secret_data('u', 'p'))
    assert secret_clash(None, 'dsaas-nas', 'trident') is None
    assert secret_clash(ours, 'dsaas-nas', 'trident') is None
    assert 'belongs to TridentBackendConfig dsaas-nas' in secret_clash(ours, 'other', 'trident')
    foreign = {'metadata': {'name': 's', 'labels': {'app': 'x'}}}
    message = secret_clash(foreign, 'dsaas-nas', 'trident')
    assert message.startswith('Secret trident/s already exists and is not managed by dsaas.platform')
    assert 'nothing was changed' in message


# ------------------------------------------------------------------------------- compare and diff ---

def api_objects(config=None, password='s3cret'):
    spec, secret_name = validate_backend(params(config=config or NAS_CONFIG))
    tbc = desired_backend_config('dsaas-nas', 'trident', 'ontap-nas', spec, secret_name)
    data = secret_data('vsadmin', password)
    return tbc, data, desired_secret(secret_name, 'trident', 'dsaas-nas', data)


def test_same_objects_no_change():
    tbc, data, secret = api_objects()
    current = backend_view(tbc, secret)
    assert not compute_change(current, desired_view(tbc, data, current), secret_keys=SECRET_VIEW_SECRETS)


def test_one_field_changed_only_that_field_in_the_diff():
    tbc, data, secret = api_objects()
    current = backend_view(tbc, secret)
    config = dict(NAS_CONFIG, defaults=dict(NAS_CONFIG['defaults'], spaceReserve='volume'))
    new_tbc, new_data, dummy = api_objects(config=config)
    change = compute_change(current, desired_view(new_tbc, new_data, current), secret_keys=SECRET_VIEW_SECRETS)
    assert change.action == 'update'
    assert change.masked() == {'before': {'spec.defaults.spaceReserve': 'none'},
                               'after': {'spec.defaults.spaceReserve': 'volume'}}


def test_pool_change_shows_the_pool_path():
    tbc, data, secret = api_objects()
    current = backend_view(tbc, secret)
    storage = [dict(NAS_CONFIG['storage'][0], labels={'dsaas_tier': 'students'}), NAS_CONFIG['storage'][1]]
    new_tbc, new_data, dummy = api_objects(config=dict(NAS_CONFIG, storage=storage))
    change = compute_change(current, desired_view(new_tbc, new_data, current), secret_keys=SECRET_VIEW_SECRETS)
    assert change.modified == ['spec.storage[0].labels.dsaas_tier']


def test_removed_key_is_shown_as_null():
    tbc, data, secret = api_objects()
    current = backend_view(tbc, secret)
    config = dict((key, value) for key, value in NAS_CONFIG.items() if key != 'nfsMountOptions')
    new_tbc, new_data, dummy = api_objects(config=config)
    change = compute_change(current, desired_view(new_tbc, new_data, current), secret_keys=SECRET_VIEW_SECRETS)
    assert change.masked() == {'before': {'spec.nfsMountOptions': 'nfsvers=4.1'},
                               'after': {'spec.nfsMountOptions': None}}


def test_rotation_is_a_masked_secret_change():
    tbc, data, secret = api_objects()
    current = backend_view(tbc, secret)
    new_tbc, new_data, dummy = api_objects(password='n3w-s3cret')
    change = compute_change(current, desired_view(new_tbc, new_data, current), secret_keys=SECRET_VIEW_SECRETS)
    assert change.modified == ['secret.password']
    assert change.masked() == {'before': {'secret.password': MASK}, 'after': {'secret.password': MASK}}
    assert 's3cret' not in repr(change.masked())


def test_create_diff_masks_the_password():
    tbc, data, dummy = api_objects()
    change = compute_change(None, desired_view(tbc, data, None), secret_keys=SECRET_VIEW_SECRETS)
    after = change.masked()['after']
    assert change.action == 'create' and after['secret.password'] == MASK and after['secret.username'] == 'vsadmin'
    assert after['spec.storage[1].defaults.qosPolicy'] == 'dsaas-performance'
    assert after['metadata.labels["app.kubernetes.io/managed-by"]'] == MANAGED_BY


def test_flatten_keys():
    assert flatten({'a': {'b.c': 1, 'd': [{'e': 2}], 'f': [1, 2], 'g': {}}}, 'x') == {
        'x.a["b.c"]': 1, 'x.a.d[0].e': 2, 'x.a.f': [1, 2], 'x.a.g': {}}


def test_secret_merge_patch_removes_keys_no_longer_wanted():
    current = {'username': 'u', 'password': 'p', 'chapUsername': 'c'}
    patch = secret_merge_patch(current, {'username': 'u', 'password': 'q'}, 'b')
    assert patch['data']['chapUsername'] is None
    assert base64.b64decode(patch['data']['password']) == b'q'
    assert patch['metadata']['annotations'] == {OWNER_ANNOTATION: 'b'}


def test_status_and_wait_verdict():
    tbc = {'status': {'phase': 'Bound', 'lastOperationStatus': 'Success', 'message': "Backend 'b' created",
                      'backendInfo': {'backendName': 'b', 'backendUUID': 'u-1'}, 'deletionPolicy': 'retain'}}
    status = backend_status(tbc)
    assert status == dict(phase='Bound', last_operation_status='Success', message="Backend 'b' created",
                          backend_name='b', backend_uuid='u-1', deletion_policy='retain')
    assert wait_verdict(status, fresh=False) == 'ready'
    failed = backend_status({'status': {'phase': 'Unbound', 'lastOperationStatus': 'Failed', 'message': 'no'}})
    assert wait_verdict(failed, fresh=True) == 'failed'
    assert wait_verdict(failed, fresh=False) == 'pending'
    assert wait_verdict(backend_status({}), fresh=True) == 'pending'
    assert backend_status(None)['phase'] is None


# ------------------------------------------------------------------------------ selectors and tiers ---

@pytest.mark.parametrize('selector,labels,expected', [
    ('dsaas_tier=student', {'dsaas_tier': 'student'}, True),
    ('dsaas_tier == student', {'dsaas_tier': 'student'}, True),
    ('dsaas_tier=student', {'dsaas_tier': 'researcher'}, False),
    ('dsaas_tier!=student', {'dsaas_tier': 'researcher'}, True),
    ('dsaas_tier!=student', {}, False),
    ('tier in (gold, silver)', {'tier': 'silver'}, True),
    ('tier notin (gold)', {}, True),
    ('tier notin (gold)', {'tier': 'gold'}, False),
    ('performance', {'performance': 'x'}, True),
    ('!performance', {'performance': 'x'}, False),
    ('a=1; b=2', {'a': '1', 'b': '2'}, True),
    ('a=1; b=2', {'a': '1'}, False),
])
def test_selector_matching_as_trident(selector, labels, expected):
    assert selector_matches(parse_selector(selector), labels) is expected


@pytest.mark.parametrize('selector', ['', 'dsaas.tier=student', 'a=', 'a in b'])
def test_invalid_selectors(selector):
    with pytest.raises(ValueError):
        parse_selector(selector)


BACKENDS = [{'name': 'dsaas-nas', 'driver': 'ontap-nas', 'config': NAS_CONFIG}]
TIERS = [
    {'name': 'student', 'storage_class': 'dsaas-student', 'selector': 'dsaas_tier=student',
     'snapshot_policy': 'dsaas-daily', 'qos_policy': 'dsaas-balanced', 'default': True},
    {'name': 'researcher', 'storage_class': 'dsaas-researcher', 'selector': 'dsaas_tier=researcher',
     'snapshot_policy': 'dsaas-hourly', 'qos_policy': 'dsaas-performance'},
]


def test_pools_inherit_backend_labels_and_defaults():
    pools = backend_pools(BACKENDS[0])
    assert [pool['name'] for pool in pools] == ['dsaas-nas_pool_0', 'dsaas-nas_pool_1']
    assert pools[0]['labels'] == {'cluster': 'dsaas', 'dsaas_tier': 'student'}
    assert pools[0]['defaults']['spaceReserve'] == 'none' and pools[0]['defaults']['snapshotPolicy'] == 'dsaas-daily'
    plain = backend_pools({'name': 'b', 'config': {'labels': {'x': 'y'}}})
    assert plain == [dict(name='b', backend='b', driver=None, labels={'x': 'y'}, defaults={})]


def test_tiers_that_match_their_pools():
    assert tier_errors(TIERS, BACKENDS) == []


def test_tier_selecting_no_pool_says_what_exists():
    tiers = [dict(TIERS[0], selector='dsaas_tier=guest')]
    (error,) = tier_errors(tiers, BACKENDS)
    assert error.startswith("tier student: selector 'dsaas_tier=guest' matches no virtual pool of any backend")
    assert 'dsaas-nas_pool_0 {cluster=dsaas, dsaas_tier=student}' in error
    (error,) = tier_errors(TIERS[:1], [dict(BACKENDS[0], state='absent')])
    assert 'pools: none' in error


def test_tier_whose_pools_carry_other_policies():
    tiers = [dict(TIERS[0], snapshot_policy='dsaas-hourly')]
    assert tier_errors(tiers, BACKENDS) == [
        "tier student selects pool dsaas-nas_pool_0 whose snapshotPolicy is 'dsaas-daily', not the tier's dsaas-hourly"]


def test_tier_backend_type_and_defaults():
    assert tier_errors([dict(TIERS[0], backend_type='ontap-san')], BACKENDS)[0].endswith('(pools: none)')
    errors = tier_errors([TIERS[0], dict(TIERS[1], default=True)], BACKENDS)
    assert errors == ['only one tier can be the default StorageClass (found student, researcher)']
    assert 'invalid selector' in tier_errors([dict(TIERS[0], selector='dsaas.tier=x')], BACKENDS)[0]


def test_storage_class_of_a_tier():
    manifest = storage_class(dict(TIERS[0], backend_type='ontap-nas', parameters={'snapshots': True}))
    assert manifest['provisioner'] == 'csi.trident.netapp.io'
    assert manifest['parameters'] == {'selector': 'dsaas_tier=student', 'backendType': 'ontap-nas',
                                      'snapshots': 'true'}
    assert manifest['reclaimPolicy'] == 'Retain' and manifest['allowVolumeExpansion'] is True
    assert manifest['metadata']['annotations'] == {'storageclass.kubernetes.io/is-default-class': 'true'}
    assert storage_class(TIERS[1])['metadata']['annotations'] == {'storageclass.kubernetes.io/is-default-class':
                                                                  'false'}


def test_storage_class_replacement_when_immutable_fields_differ():
    desired = [storage_class(tier) for tier in TIERS]
    existing = [dict(desired[0]), dict(desired[1], parameters={'selector': 'old=1'})]
    assert storage_class_replacements(desired, existing) == ['dsaas-researcher']
    assert storage_class_replacements(desired, []) == []


# ------------------------------------------------------------------------------ operator values ---

CONTRACT_TEXT = '''
# tridentControllerPluginNodeSelector additional nodeSelectors
# tridentControllerPluginNodeSelector : {}
nodeSelector: {}
imageRegistry: ""
#tridentLogLevel: "info"
## ref: https://kubernetes.io/docs/user-guide/node-selection/
resources:
  operator:
    requests:
      cpu: 10m
'''
CONTRACT = {'nodeSelector': {}, 'imageRegistry': '',
            'resources': {'operator': {'requests': {'cpu': '10m'}}}}


def test_commented_keys_are_documented_values():
    assert commented_keys(CONTRACT_TEXT) == ['tridentControllerPluginNodeSelector', 'tridentLogLevel']


def test_operator_values_against_the_chart():
    documented = commented_keys(CONTRACT_TEXT)
    good = {'imageRegistry': 'mirror.corp.example', 'nodeSelector': {'any': 'thing'}, 'tridentLogLevel': 'debug',
            'resources': {'operator': {'requests': {'cpu': '20m'}}}}
    assert operator_values_errors(good, CONTRACT, documented) == []
    bad = {'imageRegistri': 'x', 'resources': {'operator': {'request': {}}}}
    assert operator_values_errors(bad, CONTRACT, documented) == [
        'operator values: imageRegistri is not a value of the trident-operator chart; did you mean imageRegistry?',
        'operator values: resources.operator.request is not a value of the trident-operator chart; '
        'did you mean resources.operator.requests?']
