# -*- coding: utf-8 -*-
# The vsphere_nodes plan: lookups that say what exists, IPs, sizes, HA, disks, actions, decommission: no vCenter.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.dsaas.platform.plugins.module_utils.vsphere_nodes import (
    MIN_SIZES,
    folder_path,
    needs_power_off,
    plan_nodes,
)

SETTINGS = {
    'datacenter': 'dc', 'cluster': 'cl', 'resource_pool': None, 'folder': 'dsaas/k8s', 'folder_create': False,
    'datastore': 'ds1', 'portgroup': 'k8s-segment', 'template': 'tpl', 'network_cidr': '10.0.0.0/24',
    'gateway': '10.0.0.1', 'ha': True, 'drs_rule': 'anti', 'state': 'present', 'allow_decommission': False,
    'groups': ['k8s_control_plane', 'k8s_workers'],
}


def found(**overrides):
    base = {
        'datacenters': ['dc'], 'folders': ['dsaas', 'dsaas/k8s', 'other'],
        'clusters': {'cl': {'hosts': 3, 'resource_pools': ['Resources', 'rp1']}},
        'datastores': ['ds1', 'ds2'], 'portgroups': ['VM Network', 'k8s-segment'],
        'templates': {'tpl': {'cpus': 2, 'memory_mb': 4096, 'disks_gb': [20]}},
        'vms': [], 'ips_in_use': {}, 'drs_rules': {},
    }
    base.update(overrides)
    return base


def node(name, group='control_plane', ip=None, cpus=2, memory_mb=4096, disks_gb=None):
    return {'name': name, 'vm_name': name, 'group': group, 'ip': ip, 'cpus': cpus, 'memory_mb': memory_mb,
            'disks_gb': disks_gb or [40]}


def nodes():
    return [node('cp-1', ip='10.0.0.11'), node('cp-2', ip='10.0.0.12'), node('cp-3', ip='10.0.0.13'),
            node('w-1', 'worker', '10.0.0.21', 4, 8192, [60, 100]), node('w-2', 'worker', '10.0.0.22', 4, 8192, [60, 100])]


def vm(spec, **overrides):
    base = {'name': spec['vm_name'], 'folder': 'dsaas/k8s', 'cpus': spec['cpus'], 'memory_mb': spec['memory_mb'],
            'disks_gb': list(spec['disks_gb']), 'portgroups': ['k8s-segment'], 'ip': spec['ip'], 'powered_on': True,
            'cpu_hot_add': False, 'memory_hot_add': False, 'host': 'h1'}
    base.update(overrides)
    return base


def plan(node_list=None, found_=None, **settings):
    return plan_nodes(nodes() if node_list is None else node_list, dict(SETTINGS, **settings), found_ or found())


def test_fresh_state_creates_every_node_and_the_rule():
    result = plan()
    assert result['errors'] == []
    assert [n['action'] for n in result['nodes']] == ['create'] * 5
    assert result['nodes'][0]['netmask'] == '255.255.255.0' and result['nodes'][0]['prefix'] == 24
    assert result['nodes'][3]['disks'] == [{'size_gb': 60, 'type': 'thin'}, {'size_gb': 100, 'type': 'thin'}]
    assert result['drs_rule'] == {'name': 'anti', 'vms': ['cp-1', 'cp-2', 'cp-3'], 'action': 'create'}
    assert result['changes'] == 6


def test_nothing_to_do_when_everything_matches():
    specs = nodes()
    rules = {'anti': {'vms': ['cp-3', 'cp-1', 'cp-2'], 'mandatory': True, 'enabled': True, 'affinity': False}}
    result = plan(specs, found(vms=[vm(s) for s in specs], drs_rules=rules,
                               ips_in_use=dict((s['ip'], s['vm_name']) for s in specs)))
    assert result['errors'] == [] and result['changes'] == 0
    assert [n['action'] for n in result['nodes']] == ['none'] * 5
    assert result['drs_rule']['action'] == 'none'


def test_a_rule_with_other_members_or_soft_is_updated():
    specs = nodes()
    rules = {'anti': {'vms': ['cp-1', 'cp-2'], 'mandatory': True, 'enabled': True, 'affinity': False}}
    assert plan(specs, found(vms=[vm(s) for s in specs], drs_rules=rules))['drs_rule']['action'] == 'update'
    rules = {'anti': {'vms': ['cp-1', 'cp-2', 'cp-3'], 'mandatory': False, 'enabled': True, 'affinity': False}}
    assert plan(specs, found(vms=[vm(s) for s in specs], drs_rules=rules))['drs_rule']['action'] == 'update'


def test_changed_memory_reconfigures_one_vm_with_a_power_off():
    specs = nodes()
    vms = [vm(s) for s in specs]
    vms[4]['memory_mb'] = 4096
    rule = {'vms': ['cp-1', 'cp-2', 'cp-3'], 'mandatory': True, 'enabled': True, 'affinity': False}
    result = plan(specs, found(vms=vms, drs_rules={'anti': rule}))
    assert [n['action'] for n in result['nodes']] == ['none'] * 4 + ['reconfigure']
    assert result['nodes'][4]['changes'] == {'memory_mb': {'before': 4096, 'after': 8192}}
    assert result['nodes'][4]['power_off'] is True and result['changes'] == 1


def test_power_off_only_when_a_running_vm_cannot_take_it_hot():
    grow = {'memory_mb': {'before': 4096, 'after': 8192}}
    assert needs_power_off(grow, {'powered_on': True, 'memory_hot_add': True}) is False
    assert needs_power_off(grow, {'powered_on': True, 'memory_hot_add': False}) is True
    assert needs_power_off(grow, {'powered_on': False}) is False
    shrink = {'cpus': {'before': 4, 'after': 2}}
    assert needs_power_off(shrink, {'powered_on': True, 'cpu_hot_add': True}) is True
    assert needs_power_off({'disks_gb': {'before': [40], 'after': [50]}}, {'powered_on': True}) is False


def test_a_powered_off_vm_is_powered_on():
    specs = nodes()
    vms = [vm(s) for s in specs]
    vms[0]['powered_on'] = False
    result = plan(specs, found(vms=vms))
    assert result['nodes'][0]['power_on'] is True and result['nodes'][0]['action'] == 'none'


def test_missing_objects_are_named_with_what_exists():
    errors = plan(template='tpl-x', datastore='ds9', portgroup='pg-x', folder='nope')['errors']
    assert "datastore 'ds9' not found in datacenter dc; found: ds1, ds2" in errors
    assert "portgroup 'pg-x' not found in datacenter dc; found: k8s-segment, VM Network" in errors
    assert "template 'tpl-x' not found in datacenter dc; found: tpl" in errors
    assert ("VM folder 'nope' not found in datacenter dc (vsphere_nodes_folder_create is false); "
            "found: dsaas, dsaas/k8s, other") in errors
    assert plan(folder='nope', folder_create=True)['errors'] == []
    assert plan(datacenter='dc9')['errors'] == ["datacenter 'dc9' not found; found: dc"]
    assert plan(cluster='cl9')['errors'][0] == "cluster 'cl9' not found in datacenter dc; found: cl"
    assert plan(resource_pool='rp9')['errors'] == [
        "resource pool 'rp9' not found in cluster cl; found: Resources, rp1"]


def test_folder_paths_relative_or_absolute():
    assert folder_path('/dc/vm/dsaas/k8s', 'dc') == 'dsaas/k8s'
    assert folder_path('dc/vm/dsaas/', 'dc') == 'dsaas'
    assert folder_path('vm/dsaas', 'dc') == 'dsaas'
    assert folder_path('/dc/vm', 'dc') == ''


def test_ip_outside_the_segment_or_used_twice_or_taken():
    specs = nodes()
    specs[0]['ip'] = '10.9.9.9'
    specs[2]['ip'] = '10.0.0.12'
    specs[3]['ip'] = '10.0.0.255'
    specs[4]['ip'] = 'ten'
    errors = plan(specs)['errors']
    assert 'cp-1: IP 10.9.9.9 is outside the segment 10.0.0.0/24' in errors
    assert 'IP 10.0.0.12 is used twice: cp-2, cp-3' in errors
    assert 'w-1: IP 10.0.0.255 is the broadcast address of 10.0.0.0/24' in errors
    assert 'w-2: ten is not an IP address' in errors
    specs = nodes()
    specs[1]['ip'] = '10.0.0.1'
    specs[2]['ip'] = None
    errors = plan(specs, found(ips_in_use={'10.0.0.21': 'someone-else'}))['errors']
    assert errors == ['cp-2: IP 10.0.0.1 is the gateway', 'cp-3: no IP (set node_ip in the inventory)',
                      "w-1: IP 10.0.0.21 is in use by VM 'someone-else'"]


def test_bad_segment_and_gateway():
    assert plan(network_cidr='10.0.0.1/24')['errors'][0].startswith('vsphere_nodes_network_cidr 10.0.0.1/24 is not a')
    assert 'gateway 10.1.0.1 is outside the segment 10.0.0.0/24' in plan(gateway='10.1.0.1')['errors']


def test_ha_needs_three_control_planes_and_a_host_each():
    specs = [n for n in nodes() if n['name'] != 'cp-3']
    assert plan(specs)['errors'] == ['vsphere_nodes_ha needs at least 3 control planes; the inventory has 2: cp-1, cp-2']
    result = plan(specs, ha=False)
    assert result['errors'] == [] and result['drs_rule'] is None
    two_hosts = found(clusters={'cl': {'hosts': 2, 'resource_pools': ['Resources']}})
    assert plan(None, two_hosts)['errors'] == [
        'the anti-affinity rule needs a host per control plane: 3 control planes, 2 hosts in the cluster']


def test_sizes_below_the_minimum():
    specs = nodes()
    specs[0]['memory_mb'] = 1024
    specs[1]['cpus'] = 1
    specs[3]['memory_mb'] = 1024
    specs[4]['cpus'] = None
    errors = plan(specs)['errors']
    assert errors == [
        'cp-1: 1024 MiB is below the control plane minimum of 1700 MiB',
        'cp-2: 1 CPUs is below the control plane minimum of 2 CPUs',
        'w-1: 1024 MiB is below the worker minimum of 2048 MiB',
        'w-2: cpus is None, not a number',
    ]
    assert MIN_SIZES['control_plane'] == {'cpus': 2, 'memory_mb': 1700}


def test_disks_never_shrink():
    specs = nodes()
    specs[0]['disks_gb'] = [10]
    assert plan(specs)['errors'] == ['cp-1: disk 1 is 20 GB in the template; it cannot shrink to 10 GB']
    specs = nodes()
    vms = [vm(s) for s in specs]
    vms[3]['disks_gb'] = [80, 100]
    assert plan(specs, found(vms=vms))['errors'] == ['w-1: disk 1 is 80 GB; it cannot shrink to 60 GB']
    vms = [vm(s) for s in specs]
    vms[3]['disks_gb'] = [60, 100, 10]
    assert plan(specs, found(vms=vms))['errors'] == [
        'w-1: the VM has 3 disks; removing disks is not done here (disks_gb lists 2)']
    vms = [vm(s) for s in specs]
    vms[3]['disks_gb'] = [60]
    result = plan(specs, found(vms=vms))
    assert result['nodes'][3]['changes'] == {'disks_gb': {'before': [60], 'after': [60, 100]}}
    assert result['nodes'][3]['power_off'] is False


def test_a_vm_of_that_name_in_another_folder_is_an_error():
    specs = nodes()
    errors = plan(specs, found(vms=[vm(specs[0], folder='other')]))['errors']
    assert errors == ["cp-1: a VM 'cp-1' exists in folder 'other', not in dsaas/k8s"]


def test_decommission_needs_the_safety_variable():
    specs = nodes()
    refused = plan(specs, found(vms=[vm(s) for s in specs]), state='absent')
    assert refused['errors'] == ['vsphere_nodes_state is absent but vsphere_nodes_allow_decommission is not true: '
                                 'refusing to destroy the node VMs cp-1, cp-2, cp-3, w-1, w-2']
    rules = {'anti': {'vms': ['cp-1'], 'mandatory': True, 'enabled': True, 'affinity': False}}
    result = plan(specs, found(vms=[vm(s) for s in specs[:2]], drs_rules=rules), state='absent',
                  allow_decommission=True)
    assert [n['action'] for n in result['nodes']] == ['destroy', 'destroy', 'none', 'none', 'none']
    assert result['drs_rule'] == {'name': 'anti', 'action': 'delete'} and result['changes'] == 2


def test_every_error_at_once_and_no_plan():
    specs = copy.deepcopy(nodes())
    specs[0]['ip'] = '192.168.1.1'
    specs[3]['memory_mb'] = 512
    result = plan(specs, template='nope')
    assert len(result['errors']) == 3 and result['nodes'] == [] and result['changes'] == 0


def test_no_nodes():
    assert plan([])['errors'][0] == 'no node VMs: the groups k8s_control_plane, k8s_workers are empty'
