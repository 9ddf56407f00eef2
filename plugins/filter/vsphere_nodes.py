# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The vsphere_nodes role's pure steps as filters; the logic and its tests live in module_utils/vsphere_nodes.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dsaas.platform.plugins.module_utils.vsphere_nodes import plan_nodes


def number(value):
    """A whole number given as text (a templated inventory value) as an int; anything else unchanged."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def vsphere_nodes_inventory(hosts, group, prefix=''):
    """The nodes of one inventory group (a list of hostvars) as the plan takes them."""
    nodes = []
    for host in hosts or []:
        name = host.get('inventory_hostname')
        disks = host.get('vsphere_nodes_disks_gb')
        nodes.append(dict(name=name, vm_name='%s%s' % (prefix or '', name), group=group,
                          ip=host.get('node_ip') or host.get('ansible_host'),
                          cpus=number(host.get('vsphere_nodes_cpus')),
                          memory_mb=number(host.get('vsphere_nodes_memory_mb')),
                          disks_gb=[number(size) for size in disks] if isinstance(disks, list) else disks))
    return nodes


def vsphere_nodes_plan(nodes, settings, found):
    """errors, and per node what to do (create, reconfigure, destroy, none), and the DRS rule."""
    return plan_nodes(list(nodes or []), dict(settings), dict(found))


class FilterModule(object):
    def filters(self):
        return {
            'vsphere_nodes_inventory': vsphere_nodes_inventory,
            'vsphere_nodes_plan': vsphere_nodes_plan,
        }
