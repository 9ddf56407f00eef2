# -*- coding: utf-8 -*-
"""The preflight layer against the lab's real Samba AD DC and PostgreSQL.

Each bad input of the foundation issue must fail in one line that names the peer, the address and
the cause, with no traceback and no secret in the output.
"""
import socket
import subprocess

import pytest

from conftest import only, run_playbook

PLAYBOOK = 'playbooks/preflight.yml'


def failure_message(run):
    """The one-line `msg` of the failed task."""
    assert run.rc != 0, run.output
    lines = [line for line in run.output.splitlines() if '"msg":' in line or line.startswith('fatal:')]
    assert lines, run.output
    assert 'Traceback' not in run.output, run.output
    return run.output


def test_preflight_green_on_the_lab(lab_ad, lab_postgresql):
    run = run_playbook(PLAYBOOK)
    assert run.rc == 0, run.output
    assert run.recap()['failed'] == '0'
    assert run.recap()['changed'] == '0'
    assert 'bound as' in run.output and 'svc-dsaas-bind' in run.output
    assert lab_ad['bind_password'] not in run.output


def test_preflight_check_mode_is_green_and_changes_nothing(lab_ad, lab_postgresql):
    run = run_playbook(PLAYBOOK, None, '--check', '--diff')
    assert run.rc == 0, run.output
    assert run.recap()['changed'] == '0'


def test_ad_port_closed(lab_ad):
    closed = socket.socket()
    closed.bind(('127.0.0.1', 0))
    port = closed.getsockname()[1]
    closed.close()
    run = run_playbook(PLAYBOOK, only(dsaas_ad=dict(lab_ad, servers=['ldaps://127.0.0.1:%d' % port])))
    assert 'AD ldaps://127.0.0.1:%d: connection refused' % port in failure_message(run)


def test_ad_wrong_host(lab_ad):
    run = run_playbook(PLAYBOOK, only(dsaas_ad=dict(lab_ad, servers=['ldaps://dc-missing.invalid'])))
    assert "AD ldaps://dc-missing.invalid:636: host name 'dc-missing.invalid' does not resolve" \
        in failure_message(run)


def test_ad_silent_peer_times_out(lab_ad):
    silent = socket.socket()
    silent.bind(('127.0.0.1', 0))
    silent.listen(1)  # accepts in the kernel, never answers the TLS handshake
    port = silent.getsockname()[1]
    try:
        run = run_playbook(PLAYBOOK, only(dsaas_ad=dict(lab_ad, servers=['ldaps://127.0.0.1:%d' % port], timeout=2)))
    finally:
        silent.close()
    assert 'AD ldaps://127.0.0.1:%d: no answer within 2 s (timeout)' % port in failure_message(run)


def test_ad_failover_to_the_second_server(lab_ad):
    run = run_playbook(PLAYBOOK, only(dsaas_ad=dict(lab_ad, servers=['ldaps://127.0.0.1:1', 'ldaps://127.0.0.1:636'])))
    assert run.rc == 0, run.output
    assert 'AD ldaps://127.0.0.1:636: bound as' in run.output


def test_ad_wrong_password(lab_ad):
    wrong = 'Not-The-Password-42'
    run = run_playbook(PLAYBOOK, only(dsaas_ad=dict(lab_ad, bind_password=wrong)))
    output = failure_message(run)
    assert 'AD ldaps://127.0.0.1:636: bind rejected for svc-dsaas-bind@lab.dsaas.test (invalid credentials, AD code 52e)' in output
    assert wrong not in output


def test_ad_without_tls_is_refused_by_design(lab_ad):
    run = run_playbook(PLAYBOOK, only(dsaas_ad=dict(lab_ad, servers=['127.0.0.1:389'], tls_mode='none')))
    assert 'TLS is required by design' in failure_message(run)


def test_ad_ldaps_on_the_plain_port(lab_ad):
    run = run_playbook(PLAYBOOK, only(dsaas_ad=dict(lab_ad, servers=['ldaps://127.0.0.1:389'])))
    assert 'AD ldaps://127.0.0.1:389: the server did not answer in TLS' in failure_message(run)
    assert 'TLS is required' in run.output


def test_ad_starttls_works(lab_ad):
    run = run_playbook(PLAYBOOK, only(dsaas_ad=dict(lab_ad, servers=['ldap://127.0.0.1'])))
    assert run.rc == 0, run.output
    assert 'AD ldap://127.0.0.1:389: bound as' in run.output


def test_ad_ca_file_missing(lab_ad, tmp_path):
    missing = str(tmp_path / 'corp-ca.pem')
    run = run_playbook(PLAYBOOK, only(dsaas_ad=dict(lab_ad, ca_file=missing)))
    assert 'AD: CA file %s not found' % missing in failure_message(run)


def test_ad_ca_file_of_another_ca(lab_ad, tmp_path):
    other = tmp_path / 'other-ca.pem'
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=other CA',
                    '-keyout', str(tmp_path / 'other-ca.key'), '-out', str(other)], check=True, capture_output=True)
    run = run_playbook(PLAYBOOK, only(dsaas_ad=dict(lab_ad, ca_file=str(other))))
    output = failure_message(run)
    assert 'AD ldaps://127.0.0.1:636: TLS certificate not trusted (certificate verify failed' in output


def test_ad_certificate_must_name_the_server(lab_ad):
    # The DC listens on ::1 too, but its certificate names 127.0.0.1, localhost and dc1.lab.dsaas.test only.
    run = run_playbook(PLAYBOOK, only(dsaas_ad=dict(lab_ad, servers=['ldaps://[::1]:636'])))
    output = failure_message(run)
    assert "AD ldaps://[::1]:636: TLS certificate does not name '::1' (hostname mismatch)" in output


def test_postgresql_wrong_password(lab_postgresql):
    wrong = 'Not-The-Password-42'
    run = run_playbook(PLAYBOOK, only(dsaas_postgresql=dict(lab_postgresql, password=wrong)))
    output = failure_message(run)
    assert 'PostgreSQL 127.0.0.1:55432 (database dsaas, user dsaas):' in output
    assert 'password authentication failed' in output
    assert wrong not in output


def test_postgresql_port_closed(lab_postgresql):
    run = run_playbook(PLAYBOOK, only(dsaas_postgresql=dict(lab_postgresql, port=1)))
    output = failure_message(run)
    assert 'PostgreSQL 127.0.0.1:1 (database dsaas, user dsaas):' in output
    assert 'Connection refused' in output


@pytest.mark.parametrize('bad, expected', [
    ({'servers': 'x'}, "missing required arguments: bind_password, bind_user"),
])
def test_role_argument_spec_rejects_incomplete_ad(bad, expected):
    run = run_playbook(PLAYBOOK, only(dsaas_ad=bad))
    assert expected in failure_message(run)


def test_preflight_checks_every_lab_peer(lab_ad, lab_postgresql, lab_vcenter, lab_kubernetes, lab_minio):
    run = run_playbook(PLAYBOOK)
    assert run.rc == 0, run.output
    assert 'vCenter 127.0.0.1:18989: VMware vCenter Server' in run.output
    assert 'Kubernetes v1.' in run.output
    assert run.recap()['changed'] == '0'


def test_vcenter_wrong_password(lab_vcenter):
    wrong = 'Wrong-Password-4711'
    run = run_playbook(PLAYBOOK, only(dsaas_vcenter=dict(lab_vcenter, password=wrong)))
    output = failure_message(run)
    assert ('Unable to log on to the vCenter or ESXi API at 127.0.0.1:18989 as administrator@vsphere.local: '
            'Login failure') in output
    assert wrong not in output


def test_vcenter_port_closed(lab_vcenter):
    run = run_playbook(PLAYBOOK, only(dsaas_vcenter=dict(lab_vcenter, port=1)))
    assert 'vCenter or ESXi API at 127.0.0.1:1 : [Errno 111] Connection refused' in failure_message(run)


def test_vcenter_untrusted_without_the_ca(lab_vcenter):
    vcenter = dict(lab_vcenter)
    del vcenter['ca_file']
    run = run_playbook(PLAYBOOK, only(dsaas_vcenter=vcenter))
    assert 'vCenter or ESXi API at 127.0.0.1 on TCP/18989: [SSL: CERTIFICATE_VERIFY_FAILED]' in failure_message(run)


def test_kubeconfig_missing(lab_kubernetes, tmp_path):
    missing = str(tmp_path / 'admin.kubeconfig')
    run = run_playbook(PLAYBOOK, only(dsaas_kubernetes=dict(lab_kubernetes, kubeconfig=missing)))
    assert "Kubernetes API https://127.0.0.1:16443: Could not find or access '%s'" % missing in failure_message(run)


def test_kubernetes_api_down(lab_kubernetes, tmp_path):
    with open(lab_kubernetes['kubeconfig']) as handle:
        kubeconfig = handle.read().replace('https://127.0.0.1:16443', 'https://127.0.0.1:1')
    down = tmp_path / 'down.kubeconfig'
    down.write_text(kubeconfig)
    run = run_playbook(PLAYBOOK, only(dsaas_kubernetes=dict(lab_kubernetes, kubeconfig=str(down),
                                                            api_url='https://127.0.0.1:1')))
    assert 'Kubernetes API https://127.0.0.1:1: [Errno 111] Connection refused' in failure_message(run)


def test_kubernetes_older_than_the_minimum(lab_kubernetes):
    # The lab runs one version; a minimum above it stands in for an old cluster.
    extra = only(dsaas_kubernetes=lab_kubernetes)
    extra['preflight_kubernetes_min_version'] = '1.99.0'
    run = run_playbook(PLAYBOOK, extra)
    output = failure_message(run)
    assert 'Kubernetes API https://127.0.0.1:16443 runs v1.' in output
    assert "older than the platform's minimum 1.99.0" in output


def test_minio_down(lab_minio):
    run = run_playbook(PLAYBOOK, only(dsaas_minio=dict(lab_minio, endpoint='https://127.0.0.1:1')))
    assert 'MinIO https://127.0.0.1:1: Status code was -1' in failure_message(run)
    assert 'Connection refused' in run.output
