# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The Active Directory connection options shared by every AD module (module_utils/ad.py).
    DOCUMENTATION = r'''
options:
  servers:
    description:
      - Domain controllers to try, in order; the first one that answers is used (failover).
      - Each entry is a host name, C(host:port), C(ldaps://host[:port]) or C(ldap://host[:port]).
        C(ldap://) means StartTLS on that server.
      - Falls back to the environment variable E(DSAAS_AD_SERVERS).
    type: list
    elements: str
    required: true
    aliases: [server]
  tls_mode:
    description:
      - How TLS is reached when an entry of O(servers) has no scheme.
      - V(ldaps) connects with TLS from the first byte (port 636 by default).
      - V(starttls) connects in clear and upgrades before anything else is sent (port 389 by default).
      - V(none) is refused with an error, because a simple bind without TLS would send the password in clear.
    type: str
    choices: [ldaps, starttls, none]
    default: ldaps
  port:
    description:
      - Port for entries of O(servers) that do not name one.
      - Defaults to 636 for V(ldaps) and 389 for V(starttls).
    type: int
  ca_file:
    description:
      - PEM file with the CA certificates that signed the domain controllers' certificates.
      - When omitted, the controller's system trust store is used.
      - Falls back to the environment variable E(DSAAS_AD_CA_FILE).
    type: path
  validate_certs:
    description:
      - Verify the server certificate chain and that it names the server.
      - Switch off only for a throwaway test; the connection stays encrypted but is not authenticated.
    type: bool
    default: true
  bind_user:
    description:
      - Account for the simple bind, as userPrincipalName (C(svc@corp.example)), C(DOMAIN\\user) or DN.
      - Falls back to the environment variable E(DSAAS_AD_BIND_USER).
    type: str
    required: true
  bind_password:
    description:
      - Password of O(bind_user). Never logged, never returned.
      - Falls back to the environment variable E(DSAAS_AD_BIND_PASSWORD).
    type: str
    required: true
  timeout:
    description:
      - Seconds to wait for a server to accept the connection and for each answer.
    type: int
    default: 10
requirements:
  - ldap3 >= 2.9 (Python library on the controller)
'''
