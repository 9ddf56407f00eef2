# -*- coding: utf-8 -*-
"""The lab's Samba AD DC (lab/services/20-samba-ad.sh + lab/samba_ad_seed.py) is what the hub expects.

Connection facts come from the environment that `eval "$(lab/lab env)"` sets (DSAAS_AD_*); the test
skips when they are absent. ldap3 is used directly, with the lab CA verified on every TLS connection.
"""
import os
import socket
import ssl
from urllib.parse import urlparse

import pytest

ldap3 = pytest.importorskip('ldap3')

from ansible_collections.dsaas.platform.plugins.module_utils.ad import VerifyingTls  # noqa: E402  pylint: disable=wrong-import-position

if not os.environ.get('DSAAS_AD_URI'):
    pytest.skip('DSAAS_AD_URI is not set: run lab/lab up samba-ad and eval "$(lab/lab env)"',
                allow_module_level=True)

IN_CHAIN = '1.2.840.113556.1.4.1941'  # LDAP_MATCHING_RULE_IN_CHAIN
UF_ACCOUNTDISABLE = 0x0002
UF_DONT_EXPIRE_PASSWD = 0x10000
USERS = {'alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'mallory'}
HUB_ACCESS_EFFECTIVE = {'alice', 'bob', 'carol', 'dave', 'erin', 'frank'}


def env(name):
    value = os.environ.get(name)
    if not value:
        pytest.skip('%s is not set (eval "$(lab/lab env)")' % name)
    return value


def read_secret(variable):
    with open(env(variable)) as handle:
        return handle.read().strip()


URI = os.environ['DSAAS_AD_URI']
HOST = urlparse(URI).hostname
PORT = urlparse(URI).port or 636


@pytest.fixture(scope='module')
def ldaps():
    return ldap3.Server(HOST, port=PORT, use_ssl=True, tls=VerifyingTls(env('DSAAS_AD_CA_FILE'), True),
                        get_info=ldap3.NONE, connect_timeout=5)


def bind(server, user, password):
    conn = ldap3.Connection(server, user=user, password=password, authentication=ldap3.SIMPLE,
                            raise_exceptions=False, receive_timeout=10)
    conn.bind()
    return conn


@pytest.fixture(scope='module')
def svc(ldaps):
    conn = bind(ldaps, env('DSAAS_AD_BIND_DN'), read_secret('DSAAS_AD_BIND_PASSWORD_FILE'))
    assert conn.bound, conn.result
    yield conn
    conn.unbind()


def one(conn, ldap_filter, attributes=('sAMAccountName',)):
    assert conn.search(env('DSAAS_AD_BASE_DN'), ldap_filter, attributes=list(attributes)), conn.result
    assert len(conn.entries) == 1, (ldap_filter, conn.entries)
    return conn.entries[0]


def group_dn(conn, name):
    return one(conn, '(&(objectClass=group)(sAMAccountName=%s))' % name).entry_dn


def user_names(conn, ldap_filter):
    conn.search(env('DSAAS_AD_BASE_DN'), '(&(objectCategory=person)(objectClass=user)%s)' % ldap_filter,
                attributes=['sAMAccountName'])
    assert conn.result['result'] == 0, conn.result
    return {str(entry.sAMAccountName) for entry in conn.entries}


def test_certificate_is_from_the_lab_ca_and_valid_for_the_uri_host():
    context = ssl.create_default_context(cafile=env('DSAAS_AD_CA_FILE'))
    with socket.create_connection((HOST, PORT), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=HOST) as tls:
            assert tls.version() in ('TLSv1.2', 'TLSv1.3')


def test_service_account_binds_over_ldaps_by_dn_and_by_upn(ldaps, svc):
    assert svc.bound
    conn = bind(ldaps, env('DSAAS_AD_BIND_USER'), read_secret('DSAAS_AD_BIND_PASSWORD_FILE'))
    assert conn.bound, conn.result
    conn.search('', '(objectClass=*)', search_scope=ldap3.BASE, attributes=['defaultNamingContext'])
    assert str(conn.entries[0].defaultNamingContext).lower() == env('DSAAS_AD_BASE_DN').lower()
    conn.unbind()


def test_service_account_password_never_expires(svc):
    entry = one(svc, '(sAMAccountName=svc-dsaas-bind)', ['userAccountControl', 'distinguishedName'])
    assert int(entry.userAccountControl.value) & UF_DONT_EXPIRE_PASSWD
    assert not int(entry.userAccountControl.value) & UF_ACCOUNTDISABLE
    assert entry.entry_dn.lower() == env('DSAAS_AD_BIND_DN').lower()


def test_realm_matches_the_base_dn():
    realm = env('DSAAS_AD_REALM')
    assert ','.join('dc=' + part for part in realm.lower().split('.')) == env('DSAAS_AD_BASE_DN').lower()


def test_in_chain_query_resolves_nested_groups(svc):
    members = user_names(svc, '(memberOf:%s:=%s)' % (IN_CHAIN, group_dn(svc, 'dsaas-hub-access')))
    assert 'erin' in members  # dsaas-research-lab-a -> dsaas-researchers -> dsaas-hub-access
    assert 'mallory' not in members
    assert members == HUB_ACCESS_EFFECTIVE


def test_erin_is_not_a_direct_member(svc):
    direct = user_names(svc, '(memberOf=%s)' % group_dn(svc, 'dsaas-hub-access'))
    assert direct == {'alice', 'dave'}
    assert 'erin' not in direct


def test_group_membership(svc):
    assert user_names(svc, '(memberOf=%s)' % group_dn(svc, 'dsaas-hub-admins')) == {'alice'}
    assert user_names(svc, '(memberOf=%s)' % group_dn(svc, 'dsaas-students')) == {'bob', 'frank'}
    assert user_names(svc, '(memberOf=%s)' % group_dn(svc, 'dsaas-research-lab-a')) == {'erin'}
    assert user_names(svc, '(memberOf:%s:=%s)' % (IN_CHAIN, group_dn(svc, 'dsaas-researchers'))) == {'carol', 'erin'}
    mallory = one(svc, '(sAMAccountName=mallory)', ['memberOf'])
    assert not mallory.memberOf.values


def test_groups_are_global_security_groups(svc):
    for name in ('dsaas-hub-access', 'dsaas-researchers', 'dsaas-research-lab-a', 'dsaas-students',
                 'dsaas-hub-admins'):
        entry = one(svc, '(&(objectClass=group)(sAMAccountName=%s))' % name, ['groupType'])
        assert int(entry.groupType.value) == -2147483646, name
        assert ',OU=Groups,OU=DSAAS,' in entry.entry_dn


def test_users_have_names_mail_and_upn(svc):
    assert user_names(svc, '') >= USERS
    for name in USERS:
        entry = one(svc, '(sAMAccountName=%s)' % name, ['givenName', 'sn', 'mail', 'userPrincipalName'])
        assert entry.mail.value == '%s@lab.dsaas.test' % name
        assert entry.userPrincipalName.value == '%s@lab.dsaas.test' % name
        assert entry.givenName.value and entry.sn.value
        assert ',OU=Users,OU=DSAAS,' in entry.entry_dn


def test_dave_is_disabled_and_the_others_are_not(svc):
    for name in USERS:
        entry = one(svc, '(sAMAccountName=%s)' % name, ['userAccountControl'])
        disabled = bool(int(entry.userAccountControl.value) & UF_ACCOUNTDISABLE)
        assert disabled == (name == 'dave'), name


@pytest.mark.parametrize('name', ['alice', 'erin', 'mallory'])
def test_users_bind_with_the_shared_password(ldaps, name):
    conn = bind(ldaps, '%s@lab.dsaas.test' % name, read_secret('DSAAS_AD_USERS_PASSWORD_FILE'))
    assert conn.bound, conn.result
    conn.unbind()


def test_disabled_user_cannot_bind(ldaps):
    conn = bind(ldaps, 'dave@lab.dsaas.test', read_secret('DSAAS_AD_USERS_PASSWORD_FILE'))
    assert not conn.bound
    assert conn.result['description'] == 'invalidCredentials'
    assert ', data 533,' in conn.result['message']  # ACCOUNT_DISABLED, not a wrong password


def test_wrong_password_is_invalid_credentials(ldaps):
    conn = bind(ldaps, env('DSAAS_AD_BIND_DN'), 'not-the-password')
    assert not conn.bound
    assert conn.result['description'] == 'invalidCredentials'


def test_plain_ldap_simple_bind_is_refused():
    server = ldap3.Server(HOST, port=389, use_ssl=False, get_info=ldap3.NONE, connect_timeout=5)
    conn = bind(server, env('DSAAS_AD_BIND_DN'), read_secret('DSAAS_AD_BIND_PASSWORD_FILE'))
    assert not conn.bound
    assert conn.result['description'] == 'strongerAuthRequired'
