# -*- coding: utf-8 -*-
"""The trident role's ONTAP preparation: the parameters it sends, run through the real netapp.ontap modules.

ONTAP IS MOCKED HERE. There is no ONTAP system and no ONTAP simulator on this machine, so the modules of
netapp.ontap (the versions in the pinned ``ansible`` bundle) talk to a player of recorded ONTAP REST answers:
``OntapRestAPI.send_request`` is replaced and answers GETs with records shaped as ONTAP 9.14's REST API returns
them (see the ONTAP REST API reference for /api/cluster, /api/storage/snapshot-policies,
/api/storage/qos/policies, /api/protocols/nfs/export-policies, /api/svm/svms). Everything else is the real
module: argument checking, REST/ZAPI choice, the idempotence comparison and the request bodies.
What this proves: the parameters built by ``ontap_plan`` are accepted by the modules and turn into the
expected REST calls; an SVM already prepared produces no write. What it cannot prove: how a real ONTAP answers.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.dsaas.platform.plugins.module_utils.trident import ontap_plan, svm_protocol_errors

netapp = pytest.importorskip('ansible_collections.netapp.ontap.plugins.module_utils.netapp')

SVM = 'svm_dsaas'
TIERS = [
    {'name': 'student', 'snapshot_policy': 'dsaas-daily', 'snapshot_schedules': [{'schedule': 'daily', 'count': 7}],
     'qos_policy': 'dsaas-balanced', 'qos': {'max_throughput_iops': 2000}},
    {'name': 'researcher', 'snapshot_policy': 'dsaas-hourly',
     'snapshot_schedules': [{'schedule': 'hourly', 'count': 24}, {'schedule': 'daily', 'count': 14}],
     'qos_policy': 'dsaas-performance', 'qos': {'max_throughput_iops': 20000, 'max_throughput_mbps': 1000}},
]
EXPORT_POLICY = {'name': 'dsaas-k8s', 'clients': ['10.20.30.0/24']}
CONNECTION = dict(hostname='ontap.example', username='admin', password='x', https=True, validate_certs=False,
                  use_rest='always')

# Recorded answers, in the shape ONTAP 9.14.1's REST API gives them.
CLUSTER = {'version': {'full': 'NetApp Release 9.14.1: Mon Feb 05 2024', 'generation': 9, 'major': 14, 'minor': 1}}
NO_RECORDS = {'records': [], 'num_records': 0}
SVM_UUID = '3b7a4b4a-5d6e-11ee-9f0b-005056b3c1a1'
EXISTING_DAILY = {'records': [{
    'uuid': '0f4c6f4e-8a1b-11ee-9f0b-005056b3c1a1', 'name': 'dsaas-daily', 'enabled': True,
    'comment': 'dsaas.platform tier student', 'scope': 'svm', 'svm': {'name': SVM, 'uuid': SVM_UUID},
    'copies': [{'count': 7, 'prefix': 'daily', 'schedule': {'name': 'daily'}, 'snapmirror_label': '-'}]}],
    'num_records': 1}
EXISTING_BALANCED = {'records': [{
    'uuid': '6a1d0b2c-8a1b-11ee-9f0b-005056b3c1a1', 'name': 'dsaas-balanced', 'svm': {'name': SVM, 'uuid': SVM_UUID},
    'fixed': {'max_throughput_iops': 2000, 'max_throughput_mbps': 0, 'min_throughput_iops': 0,
              'min_throughput_mbps': 0, 'capacity_shared': False}}], 'num_records': 1}
SVM_RECORDS = {'records': [{'uuid': SVM_UUID, 'name': SVM, 'nfs': {'enabled': True, 'allowed': True},
                            'iscsi': {'enabled': False, 'allowed': True}}], 'num_records': 1}


class RecordedOntap:
    """Replays answers per (method, api); unlisted GETs find nothing, unlisted writes succeed. Records every call."""

    def __init__(self, answers=None):
        self.answers = dict(answers or {})
        self.calls = []

    def answer(self, method, api, params, json=None):  # pylint: disable=redefined-outer-name
        self.calls.append((method, api, params, json))
        if (method, api) in self.answers:
            return 200, self.answers[(method, api)], None
        if method == 'GET' and api == 'cluster':
            return 200, CLUSTER, None
        if method == 'GET':
            return 200, NO_RECORDS, None
        return 201, {'num_records': 1, 'records': [dict(json or {}, uuid='new-uuid')]}, None

    @property
    def send_request(self):
        """Stands in for OntapRestAPI.send_request(self, method, api, params, json=None, headers=None, files=None)."""
        player = self

        def send_request(rest_api, method, api, params, json=None, headers=None, files=None):  # pylint: disable=redefined-outer-name,unused-argument
            return player.answer(method, api, params, json)
        return send_request

    def writes(self):
        return [(method, api, body) for method, api, dummy, body in self.calls if method != 'GET']


def run_module(module_name, args, ontap, monkeypatch, capsys):
    """Run a netapp.ontap module's main() with args against the recorded ONTAP; its JSON result."""
    module = pytest.importorskip('ansible_collections.netapp.ontap.plugins.modules.%s' % module_name)
    monkeypatch.setattr(netapp, 'HAS_REQUESTS', True)
    monkeypatch.setattr(netapp.OntapRestAPI, 'send_request', ontap.send_request)
    with patch_module_args(dict(CONNECTION, **args)):
        with pytest.raises(SystemExit):
            module.main()
    out = capsys.readouterr().out
    return json.loads(out[out.index('{'):])


def test_plan_from_the_tiers():
    plan = ontap_plan(TIERS, SVM, EXPORT_POLICY)
    assert plan['errors'] == []
    assert plan['snapshot_policies'] == [
        dict(name='dsaas-daily', vserver=SVM, enabled=True, comment='dsaas.platform tier student',
             schedule=['daily'], prefix=['daily'], count=[7]),
        dict(name='dsaas-hourly', vserver=SVM, enabled=True, comment='dsaas.platform tier researcher',
             schedule=['hourly', 'daily'], prefix=['hourly', 'daily'], count=[24, 14])]
    assert plan['qos_policies'] == [
        dict(name='dsaas-balanced', vserver=SVM, fixed_qos_options={'max_throughput_iops': 2000,
                                                                    'capacity_shared': False}),
        dict(name='dsaas-performance', vserver=SVM, fixed_qos_options={
            'max_throughput_iops': 20000, 'max_throughput_mbps': 1000, 'capacity_shared': False})]
    assert plan['export_policy'] == {'name': 'dsaas-k8s', 'vserver': SVM}
    assert plan['export_rules'] == [dict(name='dsaas-k8s', vserver=SVM, rule_index=1, client_match=['10.20.30.0/24'],
                                         protocol=['nfs'], ro_rule=['sys'], rw_rule=['sys'],
                                         super_user_security=['sys'], allow_suid=False)]


def test_plan_errors():
    tiers = [dict(TIERS[0], snapshot_schedules=[]), dict(TIERS[1], qos={})]
    plan = ontap_plan(tiers, '', {'name': 'p', 'clients': ['10.0.0.0/40']})
    assert 'tier student: snapshot_schedules is needed to create snapshot policy dsaas-daily' in plan['errors']
    assert any(error.startswith('tier researcher: qos') for error in plan['errors'])
    assert any("'10.0.0.0/40' is not a CIDR" in error for error in plan['errors'])
    assert 'the SVM name is needed for the ONTAP preparation' in plan['errors']
    assert ontap_plan(TIERS, SVM, None)['export_policy'] is None


def test_snapshot_policy_created_with_the_tier_schedule(monkeypatch, capsys):
    ontap = RecordedOntap()
    result = run_module('na_ontap_snapshot_policy', ontap_plan(TIERS, SVM)['snapshot_policies'][1], ontap,
                        monkeypatch, capsys)
    assert result['changed'] is True, result
    (write,) = ontap.writes()
    method, api, body = write
    assert (method, api) == ('POST', 'storage/snapshot-policies')
    assert body['name'] == 'dsaas-hourly' and body['svm.name'] == SVM and body['enabled'] is True
    assert [(copy['schedule'], copy['count'], copy['prefix']) for copy in body['copies']] == \
        [({'name': 'hourly'}, 24, 'hourly'), ({'name': 'daily'}, 14, 'daily')]


def test_snapshot_policy_already_there_is_not_written(monkeypatch, capsys):
    ontap = RecordedOntap({('GET', 'storage/snapshot-policies'): EXISTING_DAILY})
    result = run_module('na_ontap_snapshot_policy', ontap_plan(TIERS, SVM)['snapshot_policies'][0], ontap,
                        monkeypatch, capsys)
    assert result['changed'] is False, result
    assert ontap.writes() == []


def test_qos_policy_group_is_fixed_and_not_shared(monkeypatch, capsys):
    ontap = RecordedOntap()
    result = run_module('na_ontap_qos_policy_group', ontap_plan(TIERS, SVM)['qos_policies'][1], ontap,
                        monkeypatch, capsys)
    assert result['changed'] is True, result
    (write,) = ontap.writes()
    method, api, body = write
    assert (method, api) == ('POST', 'storage/qos/policies')
    assert body['name'] == 'dsaas-performance' and body['svm.name'] == SVM
    assert body['fixed'] == {'max_throughput_iops': 20000, 'max_throughput_mbps': 1000, 'capacity_shared': False}


def test_qos_policy_group_already_there_is_not_written(monkeypatch, capsys):
    ontap = RecordedOntap({('GET', 'storage/qos/policies'): EXISTING_BALANCED})
    result = run_module('na_ontap_qos_policy_group', ontap_plan(TIERS, SVM)['qos_policies'][0], ontap,
                        monkeypatch, capsys)
    assert result['changed'] is False, result
    assert ontap.writes() == []


def test_export_policy_and_its_rule(monkeypatch, capsys):
    plan = ontap_plan(TIERS, SVM, EXPORT_POLICY)
    ontap = RecordedOntap()
    result = run_module('na_ontap_export_policy', plan['export_policy'], ontap, monkeypatch, capsys)
    assert result['changed'] is True, result
    assert [(method, api, body.get('name')) for method, api, body in ontap.writes()] == \
        [('POST', 'protocols/nfs/export-policies', 'dsaas-k8s')]
    policy = {'records': [{'id': 42, 'name': 'dsaas-k8s', 'svm': {'name': SVM, 'uuid': SVM_UUID}}],
              'num_records': 1}
    ontap = RecordedOntap({('GET', 'protocols/nfs/export-policies'): policy})
    result = run_module('na_ontap_export_policy_rule', plan['export_rules'][0], ontap, monkeypatch, capsys)
    assert result['changed'] is True, result
    (write,) = [item for item in ontap.writes() if item[0] == 'POST']
    method, api, body = write
    assert api == 'protocols/nfs/export-policies/42/rules'
    assert [client['match'] for client in body['clients']] == ['10.20.30.0/24']
    assert body['protocols'] == ['nfs'] and body['ro_rule'] == ['sys'] and body['rw_rule'] == ['sys']


def test_svm_protocol_check_on_the_rest_info_record(monkeypatch, capsys):
    ontap = RecordedOntap({('GET', 'svm/svms'): SVM_RECORDS})
    result = run_module('na_ontap_rest_info', {'gather_subset': ['svm/svms'], 'fields': ['nfs', 'iscsi'],
                                               'parameters': {'name': SVM}}, ontap, monkeypatch, capsys)
    record = result['ontap_info']['svm/svms']['records'][0]
    assert svm_protocol_errors(record, ['nfs']) == []
    assert svm_protocol_errors(record, ['nfs', 'iscsi']) == [
        "SVM svm_dsaas: protocol iscsi is not enabled (Trident needs it for the tiers' volumes)"]
    assert ontap.writes() == []
