# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of issue 4: ad_group_info on 5,000 members nested three deep vs one raw paged IN_CHAIN search.

Seeds (idempotently) under OU=Bench,OU=DSAAS,<base> a group ``bench-top`` whose 5,000 enabled users
are reachable only through three levels of nested groups:

    bench-top <- 10 bench-l1-AA <- 5 bench-l2-AA-B each <- 2 bench-l3-AA-B-C each (100 leaves) <- 50 users each

then times, interleaved on one bound LDAPS connection of the service account:

    A  group_info(ADDirectory(ad), 'bench-top', base, nested=True)   (what dsaas.platform.ad_group_info does)
    B  one raw paged IN_CHAIN search for the users with ldap3, the group DN already known

and prints the medians, the ratio A/B (goal <= 1.3) and the query counts, all measured in this run.

    .venv/bin/python benchmarks/ad_group_info.py [--seed-only | --remove] [--rounds N] [--profile]

See benchmarks/README.md.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time

import ldap3
from ldap3.core.exceptions import LDAPException

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(REPO, '.ansible', 'collections')  # the checkout's link ansible_collections/dsaas/platform
if os.path.isdir(COLLECTIONS) and COLLECTIONS not in sys.path:
    sys.path.append(COLLECTIONS)  # after PYTHONPATH, which still wins

from ansible_collections.dsaas.platform.plugins.module_utils.ad import ADConnectionError, ad_connect, one_line
from ansible_collections.dsaas.platform.plugins.module_utils.ad_groups import (
    IN_CHAIN,
    USER_ATTRIBUTES,
    ADDirectory,
    first,
    group_info,
    split_dn,
)

LAB_STATE = os.environ.get('DSAAS_LAB_STATE') or os.path.join(REPO, '.lab')
AD_URI = os.environ.get('DSAAS_AD_URI') or 'ldaps://127.0.0.1:636'
CA_FILE = os.environ.get('DSAAS_AD_CA_FILE') or os.path.join(LAB_STATE, 'ca', 'ca.pem')
BASE = os.environ.get('DSAAS_AD_BASE_DN') or 'DC=lab,DC=dsaas,DC=test'
REALM = '.'.join(part.split('=', 1)[1] for part in BASE.split(','))
BIND_USER = os.environ.get('DSAAS_AD_BIND_USER') or 'svc-dsaas-bind@' + REALM
BIND_PASSWORD_FILE = os.environ.get('DSAAS_AD_BIND_PASSWORD_FILE') or os.path.join(LAB_STATE, 'secrets', 'ad-bind')
ADMIN_USER = 'Administrator@' + REALM
ADMIN_PASSWORD_FILE = os.environ.get('DSAAS_AD_ADMIN_PASSWORD_FILE') or os.path.join(LAB_STATE, 'secrets', 'ad-administrator')

BENCH_OU = 'OU=Bench,OU=DSAAS,' + BASE
USERS_OU = 'OU=Users,' + BENCH_OU
GROUPS_OU = 'OU=Groups,' + BENCH_OU
TOP = 'bench-top'
FANOUT = (10, 5, 2)  # groups per parent at nesting levels 1, 2 and 3
USERS_PER_LEAF = 50  # 10 * 5 * 2 leaves * 50 = 5,000 users
EXPECTED_USERS = FANOUT[0] * FANOUT[1] * FANOUT[2] * USERS_PER_LEAF
SHALLOW_GROUP = 'dsaas-hub-access'  # seeded by lab/samba_ad_seed.py, users at most 2 levels deep

NORMAL_ACCOUNT_PASSWD_NOTREQD = 544  # 0x200 | 0x20: an enabled account without a password
ACCOUNTDISABLE = 0x2
GLOBAL_SECURITY_GROUP = -2147483646
USER_CLASSES = ['top', 'person', 'organizationalPerson', 'user']
GROUP_CLASSES = ['top', 'group']
PAGED_RESULTS = '1.2.840.113556.1.4.319'
TREE_DELETE = '1.2.840.113556.1.4.805'


def secret(path):
    with open(path, encoding='utf-8') as handle:
        return handle.read().strip()


def connect(user, password_file, read_only, timeout=60):
    params = dict(servers=[AD_URI], tls_mode='ldaps', port=None, ca_file=CA_FILE, validate_certs=True,
                  bind_user=user, bind_password=secret(password_file), timeout=timeout)
    return ad_connect(params, read_only=read_only)


def user_dn(name):
    return 'CN=%s,%s' % (name, USERS_OU)


def group_dn(name):
    return 'CN=%s,%s' % (name, GROUPS_OU)


def bench_shape():
    """(leaves, groups): leaves maps each level-3 group to its users; groups lists (name, member DNs), members first."""
    leaves, groups, level1 = [], [], []
    number = 0
    for one in range(1, FANOUT[0] + 1):
        level2 = []
        for two in range(1, FANOUT[1] + 1):
            level3 = []
            for three in range(1, FANOUT[2] + 1):
                leaf = 'bench-l3-%02d-%d-%d' % (one, two, three)
                users = ['bench-u%04d' % (number + index) for index in range(1, USERS_PER_LEAF + 1)]
                number += USERS_PER_LEAF
                leaves.append((leaf, users))
                groups.append((leaf, [user_dn(user) for user in users]))
                level3.append(leaf)
            name = 'bench-l2-%02d-%d' % (one, two)
            groups.append((name, [group_dn(leaf) for leaf in level3]))
            level2.append(name)
        name = 'bench-l1-%02d' % one
        groups.append((name, [group_dn(group) for group in level2]))
        level1.append(name)
    groups.append((TOP, [group_dn(group) for group in level1]))
    return leaves, groups


def check(conn, what):
    result = conn.result or {}
    if result.get('result') not in (0, None):
        raise ADConnectionError('%s: %s %s' % (what, result.get('description'), result.get('message')))


def ensure_ou(conn, dn):
    conn.search(dn, '(objectClass=*)', search_scope=ldap3.BASE, attributes=['ou'])
    if (conn.result or {}).get('description') == 'noSuchObject':
        conn.add(dn, ['top', 'organizationalUnit'])
        check(conn, 'add %s' % dn)
        return 1
    check(conn, 'read %s' % dn)
    return 0


def add_user(conn, name):
    conn.add(user_dn(name), USER_CLASSES, {
        'sAMAccountName': name,
        'userPrincipalName': '%s@%s' % (name, REALM),
        'mail': '%s@%s' % (name, REALM),
        'userAccountControl': str(NORMAL_ACCOUNT_PASSWD_NOTREQD),
    })
    check(conn, 'add user %s' % name)


def ensure_group(conn, name, members, existing):
    """Create the group with its members in one add, or fix its member list in one modify. 'created', 'updated' or None."""
    current = existing.get(name.lower())
    if current is None:
        conn.add(group_dn(name), GROUP_CLASSES, {'sAMAccountName': name, 'groupType': GLOBAL_SECURITY_GROUP,
                                                 'member': members})
        check(conn, 'add group %s' % name)
        return 'created'
    wanted = dict((dn.lower(), dn) for dn in members)
    have = dict((dn.lower(), dn) for dn in current)
    changes = []
    to_add = [dn for key, dn in wanted.items() if key not in have]
    to_remove = [dn for key, dn in have.items() if key not in wanted]
    if to_add:
        changes.append((ldap3.MODIFY_ADD, to_add))
    if to_remove:
        changes.append((ldap3.MODIFY_DELETE, to_remove))
    if not changes:
        return None
    conn.modify(group_dn(name), {'member': changes})
    check(conn, 'modify group %s' % name)
    return 'updated'


def seed():
    """Create what is missing of the bench tree; a second run only reads. Prints what it did and how long it took."""
    started = time.perf_counter()
    admin = connect(ADMIN_USER, ADMIN_PASSWORD_FILE, read_only=False)
    conn = admin.connection
    counts = dict(ous=0, users=0, enabled=0, groups=0, updated=0)
    try:
        for dn in (BENCH_OU, USERS_OU, GROUPS_OU):
            counts['ous'] += ensure_ou(conn, dn)
        directory = ADDirectory(admin, page_size=1000)
        users = dict((str(first(attributes.get('sAMAccountName'))).lower(), first(attributes.get('userAccountControl')))
                     for dn, attributes in directory.search(USERS_OU, '(&(objectCategory=person)(objectClass=user))',
                                                            ['sAMAccountName', 'userAccountControl'], scope='level'))
        groups = dict((str(first(attributes.get('sAMAccountName'))).lower(), list(attributes.get('member') or []))
                      for dn, attributes in directory.search(GROUPS_OU, '(objectClass=group)', ['sAMAccountName', 'member'],
                                                             scope='level'))
        leaves, shape = bench_shape()
        members_of = dict(shape)
        batch_started = time.perf_counter()
        for number, (leaf, names) in enumerate(leaves, 1):
            # One batch per leaf group: its missing users, then the group with all of them in one add.
            for name in names:
                uac = users.get(name)
                if uac is None:
                    add_user(conn, name)
                    counts['users'] += 1
                elif int(uac) & ACCOUNTDISABLE:
                    conn.modify(user_dn(name), {'userAccountControl': [(ldap3.MODIFY_REPLACE, [str(NORMAL_ACCOUNT_PASSWD_NOTREQD)])]})
                    check(conn, 'enable %s' % name)
                    counts['enabled'] += 1
            outcome = ensure_group(conn, leaf, members_of[leaf], groups)
            if outcome:
                counts['groups' if outcome == 'created' else 'updated'] += 1
            if counts['users'] and number % 20 == 0:
                print('  seeded %d/%d leaf groups, %d users created so far (%.1f users/s)'
                      % (number, len(leaves), counts['users'], counts['users'] / (time.perf_counter() - batch_started)))
                sys.stdout.flush()
        leaf_names = set(leaf for leaf, names in leaves)
        for name, members in shape:
            if name not in leaf_names:
                outcome = ensure_group(conn, name, members, groups)
                if outcome:
                    counts['groups' if outcome == 'created' else 'updated'] += 1
    finally:
        admin.close()
    elapsed = time.perf_counter() - started
    print('seed: %.1f s; created %d OUs, %d users, %d groups; updated %d groups, re-enabled %d users '
          '(%d users and %d groups in the bench tree)'
          % (elapsed, counts['ous'], counts['users'], counts['groups'], counts['updated'], counts['enabled'],
             EXPECTED_USERS, len(shape)))
    if counts['users']:
        print('seed: %.1f ms per created user' % (1000.0 * elapsed / counts['users']))
    return elapsed


def remove():
    """Delete the OU=Bench tree: one tree-delete request, or leaf entries first when the control is refused."""
    started = time.perf_counter()
    # Samba needs a few minutes to tree-delete 5,000 users: wait for the answer.
    admin = connect(ADMIN_USER, ADMIN_PASSWORD_FILE, read_only=False, timeout=1800)
    conn = admin.connection
    try:
        conn.delete(BENCH_OU, controls=[(TREE_DELETE, True, None)])
        description = (conn.result or {}).get('description')
        if description == 'noSuchObject':
            print('remove: %s does not exist' % BENCH_OU)
            return
        if description != 'success':
            entries = ADDirectory(admin, page_size=1000).search(BENCH_OU, '(objectClass=*)', ['objectClass'])
            for dn in sorted((dn for dn, attributes in entries), key=lambda dn: -len(split_dn(dn))):
                conn.delete(dn)
                check(conn, 'delete %s' % dn)
    finally:
        admin.close()
    print('remove: deleted %s in %.1f s' % (BENCH_OU, time.perf_counter() - started))


class CountingDirectory(ADDirectory):
    """ADDirectory that also counts searches (ADDirectory.queries counts pages)."""

    def __init__(self, ad, page_size=500):
        super(CountingDirectory, self).__init__(ad, page_size=page_size)
        self.searches = 0

    def search(self, base, search_filter, attributes, scope='subtree'):
        self.searches += 1
        return super(CountingDirectory, self).search(base, search_filter, attributes, scope)


def run_a(ad, page_size):
    """What ad_group_info does after connecting: (seconds, queries, result)."""
    started = time.perf_counter()
    directory = ADDirectory(ad, page_size=page_size)
    info = group_info(directory, TOP, BASE, nested=True)
    return time.perf_counter() - started, directory.queries, info


def run_b(ad, top_dn, page_size):
    """One raw paged IN_CHAIN search for the users: (seconds, pages, entries)."""
    conn = ad.connection
    search_filter = '(&(objectCategory=person)(objectClass=user)(memberOf:%s:=%s))' % (IN_CHAIN, top_dn)
    started = time.perf_counter()
    entries, cookie, pages = [], None, 0
    while True:
        conn.search(BASE, search_filter, search_scope=ldap3.SUBTREE, attributes=USER_ATTRIBUTES,
                    paged_size=page_size, paged_cookie=cookie)
        pages += 1
        check(conn, 'raw search')
        entries.extend(item for item in conn.response if item.get('type') == 'searchResEntry')
        cookie = ((conn.result or {}).get('controls') or {}).get(PAGED_RESULTS, {}).get('value', {}).get('cookie')
        if not cookie:
            return time.perf_counter() - started, pages, entries


def profile_a(ad, page_size):
    profiler = cProfile.Profile()
    profiler.enable()
    run_a(ad, page_size)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats('cumulative').print_stats(25)
    print(out.getvalue())


def benchmark(rounds, page_size, profile):
    ad = connect(BIND_USER, BIND_PASSWORD_FILE, read_only=True)
    try:
        print('bench: %s, bound as %s, TLS %s, page size %d, %d rounds A,B after one warm-up'
              % (ad.server.uri, BIND_USER, ad.tls.get('version'), page_size, rounds))
        top = ADDirectory(ad).find_group(TOP, BASE)
        if top is None:
            raise ADConnectionError('group %s not found under %s: seed it first' % (TOP, BASE))
        run_a(ad, page_size)  # warm-up: caches on both sides
        run_b(ad, top['dn'], page_size)
        times_a, times_b = [], []
        for number in range(1, rounds + 1):
            seconds_a, queries_a, info = run_a(ad, page_size)
            seconds_b, pages_b, entries = run_b(ad, top['dn'], page_size)
            times_a.append(seconds_a)
            times_b.append(seconds_b)
            print('  round %d: A %.3f s (%d queries, %d members)  B %.3f s (%d pages, %d entries)  A/B %.2f'
                  % (number, seconds_a, queries_a, info['member_count'], seconds_b, pages_b, len(entries),
                     seconds_a / seconds_b))
        same = set(member['distinguishedName'].lower() for member in info['members']) == \
            set(item['dn'].lower() for item in entries)
        median_a, median_b = statistics.median(times_a), statistics.median(times_b)
        ratio = median_a / median_b
        print('A group_info(ADDirectory, %s, nested=True): median %.3f s, min %.3f s, %d queries '
              '(group lookup + user pages + nested-group pages), %d members, %d nested groups'
              % (TOP, median_a, min(times_a), queries_a, info['member_count'], len(info['nested_groups'])))
        print('B raw paged IN_CHAIN user search:           median %.3f s, min %.3f s, %d queries (pages), %d entries'
              % (median_b, min(times_b), pages_b, len(entries)))
        print('ratio A/B of medians: %.2f (goal <= 1.3: %s); ratio of minimums: %.2f'
              % (ratio, 'met' if ratio <= 1.3 else 'NOT met', min(times_a) / min(times_b)))
        print('members: A %d, B %d, expected %d, same DNs: %s'
              % (info['member_count'], len(entries), EXPECTED_USERS, 'yes' if same else 'NO'))
        depth_ok = depth_check(ad, page_size)
        if profile:
            profile_a(ad, page_size)
        return info['member_count'] == len(entries) == EXPECTED_USERS and same and depth_ok
    finally:
        ad.close()


def depth_check(ad, page_size):
    """Searches (and pages) of group_info for a 2-level and the 3-level group: the searches must be equal."""
    counted = {}
    for name in (SHALLOW_GROUP, TOP):
        directory = CountingDirectory(ad, page_size=page_size)
        info = group_info(directory, name, BASE, nested=True)
        counted[name] = directory.searches
        print('depth: %-16s %4d members, %3d nested groups: %d searches, %d queries (pages)'
              % (name, info['member_count'], len(info['nested_groups']), directory.searches, directory.queries))
    direct = group_info(ADDirectory(ad, page_size=page_size), TOP, BASE, nested=False)
    equal = counted[SHALLOW_GROUP] == counted[TOP]
    print('depth: same number of searches at 2 and 3 levels of nesting: %s; direct users of %s: %d'
          % ('yes' if equal else 'NO', TOP, direct['member_count']))
    return equal and direct['member_count'] == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group()
    action.add_argument('--seed-only', action='store_true', help='create what is missing of the bench tree and stop')
    action.add_argument('--remove', action='store_true', help='delete OU=Bench and everything below it')
    parser.add_argument('--rounds', type=int, default=5, help='timed rounds of A and B (default 5)')
    parser.add_argument('--page-size', type=int, default=500, help='LDAP page size of both A and B (default 500)')
    parser.add_argument('--profile', action='store_true', help='also print a cProfile of one run of A')
    args = parser.parse_args()
    try:
        if args.remove:
            remove()
            return 0
        seed()
        if args.seed_only:
            return 0
        return 0 if benchmark(args.rounds, args.page_size, args.profile) else 1
    except (ADConnectionError, LDAPException) as exc:
        print('error: %s' % one_line(exc), file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
