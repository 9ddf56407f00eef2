# -*- coding: utf-8 -*-
# Pure logic of the AD connection helper: no directory server needed.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import socket
import ssl

import pytest

from ansible_collections.dsaas.platform.plugins.module_utils import ad
from ansible_collections.dsaas.platform.plugins.module_utils.ad import (
    ADConnectionError,
    ADServer,
    check_ca_file,
    describe_open_error,
    parse_server,
    parse_servers,
)


@pytest.mark.parametrize('entry, mode, port, expected', [
    ('dc1.corp.example', 'ldaps', None, ('dc1.corp.example', 636, 'ldaps')),
    ('dc1.corp.example', 'starttls', None, ('dc1.corp.example', 389, 'starttls')),
    ('dc1.corp.example:3269', 'ldaps', None, ('dc1.corp.example', 3269, 'ldaps')),
    ('dc1.corp.example', 'ldaps', 1636, ('dc1.corp.example', 1636, 'ldaps')),
    ('ldaps://dc1.corp.example', 'starttls', None, ('dc1.corp.example', 636, 'ldaps')),
    ('ldaps://127.0.0.1:10636', 'ldaps', None, ('127.0.0.1', 10636, 'ldaps')),
    ('ldap://dc2.corp.example', 'ldaps', None, ('dc2.corp.example', 389, 'starttls')),
    ('LDAPS://[::1]:636', 'ldaps', None, ('::1', 636, 'ldaps')),
])
def test_parse_server(entry, mode, port, expected):
    server = parse_server(entry, mode, port)
    assert (server.host, server.port, server.tls_mode) == expected


@pytest.mark.parametrize('entry, message', [
    ('', 'empty server name'),
    ('http://dc1', "scheme 'http'"),
    ('dc1:abc', 'invalid port'),
    ('ldaps://dc1:99999', 'invalid port'),
    ('ldaps://:636', 'no host name'),
])
def test_parse_server_rejects(entry, message):
    with pytest.raises(ADConnectionError, match=message):
        parse_server(entry)


def test_uri_round_trip():
    assert ADServer('::1', 636, 'ldaps').uri == 'ldaps://[::1]:636'
    assert ADServer('dc1', 389, 'starttls').uri == 'ldap://dc1:389'
    assert parse_server(ADServer('dc1', 3269, 'ldaps').uri) == ADServer('dc1', 3269, 'ldaps')


def test_failover_order_is_kept():
    servers = parse_servers({'servers': ['dc2', 'ldaps://dc1:1636'], 'tls_mode': 'ldaps', 'port': None})
    assert [s.uri for s in servers] == ['ldaps://dc2:636', 'ldaps://dc1:1636']


def test_plain_ldap_is_refused_by_design():
    with pytest.raises(ADConnectionError, match='TLS is required'):
        parse_servers({'servers': ['dc1'], 'tls_mode': 'none'})


def test_no_servers():
    with pytest.raises(ADConnectionError, match='no servers'):
        parse_servers({'servers': [], 'tls_mode': 'ldaps'})


def test_ca_file_missing(tmp_path):
    missing = str(tmp_path / 'nope.pem')
    with pytest.raises(ADConnectionError, match='CA file .*nope.pem not found'):
        check_ca_file(missing)


def test_ca_file_not_pem(tmp_path):
    junk = tmp_path / 'junk.pem'
    junk.write_text('this is not a certificate\n')
    with pytest.raises(ADConnectionError) as caught:
        check_ca_file(str(junk))
    assert 'junk.pem' in str(caught.value)
    assert '\n' not in str(caught.value)


def test_ca_file_ignored_without_validation(tmp_path):
    assert check_ca_file(str(tmp_path / 'nope.pem'), validate_certs=False) is None
    assert check_ca_file(None) is None


SERVER = ADServer('dc1.corp.example', 636, 'ldaps')


@pytest.mark.parametrize('exc, expected', [
    (ConnectionRefusedError(errno.ECONNREFUSED, 'Connection refused'), 'connection refused'),
    (socket.timeout('timed out'), 'no answer within 7 s (timeout)'),
    (socket.gaierror(-2, 'Name or service not known'), "host name 'dc1.corp.example' does not resolve"),
    (ssl.SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: '
                                     'self-signed certificate in certificate chain (_ssl.c:1028)'),
     'TLS certificate not trusted (certificate verify failed: self-signed certificate in certificate chain)'),
    (ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
                                     "Hostname mismatch, certificate is not valid for 'dc1.corp.example'."),
     "TLS certificate does not name 'dc1.corp.example' (hostname mismatch)"),
    (ssl.SSLError(1, '[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1028)'), 'TLS is required'),
    (OSError('socket ssl wrapping error: [Errno 104] Connection reset by peer'), 'did not answer in TLS'),
    (ValueError('invalid server address'), "host name 'dc1.corp.example' does not resolve"),
    (OSError('socket connection error while opening: [Errno 113] No route to host'), 'cannot connect (socket'),
])
def test_describe_open_error(exc, expected):
    message = describe_open_error(SERVER, exc, 7)
    assert message.startswith('AD ldaps://dc1.corp.example:636: ')
    assert expected in message
    assert '\n' not in message


def test_connect_without_ldap3(monkeypatch):
    monkeypatch.setattr(ad, 'HAS_LDAP3', False)
    with pytest.raises(ADConnectionError, match='ldap3 is required'):
        ad.ad_connect({'servers': ['dc1']})


def test_spec_marks_password_no_log():
    assert ad.AD_CONNECTION_SPEC['bind_password']['no_log'] is True
    assert ad.AD_CONNECTION_SPEC['validate_certs']['default'] is True


@pytest.mark.parametrize('value, expected', [
    ('alice', 'alice'),
    ('a*b', 'a\\2ab'),
    ('(x)', '\\28x\\29'),
    ('back\\slash', 'back\\5cslash'),
    ('nul\x00', 'nul\\00'),
])
def test_escape_filter(value, expected):
    assert ad.escape_filter(value) == expected


@pytest.mark.parametrize('bind_user, expected', [
    ('svc@corp.example', (None, 'subtree', '(userPrincipalName=svc@corp.example)')),
    ('CORP\\svc', (None, 'subtree', '(sAMAccountName=svc)')),
    ('CN=svc,OU=Service,DC=corp', ('CN=svc,OU=Service,DC=corp', 'base', '(objectClass=*)')),
    ('svc*', (None, 'subtree', '(sAMAccountName=svc\\2a)')),
])
def test_account_filter(bind_user, expected):
    assert ad.account_filter(bind_user) == expected


@pytest.mark.parametrize('result, expected', [
    ({'description': 'invalidCredentials',
      'message': '80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 52e, v3839'},
     'invalid credentials, AD code 52e'),
    ({'description': 'invalidCredentials', 'message': '80090308: LdapErr: DSID-0C0903A9, comment: '
                                                      'AcceptSecurityContext error, data 533, v1db1'},
     'account disabled, AD code 533'),
    ({'description': 'invalidCredentials', 'message': '... data 775, v4563'}, 'account locked out, AD code 775'),
    ({'description': 'invalidCredentials', 'message': ''}, 'invalid credentials'),
    ({'description': 'strongerAuthRequired', 'message': 'Transport encryption required.'},
     'the server requires TLS or a stronger authentication'),
    ({'description': 'unwillingToPerform', 'message': 'no'}, 'unwillingToPerform: no'),
    (None, 'unknown'),
])
def test_bind_rejection_cause(result, expected):
    assert ad.bind_rejection_cause(result) == expected
