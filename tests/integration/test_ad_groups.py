# -*- coding: utf-8 -*-
"""ad_group_info and ad_group against the lab's Samba AD DC (seeded directory: see README)."""
import subprocess

import pytest

from conftest import run_module

BASE = 'DC=lab,DC=dsaas,DC=test'
GROUPS_OU = 'OU=Groups,OU=DSAAS,' + BASE
USERS_OU = 'OU=Users,OU=DSAAS,' + BASE
TEST_GROUP = 'dsaas-test-ad-group'


def names(members):
    return [member['sAMAccountName'] for member in members]


def info(lab_ad, **args):
    return run_module('dsaas.platform.ad_group_info', dict(lab_ad, search_base=BASE, **args))


def test_nested_members_in_a_constant_number_of_queries(lab_ad):
    run = info(lab_ad, name='dsaas-hub-access')
    assert not run.failed, run.output
    result = run.result
    assert result['dn'] == 'CN=dsaas-hub-access,' + GROUPS_OU
    # erin only through dsaas-research-lab-a -> dsaas-researchers; dave disabled; mallory in no group
    assert names(result['members']) == ['alice', 'bob', 'carol', 'erin', 'frank']
    assert result['member_count'] == 5
    assert names(result['nested_groups']) == ['dsaas-research-lab-a', 'dsaas-researchers', 'dsaas-students']
    # group lookup + one paged IN_CHAIN search for users + one for groups, whatever the depth
    assert result['queries'] == 3
    erin = [m for m in result['members'] if m['sAMAccountName'] == 'erin'][0]
    assert erin == {'sAMAccountName': 'erin', 'distinguishedName': 'CN=erin,' + USERS_OU,
                    'userPrincipalName': 'erin@lab.dsaas.test', 'mail': 'erin@lab.dsaas.test', 'disabled': False}


def test_disabled_accounts_only_when_asked(lab_ad):
    run = info(lab_ad, name='dsaas-hub-access', include_disabled=True)
    dave = [m for m in run.result['members'] if m['sAMAccountName'] == 'dave']
    assert dave and dave[0]['disabled'] is True


def test_direct_members_only(lab_ad):
    run = info(lab_ad, name='dsaas-hub-access', nested=False, include_disabled=True)
    assert names(run.result['members']) == ['alice', 'dave']
    assert run.result['nested_groups'] == []


def test_group_by_dn_and_small_pages(lab_ad):
    run = info(lab_ad, name='CN=dsaas-students,' + GROUPS_OU, page_size=1)
    assert names(run.result['members']) == ['bob', 'frank']
    assert run.result['queries'] >= 4  # pages of one entry each


def test_group_not_found(lab_ad):
    run = info(lab_ad, name='dsaas-no-such-group')
    assert run.failed and run.msg == 'group dsaas-no-such-group not found under ' + BASE


def test_search_base_does_not_exist(lab_ad):
    base = 'OU=Nowhere,' + BASE
    run = run_module('dsaas.platform.ad_group_info', dict(lab_ad, search_base=base, name='dsaas-hub-access'))
    assert run.failed and run.msg == 'AD ldaps://127.0.0.1:636: search base %s does not exist' % base


def test_wrong_password_in_words_and_never_printed(lab_ad):
    wrong = 'Wrong-Password-4711'
    run = run_module('dsaas.platform.ad_group_info', dict(lab_ad, bind_password=wrong, name='dsaas-hub-access'),
                     '-vvv')
    assert run.failed
    assert run.msg == ('AD ldaps://127.0.0.1:636: bind rejected for svc-dsaas-bind@lab.dsaas.test '
                       '(invalid credentials, AD code 52e)')
    assert wrong not in run.output


def test_disabled_bind_account_in_words(lab_ad):
    run = run_module('dsaas.platform.ad_group_info',
                     dict(lab_ad, bind_user='dave@lab.dsaas.test', bind_password=lab_secret_users(), name='x'))
    assert run.failed
    assert run.msg == 'AD ldaps://127.0.0.1:636: bind rejected for dave@lab.dsaas.test (account disabled, AD code 533)'


def lab_secret_users():
    from conftest import lab_secret
    return lab_secret('ad-users')


def test_all_servers_down_lists_each(lab_ad):
    run = info(lab_ad, name='dsaas-hub-access', servers=['ldaps://127.0.0.1:1', 'ldaps://dc-gone.invalid'])
    assert run.failed
    assert run.msg == ("AD ldaps://127.0.0.1:1: connection refused; "
                       "AD ldaps://dc-gone.invalid:636: host name 'dc-gone.invalid' does not resolve")


def test_without_tls_refused(lab_ad):
    run = info(lab_ad, name='dsaas-hub-access', servers=['127.0.0.1'], tls_mode='none')
    assert run.failed and 'TLS is required by design' in run.msg


def test_wrong_ca_in_one_line(lab_ad, tmp_path):
    other = tmp_path / 'other-ca.pem'
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=other',
                    '-keyout', str(tmp_path / 'k'), '-out', str(other)], check=True, capture_output=True)
    run = info(lab_ad, name='dsaas-hub-access', ca_file=str(other))
    assert run.failed
    assert run.msg.startswith('AD ldaps://127.0.0.1:636: TLS certificate not trusted (certificate verify failed')
    assert '\n' not in run.msg and 'Traceback' not in run.output


@pytest.fixture
def test_group(lab_ad_admin):
    """Removes the test group before and after (as the domain administrator)."""
    absent = dict(lab_ad_admin, search_base=BASE, name=TEST_GROUP, state='absent')
    run_module('dsaas.platform.ad_group', absent)
    yield dict(lab_ad_admin, search_base=BASE, path=GROUPS_OU, name=TEST_GROUP)
    run_module('dsaas.platform.ad_group', absent)


def test_ad_group_check_create_idempotent_diff(test_group, lab_ad):
    wanted = dict(test_group, description='made by the test', members=['alice', 'dsaas-students'])
    checked = run_module('dsaas.platform.ad_group', wanted, '--check', '--diff')
    assert checked.result['changed'] and checked.result['operation'] == 'create'
    assert checked.result['diff']['after']['members'] == ['CN=alice,' + USERS_OU, 'CN=dsaas-students,' + GROUPS_OU]
    assert info(lab_ad, name=TEST_GROUP).msg == 'group %s not found under %s' % (TEST_GROUP, BASE)

    created = run_module('dsaas.platform.ad_group', wanted, '--diff')
    assert created.result['changed'] and created.result['operation'] == 'create', created.output
    assert names(info(lab_ad, name=TEST_GROUP).result['members']) == ['alice', 'bob', 'frank']

    again = run_module('dsaas.platform.ad_group', wanted)
    assert again.result['changed'] is False and again.result['operation'] is None

    added = run_module('dsaas.platform.ad_group', dict(test_group, members=['carol'], members_mode='add'), '--diff')
    assert added.result['changed'] and added.result['added'] == ['CN=carol,' + USERS_OU]
    assert added.result['diff']['before']['members'] == ['CN=alice,' + USERS_OU, 'CN=dsaas-students,' + GROUPS_OU]
    assert 'CN=carol,' + USERS_OU in added.result['diff']['after']['members']

    removed = run_module('dsaas.platform.ad_group', dict(test_group, members=['alice'], members_mode='remove'))
    assert removed.result['removed'] == ['CN=alice,' + USERS_OU]
    assert names(info(lab_ad, name=TEST_GROUP).result['members']) == ['bob', 'carol', 'frank']

    check_delete = run_module('dsaas.platform.ad_group', dict(test_group, state='absent'), '--check')
    assert check_delete.result['changed'] and check_delete.result['operation'] == 'delete'
    assert not info(lab_ad, name=TEST_GROUP).failed


def test_ad_group_unknown_member_changes_nothing(test_group, lab_ad):
    run_module('dsaas.platform.ad_group', dict(test_group, members=['alice']))
    run = run_module('dsaas.platform.ad_group', dict(test_group, members=['bob', 'ghost-user', 'ghost-group']))
    assert run.failed
    assert run.msg == 'members ghost-user, ghost-group not found under %s; nothing was changed' % BASE
    assert names(info(lab_ad, name=TEST_GROUP).result['members']) == ['alice']


def test_ad_group_no_password_at_vvv(test_group, lab_ad_admin):
    run = run_module('dsaas.platform.ad_group', dict(test_group, members=['alice']), '-vvv', '--diff')
    assert not run.failed, run.output
    assert lab_ad_admin['bind_password'] not in run.output
