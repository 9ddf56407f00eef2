# -*- coding: utf-8 -*-
# The k8s_control_plane plan (HA count, VIP, endpoint, networks, versions, CNI) and the join secrets: no node.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.dsaas.platform.plugins.module_utils.k8s_cluster import (
    cluster_plan,
    join_secrets,
    parse_endpoint,
    version_errors,
)


def nodes(prefix, count, start):
    return [dict(name='%s-%d' % (prefix, i + 1), address='10.20.30.%d' % (start + i)) for i in range(count)]


def spec(**overrides):
    base = dict(version='1.37.2', ha=True, endpoint='', vip='10.20.30.10', node_cidr='10.20.30.0/24',
                pod_cidr='10.244.0.0/16', service_cidr='10.96.0.0/12', cni='calico', cni_manifest='calico.yaml',
                control_planes=nodes('cp', 3, 11), workers=nodes('worker', 2, 21), cert_sans=[])
    base.update(overrides)
    return base


def errors(**overrides):
    return cluster_plan(spec(**overrides))['errors']


def test_good_plan():
    plan = cluster_plan(spec(endpoint='k8s-api.example:6443', cert_sans=['api.example', '10.20.30.10']))
    assert plan['errors'] == []
    assert plan['version'] == 'v1.37.2' and plan['endpoint'] == 'k8s-api.example:6443' and plan['api_port'] == 6443
    assert plan['vip'] == '10.20.30.10' and plan['vip_prefix'] == 32
    assert plan['cert_sans'] == ['10.20.30.10', 'k8s-api.example', 'api.example']
    assert plan['first_control_plane'] == 'cp-1'
    assert [(node['name'], node['role']) for node in plan['nodes']] == [
        ('cp-1', 'init'), ('cp-2', 'control-plane'), ('cp-3', 'control-plane'),
        ('worker-1', 'worker'), ('worker-2', 'worker')]


def test_endpoint_defaults_to_the_vip():
    plan = cluster_plan(spec(version='v1.36.0'))
    assert plan['endpoint'] == '10.20.30.10:6443' and plan['version'] == 'v1.36.0'


def test_single_control_plane_without_ha_uses_its_address():
    plan = cluster_plan(spec(ha=False, vip='', node_cidr='', control_planes=nodes('cp', 1, 11)))
    assert plan['errors'] == [] and plan['endpoint'] == '10.20.30.11:6443' and plan['vip'] is None
    assert plan['cert_sans'] == ['10.20.30.11']


@pytest.mark.parametrize('count', [1, 2])
def test_ha_needs_three_control_planes(count):
    assert errors(control_planes=nodes('cp', count, 11)) == [
        'an HA control plane needs at least 3 control planes (etcd keeps quorum with one lost); the control-plane '
        'group has %d: %s' % (count, ', '.join('cp-%d' % (i + 1) for i in range(count)))]


def test_no_ha_means_one_control_plane():
    assert errors(ha=False)[0].startswith('k8s_control_plane_ha is false but the control-plane group has 3 hosts')


def test_no_control_plane():
    assert 'no control plane: the control-plane group is empty' in errors(control_planes=[])


def test_vip_outside_the_node_segment():
    assert errors(vip='10.20.31.10') == [
        'k8s_control_plane_vip 10.20.31.10 is not in the node segment 10.20.30.0/24 (kube-vip announces it by ARP '
        'there)']


def test_vip_equal_to_a_node_address():
    assert errors(vip='10.20.30.12') == [
        'k8s_control_plane_vip 10.20.30.12 is the address of node cp-2; it must be a free address']


@pytest.mark.parametrize('vip,message', [
    ('10.20.30.0', 'k8s_control_plane_vip 10.20.30.0 is the network address of the node segment 10.20.30.0/24'),
    ('10.20.30.255', 'k8s_control_plane_vip 10.20.30.255 is the broadcast address of the node segment 10.20.30.0/24'),
    ('k8s-vip', "k8s_control_plane_vip 'k8s-vip' is not an IP address"),
    ('', 'k8s_control_plane_vip is needed with HA (the address kube-vip holds for the API)'),
])
def test_bad_vip(vip, message):
    assert errors(vip=vip) == [message]


def test_ip_endpoint_must_be_the_vip():
    assert errors(endpoint='10.20.30.11:6443') == [
        'k8s_control_plane_endpoint 10.20.30.11:6443 is an address other than the VIP 10.20.30.10: the API must be '
        'reached through the VIP']


@pytest.mark.parametrize('endpoint,expected', [
    ('api.example:8443', ('api.example', 8443, None)),
    ('10.0.0.1', ('10.0.0.1', 6443, None)),
    ('[fd00::1]:6443', ('fd00::1', 6443, None)),
    ('api.example:0', (None, None, "k8s_control_plane_endpoint 'api.example:0': the port must be 1-65535")),
    ('fd00::1', (None, None, "k8s_control_plane_endpoint 'fd00::1': write an IPv6 address as [address]:port")),
    ('bad_name:6443', (None, None, "k8s_control_plane_endpoint 'bad_name:6443': 'bad_name' is neither an IP "
                                   "address nor a host name")),
])
def test_parse_endpoint(endpoint, expected):
    assert parse_endpoint(endpoint) == expected


@pytest.mark.parametrize('overrides,message', [
    (dict(pod_cidr='10.96.0.0/16'),
     'k8s_control_plane_pod_cidr 10.96.0.0/16 overlaps k8s_control_plane_service_cidr 10.96.0.0/12'),
    (dict(service_cidr='10.20.0.0/16'),
     'k8s_control_plane_node_cidr 10.20.30.0/24 overlaps k8s_control_plane_service_cidr 10.20.0.0/16'),
    (dict(pod_cidr='10.0.0.0/8'),
     'k8s_control_plane_node_cidr 10.20.30.0/24 overlaps k8s_control_plane_pod_cidr 10.0.0.0/8'),
])
def test_overlapping_networks(overrides, message):
    assert message in errors(**overrides)


@pytest.mark.parametrize('overrides,message', [
    (dict(service_cidr='10.96.0.0/11'),
     'k8s_control_plane_service_cidr 10.96.0.0/11 is larger than kube-apiserver accepts (at most /12)'),
    (dict(pod_cidr='10.244.0.0/25'), 'k8s_control_plane_pod_cidr 10.244.0.0/25 is smaller than the /24 each node is given'),
    (dict(pod_cidr='10.244.0.1/16'), "k8s_control_plane_pod_cidr '10.244.0.1/16' has host bits set (the network is "
                                     "10.244.0.0/16)"),
    (dict(service_cidr='10.96.0.0'), "k8s_control_plane_service_cidr '10.96.0.0' is not a CIDR (address/prefix, "
                                     "e.g. 10.20.30.0/24)"),
    (dict(pod_cidr=''), 'k8s_control_plane_pod_cidr is needed'),
    (dict(node_cidr=''), 'k8s_control_plane_node_cidr is needed with HA (the segment the VIP is announced on by ARP)'),
])
def test_bad_networks(overrides, message):
    assert errors(**overrides) == [message]


def test_node_addresses():
    control_planes = nodes('cp', 3, 11)
    control_planes[1]['address'] = 'cp-2'
    control_planes[2]['address'] = '10.20.40.13'
    workers = [dict(name='worker-1', address='10.20.30.11')]
    assert errors(control_planes=control_planes, workers=workers) == [
        "node cp-2 (control plane): address 'cp-2' is not an IP address (set ansible_host or "
        "k8s_control_plane_node_addresses)",
        'address 10.20.30.11 is given to cp-1 and worker-1',
        'node cp-3: address 10.20.40.13 is not in the node segment 10.20.30.0/24']


def test_node_in_both_groups():
    assert errors(workers=[dict(name='cp-1', address='10.20.30.11')])[0] == \
        'cp-1 in both the control-plane and the worker group'


@pytest.mark.parametrize('version,message', [
    ('1.37', "k8s_control_plane_version '1.37' is not a Kubernetes release (MAJOR.MINOR.PATCH, e.g. 1.37.2)"),
    ('latest', "k8s_control_plane_version 'latest' is not a Kubernetes release (MAJOR.MINOR.PATCH, e.g. 1.37.2)"),
    ('', "k8s_control_plane_version '' is not a Kubernetes release (MAJOR.MINOR.PATCH, e.g. 1.37.2)"),
    ('1.30.4', 'k8s_control_plane_version 1.30.4 is older than 1.31, the first release whose kubeadm reads the '
               'v1beta4 configuration this role writes'),
    ('2.0.0', 'k8s_control_plane_version 2.0.0: only Kubernetes 1.x is known'),
])
def test_bad_versions(version, message):
    assert version_errors(version) == [message]
    assert errors(version=version) == [message]


@pytest.mark.parametrize('overrides,message', [
    (dict(cni='flannel'), "k8s_control_plane_cni 'flannel' is not supported (one of: calico, cilium)"),
    (dict(cni='cilium', cni_manifest=''), 'k8s_control_plane_cni_manifest is needed for cilium (a URL or a file on '
                                          'the controller; Cilium publishes none: render one with helm template)'),
])
def test_cni(overrides, message):
    assert errors(**overrides) == [message]


def test_errors_accumulate():
    assert len(errors(version='x', vip='10.20.31.1', pod_cidr='10.96.0.0/16', control_planes=nodes('cp', 2, 11))) == 4


TOKEN = 'abcdef.0123456789abcdef'
HASH = 'sha256:' + 'ab' * 32
KEY = 'cd' * 32


def test_join_secrets():
    command = 'kubeadm join 10.20.30.10:6443 --token %s --discovery-token-ca-cert-hash %s \n' % (TOKEN, HASH)
    upload = '[upload-certs] Storing the certificates in Secret "kubeadm-certs"\n[upload-certs] Using certificate ' \
             'key:\n%s\n' % KEY
    assert join_secrets(command) == dict(token=TOKEN, ca_cert_hash=HASH)
    assert join_secrets(command, upload) == dict(token=TOKEN, ca_cert_hash=HASH, certificate_key=KEY)


@pytest.mark.parametrize('command,upload,message', [
    ('kubeadm join x', None, 'printed no --token'),
    ('--token ABC.def --discovery-token-ca-cert-hash %s' % HASH, None, 'not in kubeadm format'),
    ('--token %s --discovery-token-ca-cert-hash md5:00' % TOKEN, None, 'sha256:<64 hex digits>'),
    ('--token %s --discovery-token-ca-cert-hash %s' % (TOKEN, HASH), 'no key here', 'printed no certificate key'),
])
def test_join_secrets_errors_never_show_them(command, upload, message):
    with pytest.raises(ValueError) as error:
        join_secrets(command, upload)
    assert message in str(error.value)
    assert TOKEN not in str(error.value) and HASH not in str(error.value)
