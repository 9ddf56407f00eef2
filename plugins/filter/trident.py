# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The trident role's pure steps as filters; the logic and its tests live in module_utils/trident.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.dsaas.platform.plugins.module_utils.trident import (
    commented_keys,
    ontap_plan,
    operator_values_errors,
    storage_class,
    storage_class_replacements,
    svm_protocol_errors,
    tier_errors,
)

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML comes with ansible-core
    yaml = None


def trident_operator_values_errors(values, contract_text):
    """Keys of the operator chart values that the chart's values.yaml (contract_text) does not have."""
    try:
        contract = yaml.safe_load(contract_text) or {}
    except yaml.YAMLError as exc:
        raise AnsibleFilterError('trident_operator_values_errors: the chart values are not YAML: %s' % exc)
    return operator_values_errors(values or {}, contract, commented_keys(contract_text))


def trident_storage_plan(tiers, backends, existing_classes=None):
    """errors (tiers that select no pool or pools with other policies), the tiers' StorageClasses, and the names
    of existing StorageClasses whose immutable fields differ (to be replaced)."""
    errors = tier_errors(tiers or [], backends or [])
    classes = [] if errors else [storage_class(tier) for tier in tiers or []]
    return dict(errors=errors, storage_classes=classes,
                replace=storage_class_replacements(classes, existing_classes or []))


def trident_ontap_plan(tiers, svm, export_policy=None):
    """netapp.ontap parameters (snapshot policies, QoS policy groups, export policy and rules) and errors."""
    return ontap_plan(tiers or [], svm, export_policy)


def trident_svm_protocol_errors(svm_record, protocols):
    return svm_protocol_errors(svm_record, protocols)


class FilterModule(object):
    def filters(self):
        return {
            'trident_operator_values_errors': trident_operator_values_errors,
            'trident_storage_plan': trident_storage_plan,
            'trident_ontap_plan': trident_ontap_plan,
            'trident_svm_protocol_errors': trident_svm_protocol_errors,
        }
