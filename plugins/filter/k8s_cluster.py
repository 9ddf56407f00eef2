# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The k8s_control_plane role's pure steps as filters; the logic and its tests live in module_utils/k8s_cluster.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.dsaas.platform.plugins.module_utils.k8s_cluster import cluster_plan, join_secrets


def _nodes(names, addresses):
    return [dict(name=str(name), address=str((addresses or {}).get(name) or name)) for name in names or []]


def k8s_control_plane_plan(spec):
    """Errors, or the data of the kubeadm configuration and the kube-vip manifest (see the .yml)."""
    spec = dict(spec or {})
    addresses = spec.pop('addresses', None) or {}
    spec['control_planes'] = _nodes(spec.get('control_planes'), addresses)
    spec['workers'] = _nodes(spec.get('workers'), addresses)
    return cluster_plan(spec)


def k8s_control_plane_join_secrets(join_command, upload_certs_output=None):
    """token, ca_cert_hash and (with the upload-certs output) certificate_key, format-checked."""
    try:
        return join_secrets(join_command, upload_certs_output)
    except ValueError as exc:
        raise AnsibleFilterError('k8s_control_plane_join_secrets: %s' % exc)


class FilterModule(object):
    def filters(self):
        return {
            'k8s_control_plane_plan': k8s_control_plane_plan,
            'k8s_control_plane_join_secrets': k8s_control_plane_join_secrets,
        }
