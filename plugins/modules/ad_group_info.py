#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: ad_group_info
short_description: Resolve an Active Directory security group and its (nested) members
version_added: 0.1.0
description:
  - Finds a group by sAMAccountName under a search base, or by DN, over LDAPS or StartTLS.
  - With O(nested=true) (the default) the members of groups nested inside the group count too,
    resolved by the directory with the IN_CHAIN matching rule (1.2.840.113556.1.4.1941), so the
    number of queries does not grow with the nesting depth; results are paged.
  - Disabled accounts (userAccountControl bit 2) are left out unless O(include_disabled=true).
  - Read-only.
author:
  - dsaas.platform maintainers (@dsaas-platform)
extends_documentation_fragment:
  - dsaas.platform.ad
options:
  name:
    description:
      - The group's sAMAccountName, or its distinguished name.
    type: str
    required: true
  search_base:
    description:
      - Where to look for the group by name (subtree).
      - Defaults to the domain's naming context read from the rootDSE.
      - Members are searched in the whole domain of the group, wherever they are.
    type: str
  nested:
    description:
      - Count members of nested groups (at any depth) as members.
    type: bool
    default: true
  include_disabled:
    description:
      - Return disabled accounts too (with RV(members[].disabled=true)).
    type: bool
    default: false
  page_size:
    description:
      - Entries per page of a paged search (the server's MaxPageSize caps it, 1000 on AD).
    type: int
    default: 500
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing to change.
seealso:
  - module: dsaas.platform.ad_group
  - module: dsaas.platform.ad_connection_info
'''

EXAMPLES = r'''
- name: Resolve the hub's access group with nested members
  dsaas.platform.ad_group_info:
    servers: "{{ dsaas_ad.servers }}"
    ca_file: "{{ dsaas_ad.ca_file }}"
    bind_user: "{{ dsaas_ad.bind_user }}"
    bind_password: "{{ dsaas_ad.bind_password }}"
    search_base: OU=Research,DC=corp,DC=example
    name: GG-DSaaS-Users
  register: access_group

- name: Direct members only, disabled accounts included
  dsaas.platform.ad_group_info:
    servers: [ldaps://dc1.corp.example]
    bind_user: svc-jupyterhub@corp.example
    bind_password: "{{ vault_ad_bind_password }}"
    name: CN=GG-DSaaS-Admins,OU=Groups,DC=corp,DC=example
    nested: false
    include_disabled: true
'''

RETURN = r'''
dn:
  description: Distinguished name of the group.
  returned: success
  type: str
  sample: CN=GG-DSaaS-Users,OU=Groups,DC=corp,DC=example
name:
  description: sAMAccountName of the group.
  returned: success
  type: str
  sample: GG-DSaaS-Users
description:
  description: The group's description, if any.
  returned: success
  type: str
members:
  description: User accounts that are members (directly, or through nested groups when O(nested=true)).
  returned: success
  type: list
  elements: dict
  contains:
    sAMAccountName:
      description: Logon name.
      type: str
    distinguishedName:
      description: DN of the account.
      type: str
    userPrincipalName:
      description: UPN of the account.
      type: str
    mail:
      description: E-mail address, if set.
      type: str
    disabled:
      description: Whether the account is disabled.
      type: bool
  sample: [{sAMAccountName: alice, distinguishedName: "CN=alice,OU=Users,DC=corp,DC=example",
            userPrincipalName: alice@corp.example, mail: alice@corp.example, disabled: false}]
member_count:
  description: Number of entries in RV(members).
  returned: success
  type: int
  sample: 42
nested_groups:
  description: Groups traversed below the group (empty when O(nested=false)).
  returned: success
  type: list
  elements: dict
  sample: [{sAMAccountName: GG-Research, distinguishedName: "CN=GG-Research,OU=Groups,DC=corp,DC=example"}]
queries:
  description: LDAP search requests sent (each page counts), independent of the nesting depth.
  returned: success
  type: int
  sample: 3
server:
  description: The domain controller that answered.
  returned: success
  type: str
  sample: ldaps://dc1.corp.example:636
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dsaas.platform.plugins.module_utils.ad import (
    AD_CONNECTION_SPEC,
    root_dse,
    run_ad_module,
)
from ansible_collections.dsaas.platform.plugins.module_utils.ad_groups import ADDirectory, group_info


def argument_spec():
    spec = dict(AD_CONNECTION_SPEC)
    spec.update(
        name=dict(type='str', required=True),
        search_base=dict(type='str'),
        nested=dict(type='bool', default=True),
        include_disabled=dict(type='bool', default=False),
        page_size=dict(type='int', default=500),
    )
    return spec


def resolve(ad, params):
    directory = ADDirectory(ad, page_size=params['page_size'])
    base = params['search_base'] or root_dse(ad)['defaultNamingContext']
    info = group_info(directory, params['name'], base, nested=params['nested'],
                      include_disabled=params['include_disabled'])
    return dict(changed=False, server=ad.server.uri, queries=directory.queries, **info)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    if module.params['page_size'] < 1:
        module.fail_json(msg='page_size must be at least 1, got %d' % module.params['page_size'])
    run_ad_module(module, lambda ad: resolve(ad, module.params))


if __name__ == '__main__':
    main()
