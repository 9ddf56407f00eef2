# -*- coding: utf-8 -*-
# The one diff helper: actions, unordered lists, case-insensitive keys, secrets masked.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dsaas.platform.plugins.module_utils.diff import MASK, compute_change, mask_secrets


def test_nothing_to_do_when_both_absent():
    change = compute_change(None, None)
    assert not change and change.action is None


def test_create_and_delete():
    create = compute_change(None, {'name': 'g', 'members': ['b', 'A']}, unordered_keys=('members',))
    assert create.action == 'create' and create.masked() == {'before': {}, 'after': {'name': 'g', 'members': ['A', 'b']}}
    delete = compute_change({'name': 'g'}, None)
    assert delete.action == 'delete' and delete.masked() == {'before': {'name': 'g'}, 'after': {}}


def test_unordered_case_insensitive_lists_are_equal():
    current = {'members': ['CN=b,DC=x', 'CN=A,DC=x']}
    desired = {'members': ['cn=a,dc=x', 'CN=b,DC=x']}
    change = compute_change(current, desired, unordered_keys=('members',), case_insensitive_keys=('members',))
    assert not change and change.modified == []


def test_update_shows_only_modified_keys_sorted():
    current = {'description': 'old', 'members': ['z', 'a'], 'name': 'g'}
    desired = {'description': 'new', 'members': ['z', 'a', 'm'], 'name': 'g'}
    change = compute_change(current, desired, unordered_keys=('members',))
    assert change.action == 'update'
    assert change.modified == ['description', 'members']
    assert change.masked() == {'before': {'description': 'old', 'members': ['a', 'z']},
                               'after': {'description': 'new', 'members': ['a', 'm', 'z']}}


def test_keys_not_desired_are_not_managed():
    assert not compute_change({'description': 'kept', 'name': 'g'}, {'name': 'g'})


def test_secrets_masked_at_any_depth():
    change = compute_change({'password': 'old', 'spec': {'token': 'a'}}, {'password': 'new', 'spec': {'token': 'b'}},
                            secret_keys=('password', 'token'))
    masked = change.masked()
    assert masked['before'] == {'password': MASK, 'spec': {'token': MASK}}
    assert masked['after'] == {'password': MASK, 'spec': {'token': MASK}}
    assert 'old' not in repr(masked) and 'new' not in repr(masked)


def test_mask_keeps_none_and_lists():
    assert mask_secrets([{'password': None}, {'password': 'x'}], ('password',)) == [{'password': None}, {'password': MASK}]
