# -*- coding: utf-8 -*-
"""The hub's AD login, end to end: a real JupyterHub 5.5.0 + ldapauthenticator 2.0.2 process (the lab's
jupyterhub runtime, pinned to the z2jh hub image) configured only from the values fragment that
dsaas.platform.jupyterhub_ad_auth renders, logging users of the lab's Samba AD DC in through the real
login form behind configurable-http-proxy.

The hub is tests/integration/hubs.py's: the values coalesced onto the chart's values.yaml and read by the
lab's emulation of z2jh's jupyterhub_config.py (lab/hub/jupyterhub_config.py: hub.services,
hub.loadRoles, then hub.config into ``c``, then every hub.extraConfig snippet exec'd in order), with
loopback stand-ins for the pod-specific parts (ports, database, proxy).
"""
import json
import os
import re
import time

import pytest
import yaml

from conftest import LAB_STATE, lab_secret, require_lab, run_playbook, z2jh_contract
from hubs import Hub, free_ports, hub_runtime

from ansible_collections.dsaas.platform.plugins.module_utils.z2jh import merge_values, schema_errors

BASE = 'DC=lab,DC=dsaas,DC=test'
GROUPS_OU = 'OU=Groups,OU=DSAAS,' + BASE
USERS_OU = 'OU=Users,OU=DSAAS,' + BASE
ACCESS_DN = 'CN=dsaas-hub-access,' + GROUPS_OU
ADMINS_DN = 'CN=dsaas-hub-admins,' + GROUPS_OU
CA = os.path.join(LAB_STATE, 'ca', 'ca.pem')

# The role's step: resolve both groups with ad_group_info, render the values with the filter.
VALUES_PLAYBOOK = r'''
- name: Render the hub's AD login values
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Resolve the access group
      dsaas.platform.ad_group_info: &ad
        servers: "{{ dsaas_ad.servers }}"
        tls_mode: "{{ dsaas_ad.tls_mode }}"
        ca_file: "{{ dsaas_ad.ca_file }}"
        bind_user: "{{ dsaas_ad.bind_user }}"
        bind_password: "{{ dsaas_ad.bind_password }}"
        search_base: "{{ dsaas_ad.base_dn }}"
        name: "{{ dsaas_ad.access_group }}"
      register: access_group

    - name: Resolve the admin group
      dsaas.platform.ad_group_info:
        <<: *ad
        name: "{{ dsaas_ad.admin_group }}"
      register: admin_group

    - name: Write the values fragment
      ansible.builtin.copy:
        dest: "{{ hub_values_file }}"
        mode: "0600"
        content: >-
          {{ dsaas_ad | combine({'servers': hub_servers_before + dsaas_ad.servers})
             | dsaas.platform.jupyterhub_ad_auth(access_group.dn, admin_group.dn, ca_path=dsaas_ad.ca_file)
             | to_nice_yaml }}
      no_log: true

    - name: Show it, masked
      ansible.builtin.debug:
        msg: "{{ dsaas_ad | dsaas.platform.jupyterhub_ad_auth(access_group.dn, admin_group.dn, mask_secrets=true) }}"
'''


class Directory:
    """The lab AD as its administrator, to change group members during a test (and put them back).

    A new connection per change: a restore in a `finally` must not depend on an earlier connection
    that a busy DC may have dropped."""

    def __init__(self):
        import ldap3
        self.ldap3 = ldap3
        self.password = lab_secret('ad-administrator')

    def connect(self):
        import ssl
        from ldap3.core.tls import Tls
        # 'localhost' is in the DC certificate; ldap3 2.9.1 cannot match its IP address SAN.
        server = self.ldap3.Server('localhost', port=636, use_ssl=True,
                                   tls=Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=CA), connect_timeout=10)
        # generous: a write waits while the DC commits another client's big transaction
        return self.ldap3.Connection(server, user='Administrator@lab.dsaas.test', password=self.password,
                                     auto_bind=True, receive_timeout=120)

    def change(self, group_dn, operation, member_dn):
        conn = self.connect()
        try:
            conn.search(group_dn, '(objectClass=group)', search_scope=self.ldap3.BASE, attributes=['member'])
            present = member_dn.lower() in [m.lower() for m in conn.entries[0].entry_attributes_as_dict.get('member', [])]
            if present == (operation == self.ldap3.MODIFY_DELETE):
                assert conn.modify(group_dn, {'member': [(operation, [member_dn])]}), conn.result
        finally:
            conn.unbind()

    def account_control(self, user_dn, value=None):
        """The account's userAccountControl; set to VALUE first when given."""
        conn = self.connect()
        try:
            if value is not None:
                assert conn.modify(user_dn, {'userAccountControl': [(self.ldap3.MODIFY_REPLACE, [value])]}), conn.result
            conn.search(user_dn, '(objectClass=user)', search_scope=self.ldap3.BASE, attributes=['userAccountControl'])
            return int(conn.entries[0].userAccountControl.value)
        finally:
            conn.unbind()

    def remove(self, group_dn, member_dn):
        self.change(group_dn, self.ldap3.MODIFY_DELETE, member_dn)

    def add(self, group_dn, member_dn):
        self.change(group_dn, self.ldap3.MODIFY_ADD, member_dn)


@pytest.fixture(scope='module')
def runtime():
    require_lab('samba-ad')
    require_lab('jupyterhub')
    return hub_runtime()


@pytest.fixture(scope='module')
def users_password():
    return lab_secret('ad-users')


@pytest.fixture(scope='module')
def directory(runtime):
    return Directory()


@pytest.fixture(scope='module')
def rendered(runtime, tmp_path_factory):
    """The values fragment rendered by the filter through ansible, with a dead DC before the lab's."""
    workdir = tmp_path_factory.mktemp('values')
    playbook = workdir / 'render.yml'
    playbook.write_text(VALUES_PLAYBOOK)
    values_file = workdir / 'values.yaml'
    dead = free_ports(1)[0]
    run = run_playbook(str(playbook), {'hub_values_file': str(values_file),
                                       'hub_servers_before': ['ldaps://127.0.0.1:%d' % dead]}, '-vvv')
    assert run.rc == 0, run.output
    with open(str(values_file)) as handle:
        values = yaml.safe_load(handle)
    values_file.unlink()  # the service account's password is not left behind in the temporary directory
    return {'values': values, 'output': run.output, 'dead_port': dead}


@pytest.fixture(scope='module')
def hub(runtime, rendered, tmp_path_factory):
    hub = Hub(runtime, tmp_path_factory.mktemp('hub'), rendered['values'])
    yield hub
    hub.stop()


def test_the_rendered_values_are_the_filter_output(rendered):
    values = rendered['values']
    ldap = values['hub']['config']['LDAPAuthenticator']
    assert ldap['allowed_groups'] == [ACCESS_DN]
    assert ldap['tls_strategy'] == 'on_connect'
    assert ldap['tls_kwargs'] == {'ca_certs_file': CA, 'validate': 2}
    assert values['hub']['config']['DsaasLDAPAuthenticator']['failover_servers'] == [
        'ldaps://127.0.0.1:%d' % rendered['dead_port'], 'ldaps://127.0.0.1:636']
    assert values['hub']['config']['DsaasLDAPAuthenticator']['admin_group_dn'] == ADMINS_DN
    # the play's output at -vvv shows the masked fragment and never the service account's password
    assert lab_secret('ad-bind') not in rendered['output']
    assert re.search(r'lookup_dn_search_password["\']?: *["\']?\*{8}', rendered['output'])


FILTER_ERROR_PLAYBOOK = r'''
- name: The filter with a group name where a DN is needed
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Render
      ansible.builtin.debug:
        msg: "{{ dsaas_ad | dsaas.platform.jupyterhub_ad_auth(mask_secrets=true) }}"
'''


def test_the_filter_refuses_group_names_in_one_line(runtime, tmp_path):
    playbook = tmp_path / 'error.yml'
    playbook.write_text(FILTER_ERROR_PLAYBOOK)
    run = run_playbook(str(playbook))
    assert run.rc != 0
    assert "jupyterhub_ad_auth: access_group 'dsaas-hub-access' is a name, not a DN" in run.output
    assert lab_secret('ad-bind') not in run.output


def test_direct_member_logs_in(hub, users_password):
    session, response = hub.login('alice', users_password)
    assert response.status_code == 302, response.text
    assert hub.whoami(session) == 'alice'


def test_member_through_two_nested_groups_logs_in(hub, users_password):
    session, response = hub.login('erin', users_password)
    assert response.status_code == 302, response.text
    assert hub.whoami(session) == 'erin'
    erin = hub.user('erin')
    assert erin['admin'] is False
    # all of erin's groups, transitively, by name in auth_state and as hub groups (manage_groups)
    # (tokenGroups without the primary group Domain Users)
    groups = ['dsaas-hub-access', 'dsaas-research-lab-a', 'dsaas-researchers']
    assert erin['auth_state']['groups'] == groups
    assert erin['auth_state']['group_dns'] == ['CN=%s,%s' % (group, GROUPS_OU) for group in groups]
    assert sorted(erin['groups']) == groups
    assert erin['auth_state']['user_attributes']['distinguishedName'] == ['CN=erin,' + USERS_OU]
    assert erin['auth_state']['ldap_groups'] == [ACCESS_DN]


@pytest.mark.parametrize('username, why', [
    ('mallory', 'in no group'),
    ('dave', 'disabled account'),
    ('nobody', 'no such account'),
])
def test_refused_users_get_403(hub, users_password, username, why):
    session, response = hub.login(username, users_password)
    assert response.status_code == 403, why
    assert 'Invalid username or password' in response.text
    assert hub.whoami(session) is None
    assert hub.user(username) is None


def test_wrong_password_gets_403(hub):
    session, response = hub.login('alice', 'Wrong-Pa55word-1')
    assert response.status_code == 403
    assert hub.whoami(session) is None


def test_user_names_are_lowercased(hub, users_password):
    session, response = hub.login('Alice', users_password)
    assert response.status_code == 302, response.text
    assert hub.whoami(session) == 'alice'
    # a first login in upper case creates the lowercase user only
    session, response = hub.login('CAROL', users_password)
    assert response.status_code == 302, response.text
    assert hub.whoami(session) == 'carol'
    assert hub.user('CAROL') is None and hub.user('Carol') is None
    assert hub.user('carol')['auth_state']['groups'] == ['dsaas-hub-access', 'dsaas-researchers']


def test_admins_come_from_the_admin_group(hub, users_password):
    for name in ('alice', 'bob'):
        assert hub.login(name, users_password)[1].status_code == 302
    alice, bob = hub.user('alice'), hub.user('bob')
    assert alice['admin'] is True
    assert 'admin' in alice['roles']
    assert alice['auth_state']['groups'] == ['dsaas-hub-access', 'dsaas-hub-admins']
    assert bob['admin'] is False
    assert 'admin' not in bob['roles']
    assert bob['auth_state']['groups'] == ['dsaas-hub-access', 'dsaas-students']


def test_removed_admin_is_no_admin_after_the_next_login(hub, directory, users_password):
    alice_dn = 'CN=alice,' + USERS_OU
    assert hub.login('alice', users_password)[1].status_code == 302
    assert hub.user('alice')['admin'] is True
    directory.remove(ADMINS_DN, alice_dn)
    try:
        # the documented step: the user logs in again (or auth_refresh_age passes, see the StartTLS hub)
        session, response = hub.login('alice', users_password)
        assert response.status_code == 302, response.text
        alice = hub.user('alice')
        assert alice['admin'] is False
        assert 'admin' not in alice['roles']
        assert alice['auth_state']['groups'] == ['dsaas-hub-access']
        assert sorted(alice['groups']) == ['dsaas-hub-access']
    finally:
        directory.add(ADMINS_DN, alice_dn)
    assert hub.login('alice', users_password)[1].status_code == 302
    assert hub.user('alice')['admin'] is True


def test_failover_and_no_password_in_the_hub_log(hub, rendered, users_password):
    log = hub.log()
    # the dead DC first in the list was tried once, then the one that answered is used first
    failovers = re.findall(r'AD 127\.0\.0\.1:%d unavailable .*trying the next domain controller'
                           % rendered['dead_port'], log)
    assert len(failovers) == 1, failovers
    assert 'User logged in: alice' in log
    assert 'Loading extra config: dsaas-ad-auth' in log
    assert 'DsaasLDAPAuthenticator' in log
    assert lab_secret('ad-bind') not in log
    assert users_password not in log


@pytest.fixture(scope='module')
def starttls_hub(runtime, tmp_path_factory):
    """A second hub, values from the Python function: StartTLS on 389 and a 2-second auth refresh."""
    from ansible_collections.dsaas.platform.plugins.module_utils.hub_auth import hub_auth_values
    ad = {'servers': ['ldap://127.0.0.1:389'], 'tls_mode': 'starttls', 'ca_file': CA, 'validate_certs': True,
          'bind_user': 'svc-dsaas-bind@lab.dsaas.test', 'bind_password': lab_secret('ad-bind'), 'timeout': 5,
          'base_dn': BASE, 'access_group': ACCESS_DN, 'admin_group': ADMINS_DN}
    values = hub_auth_values(ad, ca_path=CA, refresh_age=2)
    assert values['hub']['config']['LDAPAuthenticator']['tls_strategy'] == 'before_bind'
    hub = Hub(runtime, tmp_path_factory.mktemp('hub-starttls'), values)
    yield hub
    hub.stop()


def test_starttls_and_revocation_by_refresh_without_a_new_login(starttls_hub, directory, users_password):
    hub = starttls_hub
    alice_dn, frank_dn = 'CN=alice,' + USERS_OU, 'CN=frank,' + USERS_OU
    students_dn = 'CN=dsaas-students,' + GROUPS_OU
    alice_session, response = hub.login('alice', users_password)
    assert response.status_code == 302, response.text
    frank_session, response = hub.login('frank', users_password)
    assert response.status_code == 302, response.text
    assert hub.user('alice')['admin'] is True
    directory.remove(ADMINS_DN, alice_dn)
    directory.remove(students_dn, frank_dn)
    try:
        time.sleep(2.5)  # > auth_refresh_age: the next request of each session refreshes it from AD
        assert hub.whoami(alice_session) == 'alice'
        assert hub.user('alice')['admin'] is False
        assert hub.user('alice')['auth_state']['groups'] == ['dsaas-hub-access']
        # frank is no longer in the access group (through dsaas-students): his session ends
        assert hub.whoami(frank_session) is None
        assert hub.login('frank', users_password)[1].status_code == 403
    finally:
        directory.add(ADMINS_DN, alice_dn)
        directory.add(students_dn, frank_dn)
    assert lab_secret('ad-bind') not in hub.log()
    assert users_password not in hub.log()


def test_values_validate_against_the_chart_schema(rendered):
    """Contract: the fragment merged onto the chart's defaults is accepted by z2jh 4.4.0's schema."""
    defaults, schema = z2jh_contract()
    values = merge_values(defaults, json.loads(json.dumps(rendered['values'])))
    assert schema_errors(values, schema) == []
    assert values['hub']['config']['JupyterHub']['authenticator_class'] == 'ldapauthenticator.LDAPAuthenticator'
