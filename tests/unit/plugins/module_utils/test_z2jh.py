# -*- coding: utf-8 -*-
"""Helm's coalescing and the JSON paths of schema errors (pure)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.dsaas.platform.plugins.module_utils.z2jh import (
    PlatformValuesError, image_paths, json_path, merge_values, mirrored_images, platform_values, postgresql_url,
    schema_errors, strip_descriptions)

SCHEMA = {
    '$schema': 'http://json-schema.org/draft-07/schema#',
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'hub': {
            'type': 'object',
            'additionalProperties': False,
            'properties': {
                'db': {'type': 'object', 'properties': {'type': {'enum': ['sqlite-pvc', 'postgres']}}},
                'templatePaths': {'type': 'array', 'items': {'type': 'string'}},
            },
        },
        'cull': {'type': 'object', 'properties': {'timeout': {'type': 'integer', 'description': 'seconds'}}},
    },
}


def test_merge_coalesces_dicts_replaces_lists_and_null_removes():
    defaults = {'hub': {'db': {'type': 'sqlite-pvc', 'url': None}, 'templatePaths': ['/a']}, 'cull': {'timeout': 3600}}
    merged = merge_values(defaults, {'hub': {'db': {'type': 'postgres'}, 'templatePaths': ['/b']}},
                          {'cull': None})
    assert merged == {'hub': {'db': {'type': 'postgres', 'url': None}, 'templatePaths': ['/b']}}
    assert defaults['hub']['db']['type'] == 'sqlite-pvc', 'the defaults are not changed'


def test_merge_does_not_share_lists_with_its_input():
    fragment = {'hub': {'templatePaths': ['/b']}}
    merged = merge_values({}, fragment)
    merged['hub']['templatePaths'].append('/c')
    assert fragment == {'hub': {'templatePaths': ['/b']}}


def test_valid_values_have_no_errors():
    assert schema_errors({'hub': {'db': {'type': 'postgres'}}, 'cull': {'timeout': 60}}, SCHEMA) == []


def test_every_error_with_its_json_path_sorted():
    errors = schema_errors({'hub': {'db': {'type': 'mysql'}, 'templatePaths': ['/a', 3], 'extra': 1},
                            'cull': {'timeout': '1h'}}, SCHEMA)
    assert errors == [
        "$.cull.timeout: '1h' is not of type 'integer'",
        "$.hub: Additional properties are not allowed ('extra' was unexpected)",
        "$.hub.db.type: 'mysql' is not one of ['sqlite-pvc', 'postgres']",
        "$.hub.templatePaths[1]: 3 is not of type 'string'",
    ]


@pytest.mark.parametrize('path, text', [([], '$'), (['a', 0, 'b'], '$.a[0].b'), (['profileList', 12], '$.profileList[12]')])
def test_json_path(path, text):
    assert json_path(path) == text


def test_strip_descriptions_keeps_a_property_named_description():
    schema = {'description': 'doc', 'properties': {'description': {'type': 'string', 'description': 'doc'}}}
    assert strip_descriptions(schema) == {'properties': {'description': {'type': 'string'}}}


SETTINGS = {
    'db': {'host': 'pg.example', 'port': '5432', 'database': 'jupyterhub', 'user': 'hub@corp', 'password': 's3cret',
           'ssl_mode': 'require'},
    'cull': {'enabled': True, 'timeout': 1800, 'every': 300},
    'home': {'capacity': '10Gi', 'storage_class': 'dsaas-student'},
    'network_policy': True,
    'proxy': {'type': 'LoadBalancer', 'node_port': 30080, 'load_balancer_ip': '10.1.2.3'},
}


def test_platform_values_hub_db_on_postgresql_with_the_password_apart():
    values = platform_values(SETTINGS)
    assert values['hub']['db'] == {'type': 'postgres', 'password': 's3cret',
                                   'url': 'postgresql://hub%40corp@pg.example:5432/jupyterhub?sslmode=require'}


def test_platform_values_culling_storage_proxy():
    values = platform_values(SETTINGS)
    assert values['cull'] == {'enabled': True, 'timeout': 1800, 'every': 300}
    assert values['singleuser']['storage'] == {'type': 'dynamic', 'capacity': '10Gi',
                                               'dynamic': {'storageClass': 'dsaas-student'}}
    assert values['proxy']['service'] == {'type': 'LoadBalancer', 'nodePorts': {'http': 30080},
                                          'loadBalancerIP': '10.1.2.3'}


def test_platform_values_user_pods_fit_pod_security_restricted():
    values = platform_values(dict(SETTINGS, user_egress_cidrs=['10.20.0.0/16']))
    context = values['hub']['config']['KubeSpawner']['container_security_context']
    assert context['runAsNonRoot'] and context['capabilities'] == {'drop': ['ALL']}
    assert context['seccompProfile'] == {'type': 'RuntimeDefault'} and context['allowPrivilegeEscalation'] is False
    assert values['singleuser']['cloudMetadata'] == {'blockWithIptables': False}, 'no privileged init container'
    policy = values['singleuser']['networkPolicy']
    assert policy['egressAllowRules'] == {'cloudMetadataServer': False, 'privateIPs': False}
    assert policy['egress'] == [{'to': [{'ipBlock': {'cidr': '10.20.0.0/16'}}]}]


@pytest.mark.parametrize('change, message', [
    ({'cull': {'enabled': True, 'timeout': 0, 'every': 600}}, 'culling needs a timeout'),
    ({'db': {'host': '', 'database': 'x', 'user': 'u'}}, 'jupyterhub_db.host is empty'),
    ({'db': {'host': 'h', 'port': 'x', 'database': 'x', 'user': 'u'}}, "jupyterhub_db.port 'x' is not a port number"),
    ({'registry_credentials': {'registry': 'r', 'username': 'u'}}, 'jupyterhub_registry_credentials lacks password'),
])
def test_platform_values_refuses_bad_settings(change, message):
    with pytest.raises(PlatformValuesError, match=message):
        platform_values(dict(SETTINGS, **change))


def test_culling_off_needs_no_timeout():
    values = platform_values(dict(SETTINGS, cull={'enabled': False}))
    assert values['cull']['enabled'] is False


def test_registry_credentials_and_pull_secrets():
    values = platform_values(dict(SETTINGS, registry_credentials={'registry': 'mirror.corp', 'username': 'u',
                                                                  'password': 'p'}, image_pull_secrets=['corp-pull']))
    assert values['imagePullSecret'] == {'create': True, 'automaticReferenceInjection': True,
                                         'registry': 'mirror.corp', 'username': 'u', 'password': 'p'}
    assert values['imagePullSecrets'] == ['corp-pull']


CHART = {'hub': {'image': {'name': 'quay.io/jupyterhub/k8s-hub', 'tag': '4.4.0'}},
         'proxy': {'chp': {'image': {'name': 'quay.io/jupyterhub/configurable-http-proxy'}}},
         'scheduling': {'userPlaceholder': {'image': {'name': 'registry.k8s.io/pause'}}}}


def test_image_paths_finds_every_chart_image():
    assert image_paths(CHART) == [('hub', 'image'), ('proxy', 'chp', 'image'), ('scheduling', 'userPlaceholder', 'image')]


def test_mirror_prefixes_every_chart_image_and_keeps_tags():
    fragment = mirrored_images(CHART, 'mirror.corp/cache/')
    assert fragment == {'hub': {'image': {'name': 'mirror.corp/cache/quay.io/jupyterhub/k8s-hub'}},
                        'proxy': {'chp': {'image': {'name': 'mirror.corp/cache/quay.io/jupyterhub/configurable-http-proxy'}}},
                        'scheduling': {'userPlaceholder': {'image': {'name': 'mirror.corp/cache/registry.k8s.io/pause'}}}}
    assert merge_values(CHART, fragment)['hub']['image']['tag'] == '4.4.0'
    assert mirrored_images(CHART, '') == {}


def test_postgresql_url_without_ssl_mode():
    assert postgresql_url({'host': 'h', 'database': 'd b', 'user': 'u'}) == 'postgresql://u@h:5432/d%20b'
