# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One way to reach Active Directory: the shared argument spec and an ldap3 connection over TLS.

Every AD module merges ``AD_CONNECTION_SPEC`` into its own spec and calls ``ad_connect``. TLS is
not optional: a bind password must never cross the wire in clear, so plain ``ldap://`` without
StartTLS is refused before anything is sent. Every failure becomes one line that names the peer,
the address and the cause (``ADConnectionError``), never a traceback.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket
import ssl

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 is not a target, keeps the import sanity test quiet
    from urlparse import urlsplit  # type: ignore

try:
    import ldap3
    from ldap3.core import exceptions as ldap3_exceptions
    from ldap3.core.tls import Tls
    HAS_LDAP3 = True
    LDAP3_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the controller
    HAS_LDAP3 = False
    LDAP3_IMPORT_ERROR = exc
    Tls = object

from ansible.module_utils.basic import env_fallback

PEER = 'AD'
DEFAULT_PORTS = {'ldaps': 636, 'starttls': 389}

AD_CONNECTION_SPEC = dict(
    servers=dict(type='list', elements='str', required=True, aliases=['server'],
                 fallback=(env_fallback, ['DSAAS_AD_SERVERS'])),
    # 'none' is accepted only to be refused with the reason (see parse_servers).
    tls_mode=dict(type='str', choices=['ldaps', 'starttls', 'none'], default='ldaps'),
    port=dict(type='int'),
    ca_file=dict(type='path', fallback=(env_fallback, ['DSAAS_AD_CA_FILE'])),
    validate_certs=dict(type='bool', default=True),
    bind_user=dict(type='str', required=True, fallback=(env_fallback, ['DSAAS_AD_BIND_USER'])),
    bind_password=dict(type='str', required=True, no_log=True,
                       fallback=(env_fallback, ['DSAAS_AD_BIND_PASSWORD'])),
    timeout=dict(type='int', default=10),
)


class ADConnectionError(Exception):
    """A one-line, operator-facing reason why the directory could not be used."""


class ADServer:
    """One directory endpoint: host, port and how TLS is reached there."""

    def __init__(self, host, port, tls_mode):
        self.host = host
        self.port = port
        self.tls_mode = tls_mode

    @property
    def uri(self):
        scheme = 'ldaps' if self.tls_mode == 'ldaps' else 'ldap'
        host = '[%s]' % self.host if ':' in self.host else self.host
        return '%s://%s:%d' % (scheme, host, self.port)

    @property
    def address(self):
        return '%s:%d' % (self.host, self.port)

    def __eq__(self, other):
        return (self.host, self.port, self.tls_mode) == (other.host, other.port, other.tls_mode)

    def __repr__(self):
        return 'ADServer(%s, %s)' % (self.uri, self.tls_mode)


def parse_server(entry, tls_mode='ldaps', port=None):
    """Turn ``dc1``, ``dc1:3269``, ``ldaps://dc1`` or ``ldap://dc1`` (StartTLS) into an ADServer.

    ``ldap://`` means StartTLS: the connection is upgraded before the bind or refused.
    """
    entry = (entry or '').strip()
    if not entry:
        raise ADConnectionError('%s: empty server name in servers' % PEER)
    if '://' in entry:
        parts = urlsplit(entry)
        scheme = parts.scheme.lower()
        if scheme not in ('ldaps', 'ldap'):
            raise ADConnectionError("%s: server '%s' has scheme '%s'; use ldaps:// or ldap:// with StartTLS"
                                    % (PEER, entry, scheme))
        mode = 'ldaps' if scheme == 'ldaps' else 'starttls'
        host = parts.hostname
        try:
            server_port = parts.port
        except ValueError:
            raise ADConnectionError("%s: server '%s' has an invalid port" % (PEER, entry))
    else:
        mode = tls_mode
        host, server_port = entry, None
        if entry.count(':') == 1:
            host, raw_port = entry.split(':')
            if not raw_port.isdigit():
                raise ADConnectionError("%s: server '%s' has an invalid port" % (PEER, entry))
            server_port = int(raw_port)
    if not host:
        raise ADConnectionError("%s: server '%s' has no host name" % (PEER, entry))
    final_port = server_port or port or DEFAULT_PORTS[mode]
    if not 0 < final_port < 65536:
        raise ADConnectionError("%s: server '%s' has an invalid port %d" % (PEER, entry, final_port))
    return ADServer(host, final_port, mode)


def parse_servers(params):
    """The failover list, in the order given, from the module parameters."""
    if params.get('tls_mode') == 'none':
        raise ADConnectionError('%s: TLS is required by design: a bind over plain LDAP would send the '
                                'password in clear (use tls_mode=ldaps or starttls)' % PEER)
    servers = [parse_server(entry, params.get('tls_mode') or 'ldaps', params.get('port'))
               for entry in params.get('servers') or []]
    if not servers:
        raise ADConnectionError('%s: no servers given' % PEER)
    return servers


def check_ca_file(ca_file, validate_certs=True):
    """Fail early and in one line when the CA file cannot be a CA bundle."""
    if not validate_certs or not ca_file:
        return None
    if not os.path.isfile(ca_file):
        raise ADConnectionError('%s: CA file %s not found' % (PEER, ca_file))
    try:
        context = ssl.create_default_context(cafile=ca_file)
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise ADConnectionError('%s: CA file %s is not a PEM CA certificate (%s)'
                                % (PEER, ca_file, one_line(exc)))
    if not context.get_ca_certs():
        raise ADConnectionError('%s: CA file %s holds no CA certificate' % (PEER, ca_file))
    return ca_file


def one_line(exc):
    """The message of an exception, flattened to one line."""
    text = str(exc) or exc.__class__.__name__
    return ' '.join(text.split())


def describe_open_error(server, exc, timeout):
    """The cause of a failed connect or TLS handshake, in the words an operator searches for."""
    text = one_line(exc)
    lowered = text.lower()
    where = '%s %s' % (PEER, server.uri)
    if "doesn't match" in lowered or 'hostname mismatch' in lowered or 'ip address mismatch' in lowered:
        return "%s: TLS certificate does not name '%s' (hostname mismatch)" % (where, server.host)
    if 'certificate verify failed' in lowered or 'certificate_verify_failed' in lowered:
        reason = text.rsplit('certificate verify failed:', maxsplit=1)[-1].split('(_ssl', maxsplit=1)[0].strip(' )]')
        return '%s: TLS certificate not trusted (certificate verify failed: %s)' % (where, reason or 'unknown')
    if 'refused' in lowered:
        return '%s: connection refused' % where
    if 'timed out' in lowered or 'timeout' in lowered:
        return '%s: no answer within %d s (timeout)' % (where, timeout)
    if 'name or service not known' in lowered or 'nodename nor servname' in lowered \
            or 'temporary failure in name resolution' in lowered or 'no address associated' in lowered:
        return "%s: host name '%s' does not resolve" % (where, server.host)
    if 'invalid server address' in lowered:
        return "%s: host name '%s' does not resolve" % (where, server.host)
    if 'ssl wrapping error' in lowered and ('reset by peer' in lowered or 'eof' in lowered):
        # A plain LDAP server drops a TLS ClientHello: the classic "LDAPS on port 389".
        return ('%s: the server did not answer in TLS (a plain-LDAP port?); TLS is required: '
                'use the LDAPS port or tls_mode=starttls' % where)
    if 'wrong version number' in lowered or 'unexpected eof' in lowered or 'record layer failure' in lowered \
            or 'packet length too long' in lowered or 'unknown protocol' in lowered:
        return ('%s: the server did not answer in TLS (a plain-LDAP port?); TLS is required: '
                'use the LDAPS port or tls_mode=starttls' % where)
    if 'unreachable' in lowered:
        return '%s: network unreachable' % where
    return '%s: cannot connect (%s)' % (where, text)


class VerifyingTls(Tls):
    """ldap3's Tls with Python's own hostname check (RFC 6125, IP addresses included).

    ldap3 2.9 skips the hostname check when SNI is set and cannot match IP addresses otherwise;
    this wraps the socket with a standard verifying context instead.
    """

    def __init__(self, ca_file, validate_certs):
        super(VerifyingTls, self).__init__(validate=ssl.CERT_REQUIRED if validate_certs else ssl.CERT_NONE,
                                           ca_certs_file=ca_file)
        self.verifying_context = ssl.create_default_context(cafile=ca_file)
        self.verifying_context.minimum_version = ssl.TLSVersion.TLSv1_2
        if not validate_certs:
            self.verifying_context.check_hostname = False
            self.verifying_context.verify_mode = ssl.CERT_NONE

    def wrap_socket(self, connection, do_handshake=False):
        connection.socket = self.verifying_context.wrap_socket(
            connection.socket, server_side=False, do_handshake_on_connect=do_handshake,
            server_hostname=connection.server.host)


class ADConnection:
    """A bound, read-only-by-default connection and where it landed."""

    def __init__(self, connection, server, tried):
        self.connection = connection
        self.server = server
        self.tried = tried

    @property
    def tls(self):
        sock = getattr(self.connection, 'socket', None)
        if sock is None or not hasattr(sock, 'version'):
            return {}
        cipher = sock.cipher() or (None, None, None)
        return {'version': sock.version(), 'cipher': cipher[0]}

    def close(self):
        try:
            self.connection.unbind()
        except Exception:  # pylint: disable=broad-except
            pass


def _open(server, params, read_only):
    timeout = params.get('timeout') or 10
    tls = VerifyingTls(params.get('ca_file'), params.get('validate_certs', True))
    ldap_server = ldap3.Server(server.host, port=server.port, use_ssl=server.tls_mode == 'ldaps',
                               tls=tls, get_info=ldap3.NONE, connect_timeout=timeout)
    connection = ldap3.Connection(ldap_server, user=params['bind_user'], password=params['bind_password'],
                                  authentication=ldap3.SIMPLE, auto_bind=ldap3.AUTO_BIND_NONE,
                                  read_only=read_only, receive_timeout=timeout, raise_exceptions=False,
                                  auto_referrals=False)
    try:
        connection.open()
        if server.tls_mode == 'starttls' and not connection.start_tls():
            raise ADConnectionError('%s %s: StartTLS refused (%s); TLS is required'
                                    % (PEER, server.uri, connection.last_error or connection.result))
    except ADConnectionError:
        raise
    except (ldap3_exceptions.LDAPException, socket.error, ssl.SSLError, ValueError) as exc:
        raise ADConnectionError(describe_open_error(server, exc, timeout))
    return connection


# The "data NNN" sub-codes Active Directory puts in a rejected bind's message (AcceptSecurityContext).
AD_BIND_REASONS = {
    '525': 'no such account',
    '52e': 'invalid credentials',
    '530': 'logon not permitted at this time',
    '531': 'logon not permitted from this workstation',
    '532': 'password expired',
    '533': 'account disabled',
    '701': 'account expired',
    '773': 'password must be changed before the first logon',
    '775': 'account locked out',
}


def bind_rejection_cause(result):
    """The reason of a failed bind in words, from AD's sub-code when there is one."""
    description = (result or {}).get('description') or 'unknown'
    message = ' '.join(str((result or {}).get('message') or '').split()).lower()
    for code, words in AD_BIND_REASONS.items():
        if 'data %s,' % code in message or message.endswith('data %s' % code):
            return '%s, AD code %s' % (words, code)
    if description == 'invalidCredentials':
        return 'invalid credentials'
    if description == 'strongerAuthRequired':
        return 'the server requires TLS or a stronger authentication'
    return ('%s: %s' % (description, message)).strip(': ')


def _bind(connection, server, bind_user):
    try:
        bound = connection.bind()
    except (ldap3_exceptions.LDAPException, socket.error, ssl.SSLError) as exc:
        raise ADConnectionError('%s %s: bind failed for %s (%s)' % (PEER, server.uri, bind_user, one_line(exc)))
    if not bound:
        raise ADConnectionError('%s %s: bind rejected for %s (%s)'
                                % (PEER, server.uri, bind_user, bind_rejection_cause(connection.result)))


def ad_connect(params, read_only=True):
    """Bind to the first server of the failover list that answers; raise ADConnectionError otherwise.

    Connection problems (refused, timeout, TLS) move on to the next server; a rejected bind stops:
    every domain controller shares the same accounts, so trying the others would only lock the
    service account out sooner.
    """
    if not HAS_LDAP3:
        raise ADConnectionError('%s: the Python library ldap3 is required on the controller (%s)'
                                % (PEER, LDAP3_IMPORT_ERROR))
    servers = parse_servers(params)
    check_ca_file(params.get('ca_file'), params.get('validate_certs', True))
    tried, errors = [], []
    for server in servers:
        tried.append(server.uri)
        try:
            connection = _open(server, params, read_only)
        except ADConnectionError as exc:
            errors.append(str(exc))
            continue
        try:
            _bind(connection, server, params['bind_user'])
        except ADConnectionError:
            connection.unbind()
            raise
        return ADConnection(connection, server, tried)
    raise ADConnectionError('; '.join(errors))


def run_ad_module(module, action, read_only=True):
    """The spine of every AD module: bind, run action(ad) for the result dict, exit.

    Every ADConnectionError, from the bind or from the action, ends the task with its one-line
    message; the connection is closed either way.
    """
    try:
        ad = ad_connect(module.params, read_only=read_only)
    except ADConnectionError as exc:
        module.fail_json(msg=str(exc))
    try:
        result = action(ad)
    except ADConnectionError as exc:
        module.fail_json(msg=str(exc))
    finally:
        ad.close()
    module.exit_json(**result)


def root_dse(ad):
    """The few rootDSE attributes that identify the directory (read with the bound connection)."""
    attributes = ['defaultNamingContext', 'dnsHostName', 'domainControllerFunctionality', 'serverName']
    conn = ad.connection
    if not conn.search('', '(objectClass=*)', search_scope=ldap3.BASE, attributes=attributes):
        raise ADConnectionError('%s %s: rootDSE not readable (%s)'
                                % (PEER, ad.server.uri, (conn.result or {}).get('description')))
    entry = conn.response[0].get('attributes', {}) if conn.response else {}
    return dict((key, _first(entry.get(key))) for key in attributes)


def account_filter(bind_user):
    """(base, scope, filter) that finds the bind account's own entry under a naming context."""
    if '\\' in bind_user:
        return None, 'subtree', '(sAMAccountName=%s)' % escape_filter(bind_user.split('\\', 1)[1])
    if '@' in bind_user:
        return None, 'subtree', '(userPrincipalName=%s)' % escape_filter(bind_user)
    if '=' in bind_user:
        return bind_user, 'base', '(objectClass=*)'
    return None, 'subtree', '(sAMAccountName=%s)' % escape_filter(bind_user)


def escape_filter(value):
    """RFC 4515 escaping of a value placed in a search filter."""
    out = []
    for char in value:
        if char in '\\*()\x00':
            out.append('\\%02x' % ord(char))
        else:
            out.append(char)
    return ''.join(out)


def bound_identity(ad, bind_user, naming_context):
    """The DN of the bound account: RFC 4532 Who am I where supported (Samba lacks it), else a search."""
    identity = ad.connection.extend.standard.who_am_i()
    if identity:
        return identity[2:] if identity.startswith('u:') else identity
    base, scope, search_filter = account_filter(bind_user)
    conn = ad.connection
    scope = ldap3.BASE if scope == 'base' else ldap3.SUBTREE
    if conn.search(base or naming_context, search_filter, search_scope=scope, attributes=['distinguishedName'],
                   size_limit=2) and conn.entries:
        return conn.entries[0].entry_dn
    return bind_user


def _first(value):
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value
