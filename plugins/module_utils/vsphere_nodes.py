# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The vsphere_nodes role's plan: pure logic, no vCenter.

``plan_nodes(nodes, settings, found)`` checks the inventory's node VMs (IPs, sizes, HA) against the
segment and against what vCenter has (``found``: the result of dsaas.platform.vsphere_inventory_info),
and says for every node what to do: create, reconfigure (with or without a power-off), destroy or nothing.
Every error is one line that names the object and, for a lookup, what exists instead.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

# kubeadm's preflight checks (NumCPU, Mem) on a control plane: 2 CPUs and 1700 MiB.
# Workers: kubeadm join checks neither; we require kubeadm's documented install minimum of 2 GB RAM per
# machine and 1 CPU, below which the kubelet, container runtime and CNI leave no room for pods.
MIN_SIZES = {
    'control_plane': {'cpus': 2, 'memory_mb': 1700},
    'worker': {'cpus': 1, 'memory_mb': 2048},
}
GROUP_WORDS = {'control_plane': 'control plane', 'worker': 'worker'}
HA_MIN_CONTROL_PLANES = 3


def names(items):
    """A sorted, comma-separated list for messages ('none' when empty)."""
    items = sorted(set(str(item) for item in items or []), key=str.lower)
    return ', '.join(items) if items else 'none'


def missing(kind, name, where, existing):
    return "%s '%s' not found%s; found: %s" % (kind, name, where, names(existing))


def folder_path(folder, datacenter):
    """The VM folder relative to the datacenter's vm folder: '/DC/vm/a/b', 'DC/vm/a/b', 'vm/a/b', 'a/b' -> 'a/b'."""
    parts = [part for part in str(folder or '').split('/') if part]
    if len(parts) >= 2 and parts[0] == datacenter and parts[1] == 'vm':
        parts = parts[2:]
    elif parts and parts[0] == 'vm':
        parts = parts[1:]
    return '/'.join(parts)


def segment(cidr):
    """The segment as an ip_network, or an error string."""
    try:
        return ipaddress.ip_network(str(cidr), strict=True), None
    except ValueError as exc:
        return None, 'vsphere_nodes_network_cidr %s is not a network: %s' % (cidr, exc)


def ip_errors(nodes, network, gateway, in_use):
    """IPs outside the segment, the segment's own addresses, the gateway, duplicates, and IPs other VMs hold."""
    errors = []
    seen = {}
    for node in nodes:
        text = node.get('ip')
        if not text:
            errors.append('%s: no IP (set node_ip in the inventory)' % node['name'])
            continue
        try:
            address = ipaddress.ip_address(str(text))
        except ValueError:
            errors.append('%s: %s is not an IP address' % (node['name'], text))
            continue
        seen.setdefault(str(address), []).append(node['name'])
        if network is None:
            continue
        if address not in network:
            errors.append('%s: IP %s is outside the segment %s' % (node['name'], address, network))
        elif network.num_addresses > 2 and address in (network.network_address, network.broadcast_address):
            errors.append('%s: IP %s is the %s address of %s' % (
                node['name'], address, 'network' if address == network.network_address else 'broadcast', network))
        elif gateway and str(address) == str(gateway):
            errors.append('%s: IP %s is the gateway' % (node['name'], address))
    for address, holders in sorted(seen.items()):
        if len(holders) > 1:
            errors.append('IP %s is used twice: %s' % (address, ', '.join(holders)))
    for node in nodes:
        other = (in_use or {}).get(str(node.get('ip')))
        if other and other != node.get('vm_name'):
            errors.append("%s: IP %s is in use by VM '%s'" % (node['name'], node['ip'], other))
    return errors


def size_errors(nodes, min_sizes=None):
    errors = []
    min_sizes = min_sizes or MIN_SIZES
    for node in nodes:
        minimum = min_sizes[node['group']]
        for key, unit in (('cpus', 'CPUs'), ('memory_mb', 'MiB')):
            value = node.get(key)
            if not isinstance(value, int) or isinstance(value, bool):
                errors.append('%s: %s is %r, not a number' % (node['name'], key, value))
            elif value < minimum[key]:
                errors.append('%s: %d %s is below the %s minimum of %d %s' % (
                    node['name'], value, unit, GROUP_WORDS[node['group']], minimum[key], unit))
        disks = node.get('disks_gb')
        if not disks or not all(isinstance(size, int) and size > 0 for size in disks):
            errors.append('%s: disks_gb must be a list of sizes in GB, not %r' % (node['name'], disks))
    return errors


def ha_errors(nodes, ha, cluster_hosts):
    control_planes = [node['name'] for node in nodes if node['group'] == 'control_plane']
    if not ha:
        return []
    if len(control_planes) < HA_MIN_CONTROL_PLANES:
        return ['vsphere_nodes_ha needs at least %d control planes; the inventory has %d: %s' % (
            HA_MIN_CONTROL_PLANES, len(control_planes), names(control_planes))]
    if cluster_hosts is not None and cluster_hosts < len(control_planes):
        return ['the anti-affinity rule needs a host per control plane: %d control planes, %d hosts in the cluster' % (
            len(control_planes), cluster_hosts)]
    return []


def lookup_errors(settings, found):
    """Every object the clones need, with what exists when one is missing."""
    errors = []
    datacenter = settings['datacenter']
    if datacenter not in found.get('datacenters', []):
        return [missing('datacenter', datacenter, '', found.get('datacenters'))]
    where = ' in datacenter %s' % datacenter
    cluster = found.get('clusters', {}).get(settings['cluster'])
    if cluster is None:
        errors.append(missing('cluster', settings['cluster'], where, found.get('clusters', {})))
    elif settings.get('resource_pool') and settings['resource_pool'] not in cluster.get('resource_pools', []):
        errors.append(missing('resource pool', settings['resource_pool'], ' in cluster %s' % settings['cluster'],
                              cluster.get('resource_pools')))
    if settings['datastore'] not in found.get('datastores', []):
        errors.append(missing('datastore', settings['datastore'], where, found.get('datastores')))
    if settings['portgroup'] not in found.get('portgroups', []):
        errors.append(missing('portgroup', settings['portgroup'], where, found.get('portgroups')))
    if settings['template'] not in found.get('templates', {}):
        errors.append(missing('template', settings['template'], where, found.get('templates', {})))
    folder = folder_path(settings['folder'], datacenter)
    folders = found.get('folders', [])
    if folder and folder not in folders and not settings.get('folder_create'):
        errors.append(missing('VM folder', folder, where + ' (vsphere_nodes_folder_create is false)', folders))
    return errors


def node_changes(node, vm, template_disks):
    """What differs between the node's sizing and its VM (or the template for a new VM)."""
    errors = []
    changes = {}
    current_disks = vm['disks_gb'] if vm else template_disks
    for index, size in enumerate(node['disks_gb']):
        if index < len(current_disks) and size < current_disks[index]:
            errors.append('%s: disk %d is %d GB%s; it cannot shrink to %d GB' % (
                node['name'], index + 1, current_disks[index], '' if vm else ' in the template', size))
    if vm and len(node['disks_gb']) < len(vm['disks_gb']):
        errors.append('%s: the VM has %d disks; removing disks is not done here (disks_gb lists %d)' % (
            node['name'], len(vm['disks_gb']), len(node['disks_gb'])))
    if vm is None:
        return changes, errors
    if node['cpus'] != vm['cpus']:
        changes['cpus'] = {'before': vm['cpus'], 'after': node['cpus']}
    if node['memory_mb'] != vm['memory_mb']:
        changes['memory_mb'] = {'before': vm['memory_mb'], 'after': node['memory_mb']}
    if node['disks_gb'] != vm['disks_gb'][:len(node['disks_gb'])] or len(node['disks_gb']) > len(vm['disks_gb']):
        changes['disks_gb'] = {'before': vm['disks_gb'], 'after': node['disks_gb']}
    return changes, errors


def needs_power_off(changes, vm):
    """A running VM takes more CPUs or memory only with hot add enabled, and never fewer."""
    if not vm or not vm.get('powered_on'):
        return False
    cpus = changes.get('cpus')
    memory = changes.get('memory_mb')
    if cpus and (cpus['after'] < cpus['before'] or not vm.get('cpu_hot_add')):
        return True
    if memory and (memory['after'] < memory['before'] or not vm.get('memory_hot_add')):
        return True
    return False


def plan_nodes(nodes, settings, found):
    """errors (all of them, one line each) and, when there are none, what to do per node and for the DRS rule.

    nodes: name, vm_name, group (control_plane or worker), ip, cpus, memory_mb, disks_gb.
    settings: datacenter, cluster, resource_pool, folder, folder_create, datastore, portgroup, template,
    network_cidr, gateway, ha, state, allow_decommission, drs_rule, min_sizes.
    found: dsaas.platform.vsphere_inventory_info's result.
    """
    state = settings.get('state', 'present')
    errors = []
    if state == 'absent' and settings.get('allow_decommission') is not True:
        return dict(errors=['vsphere_nodes_state is absent but vsphere_nodes_allow_decommission is not true: '
                            'refusing to destroy the node VMs %s' % names(n['vm_name'] for n in nodes)],
                    nodes=[], drs_rule=None, changes=0)
    if not nodes:
        errors.append('no node VMs: the groups %s are empty' % names(settings.get('groups', [])))
    vms = dict((vm['name'], vm) for vm in found.get('vms', []))
    folder = folder_path(settings['folder'], settings['datacenter'])
    for node in nodes:
        vm = vms.get(node['vm_name'])
        if vm and vm['folder'] != folder:
            errors.append("%s: a VM '%s' exists in folder '%s', not in %s" % (
                node['name'], node['vm_name'], vm['folder'], folder or 'the root VM folder'))
    if state == 'absent':
        if errors:
            return dict(errors=errors, nodes=[], drs_rule=None, changes=0)
        planned = [dict(node, action='destroy' if node['vm_name'] in vms else 'none', changes={},
                        exists=node['vm_name'] in vms, power_off=False, power_on=False) for node in nodes]
        rule = settings.get('drs_rule')
        rule_exists = rule in found.get('drs_rules', {})
        return dict(errors=[], nodes=planned, changes=sum(1 for n in planned if n['action'] == 'destroy'),
                    drs_rule=dict(name=rule, action='delete' if rule_exists else 'none'))
    errors += lookup_errors(settings, found)
    network, error = segment(settings.get('network_cidr'))
    if error:
        errors.append(error)
    gateway = settings.get('gateway')
    if network is not None and gateway:
        try:
            if ipaddress.ip_address(str(gateway)) not in network:
                errors.append('gateway %s is outside the segment %s' % (gateway, network))
        except ValueError:
            errors.append('gateway %s is not an IP address' % gateway)
    errors += ip_errors(nodes, network, gateway, found.get('ips_in_use'))
    errors += size_errors(nodes, settings.get('min_sizes'))
    cluster = found.get('clusters', {}).get(settings['cluster'])
    errors += ha_errors(nodes, settings.get('ha'), cluster['hosts'] if cluster else None)
    if errors:
        return dict(errors=errors, nodes=[], drs_rule=None, changes=0)
    template_disks = found['templates'][settings['template']]['disks_gb']
    planned = []
    for node in nodes:
        vm = vms.get(node['vm_name'])
        changes, disk_errors = node_changes(node, vm, template_disks)
        errors += disk_errors
        if vm is None:
            action = 'create'
        elif changes:
            action = 'reconfigure'
        else:
            action = 'none'
        planned.append(dict(node, action=action, changes=changes, exists=vm is not None,
                            power_off=needs_power_off(changes, vm),
                            power_on=bool(vm) and not vm.get('powered_on'),
                            netmask=str(network.netmask), prefix=network.prefixlen,
                            disks=[dict(size_gb=size, type='thin') for size in node['disks_gb']]))
    if errors:
        return dict(errors=errors, nodes=[], drs_rule=None, changes=0)
    rule = None
    if settings.get('ha'):
        members = sorted(node['vm_name'] for node in nodes if node['group'] == 'control_plane')
        current = found.get('drs_rules', {}).get(settings.get('drs_rule'))
        wanted = dict(vms=members, mandatory=True, enabled=True, affinity=False)
        if current is None:
            rule_action = 'create'
        elif dict(current, vms=sorted(current.get('vms', []))) != wanted:
            rule_action = 'update'
        else:
            rule_action = 'none'
        rule = dict(name=settings.get('drs_rule'), vms=members, action=rule_action)
    count = sum(1 for node in planned if node['action'] != 'none' or node['power_on'])
    count += 1 if rule and rule['action'] != 'none' else 0
    return dict(errors=[], nodes=planned, drs_rule=rule, changes=count)
