#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: ad_group
short_description: Ensure an Active Directory security group, its description and its members
version_added: 0.1.0
description:
  - Creates or deletes a security group and manages its description and direct members, over
    LDAPS or StartTLS.
  - Members are named by sAMAccountName, userPrincipalName or DN and may be users or groups.
    Every member is resolved before anything changes; one that does not exist fails the task
    and nothing is written.
  - All changes to an existing group are sent as one LDAP modify, which the directory applies
    whole or not at all.
author:
  - dsaas.platform maintainers (@dsaas-platform)
extends_documentation_fragment:
  - dsaas.platform.ad
options:
  name:
    description:
      - sAMAccountName of the group (also its CN when it is created).
    type: str
    required: true
  state:
    description:
      - Whether the group should exist.
    type: str
    choices: [present, absent]
    default: present
  search_base:
    description:
      - Where the group and the members given by name are looked up (subtree).
      - Defaults to the domain's naming context read from the rootDSE.
    type: str
  path:
    description:
      - DN of the container (OU) a new group is created in. Defaults to O(search_base).
      - An existing group is never moved.
    type: str
  description:
    description:
      - The group's description. Left as it is when not given.
    type: str
  scope:
    description:
      - Scope of a new group. An existing group's scope is not changed.
    type: str
    choices: [global, domainlocal, universal]
    default: global
  members:
    description:
      - Users or groups, by sAMAccountName, userPrincipalName or DN.
      - Left as they are when not given.
    type: list
    elements: str
  members_mode:
    description:
      - V(exact) makes O(members) the complete list of direct members.
      - V(add) adds O(members) and keeps the others; V(remove) removes O(members) and keeps the others.
    type: str
    choices: [exact, add, remove]
    default: exact
attributes:
  check_mode:
    support: full
    description: Reports what would change and writes nothing.
  diff_mode:
    support: full
    description: Before and after of the description and the member DNs.
notes:
  - The bind account needs the right to create groups in O(path) and to write C(member).
seealso:
  - module: dsaas.platform.ad_group_info
'''

EXAMPLES = r'''
- name: The hub's access group has exactly these members
  dsaas.platform.ad_group:
    servers: "{{ dsaas_ad.servers }}"
    ca_file: "{{ dsaas_ad.ca_file }}"
    bind_user: "{{ ad_admin_user }}"
    bind_password: "{{ vault_ad_admin_password }}"
    search_base: OU=Research,DC=corp,DC=example
    path: OU=Groups,OU=Research,DC=corp,DC=example
    name: GG-DSaaS-Users
    description: May log in to the data-science platform
    members: [GG-DSaaS-Students, GG-DSaaS-Researchers, alice]

- name: Take bob out of the admins, leave the others
  dsaas.platform.ad_group:
    servers: "{{ dsaas_ad.servers }}"
    bind_user: "{{ ad_admin_user }}"
    bind_password: "{{ vault_ad_admin_password }}"
    name: GG-DSaaS-Admins
    members: [bob]
    members_mode: remove

- name: Remove a group
  dsaas.platform.ad_group:
    servers: "{{ dsaas_ad.servers }}"
    bind_user: "{{ ad_admin_user }}"
    bind_password: "{{ vault_ad_admin_password }}"
    name: GG-Old-Project
    state: absent
'''

RETURN = r'''
dn:
  description: DN of the group (also when it was just deleted, or would be created in check mode).
  returned: always
  type: str
  sample: CN=GG-DSaaS-Users,OU=Groups,OU=Research,DC=corp,DC=example
operation:
  description: What was (or in check mode would be) done, null when nothing.
  returned: always
  type: str
  sample: update
members:
  description: Member DNs after the task (as they would be, in check mode).
  returned: when O(state=present)
  type: list
  elements: str
added:
  description: Member DNs added.
  returned: always
  type: list
  elements: str
removed:
  description: Member DNs removed.
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dsaas.platform.plugins.module_utils.ad import (
    AD_CONNECTION_SPEC,
    PEER,
    ADConnectionError,
    one_line,
    root_dse,
    run_ad_module,
)
from ansible_collections.dsaas.platform.plugins.module_utils.ad_groups import (
    ADDirectory,
    desired_members,
    member_changes,
    new_group_attributes,
)
from ansible_collections.dsaas.platform.plugins.module_utils.diff import compute_change

try:
    import ldap3
    from ldap3.utils.dn import escape_rdn
except ImportError:  # pragma: no cover - reported by ad_connect
    ldap3 = None


def argument_spec():
    spec = dict(AD_CONNECTION_SPEC)
    spec.update(
        name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        search_base=dict(type='str'),
        path=dict(type='str'),
        description=dict(type='str'),
        scope=dict(type='str', choices=['global', 'domainlocal', 'universal'], default='global'),
        members=dict(type='list', elements='str'),
        members_mode=dict(type='str', choices=['exact', 'add', 'remove'], default='exact'),
    )
    return spec


def resolve_members(directory, names, base):
    """DNs of the wanted members; fails with every unknown name before anything is written."""
    found, missing = [], []
    for name in names:
        account = directory.resolve_account(name, base)
        if account is None:
            missing.append(name)
        else:
            found.append(account['dn'])
    if missing:
        raise ADConnectionError('member%s %s not found under %s; nothing was changed'
                                % ('s' if len(missing) > 1 else '', ', '.join(missing), base))
    return found


def current_state(group):
    if group is None:
        return None
    return {'name': group['name'], 'description': group['description'], 'members': group['members']}


def desired_state(params, group, member_dns):
    if params['state'] == 'absent':
        return None
    desired = {'name': group['name'] if group else params['name']}
    if params['description'] is not None:
        desired['description'] = params['description']
    elif group:
        desired['description'] = group['description']
    current_members = group['members'] if group else []
    if params['members'] is not None:
        desired['members'] = desired_members(current_members, member_dns, params['members_mode'])
    else:
        desired['members'] = current_members
    return desired


def apply(conn, where, dn, change, params):
    if change.action == 'create':
        ok = conn.add(dn, ['top', 'group'], new_group_attributes(change.after, params['scope']))
    elif change.action == 'delete':
        ok = conn.delete(dn)
    else:
        modification = {}
        if 'description' in change.modified:
            value = change.after['description']
            modification['description'] = [(ldap3.MODIFY_REPLACE, [value] if value else [])]
        if 'members' in change.modified:
            to_add, to_remove = member_changes(change.before['members'] or [], change.after['members'])
            modification['member'] = ([(ldap3.MODIFY_ADD, to_add)] if to_add else []) + \
                                     ([(ldap3.MODIFY_DELETE, to_remove)] if to_remove else [])
        ok = conn.modify(dn, modification)
    if not ok:
        result = conn.result or {}
        raise ADConnectionError('%s: %s of %s refused (%s: %s)' % (where, change.action, dn, result.get('description'),
                                                                   one_line(result.get('message') or 'no message')))


def ensure(ad, params, check_mode, want_diff):
    directory = ADDirectory(ad)
    base = params['search_base'] or root_dse(ad)['defaultNamingContext']
    group = directory.find_group(params['name'], base)
    member_dns = []
    if params['state'] == 'present' and params['members']:
        member_dns = resolve_members(directory, params['members'], base)
    desired = desired_state(params, group, member_dns)
    change = compute_change(current_state(group), desired,
                            unordered_keys=('members',), case_insensitive_keys=('members',))
    dn = group['dn'] if group else 'CN=%s,%s' % (escape_rdn(params['name']), params['path'] or base)
    if change and not check_mode:
        apply(ad.connection, '%s %s' % (PEER, ad.server.uri), dn, change, params)
    after_members = desired['members'] if desired else []
    added, removed = member_changes((group or {}).get('members') or [], after_members)
    result = dict(changed=bool(change), dn=dn, operation=change.action, added=added, removed=removed)
    if desired:
        result['members'] = after_members
    if want_diff:
        result['diff'] = change.masked()
    return result


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_ad_module(module, lambda ad: ensure(ad, module.params, module.check_mode, module._diff),
                  read_only=module.check_mode)


if __name__ == '__main__':
    main()
