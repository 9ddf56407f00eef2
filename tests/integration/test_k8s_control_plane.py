# -*- coding: utf-8 -*-
"""playbooks/kubernetes.yml (role k8s_control_plane) on the lab inventory: its kwok nodes have no OS, so the
inventory's dsaas_kubernetes_bootstrap is false and the role plans, renders and validates every node's kubeadm
configuration on the controller with the lab's kubeadm v1.37.2 (lab/services/50-kubernetes.sh). Here the rendered
files are validated once more by that kubeadm directly, kube-vip's manifest by the lab's API server (server-side
dry run), and bad input is refused with one line before anything is rendered.

Not proven here (no node VM on this machine): kubeadm init/join, kube-vip holding the VIP by ARP, the CNI and
metrics-server rollouts.
"""
import os
import subprocess

import pytest
import yaml

from conftest import LAB_STATE, lab_is_up, run_playbook

PLAYBOOK = 'playbooks/kubernetes.yml'
KUBEADM = os.path.join(LAB_STATE, 'bin', 'kubeadm')
KUBECTL = os.path.join(LAB_STATE, 'bin', 'kubectl')
NODES = ['lab-cp-1', 'lab-cp-2', 'lab-cp-3', 'lab-worker-1', 'lab-worker-2']


@pytest.fixture(autouse=True)
def lab_kubeadm():
    if not os.access(KUBEADM, os.X_OK):
        pytest.skip('the lab kubeadm %s is missing: run lab/lab up kubernetes' % KUBEADM)


def recap(run):
    """{host: {ok, changed, failed, ...}} of the PLAY RECAP."""
    counts = {}
    for line in run.output.splitlines():
        parts = line.split()
        if len(parts) > 2 and parts[1] == ':' and 'changed=' in line:
            counts[parts[0]] = dict((key, int(value)) for key, value in (part.split('=') for part in parts[2:]))
    assert counts, 'no PLAY RECAP in output:\n' + run.output
    return counts


def documents(path):
    with open(path) as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def kubeadm_validate(path):
    return subprocess.run([KUBEADM, 'config', 'validate', '--config', str(path)], capture_output=True, text=True,
                          check=False, timeout=60, stdin=subprocess.DEVNULL)


def test_lab_configuration_renders_and_validates_with_the_lab_kubeadm(tmp_path):
    render = tmp_path / 'render'
    run = run_playbook(PLAYBOOK, {'k8s_control_plane_render_dir': str(render)})
    assert run.rc == 0, run.output
    assert 'kubeadm v1.37.2 accepts the configuration of %s' % ', '.join(NODES) in run.output
    assert 'Cluster not bootstrapped (k8s_control_plane_bootstrap is false)' in run.output
    assert sorted(os.listdir(str(render))) == NODES
    assert sorted(os.listdir(str(render / 'lab-cp-1'))) == ['kube-vip.yaml', 'kubeadm-init.yaml']
    assert sorted(os.listdir(str(render / 'lab-cp-2'))) == ['kube-vip.yaml', 'kubeadm-join.yaml']
    assert sorted(os.listdir(str(render / 'lab-worker-1'))) == ['kubeadm-join.yaml']

    # The lab's kubeadm accepts every rendered file (strict decoding: an unknown field would be an error).
    for node in NODES:
        name = 'kubeadm-init.yaml' if node == 'lab-cp-1' else 'kubeadm-join.yaml'
        validated = kubeadm_validate(render / node / name)
        assert validated.returncode == 0 and validated.stdout.strip() == 'ok', (node, validated.stderr)

    init = dict((doc['kind'], doc) for doc in documents(render / 'lab-cp-1' / 'kubeadm-init.yaml'))
    assert sorted(init) == ['ClusterConfiguration', 'InitConfiguration', 'KubeProxyConfiguration',
                            'KubeletConfiguration']
    assert init['InitConfiguration']['apiVersion'] == 'kubeadm.k8s.io/v1beta4'
    assert init['InitConfiguration']['localAPIEndpoint']['advertiseAddress'] == '10.77.0.11'
    assert 'token' not in init['InitConfiguration']['bootstrapTokens'][0], 'kubeadm makes the token, not a file'
    cluster = init['ClusterConfiguration']
    assert cluster['kubernetesVersion'] == 'v1.37.2' and cluster['controlPlaneEndpoint'] == '10.77.0.10:6443'
    assert cluster['networking']['podSubnet'] == '10.244.0.0/16'
    assert cluster['networking']['serviceSubnet'] == '10.96.0.0/12'
    assert 'local' in cluster['etcd'] and '10.77.0.10' in cluster['apiServer']['certSANs']
    assert init['KubeletConfiguration']['cgroupDriver'] == 'systemd'

    control_plane = documents(render / 'lab-cp-3' / 'kubeadm-join.yaml')[0]
    assert control_plane['kind'] == 'JoinConfiguration'
    assert control_plane['controlPlane']['localAPIEndpoint']['advertiseAddress'] == '10.77.0.13'
    assert control_plane['discovery']['bootstrapToken']['apiServerEndpoint'] == '10.77.0.10:6443'
    # Placeholders only: the real token and certificate key are made per run on the first control plane.
    assert control_plane['discovery']['bootstrapToken']['token'] == 'render.validationonly00'
    assert set(control_plane['controlPlane']['certificateKey']) == {'0'}
    worker = documents(render / 'lab-worker-2' / 'kubeadm-join.yaml')[0]
    assert 'controlPlane' not in worker and worker['nodeRegistration']['name'] == 'lab-worker-2'

    vip = documents(render / 'lab-cp-2' / 'kube-vip.yaml')[0]
    env = dict((item['name'], item.get('value')) for item in vip['spec']['containers'][0]['env'])
    assert env['address'] == '10.77.0.10' and env['vip_arp'] == 'true' and env['cp_enable'] == 'true'
    assert vip['spec']['containers'][0]['image'] == 'ghcr.io/kube-vip/kube-vip:v1.0.3'
    assert vip['spec']['volumes'][0]['hostPath']['path'] == '/etc/kubernetes/admin.conf'

    # Idempotent: nothing changes on a second run.
    again = run_playbook(PLAYBOOK, {'k8s_control_plane_render_dir': str(render)})
    assert again.rc == 0 and all(counts['changed'] == 0 for counts in recap(again).values()), again.output


def test_kube_vip_manifest_is_a_valid_pod_for_the_api_server(tmp_path):
    if not lab_is_up('kubernetes'):
        pytest.skip('lab service kubernetes is not up (lab/lab up kubernetes)')
    render = tmp_path / 'render'
    assert run_playbook(PLAYBOOK, {'k8s_control_plane_render_dir': str(render)}).rc == 0
    dry_run = subprocess.run([KUBECTL, '--kubeconfig', os.path.join(LAB_STATE, 'kubernetes', 'admin.kubeconfig'),
                              'create', '--dry-run=server', '-o', 'name', '-f', str(render / 'lab-cp-1' / 'kube-vip.yaml')],
                             capture_output=True, text=True, check=False, timeout=60, stdin=subprocess.DEVNULL)
    assert dry_run.returncode == 0 and dry_run.stdout.strip() == 'pod/kube-vip', dry_run.stderr


def test_check_mode_validates_and_writes_nothing(tmp_path):
    render = tmp_path / 'render'
    run = run_playbook(PLAYBOOK, {'k8s_control_plane_render_dir': str(render)}, '--check')
    assert run.rc == 0, run.output
    assert 'kubeadm v1.37.2 accepts the configuration of' in run.output
    assert not render.exists()


BAD_INPUTS = [
    ('two control planes with HA', {'k8s_control_plane_group': 'dsaas_test_two_cps'},
     'an HA control plane needs at least 3 control planes (etcd keeps quorum with one lost); the control-plane '
     'group has 2: lab-cp-1, lab-cp-2'),
    ('VIP outside the node segment', {'k8s_control_plane_vip': '203.0.113.10'},
     'k8s_control_plane_vip 203.0.113.10 is not in the node segment 10.77.0.0/24 (kube-vip announces it by ARP '
     'there)'),
    ('VIP equal to a node IP', {'k8s_control_plane_vip': '10.77.0.12'},
     'k8s_control_plane_vip 10.77.0.12 is the address of node lab-cp-2; it must be a free address'),
    ('pod network overlapping the services', {'k8s_control_plane_pod_cidr': '10.96.0.0/16'},
     'k8s_control_plane_pod_cidr 10.96.0.0/16 overlaps k8s_control_plane_service_cidr 10.96.0.0/12'),
    ('service network overlapping the nodes', {'k8s_control_plane_service_cidr': '10.77.0.0/24'},
     'k8s_control_plane_node_cidr 10.77.0.0/24 overlaps k8s_control_plane_service_cidr 10.77.0.0/24'),
    ('unknown CNI', {'k8s_control_plane_cni': 'flannel'},
     'value of k8s_control_plane_cni must be one of: calico, cilium, got: flannel'),
    ('version without patch', {'k8s_control_plane_version': '1.37'},
     "k8s_control_plane_version '1.37' is not a Kubernetes release (MAJOR.MINOR.PATCH, e.g. 1.37.2)"),
    ('version before v1beta4', {'k8s_control_plane_version': '1.30.4'},
     'k8s_control_plane_version 1.30.4 is older than 1.31, the first release whose kubeadm reads the v1beta4 '
     'configuration this role writes'),
    ('version the lab kubeadm cannot validate', {'k8s_control_plane_version': '1.33.4'},
     'kubeadm v1.37.2 on the controller cannot validate a v1.33.4 configuration (it takes its own minor and the '
     'one before); nothing was rendered'),
]


@pytest.mark.parametrize('case,extra,message', BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_fails_with_one_line_and_renders_nothing(tmp_path, case, extra, message):
    render = tmp_path / 'render'
    extra = dict(extra, k8s_control_plane_render_dir=str(render))
    args = []
    if extra.get('k8s_control_plane_group') == 'dsaas_test_two_cps':
        # An inventory group of two of the lab's control planes (the lab inventory has three).
        inventory = tmp_path / 'two.yml'
        inventory.write_text('all:\n  children:\n    dsaas_test_two_cps:\n      hosts:\n        lab-cp-1:\n'
                             '        lab-cp-2:\n')
        args = ['-i', str(inventory)]
    run = run_playbook(PLAYBOOK, extra, *args)
    assert run.rc != 0, case
    failures = [line for line in run.output.splitlines() if message in line]
    assert failures, run.output
    assert '\n' not in message and not render.exists(), case
