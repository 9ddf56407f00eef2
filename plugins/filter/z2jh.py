# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""zero-to-jupyterhub values checks as filters; the logic and its tests live in module_utils/z2jh.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.dsaas.platform.plugins.module_utils.z2jh import (
    PlatformValuesError,
    merge_values,
    plain,
    platform_values,
    schema_errors,
)


def _plain_data(value):
    return plain(value, to_native)


def z2jh_values_errors(values, schema, defaults=None):
    """Violations of the chart schema by ``values`` coalesced onto the chart's ``defaults``, as ``$.path: message``."""
    if not isinstance(schema, dict):
        raise AnsibleFilterError('z2jh_values_errors: the schema must be a dictionary (the parsed values.schema.json)')
    return schema_errors(merge_values(_plain_data(defaults or {}), _plain_data(values or {})), _plain_data(schema))


def jupyterhub_platform_values(settings, chart_defaults=None):
    """The values the jupyterhub role sets itself (hub.db, culling, storage, policies, proxy, registry)."""
    try:
        return platform_values(_plain_data(settings or {}), _plain_data(chart_defaults or {}))
    except PlatformValuesError as exc:
        raise AnsibleFilterError(to_native(exc))


class FilterModule(object):
    def filters(self):
        return {'z2jh_values_errors': z2jh_values_errors, 'jupyterhub_platform_values': jupyterhub_platform_values}
