# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one diff helper: what differs between the current and the desired object, secrets masked.

Every stateful module of the collection computes its change with ``compute_change`` so check mode,
diff mode and masking behave the same everywhere (the netapp.ontap spine plus a diff).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

MASK = '********'


class Change:
    """The outcome of comparing current with desired.

    ``action`` is 'create', 'delete', 'update' or None; ``modified`` lists the keys that differ.
    """

    def __init__(self, action, before, after, modified, secret_keys):
        self.action = action
        self.before = before
        self.after = after
        self.modified = modified
        self.secret_keys = tuple(secret_keys)

    def __bool__(self):
        return self.action is not None

    __nonzero__ = __bool__

    def masked(self):
        """The ``diff`` return value: before/after with every secret replaced by a mask."""
        return {
            'before': mask_secrets(self.before, self.secret_keys),
            'after': mask_secrets(self.after, self.secret_keys),
        }


def mask_secrets(value, secret_keys):
    """A deep copy of value with the values of secret_keys (at any depth) masked."""
    if isinstance(value, dict):
        return dict((key, MASK if key in secret_keys and item is not None else mask_secrets(item, secret_keys))
                    for key, item in value.items())
    if isinstance(value, list):
        return [mask_secrets(item, secret_keys) for item in value]
    return copy.deepcopy(value)


def sorted_list(items):
    return sorted(items or [], key=lambda item: str(item).lower())


def compute_change(current, desired, secret_keys=(), unordered_keys=(), case_insensitive_keys=()):
    """Compare current (None when absent) with desired (None to delete).

    Only keys present in desired are compared: an option the user did not set is not managed.
    """
    if current is None and desired is None:
        return Change(None, {}, {}, [], secret_keys)
    if desired is None:
        return Change('delete', shown_all(current, unordered_keys), {}, sorted(current), secret_keys)
    if current is None:
        return Change('create', {}, shown_all(desired, unordered_keys), sorted(desired), secret_keys)
    modified = []
    for key in sorted(desired):
        want, have = desired[key], current.get(key)
        if key in unordered_keys:
            want, have = sorted_list(want), sorted_list(have)
        if key in case_insensitive_keys:
            want, have = _lower(want), _lower(have)
        if want != have:
            modified.append(key)
    if not modified:
        return Change(None, current, current, [], secret_keys)
    before = dict((key, shown(key, current.get(key), unordered_keys)) for key in modified)
    after = dict((key, shown(key, desired[key], unordered_keys)) for key in modified)
    return Change('update', before, after, modified, secret_keys)


def shown_all(obj, unordered_keys):
    return dict((key, shown(key, value, unordered_keys)) for key, value in obj.items())


def shown(key, value, unordered_keys):
    """A value as a diff shows it: lists whose order carries no meaning sorted, so diffs are stable."""
    return sorted_list(value) if key in unordered_keys and value is not None else value


def _lower(value):
    if isinstance(value, list):
        return [_lower(item) for item in value]
    if isinstance(value, str):
        return value.lower()
    return value
