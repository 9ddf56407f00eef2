#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: ad_connection_info
short_description: Prove that Active Directory is reachable over TLS and the bind account works
version_added: 0.1.0
description:
  - Connects to the first answering domain controller of O(servers) over LDAPS or StartTLS,
    verifies its certificate, binds with the service account and reads the rootDSE.
  - Changes nothing; used by the preflight layer before any AD-dependent layer runs.
  - Every failure is one line naming the peer, the address and the cause (connection refused,
    timeout, certificate not trusted, bind rejected, TLS required).
author:
  - dsaas.platform maintainers (@dsaas-platform)
extends_documentation_fragment:
  - dsaas.platform.ad
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing to change, so nothing to diff.
notes:
  - A rejected bind does not fail over to the next server; all domain controllers share the
    accounts, and retrying would only move the service account closer to lockout.
seealso:
  - module: community.general.ldap_search
'''

EXAMPLES = r'''
- name: Prove the AD bind works before deploying the hub
  dsaas.platform.ad_connection_info:
    servers:
      - ldaps://dc1.corp.example
      - ldaps://dc2.corp.example
    ca_file: /etc/pki/corp-ca.pem
    bind_user: svc-jupyterhub@corp.example
    bind_password: "{{ vault_ad_bind_password }}"
  register: ad_check

- name: StartTLS on port 389
  dsaas.platform.ad_connection_info:
    servers: [dc1.corp.example]
    tls_mode: starttls
    bind_user: CORP\svc-jupyterhub
    bind_password: "{{ vault_ad_bind_password }}"
'''

RETURN = r'''
server:
  description: URI of the domain controller that answered.
  returned: success
  type: str
  sample: ldaps://dc1.corp.example:636
tried:
  description: URIs tried in order, ending with the one that answered.
  returned: success
  type: list
  elements: str
  sample: [ldaps://dc1.corp.example:636]
tls:
  description: The negotiated TLS protocol version and cipher.
  returned: success
  type: dict
  sample: {version: TLSv1.3, cipher: TLS_AES_256_GCM_SHA384}
bound_as:
  description:
    - The identity the directory sees for the bind (RFC 4532 Who am I), or the DN of the bind
      account where the server does not answer Who am I.
  returned: success
  type: str
  sample: CN=svc-jupyterhub,OU=Service Accounts,DC=corp,DC=example
naming_context:
  description: The domain's default naming context, a natural search base.
  returned: success
  type: str
  sample: DC=corp,DC=example
dns_host_name:
  description: DNS name the domain controller reports for itself.
  returned: success
  type: str
  sample: dc1.corp.example
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dsaas.platform.plugins.module_utils.ad import (
    AD_CONNECTION_SPEC,
    bound_identity,
    root_dse,
    run_ad_module,
)


def connection_info(ad, bind_user):
    dse = root_dse(ad)
    return dict(
        changed=False,
        server=ad.server.uri,
        tried=ad.tried,
        tls=ad.tls,
        bound_as=bound_identity(ad, bind_user, dse.get('defaultNamingContext')),
        naming_context=dse.get('defaultNamingContext'),
        dns_host_name=dse.get('dnsHostName'),
    )


def main():
    module = AnsibleModule(argument_spec=dict(AD_CONNECTION_SPEC), supports_check_mode=True)
    run_ad_module(module, lambda ad: connection_info(ad, module.params['bind_user']))


if __name__ == '__main__':
    main()
