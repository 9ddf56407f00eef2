# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One way to reach vCenter: community.vmware's connection options and login, plus a CA file.

Modules merge ``VCENTER_SPEC`` (community.vmware's ``vmware_argument_spec`` and ``ca_file``) into their spec,
document it with the doc fragments ``vmware.vmware.base_options`` and ``dsaas.platform.vcenter`` and call
``vcenter_connect``. The login is community.vmware's ``connect_to_api``, so its one-line messages are the same
everywhere ("Unable to log on to vCenter or ESXi API at HOST:PORT as USER: ...", whitespace collapsed). community.vmware verifies
certificates against the default verify paths only; ``ca_file`` is handed to it as E(SSL_CERT_FILE), the way
the roles pass it to community.vmware's own modules.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.community.vmware.plugins.module_utils.vmware import (
    ApiAccessError,
    connect_to_api,
    vmware_argument_spec,
)

VCENTER_SPEC = dict(vmware_argument_spec(), ca_file=dict(type='path'))


def vcenter_connect(module):
    """The service content of a logged-in session (fail_json with one line on any error)."""
    if module.params.get('ca_file'):
        if not os.path.isfile(module.params['ca_file']):
            module.fail_json(msg='vCenter %s: ca_file %s does not exist' % (module.params['hostname'],
                                                                            module.params['ca_file']))
        os.environ['SSL_CERT_FILE'] = module.params['ca_file']
    params = module.params
    try:
        # without the module, connect_to_api raises instead of failing, so its message can be made one clean line
        return connect_to_api(None, hostname=params['hostname'], username=params['username'],
                              password=params['password'], port=params.get('port') or 443,
                              validate_certs=params['validate_certs'], httpProxyHost=params.get('proxy_host'),
                              httpProxyPort=params.get('proxy_port'))
    except ApiAccessError as exc:
        module.fail_json(msg=' '.join(str(exc).split()))
