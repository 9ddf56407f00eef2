# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hub's Active Directory login as zero-to-jupyterhub values (pure: no server is contacted).

``hub_auth_values(dsaas_ad, access_group_dn=..., admin_group_dn=..., ca_path=...)`` turns the
inventory's ``dsaas_ad`` dictionary into the ``hub.config`` / ``hub.extraConfig`` fragment for the
z2jh 4.4 chart, whose hub image runs JupyterHub 5.5.0 with jupyterhub-ldapauthenticator 2.0.2 and
ldap3 2.9.1 (``../shared/contracts/z2jh/hub-image-requirements.txt``). Every option name below is
one of those versions' traitlets; the ones that are easy to get wrong:

* ``LDAPAuthenticator.tls_strategy``: ``on_connect`` is LDAPS (TLS from the first byte, port 636);
  ``before_bind`` is StartTLS on the plain port (389) before the bind; ``insecure`` is never used.
* ``lookup_dn`` finds the user's DN by ``sAMAccountName`` with the service account
  (``lookup_dn_search_user`` / ``lookup_dn_search_password``), excluding disabled accounts
  (userAccountControl bit 2) in the filter itself; the user's own password is then checked by a
  bind as that DN.
* ``allowed_groups`` holds the access group's DN and ``group_search_filter`` uses the IN_CHAIN
  matching rule (``member:1.2.840.113556.1.4.1941:=``): ldapauthenticator runs it as a base
  search on the group, so a user nested at any depth passes (stock filter: direct members only).
* ``allow_existing_users: false``: otherwise everyone who ever logged in is kept in
  ``allowed_users`` and removing them from the access group would not lock them out.

Decisions written down here because the code alone does not say why:

**Admins are decided at every login (and refresh), not resolved at deploy time.** The admin group
is checked with one IN_CHAIN base search when the user logs in, and the result goes into
``auth_model["admin"]`` as True or False. JupyterHub 5.5 applies that value whenever it is not
None (``BaseHandler.auth_to_user``: ``if admin is not None and admin != user.admin``) and strips
the ``admin`` role with it (``roles.assign_default_roles``), so a user removed from the group is no
longer admin at their next login. Resolving the members at deploy time into
``Authenticator.admin_users`` would be wrong twice: that set can only *grant* admin (JupyterHub
sets ``admin=True`` for its members at every hub start, ``JupyterHub.init_users``, and never takes
it back), and it is stale as soon as the group changes, until the next deploy. So ``admin_users``
is not used for group admins. A session that is already open does not wait for a new login either:
``refresh_user`` repeats the check every ``Authenticator.auth_refresh_age`` seconds (default 300)
and drops admin, updates the groups, or ends the session (account disabled, no longer in the
access group). If the directory cannot be reached during a refresh, the session keeps what it had
and a warning is logged (a new login fails closed instead).

**Failover**: ldapauthenticator 2.0.2 takes one ``server_address``/``server_port``. The fragment
sets those to the first domain controller (what the stock class would use) and the whole list, in
order, to ``DsaasLDAPAuthenticator.failover_servers``: the subclass in ``hub.extraConfig`` tries
each server in turn when it cannot connect (refused, timeout after ``connect_timeout``, TLS
failure) and stops at the first one that answers, like ``module_utils/ad.py``; a rejected bind is
final (every DC has the same accounts, so asking the next one would only lock the account out
sooner). The server that answered last is tried first next time, so a dead DC costs one connect
timeout, not one per login (ldap3's default is the OS's, minutes: the subclass sets
``connect_timeout``). ldap3 2.9.1 cannot match a certificate to an IP address on Python >= 3.12 (it relies on
``ssl.match_hostname``, which is gone), so the subclass also checks certificates with Python's own
TLS context (chain, and host name or IP address as RFC 6125 says).

**Why a subclass and not ``Authenticator.post_auth_hook``**: the hook runs after login only, and
cannot change how the authenticator connects. Failover, the certificate check and
``refresh_user`` all need the class, so the group/admin step lives in the same class as well; the
``post_auth_hook`` slot stays free for later layers.

**User names**: JupyterHub's ``Authenticator.normalize_username`` already lowercases. But
ldapauthenticator checks the *typed* name against ``valid_username_regex`` first, and its default
(``^[a-z][.a-z0-9_-]*$``) refuses ``Alice``; the fragment allows upper case there. The lookup by
sAMAccountName is case-insensitive in AD, ``use_lookup_dn_username`` makes the JupyterHub name the
account's own sAMAccountName, and JupyterHub lowercases it: ``Alice`` logs in as ``alice``.

**Groups**: the groups the user is a member of, transitively, under ``group_search_base`` are
stored by name (sAMAccountName) in ``auth_state["groups"]`` and by DN in ``auth_state["group_dns"]``,
and returned as ``auth_model["groups"]``; with ``Authenticator.manage_groups`` (on by default)
JupyterHub mirrors them as hub groups, which per-group profiles can use later. They are read from
the user's ``tokenGroups`` (nesting resolved by the DC in one base search, milliseconds), without
the primary group (Domain Users) and builtin local groups (tokenGroups holds security groups only:
distribution groups are not listed); where the service account may not read
``tokenGroups``, one IN_CHAIN subtree search gives the same list (measured on the lab's Samba with
5,000 accounts and 200 groups loaded: 10 ms against 1.5-2 s, which is why it is only the fallback).

**auth_state encryption**: ``enable_auth_state`` needs a key. The z2jh chart generates
``hub.config.CryptKeeper.keys`` into its Secret when it is not set and its jupyterhub_config.py
reads it into ``c.CryptKeeper.keys``; outside the chart (the lab's hub) set ``JUPYTERHUB_CRYPT_KEY``
to 32 random bytes in hex (``openssl rand -hex 32``).

**Secrets**: the service account's password is in ``SECRET_PATHS``; ``mask_values`` returns the
fragment with them masked for diffs and logs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

from ansible_collections.dsaas.platform.plugins.module_utils.ad import ADConnectionError, parse_servers
from ansible_collections.dsaas.platform.plugins.module_utils.ad_groups import IN_CHAIN, looks_like_dn
from ansible_collections.dsaas.platform.plugins.module_utils.diff import MASK

# Versions this fragment is written for (the z2jh 4.4 hub image).
JUPYTERHUB_VERSION = '5.5.0'
LDAPAUTHENTICATOR_VERSION = '2.0.2'

AUTHENTICATOR_CLASS = 'ldapauthenticator.LDAPAuthenticator'
SUBCLASS = 'DsaasLDAPAuthenticator'
EXTRA_CONFIG_KEY = 'dsaas-ad-auth'

# Where the jupyterhub role mounts the AD CA in the hub pod (hub.extraFiles); a parameter.
DEFAULT_CA_PATH = '/usr/local/etc/jupyterhub/dsaas/ad-ca.pem'

# ldap3.core.tls.Tls(validate=...) takes the ssl module's constants; YAML carries their values.
CERT_NONE = 0
CERT_REQUIRED = 2

TLS_STRATEGY = {'ldaps': 'on_connect', 'starttls': 'before_bind'}

# sAMAccountName may start with a digit and hold dots, dashes and underscores; upper case is
# allowed because the typed name is checked before JupyterHub lowercases it.
DEFAULT_USERNAME_REGEX = r'^[A-Za-z0-9][A-Za-z0-9._-]*$'

USER_LOOKUP_FILTER = ('(&(objectCategory=person)(objectClass=user)'
                      '(!(userAccountControl:1.2.840.113556.1.4.803:=2))({login_attr}={login}))')
GROUP_SEARCH_FILTER = '(member:%s:={userdn})' % IN_CHAIN
AUTH_STATE_ATTRIBUTES = ['distinguishedName', 'sAMAccountName', 'userPrincipalName', 'mail', 'displayName']

SECRET_PATHS = ('hub.config.LDAPAuthenticator.lookup_dn_search_password',)
# The same secrets as key names, for module_utils.diff.mask_secrets / compute_change(secret_keys=).
SECRET_KEYS = tuple(path.rsplit('.', 1)[1] for path in SECRET_PATHS)


class HubAuthError(ValueError):
    """The inventory cannot be turned into a hub login configuration; the message says why."""


def _group_dn(ad, key, explicit, required):
    """The group's DN: given explicitly, or dsaas_ad[key] when that already is a DN."""
    value = explicit if explicit else ad.get(key)
    if not value:
        if required:
            raise HubAuthError('%s: no access group given (dsaas_ad.access_group or access_group_dn)' % key)
        return None
    value = str(value).strip()
    if not looks_like_dn(value):
        raise HubAuthError("%s '%s' is a name, not a DN: resolve it first (dsaas.platform.ad_group_info returns "
                           "its dn) and pass %s_dn" % (key, value, key))
    return value


def hub_auth_values(ad, access_group_dn=None, admin_group_dn=None, ca_path=None, user_search_base=None,
                    group_search_base=None, refresh_age=300, manage_groups=True,
                    username_regex=DEFAULT_USERNAME_REGEX):
    """The z2jh values fragment (``{'hub': {'config': ..., 'extraConfig': ...}}``) for AD login.

    ``ad`` is shaped like the inventory's ``dsaas_ad``. Group DNs come from ``access_group_dn`` /
    ``admin_group_dn`` or from ``ad['access_group']`` / ``ad['admin_group']`` when those are DNs
    already; names are refused (the caller resolves them with ad_group_info). ``ca_path`` is the
    CA file *inside the hub pod*; by default ``DEFAULT_CA_PATH`` when ``ad['ca_file']`` is set,
    otherwise the image's system trust store. Raises HubAuthError.
    """
    if not isinstance(ad, dict):
        raise HubAuthError('dsaas_ad must be a dictionary, got %s' % type(ad).__name__)
    try:
        servers = parse_servers({'servers': ad.get('servers'), 'tls_mode': ad.get('tls_mode') or 'ldaps',
                                 'port': ad.get('port')})
    except ADConnectionError as exc:
        raise HubAuthError(str(exc))
    for key in ('bind_user', 'bind_password'):
        if not ad.get(key):
            raise HubAuthError('dsaas_ad.%s is required: the hub looks users up with the service account' % key)
    base = user_search_base or ad.get('base_dn')
    if not base or not looks_like_dn(str(base)):
        raise HubAuthError('dsaas_ad.base_dn (or user_search_base) must be a DN, got %r' % (base,))
    access_dn = _group_dn(ad, 'access_group', access_group_dn, required=True)
    admin_dn = _group_dn(ad, 'admin_group', admin_group_dn, required=False)
    validate = ad.get('validate_certs', True)
    validate = True if validate is None else bool(validate)
    if ca_path is None and ad.get('ca_file') and validate:
        ca_path = DEFAULT_CA_PATH
    try:
        timeout = int(ad.get('timeout') or 10)
    except (TypeError, ValueError):
        timeout = -1
    if timeout <= 0:
        raise HubAuthError('dsaas_ad.timeout must be a positive number of seconds, got %r' % (ad.get('timeout'),))
    try:
        refresh_age = int(refresh_age)
    except (TypeError, ValueError):
        raise HubAuthError('refresh_age must be a number of seconds, got %r' % (refresh_age,))
    try:
        re.compile(username_regex)
    except (re.error, TypeError) as exc:
        raise HubAuthError('username_regex %r is not a regular expression (%s)' % (username_regex, exc))

    first = servers[0]
    tls_kwargs = {'validate': CERT_REQUIRED if validate else CERT_NONE}
    if ca_path and validate:
        tls_kwargs['ca_certs_file'] = ca_path
    ldap = {
        'server_address': first.host,
        'server_port': first.port,
        'tls_strategy': TLS_STRATEGY[first.tls_mode],
        'tls_kwargs': tls_kwargs,
        'lookup_dn': True,
        'user_search_base': base,
        'user_attribute': 'sAMAccountName',
        'lookup_dn_search_filter': USER_LOOKUP_FILTER,
        'lookup_dn_search_user': ad['bind_user'],
        'lookup_dn_search_password': ad['bind_password'],
        'lookup_dn_user_dn_attribute': 'sAMAccountName',
        'use_lookup_dn_username': True,
        'valid_username_regex': username_regex,
        'allowed_groups': [access_dn],
        'group_search_filter': GROUP_SEARCH_FILTER,
        # Only to decide "found": the member list of a big group is never fetched.
        'group_attributes': ['cn'],
        'auth_state_attributes': list(AUTH_STATE_ATTRIBUTES),
    }
    return {
        'hub': {
            'config': {
                'JupyterHub': {'authenticator_class': AUTHENTICATOR_CLASS},
                'Authenticator': {
                    'enable_auth_state': True,
                    'allow_all': False,
                    'allow_existing_users': False,
                    'manage_groups': bool(manage_groups),
                    'auth_refresh_age': refresh_age,
                },
                'LDAPAuthenticator': ldap,
                SUBCLASS: {
                    'failover_servers': [server.uri for server in servers],
                    'connect_timeout': timeout,
                    'admin_group_dn': admin_dn or '',
                    'group_search_base': group_search_base or base,
                },
            },
            'extraConfig': {EXTRA_CONFIG_KEY: EXTRA_CONFIG},
        },
    }


def mask_values(values, paths=SECRET_PATHS):
    """A copy of a values document with the value at each dotted path (if present) masked."""
    masked = copy.deepcopy(values)
    for path in paths:
        node = masked
        keys = path.split('.')
        for key in keys[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and node.get(keys[-1]) is not None:
            node[keys[-1]] = MASK
    return masked


# The hub.extraConfig snippet. z2jh's jupyterhub_config.py runs it with exec() after applying
# hub.config, in the config file's namespace (where ``c`` is). Its settings come from
# hub.config.DsaasLDAPAuthenticator (traitlets config is applied when the class is instantiated),
# so the code itself is constant and a changed setting shows as a one-line diff.
EXTRA_CONFIG = r'''# dsaas.platform: Active Directory login (JupyterHub 5.5.0, ldapauthenticator 2.0.2, ldap3 2.9.1).
# Rendered by the dsaas.platform.jupyterhub_ad_auth filter; settings in hub.config.DsaasLDAPAuthenticator
# and hub.config.LDAPAuthenticator. Why a subclass and not Authenticator.post_auth_hook: failover over
# the domain controllers, a certificate check that also matches IP addresses, and refresh_user (groups
# and admin re-checked while a session lives) all need the class; the hook slot stays free.
import asyncio as _dsaas_asyncio
import ssl as _dsaas_ssl
from urllib.parse import urlsplit as _dsaas_urlsplit

import ldap3 as _dsaas_ldap3
from ldap3.core.exceptions import LDAPBindError as _DsaasBindError
from ldap3.core.exceptions import LDAPCommunicationError as _DsaasCommunicationError
from ldap3.core.exceptions import LDAPStartTLSError as _DsaasStartTLSError
from ldap3.core.tls import Tls as _DsaasTls
from ldap3.utils.conv import escape_bytes as _dsaas_escape_bytes
from ldap3.utils.conv import escape_filter_chars as _dsaas_escape
from ldapauthenticator import LDAPAuthenticator as _DsaasLDAPBase
from ldapauthenticator.ldapauthenticator import TlsStrategy as _DsaasTlsStrategy
from traitlets import Int as _DsaasInt
from traitlets import List as _DsaasList
from traitlets import Unicode as _DsaasUnicode

_DSAAS_IN_CHAIN = "1.2.840.113556.1.4.1941"
_DSAAS_ENABLED = "(!(userAccountControl:1.2.840.113556.1.4.803:=2))"


class DsaasVerifyingTls(_DsaasTls):
    """ldap3's Tls, but the certificate is checked by Python's TLS context: chain and host name or
    IP address (RFC 6125). ldap3 2.9.1 cannot match IP addresses on Python >= 3.12."""

    def wrap_socket(self, connection, do_handshake=False):
        context = _dsaas_ssl.create_default_context(cafile=self.ca_certs_file)
        if self.validate == _dsaas_ssl.CERT_NONE:
            context.check_hostname = False
            context.verify_mode = _dsaas_ssl.CERT_NONE
        connection.socket = context.wrap_socket(
            connection.socket, server_side=False, do_handshake_on_connect=do_handshake,
            server_hostname=connection.server.host)


def _dsaas_first(value):
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value


class DsaasLDAPAuthenticator(_DsaasLDAPBase):
    """LDAPAuthenticator with domain controller failover, nested groups and admins from AD."""

    failover_servers = _DsaasList(_DsaasUnicode(), config=True, help="""
        Domain controllers in order: ldaps://host:port (TLS on connect) or ldap://host:port
        (StartTLS before bind). Empty: server_address / server_port / tls_strategy.""")
    connect_timeout = _DsaasInt(10, config=True, help="Seconds to wait for each domain controller.")
    admin_group_dn = _DsaasUnicode("", config=True, help="""
        Members of this group, nested at any depth, are admins; decided at every login and refresh.
        Empty: the admin flag is not managed from AD.""")
    group_search_base = _DsaasUnicode("", config=True, help="Where the user's groups are looked up.")
    _dsaas_answered = 0

    def _dsaas_servers(self):
        if not self.failover_servers:
            return [(self.server_address, self.server_port, self.tls_strategy)]
        servers = []
        for uri in self.failover_servers:
            parts = _dsaas_urlsplit(uri)
            ldaps = parts.scheme.lower() == "ldaps"
            strategy = _DsaasTlsStrategy.on_connect if ldaps else _DsaasTlsStrategy.before_bind
            servers.append((parts.hostname, parts.port or (636 if ldaps else 389), strategy))
        return servers

    def get_connection(self, userdn, password):
        """ldapauthenticator's get_connection over the failover list: the next domain controller
        when one cannot be reached or fails TLS; None when the bind is rejected (final). The one
        that answered last is tried first next time, so a dead DC costs one timeout, not one per bind."""
        servers = list(enumerate(self._dsaas_servers()))
        start = self._dsaas_answered % len(servers)
        error = None
        for index, (host, port, strategy) in servers[start:] + servers[:start]:
            server = _dsaas_ldap3.Server(
                host, port=port, use_ssl=strategy == _DsaasTlsStrategy.on_connect,
                tls=DsaasVerifyingTls(**self.tls_kwargs), get_info=_dsaas_ldap3.NONE,
                connect_timeout=self.connect_timeout)
            if strategy == _DsaasTlsStrategy.before_bind:
                auto_bind = _dsaas_ldap3.AUTO_BIND_TLS_BEFORE_BIND
            else:
                auto_bind = _dsaas_ldap3.AUTO_BIND_NO_TLS
            try:
                conn = _dsaas_ldap3.Connection(server, user=userdn, password=password, auto_bind=auto_bind,
                                               receive_timeout=self.connect_timeout)
            except _DsaasBindError:
                self._dsaas_answered = index
                self.log.debug("AD %s:%s rejected the bind of %s", host, port, userdn)
                return None
            except (_DsaasCommunicationError, _DsaasStartTLSError) as e:
                self.log.warning("AD %s:%s unavailable (%s): trying the next domain controller",
                                 host, port, " ".join(str(e).split())[:300])
                error = e
                continue
            self._dsaas_answered = index
            return conn
        raise error

    def _dsaas_read_directory(self, userdn):
        """As the service account: is the account enabled, in an allowed group, in the admin group
        (IN_CHAIN base searches: one query each whatever the nesting depth), and all its groups."""
        conn = self.get_connection(self.lookup_dn_search_user, self.lookup_dn_search_password)
        if conn is None:
            raise RuntimeError("the service account %s was rejected" % self.lookup_dn_search_user)
        try:
            dn = _dsaas_escape(userdn)

            def found(base, search_filter):
                return bool(conn.search(base, search_filter, search_scope=_dsaas_ldap3.BASE,
                                        attributes=["cn"]) and conn.entries)

            def member_of(group_dn):
                return found(group_dn, "(member:%s:=%s)" % (_DSAAS_IN_CHAIN, dn))

            groups = self._dsaas_groups(conn, userdn, dn)
            return {
                "enabled": found(userdn, _DSAAS_ENABLED),
                "allowed": any(member_of(group) for group in self.allowed_groups or []) or not self.allowed_groups,
                "admin": bool(self.admin_group_dn) and member_of(self.admin_group_dn),
                "groups": sorted((name for name, _ in groups), key=str.lower),
                "group_dns": sorted((group_dn for _, group_dn in groups), key=str.lower),
            }
        finally:
            conn.unbind()

    def _dsaas_groups(self, conn, userdn, escaped_dn):
        """(name, DN) of the groups under group_search_base the user is a member of, transitively.

        tokenGroups (the SIDs of the user's security token, nesting resolved by the DC on one base
        search) resolved to groups in a few indexed searches; the primary group (Domain Users,
        which every account has through primaryGroupID, not member) and builtin local groups are
        left out, so the list is the same as the IN_CHAIN search's. Where the service account may
        not read tokenGroups (AD can restrict it to the Windows Authorization Access Group) it is
        empty, and one IN_CHAIN subtree search is used instead: correct too, but the directory
        evaluates it over every group under the base (seconds on a big one)."""
        base = self.group_search_base or self.user_search_base
        sids = []
        if conn.search(userdn, "(objectClass=*)", search_scope=_dsaas_ldap3.BASE,
                       attributes=["tokenGroups", "objectSid", "primaryGroupID"]):
            raw = conn.response[0].get("raw_attributes") or {}
            sids = list(raw.get("tokenGroups") or [])
            user_sid, primary = _dsaas_first(raw.get("objectSid")), _dsaas_first(raw.get("primaryGroupID"))
            if user_sid and primary:
                primary_sid = bytes(user_sid[:-4]) + int(primary).to_bytes(4, "little")
                sids = [sid for sid in sids if bytes(sid) != primary_sid]
        filters = []
        for start in range(0, len(sids), 100):
            chunk = "".join("(objectSid=%s)" % _dsaas_escape_bytes(sid) for sid in sids[start:start + 100])
            filters.append("(&(objectClass=group)(!(groupType:1.2.840.113556.1.4.803:=1))(|%s))" % chunk)
        if not sids:
            filters = ["(&(objectClass=group)(member:%s:=%s))" % (_DSAAS_IN_CHAIN, escaped_dn)]
        groups = []
        for search_filter in filters:
            for entry in conn.extend.standard.paged_search(base, search_filter, attributes=["sAMAccountName", "cn"],
                                                           paged_size=500, generator=True):
                if entry.get("type") == "searchResEntry":
                    attributes = entry.get("attributes") or {}
                    name = _dsaas_first(attributes.get("sAMAccountName")) or _dsaas_first(attributes.get("cn"))
                    groups.append((name, entry["dn"]))
        return groups

    async def _dsaas_directory(self, userdn):
        # ldap3 blocks: run it off the hub's event loop.
        loop = _dsaas_asyncio.get_running_loop()
        return await loop.run_in_executor(None, self._dsaas_read_directory, userdn)

    @staticmethod
    def _dsaas_userdn(auth_state):
        attributes = (auth_state or {}).get("user_attributes") or {}
        return _dsaas_first(attributes.get("distinguishedName"))

    def _dsaas_apply(self, auth_model, directory):
        auth_state = dict(auth_model.get("auth_state") or {})
        auth_state["groups"] = directory["groups"]
        auth_state["group_dns"] = directory["group_dns"]
        auth_model["auth_state"] = auth_state
        auth_model["groups"] = directory["groups"]
        if self.admin_group_dn:
            # True or False, never None: JupyterHub applies it either way (a removed admin loses it).
            auth_model["admin"] = directory["admin"]
        return auth_model

    async def authenticate(self, handler, data):
        auth_model = await super().authenticate(handler, data)
        if not auth_model:
            return auth_model
        userdn = self._dsaas_userdn(auth_model.get("auth_state"))
        if not userdn:
            self.log.error("username:%s no distinguishedName in auth_state_attributes: login refused",
                           auth_model["name"])
            return None
        try:
            directory = await self._dsaas_directory(userdn)
        except Exception as e:  # a login never passes with unknown groups or admin flag
            self.log.error("username:%s groups not readable from AD (%s): login refused",
                           auth_model["name"], " ".join(str(e).split())[:300])
            return None
        return self._dsaas_apply(auth_model, directory)

    async def refresh_user(self, user, handler=None):
        auth_state = await user.get_auth_state()
        userdn = self._dsaas_userdn(auth_state)
        if not userdn:
            return True
        try:
            directory = await self._dsaas_directory(userdn)
        except Exception as e:
            self.log.warning("AD refresh of %s failed (%s): keeping the current groups and admin flag",
                             user.name, " ".join(str(e).split())[:300])
            return True
        if not (directory["enabled"] and directory["allowed"]):
            self.log.info("%s is disabled or no longer in an allowed group: login required", user.name)
            return False
        return self._dsaas_apply({"name": user.name, "auth_state": auth_state}, directory)


c.JupyterHub.authenticator_class = DsaasLDAPAuthenticator
'''
