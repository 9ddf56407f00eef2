# -*- coding: utf-8 -*-
# The Kubernetes connection helper: kubernetes.core's options, one-line causes of transport and API errors.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC

from ansible_collections.dsaas.platform.plugins.module_utils.k8s import (
    K8S_CONNECTION_SPEC,
    api_error_cause,
    connection_cause,
    status_details,
)


class Answer(Exception):
    def __init__(self, status, reason, body):
        super(Answer, self).__init__(reason)
        self.status, self.reason, self.body = status, reason, body


class Wrapped(Exception):
    def __init__(self, reason):
        super(Wrapped, self).__init__('wrapper')
        self.reason = reason


def test_connection_spec_is_kubernetes_cores_plus_a_timeout():
    assert set(K8S_CONNECTION_SPEC) == set(AUTH_ARG_SPEC) | set(['request_timeout'])
    assert K8S_CONNECTION_SPEC['api_key']['no_log'] is True


def test_connection_cause_keeps_the_socket_error():
    refused = Wrapped("<urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: "
                      "[Errno 111] Connection refused")
    assert connection_cause(refused) == '[Errno 111] Connection refused'
    untrusted = Wrapped("SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify "
                        "failed: unable to get local issuer certificate (_ssl.c:1000)'))")
    assert connection_cause(untrusted) == ('TLS certificate not trusted (certificate verify failed: unable to get '
                                           'local issuer certificate)')
    assert connection_cause(ValueError('odd\n  thing')) == 'odd thing'


def test_api_error_cause_and_status_details():
    body = json.dumps({'kind': 'Status', 'reason': 'Forbidden', 'code': 403,
                       'message': 'secrets "x" is forbidden: User "bob" cannot get resource "secrets"'})
    forbidden = Answer(403, 'Forbidden', body)
    assert api_error_cause(forbidden) == '403 Forbidden: secrets "x" is forbidden: User "bob" cannot get resource "secrets"'
    assert status_details(forbidden)['reason'] == 'Forbidden'
    not_served = Answer(404, 'Not Found', b'404 page not found\n')
    assert api_error_cause(not_served) == '404 Not Found: 404 page not found'
    assert status_details(not_served) == {}
