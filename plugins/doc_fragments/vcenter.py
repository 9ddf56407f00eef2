# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # What the collection adds to community.vmware's connection options (module_utils/vcenter.py).
    DOCUMENTATION = r'''
options:
  ca_file:
    description:
      - PEM file of the CA that signed vCenter's certificate, used instead of the system's trust store
        (given to the TLS context as E(SSL_CERT_FILE)).
    type: path
'''
