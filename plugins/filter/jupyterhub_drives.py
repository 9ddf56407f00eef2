# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Department drives with the user's Kerberos ticket as filters; the logic and its tests live in module_utils/krb5_drives.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.dsaas.platform.plugins.module_utils.krb5_drives import (
    DrivesError,
    csi_manifests,
    drives_errors,
    render,
    validate_drives,
)
from ansible_collections.dsaas.platform.plugins.module_utils.z2jh import plain


def _plain_data(value):
    return plain(value, to_native)


def jupyterhub_drives_errors(drives, kerberos=None, ad=None, mode='userland'):
    """Every problem of the drive mapping and the Kerberos settings, one line each (empty: fine)."""
    return drives_errors(_plain_data(drives), _plain_data(kerberos or {}), _plain_data(ad or {}), mode=mode)


def jupyterhub_drives(drives, kerberos=None, ad=None, namespace='dsaas-jupyterhub', mode='userland'):
    """{values, configmap, krb5_conf, kerberos, drives, groups} for the jupyterhub role."""
    try:
        return render(_plain_data(drives), _plain_data(kerberos or {}), _plain_data(ad or {}), namespace=namespace, mode=mode)
    except DrivesError as exc:
        raise AnsibleFilterError(to_native(exc))


def jupyterhub_drives_csi(drives, user, uid=1000, namespace='dsaas-jupyterhub', gid=100, capacity='1Gi'):
    """The csi-driver-smb PersistentVolume and claim of every drive, for one user (the user's slug)."""
    try:
        manifests = []
        for drive in validate_drives(_plain_data(drives)):
            manifests.extend(csi_manifests(drive, user, uid, namespace, gid=gid, capacity=capacity))
        return manifests
    except (DrivesError, TypeError, ValueError) as exc:
        raise AnsibleFilterError(to_native(exc))


class FilterModule(object):
    def filters(self):
        return {
            'jupyterhub_drives_errors': jupyterhub_drives_errors,
            'jupyterhub_drives': jupyterhub_drives,
            'jupyterhub_drives_csi': jupyterhub_drives_csi,
        }
