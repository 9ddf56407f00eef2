# -*- coding: utf-8 -*-
"""The vsphere_nodes role (playbooks/infrastructure.yml) against the lab's vcsim.

The lab inventory's five nodes (3 control planes, 2 workers) are cloned into a folder of this test's own
(dsaas-test-nodes-<random>/k8s, VM names prefixed t<random>-) on a segment of its own (10.66.0.0/24), so that the
lab's own node VMs (folder dsaas-lab/k8s, 10.77.0.0/24) and other tests are not touched. Node IPs and per-host
sizes come from an extra inventory file given after the lab's (its host vars win). The VMs, the DRS rule and the
folder are removed at the end.

vcsim quirks met here (see /tmp/notes/vsphere_nodes.md): a VM without snapshots cannot be snapshotted by
vmware.vmware.vm_snapshot (vcsim fails the read of the unset `snapshot` property), so the snapshot test first takes
a baseline snapshot with pyvmomi; VMs have no VMware Tools, so the lab powers off hard (powered-off) for a resize.
"""
import json
import ssl
import uuid

import pytest

from conftest import lab_env, lab_secret, require_lab, run_playbook
from test_lab_vcsim import wait

pytest.importorskip('pyVmomi')
from pyVim.connect import Disconnect, SmartConnect  # noqa: E402  pylint: disable=wrong-import-position
from pyVmomi import vim, vmodl  # noqa: E402  pylint: disable=wrong-import-position

PLAYBOOK = 'playbooks/infrastructure.yml'
RUN = uuid.uuid4().hex[:6]
TOP = 'dsaas-test-nodes-%s' % RUN
FOLDER = '%s/k8s' % TOP
PREFIX = 't%s-' % RUN
RULE = 'dsaas-test-anti-affinity-%s' % RUN
IPS = {'lab-cp-1': '10.66.0.11', 'lab-cp-2': '10.66.0.12', 'lab-cp-3': '10.66.0.13',
       'lab-worker-1': '10.66.0.21', 'lab-worker-2': '10.66.0.22'}
CONTROL_PLANES = ['lab-cp-1', 'lab-cp-2', 'lab-cp-3']
EXTRA = {
    'vsphere_nodes_folder': FOLDER,
    'vsphere_nodes_folder_create': True,
    'vsphere_nodes_vm_name_prefix': PREFIX,
    'vsphere_nodes_drs_rule': RULE,
    'vsphere_nodes_network_cidr': '10.66.0.0/24',
    'vsphere_nodes_gateway': '10.66.0.1',
    'vsphere_nodes_dns_servers': ['10.66.0.2'],
    'vsphere_nodes_power_off_mode': 'powered-off',
    'vsphere_nodes_wait_for_ip_timeout': 30,
}


def objects(si, kind):
    """(name, object) of every object of kind; objects that others delete meanwhile are left out."""
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [kind], True)
    found = []
    try:
        for obj in view.view:
            try:
                found.append((obj.name, obj))
            except vmodl.fault.ManagedObjectNotFound:
                pass
        return found
    finally:
        view.Destroy()


def find(si, kind, name):
    found = [obj for obj_name, obj in objects(si, kind) if obj_name == name]
    return found[0] if found else None


@pytest.fixture(scope='module')
def vc():
    require_lab('vcsim')
    env = lab_env('vcsim')
    si = SmartConnect(host=env['DSAAS_VCENTER_HOST'], port=int(env['DSAAS_VCENTER_PORT']),
                      user=env['DSAAS_VCENTER_USER'], pwd=lab_secret('vcsim'),
                      sslContext=ssl.create_default_context(cafile=env['DSAAS_VCENTER_CA']))
    yield si
    cleanup(si)
    Disconnect(si)


def cleanup(si):
    """Remove what this test made: its VMs, its DRS rule, its folders."""
    for name, vm in objects(si, vim.VirtualMachine):
        if name.startswith(PREFIX):
            if vm.runtime.powerState == vim.VirtualMachinePowerState.poweredOn:
                wait(vm.PowerOffVM_Task())
            wait(vm.Destroy_Task())
    cluster = find(si, vim.ClusterComputeResource, 'lab-cluster')
    rules = [rule for rule in cluster.configurationEx.rule or [] if rule.name == RULE]
    if rules:
        wait(cluster.ReconfigureComputeResource_Task(vim.cluster.ConfigSpecEx(rulesSpec=[
            vim.cluster.RuleSpec(operation='remove', removeKey=rule.key) for rule in rules]), True))
    top = find(si, vim.Folder, TOP)
    if top is not None:
        wait(top.Destroy_Task())


@pytest.fixture
def inventory(tmp_path):
    """An extra inventory file: the test's node IPs plus the given host vars and groups."""
    def make(hostvars=None, groups=None):
        hosts = dict((name, dict(node_ip=ip)) for name, ip in IPS.items())
        for name, values in (hostvars or {}).items():
            hosts[name].update(values)
        children = dict((group, {'hosts': dict((name, None) for name in members)})
                        for group, members in (groups or {}).items())
        path = tmp_path / ('inventory-%s.yml' % uuid.uuid4().hex[:6])
        path.write_text(json.dumps({'all': {'hosts': hosts, 'children': children}}))
        return ['-i', str(path)]
    return make


def play(extra=None, *args):
    return run_playbook(PLAYBOOK, dict(EXTRA, **(extra or {})), *args)


def node_vms(si):
    return dict((name[len(PREFIX):], vm) for name, vm in objects(si, vim.VirtualMachine) if name.startswith(PREFIX))


def fingerprint(si):
    """What a failed or check run must leave as it was: this test's VMs, folders and DRS rule (the lab's vcsim is
    shared: objects of others may come and go meanwhile)."""
    vms = sorted((name, vm.config.hardware.numCPU, vm.config.hardware.memoryMB, str(vm.runtime.powerState),
                  vm.parent.name) for name, vm in node_vms(si).items())
    top = find(si, vim.Folder, TOP)
    folders = sorted(child.name for child in top.childEntity) if top is not None else None
    cluster = find(si, vim.ClusterComputeResource, 'lab-cluster')
    rules = sorted((rule.name, sorted(vm.name for vm in rule.vm or [])) for rule in cluster.configurationEx.rule or []
                   if rule.name == RULE)
    return vms, folders, rules


def changed_items(output, task):
    """The items a task of the role reported changed."""
    lines = output.split('TASK [dsaas.platform.vsphere_nodes : %s' % task, 1)[1].split('TASK [', 1)[0].splitlines()
    return [line for line in lines if line.startswith('changed:')]


# ------------------------------------------------------------------------------------------- in order ---

def test_check_on_a_fresh_state_changes_nothing(vc, inventory):
    before = fingerprint(vc)
    run = play(None, '--check', *inventory())
    assert run.rc == 0, run.output
    assert int(run.recap()['changed']) > 0
    assert '%slab-cp-1: create' % PREFIX in run.output
    assert fingerprint(vc) == before
    assert find(vc, vim.Folder, TOP) is None


def test_first_run_creates_the_five_nodes(vc, inventory):
    run = play(None, *inventory())
    assert run.rc == 0, run.output
    assert int(run.recap()['changed']) > 0
    vms = node_vms(vc)
    assert sorted(vms) == sorted(IPS)
    segment = find(vc, vim.dvs.DistributedVirtualPortgroup, 'k8s-segment')
    for name, vm in vms.items():
        control_plane = name in CONTROL_PLANES
        assert vm.config.hardware.numCPU == (2 if control_plane else 4), name
        assert vm.config.hardware.memoryMB == (4096 if control_plane else 8192), name
        disks = [d.capacityInKB // (1024 * 1024) for d in vm.config.hardware.device
                 if isinstance(d, vim.vm.device.VirtualDisk)]
        assert disks == ([40] if control_plane else [60, 100]), name
        assert vm.parent.name == 'k8s' and vm.parent.parent.name == TOP
        assert [ds.name for ds in vm.datastore] == ['LocalDS_0']
        nics = [d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard)]
        assert [nic.backing.port.portgroupKey for nic in nics] == [segment.key]
        assert vm.resourcePool.owner.name == 'lab-cluster'
        assert not vm.config.template
        assert vm.runtime.powerState == vim.VirtualMachinePowerState.poweredOn
        # vcsim reports the IP that guest customisation set as the guest's IP
        assert vm.guest.ipAddress == IPS[name], name
        assert vm.guest.hostName == name
    cluster = find(vc, vim.ClusterComputeResource, 'lab-cluster')
    rules = [rule for rule in cluster.configurationEx.rule if rule.name == RULE]
    assert len(rules) == 1
    rule = rules[0]
    assert isinstance(rule, vim.cluster.AntiAffinityRuleSpec) and rule.mandatory and rule.enabled
    assert sorted(vm.name for vm in rule.vm) == sorted(PREFIX + name for name in CONTROL_PLANES)
    assert '5 node VMs in /lab-dc/vm/%s: lab-cp-1 at 10.66.0.11' % FOLDER in run.output


def test_second_run_changes_nothing(vc, inventory):
    before = fingerprint(vc)
    run = play(None, *inventory())
    assert run.rc == 0 and run.recap()['changed'] == '0', run.output
    assert fingerprint(vc) == before


def test_the_nodes_join_the_inventory_with_their_ips(inventory):
    run = play({'vsphere_nodes_set_ansible_host': True}, *inventory())
    assert run.rc == 0 and run.recap()['changed'] == '0', run.output
    assert 'ansible_host: 10.66.0.11, 10.66.0.12, 10.66.0.13, 10.66.0.21, 10.66.0.22' in run.output


def test_check_on_a_changed_state_changes_nothing(vc, inventory):
    before = fingerprint(vc)
    run = play(None, '--check', *inventory({'lab-worker-2': {'vsphere_nodes_memory_mb': 12288}}))
    assert run.rc == 0, run.output
    assert int(run.recap()['changed']) > 0
    assert '%slab-worker-2: reconfigure' % PREFIX in run.output
    assert fingerprint(vc) == before


def test_changed_memory_reconfigures_one_vm_after_a_snapshot(vc, inventory):
    vms = node_vms(vc)
    worker = vms['lab-worker-2']
    # vcsim cannot read an unset snapshot tree (see the module docstring): give the VM one first.
    wait(worker.CreateSnapshot_Task(name='baseline', memory=False, quiesce=False))
    others = dict((name, (vm.config.hardware.memoryMB, vm.config.hardware.numCPU, str(vm.runtime.powerState)))
                  for name, vm in vms.items() if name != 'lab-worker-2')
    hostvars = {'lab-worker-2': {'vsphere_nodes_memory_mb': 12288}}
    run = play({'vsphere_nodes_snapshot_before_change': True}, *inventory(hostvars))
    assert run.rc == 0, run.output
    assert len(changed_items(run.output, 'Resize the VMs whose sizing changed')) == 1
    assert len(changed_items(run.output, 'Snapshot each VM before resizing it')) == 1
    assert worker.config.hardware.memoryMB == 12288
    assert worker.runtime.powerState == vim.VirtualMachinePowerState.poweredOn
    assert worker.guest.ipAddress == IPS['lab-worker-2']
    snapshots = [s.name for s in worker.snapshot.rootSnapshotList[0].childSnapshotList]
    assert len(snapshots) == 1 and snapshots[0].startswith('dsaas-before-change-')
    assert dict((name, (vm.config.hardware.memoryMB, vm.config.hardware.numCPU, str(vm.runtime.powerState)))
                for name, vm in node_vms(vc).items() if name != 'lab-worker-2') == others
    again = play(None, *inventory(hostvars))
    assert again.rc == 0 and again.recap()['changed'] == '0', again.output


BAD_INPUTS = [
    ('unknown template', {'vsphere_nodes_template': 'tpl-nope'}, {}, {},
     "template 'tpl-nope' not found in datacenter lab-dc; found: tpl-debian12-k8s"),
    ('unknown datastore', {'vsphere_nodes_datastore': 'DS-nope'}, {}, {},
     "datastore 'DS-nope' not found in datacenter lab-dc; found: LocalDS_0"),
    ('unknown portgroup', {'vsphere_nodes_portgroup': 'pg-nope'}, {}, {},
     "portgroup 'pg-nope' not found in datacenter lab-dc; found: "),
    ('unknown folder', {'vsphere_nodes_folder': TOP + '/nope', 'vsphere_nodes_folder_create': False}, {}, {},
     "VM folder '%s/nope' not found in datacenter lab-dc (vsphere_nodes_folder_create is false); found: " % TOP),
    ('IP outside the segment', {}, {'lab-cp-2': {'node_ip': '10.67.0.12'}}, {},
     'lab-cp-2: IP 10.67.0.12 is outside the segment 10.66.0.0/24'),
    ('IP used twice', {}, {'lab-worker-1': {'node_ip': '10.66.0.22'}}, {},
     'IP 10.66.0.22 is used twice: lab-worker-1, lab-worker-2'),
    ('two control planes with HA', {'vsphere_nodes_control_plane_group': 'test_two_control_planes'}, {},
     {'test_two_control_planes': ['lab-cp-1', 'lab-cp-2']},
     'vsphere_nodes_ha needs at least 3 control planes; the inventory has 2: lab-cp-1, lab-cp-2'),
    ('worker below the minimum', {}, {'lab-worker-1': {'vsphere_nodes_memory_mb': 1024}}, {},
     'lab-worker-1: 1024 MiB is below the worker minimum of 2048 MiB'),
    ('decommission without the safety variable', {'vsphere_nodes_state': 'absent'}, {}, {},
     'vsphere_nodes_state is absent but vsphere_nodes_allow_decommission is not true: refusing to destroy the node '
     'VMs %slab-cp-1, %slab-cp-2' % (PREFIX, PREFIX)),
]


@pytest.mark.parametrize('extra,hostvars,groups,message', [case[1:] for case in BAD_INPUTS],
                         ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_is_refused_and_changes_nothing(vc, inventory, extra, hostvars, groups, message):
    before = fingerprint(vc)
    run = play(extra, *inventory(hostvars, groups))
    assert run.rc != 0
    assert message in run.output, run.output
    assert fingerprint(vc) == before


def test_wrong_vcenter_credentials_are_refused(vc, inventory):
    env = lab_env('vcsim')
    before = fingerprint(vc)
    wrong = {'hostname': '127.0.0.1', 'port': 18989, 'username': 'administrator@vsphere.local',
             'password': 'not-the-password', 'ca_file': env['DSAAS_VCENTER_CA'], 'datacenter': 'lab-dc',
             'cluster': 'lab-cluster', 'datastore': 'LocalDS_0', 'portgroup': 'k8s-segment',
             'template': 'tpl-debian12-k8s'}
    run = play({'vsphere_nodes_vcenter': wrong}, *inventory())
    assert run.rc != 0
    assert 'Unable to log on to vCenter or ESXi API at 127.0.0.1:18989 as administrator@vsphere.local' in run.output
    assert 'not-the-password' not in run.output
    assert fingerprint(vc) == before


def test_decommission_with_the_safety_variable(vc, inventory):
    extra = {'vsphere_nodes_state': 'absent', 'vsphere_nodes_allow_decommission': True}
    check = play(extra, '--check', *inventory())
    assert check.rc == 0 and int(check.recap()['changed']) > 0, check.output
    assert sorted(node_vms(vc)) == sorted(IPS)
    run = play(extra, *inventory())
    assert run.rc == 0, run.output
    assert node_vms(vc) == {}
    # The rule's removal is asked for. vcsim keeps rules only in the cluster's configurationEx, while
    # vmware_vm_vm_drs_rule looks them up in the legacy configuration (which a real vCenter mirrors), so on vcsim
    # the module answers "No rule named ... exists" and the rule stays (removed by this test's cleanup).
    cluster = find(vc, vim.ClusterComputeResource, 'lab-cluster')
    removal = run.output.split('Remove the DRS anti-affinity rule', 1)[1].split('TASK [', 1)[0]
    assert 'skipping' not in removal
    assert RULE not in [rule.name for rule in cluster.configurationEx.rule or []] or \
        RULE not in [rule.name for rule in cluster.configuration.rule or []]
    again = play(extra, *inventory())
    assert again.rc == 0 and again.recap()['changed'] == '0', again.output
