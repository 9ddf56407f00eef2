# -*- coding: utf-8 -*-
"""The lab's vCenter simulator (lab/services/60-vcsim.sh) has what the infrastructure layer needs.

pyvmomi against vcsim over TLS verified with the lab CA (vcsim serves a 2048-bit lab certificate):
the inventory the lab creates exists, and cloning the template with new hardware gives a VM with it.
Skips when the service is not up.
"""
import ssl
import time
import uuid

import pytest

from conftest import lab_env, require_lab

pytest.importorskip('pyVmomi')
from pyVim.connect import Disconnect, SmartConnect  # noqa: E402  pylint: disable=wrong-import-position
from pyVmomi import vim  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(scope='module')
def vc():
    require_lab('vcsim')
    env = lab_env('vcsim')
    with open(env['DSAAS_VCENTER_PASSWORD_FILE']) as handle:
        password = handle.read().strip()
    si = SmartConnect(host=env['DSAAS_VCENTER_HOST'], port=int(env['DSAAS_VCENTER_PORT']),
                      user=env['DSAAS_VCENTER_USER'], pwd=password,
                      sslContext=ssl.create_default_context(cafile=env['DSAAS_VCENTER_CA']))
    yield si, env
    Disconnect(si)


def wait(task, timeout=60):
    """Wait for a task by polling its state (as community.vmware does). Not pyVim.task.WaitForTask:
    vcsim names running tasks e.g. VirtualMachine.cloneVm, which pyvmomi cannot resolve."""
    deadline = time.time() + timeout
    while task.info.state in ('queued', 'running'):
        assert time.time() < deadline, 'task %s still %s' % (task, task.info.state)
        time.sleep(0.1)
    assert task.info.state == 'success', task.info.error
    return task.info.result


def find(si, kind, name):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [kind], True)
    try:
        found = [o for o in view.view if o.name == name]
    finally:
        view.Destroy()
    return found[0] if found else None


def test_is_a_current_vcenter(vc):
    si = vc[0]
    about = si.content.about
    assert about.apiType == 'VirtualCenter'
    assert tuple(int(x) for x in about.apiVersion.split('.')[:2]) >= (8, 0), about.apiVersion


def test_inventory_exists(vc):
    si, env = vc
    dc = find(si, vim.Datacenter, env['DSAAS_VCENTER_DATACENTER'])
    cluster = find(si, vim.ClusterComputeResource, env['DSAAS_VCENTER_CLUSTER'])
    assert dc is not None and cluster is not None
    assert len(cluster.host) == 3
    assert find(si, vim.Datastore, env['DSAAS_VCENTER_DATASTORE']) is not None
    pg = find(si, vim.dvs.DistributedVirtualPortgroup, env['DSAAS_VCENTER_PORTGROUP'])
    assert pg is not None
    template = find(si, vim.VirtualMachine, env['DSAAS_VCENTER_TEMPLATE'])
    assert template is not None and template.config.template
    nics = [d for d in template.config.hardware.device if isinstance(d, vim.vm.device.VirtualEthernetCard)]
    assert [n.backing.port.portgroupKey for n in nics] == [pg.key]


def test_wrong_password_is_refused(vc):
    env = vc[1]
    with pytest.raises(vim.fault.InvalidLogin):
        SmartConnect(host=env['DSAAS_VCENTER_HOST'], port=int(env['DSAAS_VCENTER_PORT']),
                     user=env['DSAAS_VCENTER_USER'], pwd='not-the-password',
                     sslContext=ssl.create_default_context(cafile=env['DSAAS_VCENTER_CA']))


def test_clone_template_with_new_hardware(vc):
    si, env = vc
    template = find(si, vim.VirtualMachine, env['DSAAS_VCENTER_TEMPLATE'])
    cluster = find(si, vim.ClusterComputeResource, env['DSAAS_VCENTER_CLUSTER'])
    dc = find(si, vim.Datacenter, env['DSAAS_VCENTER_DATACENTER'])
    name = 'lab-test-%s' % uuid.uuid4().hex[:8]
    spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(pool=cluster.resourcePool),
                            config=vim.vm.ConfigSpec(numCPUs=4, memoryMB=8192),
                            powerOn=True, template=False)
    clone = wait(template.CloneVM_Task(folder=dc.vmFolder, name=name, spec=spec))
    try:
        assert clone.name == name
        assert clone.config.hardware.numCPU == 4
        assert clone.config.hardware.memoryMB == 8192
        assert not clone.config.template
        assert clone.runtime.powerState == vim.VirtualMachinePowerState.poweredOn
        # the template itself is unchanged
        assert template.config.hardware.numCPU == 2
    finally:
        if clone.runtime.powerState == vim.VirtualMachinePowerState.poweredOn:
            wait(clone.PowerOffVM_Task())
        wait(clone.Destroy_Task())
    assert find(si, vim.VirtualMachine, name) is None
