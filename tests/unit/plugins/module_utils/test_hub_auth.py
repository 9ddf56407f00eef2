# -*- coding: utf-8 -*-
# The hub's AD login values (module_utils/hub_auth.py): pure, no server. The jupyterhub_ad_auth filter
# around it is controller code (ansible.errors), which this module_utils context cannot import: it is
# run through ansible in tests/integration/test_hub_ad_login.py.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

import pytest

from ansible_collections.dsaas.platform.plugins.module_utils import hub_auth
from ansible_collections.dsaas.platform.plugins.module_utils.diff import MASK, mask_secrets
from ansible_collections.dsaas.platform.plugins.module_utils.hub_auth import (
    DEFAULT_CA_PATH,
    EXTRA_CONFIG,
    HubAuthError,
    SECRET_KEYS,
    SECRET_PATHS,
    hub_auth_values,
    mask_values,
)

BASE = 'DC=corp,DC=example'
ACCESS = 'CN=GG-DSaaS-Users,OU=Groups,%s' % BASE
ADMINS = 'CN=GG-DSaaS-Admins,OU=Groups,%s' % BASE
PASSWORD = 'S3cret-bind-Pa55'


def inventory(**overrides):
    ad = {
        'servers': ['ldaps://dc1.corp.example', 'dc2.corp.example:3269'],
        'tls_mode': 'ldaps',
        'ca_file': '/etc/ssl/corp-ca.pem',
        'validate_certs': True,
        'bind_user': 'svc-jupyterhub@corp.example',
        'bind_password': PASSWORD,
        'timeout': 7,
        'base_dn': BASE,
        'access_group': 'GG-DSaaS-Users',
        'admin_group': 'GG-DSaaS-Admins',
    }
    ad.update(overrides)
    return ad


def config(values, section):
    return values['hub']['config'][section]


def test_fragment_shape():
    values = hub_auth_values(inventory(), ACCESS, ADMINS)
    assert sorted(values) == ['hub']
    assert sorted(values['hub']) == ['config', 'extraConfig']
    assert sorted(values['hub']['config']) == ['Authenticator', 'DsaasLDAPAuthenticator', 'JupyterHub', 'LDAPAuthenticator']
    assert config(values, 'JupyterHub') == {'authenticator_class': 'ldapauthenticator.LDAPAuthenticator'}
    assert list(values['hub']['extraConfig']) == ['dsaas-ad-auth']
    assert values['hub']['extraConfig']['dsaas-ad-auth'] == EXTRA_CONFIG


def test_ldap_authenticator_options():
    ldap = config(hub_auth_values(inventory(), ACCESS, ADMINS), 'LDAPAuthenticator')
    assert ldap == {
        'server_address': 'dc1.corp.example',
        'server_port': 636,
        'tls_strategy': 'on_connect',
        'tls_kwargs': {'ca_certs_file': DEFAULT_CA_PATH, 'validate': 2},
        'lookup_dn': True,
        'user_search_base': BASE,
        'user_attribute': 'sAMAccountName',
        'lookup_dn_search_filter': hub_auth.USER_LOOKUP_FILTER,
        'lookup_dn_search_user': 'svc-jupyterhub@corp.example',
        'lookup_dn_search_password': PASSWORD,
        'lookup_dn_user_dn_attribute': 'sAMAccountName',
        'use_lookup_dn_username': True,
        'valid_username_regex': hub_auth.DEFAULT_USERNAME_REGEX,
        'allowed_groups': [ACCESS],
        'group_search_filter': '(member:1.2.840.113556.1.4.1941:={userdn})',
        'group_attributes': ['cn'],
        'auth_state_attributes': ['distinguishedName', 'sAMAccountName', 'userPrincipalName', 'mail',
                                  'displayName'],
    }


def test_authenticator_options_never_pin_admins():
    auth = config(hub_auth_values(inventory(), ACCESS, ADMINS), 'Authenticator')
    assert auth == {'enable_auth_state': True, 'allow_all': False, 'allow_existing_users': False,
                    'manage_groups': True, 'auth_refresh_age': 300}
    values = hub_auth_values(inventory(), ACCESS, ADMINS, refresh_age='60', manage_groups=False)
    assert config(values, 'Authenticator')['auth_refresh_age'] == 60
    assert config(values, 'Authenticator')['manage_groups'] is False
    for section in values['hub']['config'].values():
        assert 'admin_users' not in section


def test_subclass_settings_keep_the_failover_order():
    sub = config(hub_auth_values(inventory(), ACCESS, ADMINS), 'DsaasLDAPAuthenticator')
    assert sub == {
        'failover_servers': ['ldaps://dc1.corp.example:636', 'ldaps://dc2.corp.example:3269'],
        'connect_timeout': 7,
        'admin_group_dn': ADMINS,
        'group_search_base': BASE,
    }


@pytest.mark.parametrize('servers, tls_mode, first, strategy, uris', [
    (['dc1.corp.example'], 'ldaps', ('dc1.corp.example', 636), 'on_connect', ['ldaps://dc1.corp.example:636']),
    (['dc1.corp.example'], 'starttls', ('dc1.corp.example', 389), 'before_bind', ['ldap://dc1.corp.example:389']),
    (['ldap://dc1.corp.example', 'ldaps://dc2.corp.example'], 'ldaps', ('dc1.corp.example', 389), 'before_bind',
     ['ldap://dc1.corp.example:389', 'ldaps://dc2.corp.example:636']),
    (['ldaps://127.0.0.1:10636'], 'starttls', ('127.0.0.1', 10636), 'on_connect', ['ldaps://127.0.0.1:10636']),
    (['ldaps://[::1]'], 'ldaps', ('::1', 636), 'on_connect', ['ldaps://[::1]:636']),
])
def test_tls_mode_maps_to_the_real_tls_strategy(servers, tls_mode, first, strategy, uris):
    # ldapauthenticator 2.0.2: on_connect = use_ssl (LDAPS), before_bind = StartTLS before the bind.
    values = hub_auth_values(inventory(servers=servers, tls_mode=tls_mode), ACCESS, ADMINS)
    ldap = config(values, 'LDAPAuthenticator')
    assert (ldap['server_address'], ldap['server_port']) == first
    assert ldap['tls_strategy'] == strategy
    assert config(values, 'DsaasLDAPAuthenticator')['failover_servers'] == uris


def test_port_applies_to_entries_without_one():
    values = hub_auth_values(inventory(servers=['dc1', 'dc2:1636'], port=3269), ACCESS, ADMINS)
    assert config(values, 'DsaasLDAPAuthenticator')['failover_servers'] == ['ldaps://dc1:3269', 'ldaps://dc2:1636']


@pytest.mark.parametrize('overrides, message', [
    ({'tls_mode': 'none'}, 'TLS is required'),
    ({'servers': []}, 'no servers'),
    ({'servers': ['http://dc1']}, "scheme 'http'"),
    ({'bind_password': ''}, 'bind_password is required'),
    ({'bind_user': None}, 'bind_user is required'),
    ({'base_dn': ''}, 'base_dn'),
    ({'base_dn': 'corp.example'}, 'must be a DN'),
    ({'timeout': -1}, 'timeout'),
    ({'timeout': 'soon'}, 'positive number'),
    ({'servers': None}, 'no servers'),
])
def test_bad_inventory_is_refused(overrides, message):
    with pytest.raises(HubAuthError, match=message):
        hub_auth_values(inventory(**overrides), ACCESS, ADMINS)


def test_group_names_must_be_resolved_first():
    with pytest.raises(HubAuthError, match="access_group 'GG-DSaaS-Users' is a name, not a DN.*ad_group_info"):
        hub_auth_values(inventory())
    with pytest.raises(HubAuthError, match="admin_group 'GG-DSaaS-Admins' is a name"):
        hub_auth_values(inventory(), access_group_dn=ACCESS)
    with pytest.raises(HubAuthError, match='no access group'):
        hub_auth_values(inventory(access_group=None, admin_group=None))


def test_group_dns_from_the_inventory():
    values = hub_auth_values(inventory(access_group=ACCESS, admin_group=ADMINS))
    assert config(values, 'LDAPAuthenticator')['allowed_groups'] == [ACCESS]
    assert config(values, 'DsaasLDAPAuthenticator')['admin_group_dn'] == ADMINS


def test_without_admin_group_the_flag_is_not_managed():
    values = hub_auth_values(inventory(admin_group=None), ACCESS)
    assert config(values, 'DsaasLDAPAuthenticator')['admin_group_dn'] == ''


def test_search_bases():
    values = hub_auth_values(inventory(), ACCESS, ADMINS, user_search_base='OU=People,%s' % BASE,
                             group_search_base='OU=Groups,%s' % BASE)
    assert config(values, 'LDAPAuthenticator')['user_search_base'] == 'OU=People,%s' % BASE
    assert config(values, 'DsaasLDAPAuthenticator')['group_search_base'] == 'OU=Groups,%s' % BASE


@pytest.mark.parametrize('overrides, ca_path, expected', [
    ({}, None, {'ca_certs_file': DEFAULT_CA_PATH, 'validate': 2}),
    ({}, '/srv/ca.pem', {'ca_certs_file': '/srv/ca.pem', 'validate': 2}),
    ({'ca_file': None}, None, {'validate': 2}),  # the image's system trust store
    ({'validate_certs': False}, '/srv/ca.pem', {'validate': 0}),
    ({'validate_certs': None}, None, {'ca_certs_file': DEFAULT_CA_PATH, 'validate': 2}),
])
def test_tls_kwargs(overrides, ca_path, expected):
    values = hub_auth_values(inventory(**overrides), ACCESS, ADMINS, ca_path=ca_path)
    assert config(values, 'LDAPAuthenticator')['tls_kwargs'] == expected


def test_filters_format_like_ldapauthenticator_does():
    ldap = config(hub_auth_values(inventory(), ACCESS, ADMINS), 'LDAPAuthenticator')
    # resolve_username(): lookup_dn_search_filter.format(login_attr=user_attribute, login=escaped name)
    lookup = ldap['lookup_dn_search_filter'].format(login_attr=ldap['user_attribute'], login='Alice')
    assert lookup == ('(&(objectCategory=person)(objectClass=user)'
                      '(!(userAccountControl:1.2.840.113556.1.4.803:=2))(sAMAccountName=Alice))')
    # authenticate(): group_search_filter.format(userdn=escaped DN, uid=escaped name), base search on the group
    member = ldap['group_search_filter'].format(userdn='CN=erin,OU=Users,%s' % BASE, uid='erin')
    assert member == '(member:1.2.840.113556.1.4.1941:=CN=erin,OU=Users,%s)' % BASE
    assert lookup.count('(') == lookup.count(')')


@pytest.mark.parametrize('name, valid', [
    ('alice', True), ('Alice', True), ('ALICE', True), ('j.doe', True), ('first_last-2', True), ('1st', True),
    ('', False), ('a b', False), ('a*', False), ('(uid=*)', False), ('alice@corp', False), ('.x', False),
])
def test_username_regex_lets_upper_case_through(name, valid):
    # checked on the typed name before JupyterHub lowercases it; ldapauthenticator's default refuses 'Alice'
    assert bool(re.match(hub_auth.DEFAULT_USERNAME_REGEX, name)) is valid
    assert not re.match(r'^[a-z][.a-z0-9_-]*$', 'Alice')


def test_bad_username_regex():
    with pytest.raises(HubAuthError, match='not a regular expression'):
        hub_auth_values(inventory(), ACCESS, ADMINS, username_regex='([')


def paths_of(value, needle, prefix=''):
    """Every dotted path in value whose leaf contains needle."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_of(item, needle, '%s.%s' % (prefix, key) if prefix else key)
    elif isinstance(value, list):
        for item in value:
            found += paths_of(item, needle, prefix)
    elif isinstance(value, str) and needle in value:
        found.append(prefix)
    return found


def test_the_password_is_only_at_the_secret_paths():
    values = hub_auth_values(inventory(), ACCESS, ADMINS)
    assert paths_of(values, PASSWORD) == list(SECRET_PATHS)
    assert SECRET_KEYS == ('lookup_dn_search_password',)


def test_masking():
    values = hub_auth_values(inventory(), ACCESS, ADMINS)
    original = copy.deepcopy(values)
    masked = mask_values(values)
    assert values == original
    assert paths_of(masked, PASSWORD) == []
    assert config(masked, 'LDAPAuthenticator')['lookup_dn_search_password'] == MASK
    assert config(masked, 'LDAPAuthenticator')['lookup_dn_search_user'] == 'svc-jupyterhub@corp.example'
    # the diff helper masks by key name: the same result
    assert mask_secrets(values, SECRET_KEYS) == masked
    assert mask_values({'hub': {}}) == {'hub': {}}


def test_extra_config_is_valid_python_without_secrets_or_settings():
    code = compile(EXTRA_CONFIG, 'dsaas-ad-auth', 'exec')
    assert 'DsaasLDAPAuthenticator' in code.co_names
    assert 'c.JupyterHub.authenticator_class = DsaasLDAPAuthenticator' in EXTRA_CONFIG
    # constant code: every setting is in hub.config, so no inventory value appears in it
    for value in (PASSWORD, BASE, 'dc1.corp.example', 'svc-jupyterhub'):
        assert value not in EXTRA_CONFIG
    # every trait the subclass reads from hub.config.DsaasLDAPAuthenticator is declared there
    sub = config(hub_auth_values(inventory(), ACCESS, ADMINS), 'DsaasLDAPAuthenticator')
    for trait in sub:
        assert re.search(r'^    %s = _Dsaas(List|Int|Unicode)\(' % trait, EXTRA_CONFIG, re.M), trait


def test_ad_dict_is_not_modified():
    ad = inventory()
    before = copy.deepcopy(ad)
    hub_auth_values(ad, ACCESS, ADMINS)
    assert ad == before
