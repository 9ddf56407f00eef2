#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: vsphere_inventory_info
short_description: What a datacenter has for cloning node VMs, in one call
version_added: 0.1.0
description:
  - Reads, in one login and a few property-collector calls, everything the vsphere_nodes role checks before
    it changes anything, so that a missing object is reported with what exists instead.
  - The datacenters; in O(datacenter) its VM folders (paths relative to the datacenter's vm folder), clusters with
    their number of hosts and resource pools, datastores, networks (standard and distributed portgroups),
    templates with their disk sizes, the VMs named in O(vm_names) with their sizing, folder, power state and IP,
    the guest IPs every VM reports, and the DRS VM-VM rules of O(cluster).
  - community.vmware has an info module per object type (folder, datastore, portgroup, guest, DRS rule); none
    lists all of them, and none says which IPs the datacenter's VMs hold. This module adds that; it changes nothing.
author:
  - dsaas.platform maintainers (@dsaas-platform)
extends_documentation_fragment:
  - vmware.vmware.base_options
  - dsaas.platform.vcenter
options:
  datacenter:
    description:
      - The datacenter to read.
    type: str
    required: true
  cluster:
    description:
      - The cluster whose DRS rules are returned.
    type: str
  vm_names:
    description:
      - VMs (any folder of the datacenter) whose details are returned in RV(vms); others only count for RV(ips_in_use).
    type: list
    elements: str
    default: []
notes:
  - Supports check mode (it only reads).
'''

EXAMPLES = r'''
- name: Read what the datacenter has
  dsaas.platform.vsphere_inventory_info:
    hostname: vcenter.corp.example
    username: svc-dsaas@vsphere.local
    password: "{{ vault_vcenter_password }}"
    ca_file: /etc/pki/corp/corp-root-ca.pem
    datacenter: DC-Hospital
    cluster: CL-Research
    vm_names: [k8s-cp-1, k8s-cp-2]
  register: found
'''

RETURN = r'''
datacenters:
  description: Names of all datacenters.
  returned: always
  type: list
  elements: str
folders:
  description: VM folders of the datacenter, as paths relative to its vm folder (C(dsaas/k8s)).
  returned: always
  type: list
  elements: str
clusters:
  description: Clusters of the datacenter by name, with C(hosts) (a count) and C(resource_pools) (names).
  returned: always
  type: dict
datastores:
  description: Datastore names.
  returned: always
  type: list
  elements: str
portgroups:
  description: Network names (standard networks and distributed portgroups).
  returned: always
  type: list
  elements: str
templates:
  description: Templates by name, with C(cpus), C(memory_mb) and C(disks_gb).
  returned: always
  type: dict
vms:
  description:
    - The VMs of O(vm_names) that exist, each with C(name), C(folder), C(cpus), C(memory_mb), C(disks_gb),
      C(portgroups), C(ip), C(powered_on), C(cpu_hot_add), C(memory_hot_add), C(host).
  returned: always
  type: list
  elements: dict
ips_in_use:
  description: Guest IP address to the name of the VM that reports it (every VM of the datacenter).
  returned: always
  type: dict
drs_rules:
  description: DRS VM-VM rules of O(cluster) by name, with C(vms), C(mandatory), C(enabled), C(affinity).
  returned: always
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dsaas.platform.plugins.module_utils.vcenter import VCENTER_SPEC, vcenter_connect

try:
    from pyVmomi import vim, vmodl
except ImportError:  # pragma: no cover - community.vmware's connect fails first with its own message
    vim = vmodl = None

GB = 1024 * 1024


def collect(content, root, kind, props):
    """(object, {prop: value}) for every object of kind under root; unset properties are absent."""
    view = content.viewManager.CreateContainerView(root, [kind], True)
    try:
        collector = vmodl.query.PropertyCollector
        spec = collector.FilterSpec(
            objectSet=[collector.ObjectSpec(obj=view, skip=True, selectSet=[collector.TraversalSpec(
                name='view', path='view', skip=False, type=vim.view.ContainerView)])],
            propSet=[collector.PropertySpec(type=kind, pathSet=props)])
        result = []
        options = vmodl.query.PropertyCollector.RetrieveOptions()
        page = content.propertyCollector.RetrievePropertiesEx([spec], options)
        while page:
            result += [(item.obj, dict((prop.name, prop.val) for prop in item.propSet)) for item in page.objects]
            page = content.propertyCollector.ContinueRetrievePropertiesEx(page.token) if page.token else None
        return result
    finally:
        view.Destroy()


def folder_paths(folder, prefix=''):
    """moid -> path (relative to the datacenter's vm folder) of every folder under folder."""
    paths = {folder._moId: prefix}
    for child in folder.childEntity:
        if isinstance(child, vim.Folder):
            paths.update(folder_paths(child, '%s/%s' % (prefix, child.name) if prefix else child.name))
    return paths


def pools(pool):
    found = [pool.name]
    for child in pool.resourcePool or []:
        found += pools(child)
    return found


def vm_name(vm):
    """The name of a VM, or None for one deleted meanwhile (a rule may still name it)."""
    try:
        return vm.name
    except vmodl.fault.ManagedObjectNotFound:
        return None


def hardware(props):
    devices = props.get('config.hardware.device') or []
    disks = [int(device.capacityInKB // GB) for device in devices if isinstance(device, vim.vm.device.VirtualDisk)]
    return dict(cpus=props.get('config.hardware.numCPU'), memory_mb=props.get('config.hardware.memoryMB'),
                disks_gb=disks)


def guest_ips(props):
    ips = set()
    if props.get('guest.ipAddress'):
        ips.add(props['guest.ipAddress'])
    for nic in props.get('guest.net') or []:
        ips.update(nic.ipAddress or [])
    return ips


def read(content, params):
    datacenters = dict((props['name'], dc) for dc, props in collect(content, content.rootFolder, vim.Datacenter, ['name']))
    result = dict(datacenters=sorted(datacenters), folders=[], clusters={}, datastores=[], portgroups=[], templates={},
                  vms=[], ips_in_use={}, drs_rules={})
    dc = datacenters.get(params['datacenter'])
    if dc is None:
        return result
    paths = folder_paths(dc.vmFolder)
    result['folders'] = sorted(path for path in paths.values() if path)
    datastores = collect(content, dc.datastoreFolder, vim.Datastore, ['name'])
    result['datastores'] = sorted(props['name'] for ds, props in datastores)
    networks = dict((net._moId, props['name'])
                    for net, props in collect(content, dc.networkFolder, vim.Network, ['name']))
    result['portgroups'] = sorted(set(networks.values()))
    for cluster, props in collect(content, dc.hostFolder, vim.ClusterComputeResource, ['name', 'host', 'resourcePool']):
        result['clusters'][props['name']] = dict(hosts=len(props.get('host') or []),
                                                 resource_pools=sorted(set(pools(props['resourcePool']))))
        if props['name'] == params.get('cluster'):
            for rule in cluster.configurationEx.rule or []:
                if isinstance(rule, (vim.cluster.AntiAffinityRuleSpec, vim.cluster.AffinityRuleSpec)):
                    result['drs_rules'][rule.name] = dict(
                        vms=sorted(name for name in (vm_name(vm) for vm in rule.vm or []) if name),
                        mandatory=bool(rule.mandatory),
                        enabled=bool(rule.enabled), affinity=isinstance(rule, vim.cluster.AffinityRuleSpec))
    wanted = set(params['vm_names'] or [])
    props_wanted = ['name', 'parent', 'config.template', 'config.hardware.numCPU', 'config.hardware.memoryMB',
                    'config.hardware.device', 'config.cpuHotAddEnabled', 'config.memoryHotAddEnabled',
                    'runtime.powerState', 'runtime.host', 'guest.ipAddress', 'guest.net', 'network']
    for vm, props in collect(content, dc.vmFolder, vim.VirtualMachine, props_wanted):
        if props.get('config.template'):
            result['templates'][props['name']] = hardware(props)
            continue
        for ip in guest_ips(props):
            result['ips_in_use'].setdefault(ip, props['name'])
        if props['name'] not in wanted:
            continue
        parent = props.get('parent')
        host = props.get('runtime.host')
        result['vms'].append(dict(
            hardware(props), name=props['name'],
            folder=paths.get(parent._moId, parent.name) if parent is not None else '',
            portgroups=sorted(networks.get(net._moId, net._moId) for net in props.get('network') or []),
            ip=props.get('guest.ipAddress'),
            powered_on=props.get('runtime.powerState') == vim.VirtualMachinePowerState.poweredOn,
            cpu_hot_add=bool(props.get('config.cpuHotAddEnabled')),
            memory_hot_add=bool(props.get('config.memoryHotAddEnabled')),
            host=host.name if host is not None else None))
    result['vms'].sort(key=lambda item: item['name'])
    return result


def main():
    spec = dict(VCENTER_SPEC, datacenter=dict(type='str', required=True), cluster=dict(type='str'),
                vm_names=dict(type='list', elements='str', default=[]))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    content = vcenter_connect(module)
    try:
        found = read(content, module.params)
    except (vim.fault.VimFault, vmodl.MethodFault) as exc:
        module.fail_json(msg='vCenter %s: reading datacenter %s failed: %s' % (
            module.params['hostname'], module.params['datacenter'], getattr(exc, 'msg', None) or exc))
    module.exit_json(changed=False, **found)


if __name__ == '__main__':
    main()
