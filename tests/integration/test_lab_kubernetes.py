# -*- coding: utf-8 -*-
"""The lab's Kubernetes API (lab/services/50-kubernetes.sh) is a real, current control plane.

etcd + kube-apiserver + controller-manager + scheduler built from the Go module proxy, kwok
simulating the nodes. Uses the kubernetes Python client with the lab's admin kubeconfig (TLS
verified against the lab CA that the kubeconfig embeds). Skips when the service is not up.
"""
import json
import os
import subprocess
import sys
import time
import uuid

import pytest

from conftest import LAB_STATE, ROOT, lab_env, require_lab

kubernetes = pytest.importorskip('kubernetes')
from kubernetes import client, config  # noqa: E402  pylint: disable=wrong-import-position
from kubernetes.client.rest import ApiException  # noqa: E402  pylint: disable=wrong-import-position

KUBECONFIG = os.path.join(LAB_STATE, 'kubernetes', 'admin.kubeconfig')
NODES = {'lab-cp-1', 'lab-cp-2', 'lab-cp-3', 'lab-worker-1', 'lab-worker-2'}
CRDS = os.path.join(os.path.dirname(ROOT), 'shared', 'contracts', 'trident', 'crds.yaml')
MIN_VERSION = (1, 30)


@pytest.fixture(scope='module')
def api():
    require_lab('kubernetes')
    return config.new_client_from_config(config_file=KUBECONFIG)


@pytest.fixture
def namespace(api):
    """A fresh namespace, deleted afterwards; labels given through the indirect parameter."""
    core = client.CoreV1Api(api)
    names = []

    def make(labels=None):
        name = 'lab-test-%s' % uuid.uuid4().hex[:8]
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels=labels)))
        names.append(name)
        return name

    yield make
    for name in names:
        core.delete_namespace(name)


def test_version_is_stamped_and_current(api):
    info = client.VersionApi(api).get_code()
    major, minor = int(info.major), int(info.minor.rstrip('+'))
    assert (major, minor) >= MIN_VERSION, info.git_version
    assert info.git_version.startswith('v%d.%d.' % (major, minor)), info.git_version
    assert info.git_version == lab_env('kubernetes')['DSAAS_K8S_VERSION']


def test_kwok_nodes_are_ready(api):
    nodes = {n.metadata.name: n for n in client.CoreV1Api(api).list_node().items}
    assert NODES <= set(nodes), sorted(nodes)
    for name in NODES:
        ready = [c.status for c in nodes[name].status.conditions if c.type == 'Ready']
        assert ready == ['True'], (name, nodes[name].status.conditions)
    cp = nodes['lab-cp-1']
    assert 'node-role.kubernetes.io/control-plane' in cp.metadata.labels
    assert any(t.key == 'node-role.kubernetes.io/control-plane' for t in cp.spec.taints or [])


def test_deployment_pod_reaches_running(api, namespace):
    ns = namespace()
    labels = {'app': 'lab-probe'}
    container = client.V1Container(
        name='probe', image='registry.k8s.io/pause:3.10',
        resources=client.V1ResourceRequirements(requests={'cpu': '100m', 'memory': '64Mi'}))
    deployment = client.V1Deployment(
        metadata=client.V1ObjectMeta(name='lab-probe'),
        spec=client.V1DeploymentSpec(
            replicas=2, selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels=labels),
                                              spec=client.V1PodSpec(containers=[container]))))
    client.AppsV1Api(api).create_namespaced_deployment(ns, deployment)
    core = client.CoreV1Api(api)
    deadline = time.time() + 90
    pods = []
    while time.time() < deadline:
        pods = core.list_namespaced_pod(ns, label_selector='app=lab-probe').items
        if len(pods) == 2 and all(p.status.phase == 'Running' for p in pods):
            break
        time.sleep(1)
    assert [p.status.phase for p in pods] == ['Running', 'Running'], [(p.metadata.name, p.status) for p in pods]
    # scheduled by kube-scheduler onto the workers (the control-plane nodes are tainted)
    assert {p.spec.node_name for p in pods} <= {'lab-worker-1', 'lab-worker-2'}
    assert all(p.status.pod_ip for p in pods)


def test_trident_backendconfig_crd_established(api):
    if not os.path.exists(CRDS):
        pytest.skip('%s is absent: the lab loads no Trident CRDs' % CRDS)
    crd = client.ApiextensionsV1Api(api).read_custom_resource_definition('tridentbackendconfigs.trident.netapp.io')
    established = [c.status for c in crd.status.conditions if c.type == 'Established']
    assert established == ['True'], crd.status.conditions


def test_pod_security_rejects_privileged_pod_in_restricted_namespace(api, namespace):
    ns = namespace({'pod-security.kubernetes.io/enforce': 'restricted'})
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name='privileged'),
        spec=client.V1PodSpec(containers=[client.V1Container(
            name='c', image='registry.k8s.io/pause:3.10',
            security_context=client.V1SecurityContext(privileged=True))]))
    with pytest.raises(ApiException) as err:
        client.CoreV1Api(api).create_namespaced_pod(ns, pod)
    assert err.value.status == 403
    message = json.loads(err.value.body)['message']
    assert 'violates PodSecurity "restricted' in message and 'privileged' in message, message


def test_clients_run_and_report_their_versions(api):
    env = lab_env('kubernetes')
    version = env['DSAAS_K8S_VERSION']

    def run(*cmd):
        return subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout.strip()

    assert run('kubeadm', 'version', '-o', 'short') == version
    assert run('kubectl', 'version', '--client', '-o', 'json').count('"gitVersion": "%s"' % version) == 1
    assert run('helm', 'version', '--short').startswith('v3.')
    # helm reaches the lab API through KUBECONFIG (what kubernetes.core.helm does)
    assert run('helm', 'list', '--all-namespaces', '-o', 'json').startswith('[')
    # kubeadm validates a configuration of the cluster roles' kind
    assert 'kind: ClusterConfiguration' in run('kubeadm', 'config', 'print', 'init-defaults')


def test_kwok_nodes_are_the_lab_inventory_nodes(api):
    listing = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'), '-i',
                              os.path.join(ROOT, 'inventories', 'lab'), '--list'],
                             capture_output=True, text=True, check=True)
    groups = json.loads(listing.stdout)
    env = lab_env('kubernetes')
    assert groups['k8s_control_plane']['hosts'] == env['DSAAS_K8S_CONTROL_PLANE_NODES'].split()
    assert groups['k8s_workers']['hosts'] == env['DSAAS_K8S_WORKER_NODES'].split()
