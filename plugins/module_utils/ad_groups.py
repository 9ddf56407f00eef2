# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Security groups in Active Directory: lookup, (nested) membership, and the changes to a group.

Nested membership is resolved by the directory itself with the LDAP_MATCHING_RULE_IN_CHAIN rule
(1.2.840.113556.1.4.1941): one paged search for the users and one for the groups, whatever the
nesting depth. The pure parts (filters, entry shaping, the desired group) need no server.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.dsaas.platform.plugins.module_utils.ad import (
    PEER,
    ADConnectionError,
    escape_filter,
    one_line,
)

try:
    import ldap3
    from ldap3.core import exceptions as ldap3_exceptions
except ImportError:  # pragma: no cover - reported by ad_connect
    ldap3 = None

IN_CHAIN = '1.2.840.113556.1.4.1941'
ACCOUNTDISABLE = 0x2
USER_ATTRIBUTES = ['sAMAccountName', 'userPrincipalName', 'mail', 'userAccountControl']
GROUP_ATTRIBUTES = ['sAMAccountName', 'description', 'member', 'groupType']
USERS = '(&(objectCategory=person)(objectClass=user)%s)'
GROUPS = '(&(objectClass=group)%s)'


def looks_like_dn(name):
    return '=' in name and (',' in name or name.lower().startswith(('cn=', 'ou=', 'dc=')))


def member_of_filter(group_dn, nested):
    """The memberOf clause: direct members only, or the whole chain below the group."""
    rule = ':%s:' % IN_CHAIN if nested else ''
    return '(memberOf%s=%s)' % (rule, escape_filter(group_dn))


def domain_root(dn):
    """The domain's naming context (the DC= components) of an entry's DN."""
    parts = [part.strip() for part in split_dn(dn)]
    root = [part for part in parts if part.lower().startswith('dc=')]
    return ','.join(root) or dn


def split_dn(dn):
    """Split a DN at the commas that separate RDNs (escaped commas stay)."""
    parts, current, escaped = [], '', False
    for char in dn:
        if escaped:
            current += char
            escaped = False
        elif char == '\\':
            current += char
            escaped = True
        elif char == ',':
            parts.append(current)
            current = ''
        else:
            current += char
    parts.append(current)
    return parts


def first(value):
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value


def user_entry(dn, attributes):
    """The member shape returned by ad_group_info."""
    uac = first(attributes.get('userAccountControl')) or 0
    return {
        'sAMAccountName': first(attributes.get('sAMAccountName')),
        'distinguishedName': dn,
        'userPrincipalName': first(attributes.get('userPrincipalName')),
        'mail': first(attributes.get('mail')),
        'disabled': bool(int(uac) & ACCOUNTDISABLE),
    }


def sort_by_name(entries):
    return sorted(entries, key=lambda entry: (entry.get('sAMAccountName') or entry.get('distinguishedName') or '').lower())


class ADDirectory:
    """Searches over a bound connection, paged, counted, with one-line errors."""

    def __init__(self, ad, page_size=500):
        self.ad = ad
        self.conn = ad.connection
        self.page_size = page_size
        self.queries = 0

    def where(self):
        return '%s %s' % (PEER, self.ad.server.uri)

    def search(self, base, search_filter, attributes, scope='subtree'):
        """All entries as (dn, attributes) pairs; every page counts as one query."""
        search_scope = {'subtree': ldap3.SUBTREE, 'base': ldap3.BASE, 'level': ldap3.LEVEL}[scope]
        entries, cookie = [], None
        while True:
            self.queries += 1
            try:
                self.conn.search(base, search_filter, search_scope=search_scope, attributes=attributes,
                                 paged_size=self.page_size, paged_cookie=cookie)
            except ldap3_exceptions.LDAPException as exc:
                raise ADConnectionError('%s: search under %s failed (%s)' % (self.where(), base, one_line(exc)))
            result = self.conn.result or {}
            if result.get('description') == 'noSuchObject':
                raise ADConnectionError('%s: search base %s does not exist' % (self.where(), base))
            if result.get('result') not in (0, None):
                raise ADConnectionError('%s: search under %s refused (%s: %s)'
                                        % (self.where(), base, result.get('description'),
                                           one_line(result.get('message') or '')))
            for item in self.conn.response or []:
                if item.get('type') == 'searchResEntry':
                    entries.append((item['dn'], dict(item.get('attributes') or {})))
            cookie = (result.get('controls') or {}).get('1.2.840.113556.1.4.319', {}).get('value', {}).get('cookie')
            if not cookie:
                return entries

    def find_group(self, name, base):
        """The group by sAMAccountName (under base) or DN; None when there is none."""
        if looks_like_dn(name):
            try:
                entries = self.search(name, GROUPS % '', GROUP_ATTRIBUTES, scope='base')
            except ADConnectionError as exc:
                if 'does not exist' in str(exc):
                    return None
                raise
        else:
            entries = self.search(base, GROUPS % '(sAMAccountName=%s)' % escape_filter(name), GROUP_ATTRIBUTES)
        if not entries:
            return None
        dn, attributes = entries[0]
        return {
            'dn': dn,
            'name': first(attributes.get('sAMAccountName')),
            'description': first(attributes.get('description')),
            'members': list(attributes.get('member') or []),
            'group_type': first(attributes.get('groupType')),
        }

    def users_in(self, group_dn, nested):
        entries = self.search(domain_root(group_dn), USERS % member_of_filter(group_dn, nested), USER_ATTRIBUTES)
        return sort_by_name([user_entry(dn, attributes) for dn, attributes in entries])

    def groups_in(self, group_dn, nested):
        entries = self.search(domain_root(group_dn), GROUPS % member_of_filter(group_dn, nested), ['sAMAccountName'])
        return sort_by_name([{'sAMAccountName': first(attributes.get('sAMAccountName')), 'distinguishedName': dn}
                             for dn, attributes in entries])

    def resolve_account(self, name, base):
        """DN and name of a user or group given by sAMAccountName, userPrincipalName or DN; None if absent."""
        if looks_like_dn(name):
            try:
                entries = self.search(name, '(|(objectClass=user)(objectClass=group))', ['sAMAccountName'], 'base')
            except ADConnectionError as exc:
                if 'does not exist' in str(exc):
                    return None
                raise
        else:
            attribute = 'userPrincipalName' if '@' in name else 'sAMAccountName'
            entries = self.search(base, '(&(|(objectClass=user)(objectClass=group))(%s=%s))'
                                  % (attribute, escape_filter(name)), ['sAMAccountName'])
        if not entries:
            return None
        dn, attributes = entries[0]
        return {'dn': dn, 'name': first(attributes.get('sAMAccountName')) or dn}


def group_info(directory, name, base, nested=True, include_disabled=False):
    """What ad_group_info returns; raises ADConnectionError when the group is not there."""
    group = directory.find_group(name, base)
    if group is None:
        raise ADConnectionError('group %s not found under %s' % (name, base))
    users = directory.users_in(group['dn'], nested)
    if not include_disabled:
        users = [user for user in users if not user['disabled']]
    groups = directory.groups_in(group['dn'], nested) if nested else []
    return {
        'dn': group['dn'],
        'name': group['name'],
        'description': group['description'],
        'members': users,
        'member_count': len(users),
        'nested_groups': groups,
    }


def desired_members(current_dns, wanted_dns, mode):
    """The member DNs after applying wanted_dns with mode exact, add or remove (case-insensitive DNs)."""
    current = dict((dn.lower(), dn) for dn in current_dns)
    wanted = dict((dn.lower(), dn) for dn in wanted_dns)
    if mode == 'exact':
        result = wanted
    elif mode == 'add':
        result = dict(current)
        result.update((key, dn) for key, dn in wanted.items() if key not in current)
    elif mode == 'remove':
        result = dict((key, dn) for key, dn in current.items() if key not in wanted)
    else:
        raise ValueError('unknown members mode %s' % mode)
    return sorted(result.values(), key=str.lower)


def member_changes(current_dns, target_dns):
    """(to_add, to_remove) between two member lists, comparing DNs case-insensitively."""
    current = dict((dn.lower(), dn) for dn in current_dns)
    target = dict((dn.lower(), dn) for dn in target_dns)
    to_add = sorted((dn for key, dn in target.items() if key not in current), key=str.lower)
    to_remove = sorted((dn for key, dn in current.items() if key not in target), key=str.lower)
    return to_add, to_remove


GROUP_SCOPES = {
    # ADS_GROUP_TYPE_SECURITY_ENABLED (0x80000000) | scope bit
    'global': -2147483646,
    'domainlocal': -2147483644,
    'universal': -2147483640,
}


def new_group_attributes(desired, scope):
    """The attributes of a group to create from its desired state."""
    attributes = {'sAMAccountName': desired['name'], 'groupType': GROUP_SCOPES[scope]}
    if desired.get('description'):
        attributes['description'] = desired['description']
    if desired.get('members'):
        attributes['member'] = desired['members']
    return attributes
