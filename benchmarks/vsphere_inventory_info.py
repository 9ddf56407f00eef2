# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: one dsaas.platform.vsphere_inventory_info vs the community.vmware info modules for the same facts.

Reads only (creates, changes and deletes nothing in vcsim). Times, interleaved, each as ad-hoc
``ansible localhost -m ...`` runs with the JSON callback, as an operator or the role runs them:

    A  dsaas.platform.vsphere_inventory_info with the lab's arguments, as roles/vsphere_nodes calls it
       (datacenter, cluster, the node VMs of the inventory's k8s_control_plane and k8s_workers)
    B  the info modules the role would otherwise need, one ad-hoc run each, summed per round:
       datacenters, VM folders, clusters (hosts), resource pools, datastores, standard and distributed
       portgroups, VMs (folder, power, host, guest IPs), templates, DRS rules

and prints every round, the medians, the ratio A/B of the medians and of the minimums, all measured in this
run, and whether A's answer covers what B's answers hold. All runs pay Ansible's start-up; that is what a user
waits for.

    .venv/bin/python benchmarks/vsphere_inventory_info.py [--rounds N]

Exit status 0 when the coverage check holds (whatever the ratio), 1 when it does not, 2 when vcsim cannot be used.
See the README, section Infrastructure, and benchmarks/README.md.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import json
import os
import ssl
import statistics
import subprocess
import sys
import time

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAB_STATE = os.environ.get('DSAAS_LAB_STATE') or os.path.join(REPO, '.lab')
INVENTORY = os.path.join(REPO, 'inventories', 'lab')
CA_FILE = os.path.join(LAB_STATE, 'ca', 'ca.pem')
VENV_BIN = os.path.dirname(sys.executable)

# The connection as the role passes it (vsphere_nodes_vcenter defaults to dsaas_vcenter), templated by Ansible.
CONNECTION = dict(hostname='{{ dsaas_vcenter.hostname }}', port='{{ dsaas_vcenter.port | default(443) }}',
                  username='{{ dsaas_vcenter.username }}', password='{{ dsaas_vcenter.password }}',
                  validate_certs='{{ dsaas_vcenter.validate_certs | default(true) }}')


class BenchError(Exception):
    pass


def lab_settings():
    """(dsaas_vcenter of the lab inventory, node VM names of k8s_control_plane and k8s_workers)."""
    with open(os.path.join(INVENTORY, 'group_vars', 'all', 'peers.yml'), encoding='utf-8') as handle:
        vcenter = yaml.safe_load(handle)['dsaas_vcenter']
    with open(os.path.join(INVENTORY, 'hosts.yml'), encoding='utf-8') as handle:
        hosts = yaml.safe_load(handle)

    def group_hosts(node, name):
        found = []
        for child, value in ((node or {}).get('children') or {}).items():
            if child == name:
                found += list((value or {}).get('hosts') or {})
            found += group_hosts(value, name)
        return found

    names = group_hosts(hosts['all'], 'k8s_control_plane') + group_hosts(hosts['all'], 'k8s_workers')
    return vcenter, names  # vsphere_nodes_vm_name_prefix is '' in the lab


def adhoc(module, args):
    """(seconds, result) of one ad-hoc run of module on localhost with the checkout's collection."""
    cmd = [os.path.join(VENV_BIN, 'ansible'), 'localhost', '-i', INVENTORY, '-m', module, '-a', json.dumps(args)]
    # SSL_CERT_FILE: how the role hands the CA to community.vmware and vmware.vmware (its block's environment)
    env = dict(os.environ, ANSIBLE_LOAD_CALLBACK_PLUGINS='1', ANSIBLE_STDOUT_CALLBACK='ansible.posix.json',
               ANSIBLE_NOCOLOR='1', DSAAS_LAB_STATE=LAB_STATE, SSL_CERT_FILE=CA_FILE)
    started = time.perf_counter()
    completed = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - started
    try:
        result = json.loads(completed.stdout)['plays'][0]['tasks'][0]['hosts']['localhost']
    except (ValueError, KeyError, IndexError):
        raise BenchError('%s: no result (%s)' % (module, ' '.join((completed.stdout + completed.stderr).split())[:300]))
    if result.get('failed'):
        raise BenchError('%s failed: %s' % (module, result.get('msg')))
    return seconds, result


def runs_a(vcenter, vm_names):
    return [('dsaas.platform.vsphere_inventory_info',
             dict(CONNECTION, ca_file='{{ dsaas_vcenter.ca_file }}', datacenter=vcenter['datacenter'],
                  cluster=vcenter['cluster'], vm_names=vm_names))]


def runs_b(vcenter):
    """The info modules for the same facts. Options that vcsim cannot answer are switched off (noted)."""
    dc, cluster = vcenter['datacenter'], vcenter['cluster']
    no_dvs_policies = dict(show_mac_learning=False, show_network_policy=False, show_port_policy=False,
                           show_teaming_policy=False, show_uplinks=False)  # vcsim: policies unset, the module fails
    return [
        ('community.vmware.vmware_datacenter_info', dict(CONNECTION)),
        ('community.vmware.vmware_folder_info', dict(CONNECTION, datacenter=dc)),
        # community.vmware.vmware_cluster_info is deprecated for this one and fails on vcsim (DAS config unset)
        ('vmware.vmware.cluster_info', dict(CONNECTION, datacenter=dc)),
        ('community.vmware.vmware_resource_pool_info', dict(CONNECTION)),
        ('community.vmware.vmware_datastore_info', dict(CONNECTION, datacenter=dc)),
        ('community.vmware.vmware_portgroup_info', dict(CONNECTION, cluster_name=cluster)),
        ('community.vmware.vmware_dvs_portgroup_info', dict(CONNECTION, datacenter=dc, **no_dvs_policies)),
        # show_resource_pool fails on vcsim (KeyError 'type'); the role needs no VM's pool
        ('community.vmware.vmware_vm_info', dict(CONNECTION, vm_type='vm', show_resource_pool=False)),
        ('community.vmware.vmware_vm_info', dict(CONNECTION, vm_type='template', show_resource_pool=False)),
        # reads configuration.rule, which vcsim leaves empty (it fills configurationEx.rule): finds no rule there
        ('community.vmware.vmware_drs_rule_info', dict(CONNECTION, cluster_name=cluster)),
    ]


def run_all(runs):
    """(total seconds, [(module, seconds, result)]) of runs one after the other."""
    done = [(module,) + adhoc(module, args) for module, args in runs]
    return sum(item[1] for item in done), done


def vmkernel_portgroups(vcenter, cluster):
    """Standard port groups of the cluster's hosts that carry vmkernel adapters (read with pyVmomi, read only)."""
    from pyVim.connect import Disconnect, SmartConnect  # pylint: disable=import-outside-toplevel
    from pyVmomi import vim  # pylint: disable=import-outside-toplevel
    try:
        with open(os.path.join(LAB_STATE, 'secrets', 'vcsim'), encoding='utf-8') as handle:
            password = handle.read().strip()
        si = SmartConnect(host=vcenter['hostname'], port=int(vcenter.get('port') or 443), user=vcenter['username'],
                          pwd=password, sslContext=ssl.create_default_context(cafile=CA_FILE))
    except Exception as exc:  # pylint: disable=broad-except
        raise BenchError('vcsim at %s:%s cannot be used: %s' % (vcenter['hostname'], vcenter.get('port'), exc))
    try:
        view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [vim.ClusterComputeResource], True)
        found = set()
        for obj in view.view:
            if obj.name == cluster:
                for host in obj.host:
                    found.update(vnic.portgroup for vnic in host.config.network.vnic or [] if vnic.portgroup)
        view.Destroy()
        return found
    finally:
        Disconnect(si)


def facts_b(done, vcenter):
    """What B's answers hold, in A's terms."""
    by_module = {}
    for module, dummy, result in done:
        by_module.setdefault(module.rsplit('.', 1)[1], []).append(result)
    dc, cluster = vcenter['datacenter'], vcenter['cluster']
    vm_root = '/%s/vm' % dc
    folders = [item['path'] for item in by_module['vmware_folder_info'][0]['flat_folder_info']]
    vms, templates = by_module['vmware_vm_info']
    ips = {}
    for vm in vms['virtual_machines']:
        if vm.get('ip_address'):
            ips.setdefault(vm['ip_address'], vm['guest_name'])
        for nic in (vm.get('vm_network') or {}).values():
            for address in nic.get('ipv4', []) + nic.get('ipv6', []):
                ips.setdefault(address.split('/')[0], vm['guest_name'])
    clusters = by_module['cluster_info'][0]['clusters']
    return dict(
        datacenters=set(item['name'] for item in by_module['vmware_datacenter_info'][0]['datacenter_info']),
        folders=set(path[len(vm_root) + 1:] for path in folders if path.startswith(vm_root + '/')),
        clusters=dict((name, len(item.get('hosts') or [])) for name, item in clusters.items()),
        resource_pools=set(item['name'] for item in by_module['vmware_resource_pool_info'][0]['resource_pool_info']
                           if item.get('owner') == cluster),
        datastores=set(item['name'] for item in by_module['vmware_datastore_info'][0]['datastores']),
        standard_portgroups=set(pg['portgroup'] for pgs in by_module['vmware_portgroup_info'][0]['hosts_portgroup_info'].values()
                                for pg in pgs),
        dvs_portgroups=set(pg['portgroup_name'] for pgs in by_module['vmware_dvs_portgroup_info'][0]['dvs_portgroup_info'].values()
                           for pg in pgs),
        templates=set(vm['guest_name'] for vm in templates['virtual_machines']),
        vms=dict((vm['guest_name'], dict(folder=vm['folder'][len(vm_root) + 1:], ip=vm.get('ip_address') or None,
                                         powered_on=vm['power_state'] == 'poweredOn', host=vm['esxi_hostname']))
                 for vm in vms['virtual_machines'] if vm.get('datacenter') == dc),
        ips=ips,
        drs_rules=set(rule['rule_name'] for rule in by_module['vmware_drs_rule_info'][0]['drs_rule_info'].get(cluster, [])))


def coverage(result_a, done_b, vcenter, vm_names):
    """Print the comparison; True when A covers B (equal for datastores, portgroups, templates, folders)."""
    b = facts_b(done_b, vcenter)
    cluster = vcenter['cluster']
    vmkernel = vmkernel_portgroups(vcenter, cluster)
    vm_portgroups = b['dvs_portgroups'] | (b['standard_portgroups'] - vmkernel)
    a_vms = dict((vm['name'], dict(folder=vm['folder'], ip=vm['ip'], powered_on=vm['powered_on'], host=vm['host']))
                 for vm in result_a['vms'])
    b_vms = dict((name, vm) for name, vm in b['vms'].items() if name in vm_names)
    checks = [
        # (what, A, B, equal required)
        ('datastore names', set(result_a['datastores']), b['datastores'], True),
        ('portgroup names', set(result_a['portgroups']), vm_portgroups, True),
        ('template names', set(result_a['templates']), b['templates'], True),
        ('VM folder paths', set(result_a['folders']), b['folders'], True),
        ('datacenters', set(result_a['datacenters']), b['datacenters'], False),
        ('clusters (hosts)', dict((k, v['hosts']) for k, v in result_a['clusters'].items()), b['clusters'], False),
        ('resource pools of %s' % cluster, set(result_a['clusters'].get(cluster, {}).get('resource_pools', [])),
         b['resource_pools'], False),
        ('node VMs (folder, IP, power, host)', a_vms, b_vms, False),
        ('guest IPs in use', result_a['ips_in_use'], b['ips'], False),
        ('DRS rules of %s' % cluster, set(result_a['drs_rules']), b['drs_rules'], False),
    ]
    held = True
    print('coverage (A covers B; = means equal is required):')
    for what, a, b_value, equal in checks:
        if isinstance(a, dict):
            ok = all(a.get(key) == value for key, value in b_value.items()) and (not equal or set(a) == set(b_value))
            extra = sorted(set(a) - set(b_value))
        else:
            ok = b_value <= a and (not equal or a == b_value)
            extra = sorted(a - b_value)
        held = held and ok
        note = '; only in A: %s' % ', '.join(extra) if extra else ''
        print('  %-4s %s%s: %d in A, %d in B%s' % ('ok' if ok else 'DIFF', what, ' (=)' if equal else '', len(a),
                                                   len(b_value), note))
        if not ok:
            print('       A: %s\n       B: %s' % (json.dumps(a, sort_keys=True, default=sorted),
                                                  json.dumps(b_value, sort_keys=True, default=sorted)))
    if b['standard_portgroups'] & vmkernel:
        print('  (B\'s host port group(s) %s carry the hosts\' vmkernel adapters, are no VM network and are not compared)'
              % ', '.join(sorted(b['standard_portgroups'] & vmkernel)))
    print('  B does not hold, and A does: CPUs, memory, disk sizes and hot-add flags of templates and node VMs,')
    print('  the VMs\' portgroups (per-VM runs of vmware_guest_info / vmware_guest_disk_info, not timed here)')
    return held


def benchmark(rounds, vcenter, vm_names):
    a, b = runs_a(vcenter, vm_names), runs_b(vcenter)
    run_all(a)  # warm-up: caches on both sides
    run_all(b)
    times_a, times_b, last, per_run = [], [], None, [[] for dummy in b]
    for number in range(1, rounds + 1):
        seconds_a, done_a = run_all(a)
        seconds_b, done_b = run_all(b)
        times_a.append(seconds_a)
        times_b.append(seconds_b)
        for index, item in enumerate(done_b):
            per_run[index].append(item[1])
        last = done_a, done_b
        print('  round %d: A %.3f s  B %.3f s (%s)  A/B %.2f' % (
            number, seconds_a, seconds_b, ' + '.join('%.2f' % item[1] for item in done_b), seconds_a / seconds_b))
        sys.stdout.flush()
    median_a, median_b = statistics.median(times_a), statistics.median(times_b)
    print('A vsphere_inventory_info, 1 run:                    median %.3f s, min %.3f s' % (median_a, min(times_a)))
    print('B %2d community.vmware/vmware.vmware info runs:      median %.3f s, min %.3f s' % (len(b), median_b, min(times_b)))
    for (module, args), seconds in zip(b, per_run):
        options = ' '.join('%s=%s' % (key, value) for key, value in sorted(args.items()) if key not in CONNECTION)
        print(('    %-45s median %.3f s  %s' % (module, statistics.median(seconds), options)).rstrip())
    print('ratio A/B of medians: %.2f; ratio of minimums: %.2f' % (median_a / median_b, min(times_a) / min(times_b)))
    return last


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=5, help='timed rounds of A and B (default 5)')
    args = parser.parse_args()
    try:
        vcenter, vm_names = lab_settings()
        vmkernel_portgroups(vcenter, vcenter['cluster'])  # can vcsim be used at all?
        print('bench: vcsim at %s:%s, datacenter %s, cluster %s, node VMs %s; %d rounds A,B after one warm-up'
              % (vcenter['hostname'], vcenter['port'], vcenter['datacenter'], vcenter['cluster'], ', '.join(vm_names),
                 args.rounds))
        print('B: %s' % ', '.join(module.split('.', 2)[2] for module, dummy in runs_b(vcenter)))
        done_a, done_b = benchmark(args.rounds, vcenter, vm_names)
        held = coverage(done_a[0][2], done_b, vcenter, vm_names)
    except BenchError as exc:
        print('error: %s' % exc, file=sys.stderr)
        return 2
    print('coverage check: %s' % ('holds' if held else 'does NOT hold'))
    return 0 if held else 1


if __name__ == '__main__':
    sys.exit(main())
