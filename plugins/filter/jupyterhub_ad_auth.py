# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: jupyterhub_ad_auth
short_description: The JupyterHub Active Directory login as zero-to-jupyterhub values
version_added: 0.1.0
author: dsaas.platform contributors
description:
  - Turns the inventory's C(dsaas_ad) dictionary into the C(hub.config) and C(hub.extraConfig) values
    fragment of the zero-to-jupyterhub 4.4 chart, whose hub image runs JupyterHub 5.5.0 with
    jupyterhub-ldapauthenticator 2.0.2.
  - Users are looked up by C(sAMAccountName) with the service account (disabled accounts excluded), then
    bind with their own password over LDAPS or StartTLS with certificate validation.
  - Only members of the access group may log in, nested at any depth (the IN_CHAIN matching rule
    1.2.840.113556.1.4.1941).
  - Members of the admin group (nested too) are hub admins. This is decided at every login and every
    auth refresh (C(Authenticator.auth_refresh_age)), not at deploy time, so a user removed from the group
    stops being admin at their next login or refresh. C(Authenticator.admin_users) is not used.
  - User names are lowercased (C(Alice) logs in as C(alice)). The groups the user is in (transitively, under
    O(group_search_base), read from C(tokenGroups)) are kept in C(auth_state.groups) and, with O(manage_groups),
    as JupyterHub groups.
  - All domain controllers of C(servers) are used in order (failover) by the C(DsaasLDAPAuthenticator)
    subclass defined in C(hub.extraConfig); the first one is also C(LDAPAuthenticator.server_address). The one
    that answered last is tried first, so a dead domain controller costs one timeout, not one per login.
  - Pure, nothing is contacted. Group names are not resolved here; pass the groups' DNs (as returned by
    M(dsaas.platform.ad_group_info)) or put DNs in C(dsaas_ad.access_group) and C(dsaas_ad.admin_group).
  - The result holds the service account's password at C(hub.config.LDAPAuthenticator.lookup_dn_search_password)
    (the only secret); use O(mask_secrets=true) for a copy fit for output and diffs, and C(no_log) on tasks
    that show the real one.
  - auth_state is encrypted with C(hub.config.CryptKeeper.keys), which the chart generates into its Secret
    when unset; a hub outside the chart needs the environment variable E(JUPYTERHUB_CRYPT_KEY).
positional: access_group_dn, admin_group_dn
options:
  _input:
    description:
      - The AD connection, shaped like the inventory variable C(dsaas_ad).
      - Keys used are C(servers) (failover order; C(ldaps://host[:port]), C(ldap://host[:port]) for StartTLS,
        or a host name), C(tls_mode) (V(ldaps) or V(starttls); V(none) is refused), C(port), C(validate_certs),
        C(ca_file) (only whether one is set), C(bind_user), C(bind_password), C(timeout), C(base_dn),
        C(access_group) and C(admin_group) (used when they are DNs).
    type: dict
    required: true
  access_group_dn:
    description:
      - DN of the group whose members (nested at any depth) may log in.
      - Defaults to C(dsaas_ad.access_group) when that is a DN; a group name there is an error.
    type: str
  admin_group_dn:
    description:
      - DN of the group whose members (nested at any depth) are hub admins.
      - Defaults to C(dsaas_ad.admin_group) when that is a DN. Without any, the admin flag is not managed from AD.
    type: str
  ca_path:
    description:
      - Path of the PEM CA file that signed the domain controllers' certificates B(inside the hub pod).
      - Defaults to V(/usr/local/etc/jupyterhub/dsaas/ad-ca.pem) when C(dsaas_ad.ca_file) is set and
        certificates are validated, otherwise the image's system trust store is used.
    type: str
  user_search_base:
    description: Where users are looked up. Defaults to C(dsaas_ad.base_dn).
    type: str
  group_search_base:
    description: Where the user's groups are searched for C(auth_state.groups). Defaults to the user search base.
    type: str
  refresh_age:
    description:
      - C(Authenticator.auth_refresh_age) in seconds; how often an open session's groups, admin flag and
        access are checked again in AD. V(0) checks only at login.
    type: int
    default: 300
  manage_groups:
    description: Set C(Authenticator.manage_groups), so that JupyterHub's groups mirror the user's AD groups.
    type: bool
    default: true
  username_regex:
    description:
      - C(LDAPAuthenticator.valid_username_regex), checked against the name as typed (before lowercasing).
    type: str
    default: '^[A-Za-z0-9][A-Za-z0-9._-]*$'
  mask_secrets:
    description: Return the fragment with the service account's password replaced by C(********).
    type: bool
    default: false
seealso:
  - module: dsaas.platform.ad_group_info
  - name: ldapauthenticator 2.0.2
    description: The authenticator's options.
    link: https://github.com/jupyterhub/ldapauthenticator/tree/2.0.2
  - name: zero-to-jupyterhub hub.config and hub.extraConfig
    description: How the chart applies the fragment.
    link: https://z2jh.jupyter.org/en/stable/resources/reference.html#hub-config
'''

EXAMPLES = r'''
- name: Resolve the access group
  dsaas.platform.ad_group_info:
    servers: "{{ dsaas_ad.servers }}"
    ca_file: "{{ dsaas_ad.ca_file }}"
    bind_user: "{{ dsaas_ad.bind_user }}"
    bind_password: "{{ dsaas_ad.bind_password }}"
    search_base: "{{ dsaas_ad.base_dn }}"
    name: "{{ dsaas_ad.access_group }}"
  register: access_group

- name: Resolve the admin group
  dsaas.platform.ad_group_info:
    servers: "{{ dsaas_ad.servers }}"
    ca_file: "{{ dsaas_ad.ca_file }}"
    bind_user: "{{ dsaas_ad.bind_user }}"
    bind_password: "{{ dsaas_ad.bind_password }}"
    search_base: "{{ dsaas_ad.base_dn }}"
    name: "{{ dsaas_ad.admin_group }}"
  register: admin_group

- name: Build the hub's AD login values
  ansible.builtin.set_fact:
    jupyterhub_auth_values: >-
      {{ dsaas_ad | dsaas.platform.jupyterhub_ad_auth(access_group.dn, admin_group.dn,
                                                      ca_path='/usr/local/etc/jupyterhub/dsaas/ad-ca.pem') }}
  no_log: true

- name: Show them without the password
  ansible.builtin.debug:
    msg: "{{ dsaas_ad | dsaas.platform.jupyterhub_ad_auth(access_group.dn, mask_secrets=true) }}"
'''

RETURN = r'''
_value:
  description:
    - The values fragment, a dictionary with C(hub.config) and C(hub.extraConfig), to merge into the chart's values.
    - C(hub.config.JupyterHub.authenticator_class) is C(ldapauthenticator.LDAPAuthenticator); the snippet
      C(hub.extraConfig.dsaas-ad-auth) subclasses it as C(DsaasLDAPAuthenticator) and makes that the class.
    - C(hub.config.LDAPAuthenticator) holds server_address, server_port, tls_strategy (V(on_connect) for LDAPS,
      V(before_bind) for StartTLS), tls_kwargs (C(ca_certs_file), C(validate)), lookup_dn, lookup_dn_search_filter,
      lookup_dn_search_user, lookup_dn_search_password, lookup_dn_user_dn_attribute, use_lookup_dn_username,
      user_search_base, user_attribute, valid_username_regex, allowed_groups, group_search_filter,
      group_attributes and auth_state_attributes.
    - C(hub.config.Authenticator) holds enable_auth_state, allow_all, allow_existing_users, manage_groups and
      auth_refresh_age; C(hub.config.DsaasLDAPAuthenticator) holds failover_servers, connect_timeout,
      admin_group_dn and group_search_base.
    - Secret paths, masked with O(mask_secrets=true), are C(hub.config.LDAPAuthenticator.lookup_dn_search_password).
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.dsaas.platform.plugins.module_utils.hub_auth import (
    DEFAULT_USERNAME_REGEX,
    HubAuthError,
    hub_auth_values,
    mask_values,
)


def jupyterhub_ad_auth(ad, access_group_dn=None, admin_group_dn=None, ca_path=None, user_search_base=None,
                       group_search_base=None, refresh_age=300, manage_groups=True,
                       username_regex=DEFAULT_USERNAME_REGEX, mask_secrets=False):
    try:
        values = hub_auth_values(ad, access_group_dn=access_group_dn, admin_group_dn=admin_group_dn,
                                 ca_path=ca_path, user_search_base=user_search_base,
                                 group_search_base=group_search_base, refresh_age=refresh_age,
                                 manage_groups=manage_groups, username_regex=username_regex)
    except HubAuthError as exc:
        raise AnsibleFilterError('jupyterhub_ad_auth: %s' % exc)
    return mask_values(values) if mask_secrets else values


class FilterModule(object):
    def filters(self):
        return {'jupyterhub_ad_auth': jupyterhub_ad_auth}
