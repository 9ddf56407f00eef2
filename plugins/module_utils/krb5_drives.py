# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Department drives (SMB shares behind a DFS namespace) in notebooks, with the user's Kerberos ticket
and without privileges, as zero-to-jupyterhub values (pure: no server is contacted).

``render(drives, kerberos, ad, namespace=...)`` checks the drive mapping and the Kerberos settings and
returns ``{'values': <z2jh fragment>, 'configmap': <ConfigMap manifest>, 'krb5_conf': <text>, ...}``
for the z2jh 4.4 chart (JupyterHub 5.5.0, KubeSpawner 7.0.0). ``drives_errors`` returns the same
checks as a list of one-line messages (the role asserts on it before any change).
``csi_manifests(...)`` renders the csi-driver-smb variant (per-user static PersistentVolume and claim).

Decisions written down here because the code alone does not say why:

**A ticket at login, never the password.** ``Authenticator.post_auth_hook`` (JupyterHub 5.5:
``post_auth_hook(authenticator, handler, authentication)``) runs once the login has passed every
check, with the login request's handler: it reads the password from the form
(``handler.get_body_argument('password', strip=False)``), asks the KDC for a TGT with python-gssapi
(``acquire_cred_with_password``), writes it with ``store_cred_into`` to a FILE cache in a private
0700 temporary directory, reads the bytes and removes the directory. Only the cache (base64) and its
expiry go into ``auth_state['dsaas_krb5']``, which JupyterHub encrypts (CryptKeeper). The password
stays a local variable of the hook: it is not logged, stored or passed on. Why a hook and not another
subclass: the authenticator class is ``DsaasLDAPAuthenticator`` (module_utils/hub_auth.py), set by the
``dsaas-ad-auth`` snippet; a second subclass would have to replace it (and every later change to the
login would have to know about both), while the hook is the slot JupyterHub provides for exactly
this (bootstrapping after a successful login), runs for any authenticator class, and cannot make a
login fail: a KDC that does not answer (``login_timeout``, the thread is not waited for longer) or
refuses the ticket gives ``{'error': <one line>}`` instead, and the drives show that reason.

**Into the user's server without privileges.** KubeSpawner's ``pre_spawn_hook`` writes the cache
into a per-server Secret ``dsaas-krb5-<user_server>`` (create or replace, KubeSpawner's own
``spawner.api`` client, the hub's service account, which may manage Secrets in its namespace in the
z2jh chart); ``post_stop_hook`` deletes it (404 ignored). The pod gets (``modify_pod_hook``, because
the profiles' ``profile_list`` resets ``spawner.volumes`` in ``load_user_options``, which runs after
``pre_spawn_hook``): the Secret as a volume (``defaultMode`` 0400) mounted only in an init container
that runs as the notebook uid with the restricted security context and copies it with
``install -m 0400`` into an in-memory ``emptyDir`` (Secret volume files belong to root, readable by
the pod's ``fsGroup`` only; the copy belongs to the notebook uid, 0400); the ``emptyDir`` is mounted
read-only in the notebook container; ``KRB5CCNAME=FILE:<that path>``, ``KRB5_CONFIG`` (the
``dsaas-krb5-conf`` ConfigMap's mount), ``DSAAS_DRIVES`` (JSON: the drives of the user's groups, from
``auth_state['groups']``, compared case-insensitively) and ``DSAAS_DRIVES_STATUS`` (``ok`` or
``log in again: <reason>``; then there is no Secret and no init container, and the server still
starts). Nothing is privileged, no capability is added, every container runs as non-root.

**The snippet's key** is ``dsaas-smb-drives``: the chart runs ``hub.extraConfig`` sorted by key, and it
must run after ``dsaas-ad-auth`` and ``dsaas-profiles``, so that the hooks it chains to exist.

**krb5.conf** names the realm and its KDCs explicitly: no DNS lookups of KDCs or realms (the hub and
notebook pods may not resolve the AD's SRV records), no reverse DNS and no canonicalisation of host
names (``cifs/<server as written>`` is the principal asked for, so ``\\\\fs1\\share`` and the DFS
referral targets behave the same everywhere), TCP first (AD tickets carry a PAC, too big for UDP), and
a short ``kdc_timeout`` with one retry, so a KDC that does not answer costs seconds at login, not
minutes. Each drive server is mapped to the realm in ``[domain_realm]``.

**The realm** is the AD domain in upper case: ``DC=lab,DC=dsaas,DC=test`` is ``lab.dsaas.test``, realm
``LAB.DSAAS.TEST``. Anything else is refused: AD issues tickets only for its own realm, and a wrong
realm would only show at the first login as "no such realm".
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 is not supported by the collection
    from urlparse import urlsplit

EXTRA_CONFIG_KEY = 'dsaas-smb-drives'
# The keys of the snippets this one must run after (module_utils/hub_auth.py, module_utils/jupyterhub_profiles.py).
RUNS_AFTER = ('dsaas-ad-auth', 'dsaas-profiles')
CONFIGMAP_NAME = 'dsaas-krb5-conf'
CONFIG_SECTION = 'DsaasDrives'
HUB_KRB5_CONF = '/usr/local/etc/jupyterhub/dsaas/krb5.conf'
NOTEBOOK_KRB5_DIR = '/etc/dsaas/krb5'
NOTEBOOK_KRB5_CONF = NOTEBOOK_KRB5_DIR + '/krb5.conf'
CCACHE_DIR = '/var/run/dsaas-krb5'
SECRET_PREFIX = 'dsaas-krb5-'
# The Secret's key for the userland variant; csi-driver-smb wants krb5cc_<cruid> (see csi_manifests).
SECRET_KEY = 'krb5cc'
CSI_DRIVER = 'smb.csi.k8s.io'
CSI_SECRET_KEY_PREFIX = 'krb5cc_'
MODES = ('userland', 'csi')

DEFAULT_KDC_TIMEOUT = 3
DEFAULT_LOGIN_TIMEOUT = 15

# \\server\share[\dir...]: a host name or IPv4 address, then a share name and optional folders; no empty
# components, none of the characters Windows forbids in names.
_COMPONENT = r'[^\\/:*?"<>|\x00-\x1f]+'
UNC_RE = re.compile(r'^\\\\(?P<server>[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)'
                    r'\\(?P<share>' + _COMPONENT + r')(?P<rest>(?:\\' + _COMPONENT + r')*)\\?$')
# A drive's name becomes a folder name in the notebook (and part of Kubernetes object names in the csi
# variant): lower case letters, digits and dashes, starting with a letter, at most 40 characters.
NAME_RE = re.compile(r'^[a-z][a-z0-9-]{0,39}$')
REALM_RE = re.compile(r'^[A-Z0-9][A-Z0-9.-]*[A-Z0-9]$')
KDC_RE = re.compile(r'^(?:\[[0-9A-Fa-f:]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(?P<port>[0-9]{1,5}))?$')
DN_DC_RE = re.compile(r'^\s*DC\s*=\s*(?P<dc>[^,]+?)\s*$', re.IGNORECASE)


class DrivesError(ValueError):
    """The drive mapping or the Kerberos settings are wrong; the message (one line) says which and why."""


def _where(index, drive):
    name = drive.get('name') if isinstance(drive, dict) else None
    return 'jupyterhub_drives[%d]%s' % (index, " (name '%s')" % name if name else '')


def parse_unc(path):
    """``\\\\server\\share\\a\\b`` as ``{'server', 'share', 'folders': [...]}``; DrivesError when it is not one."""
    match = UNC_RE.match(path) if isinstance(path, str) else None
    if not match:
        raise DrivesError('path %r is not a UNC path \\\\server\\share[\\folder...]' % (path,))
    folders = [part for part in match.group('rest').split('\\') if part]
    for part in [match.group('share')] + folders:
        if part.strip() != part or part in ('.', '..'):
            raise DrivesError("path %r: the component %r is not a folder name" % (path, part))
    return {'server': match.group('server').lower(), 'share': match.group('share'), 'folders': folders}


def validate_drives(drives):
    """The drive mapping, checked and normalised: ``[{name, group, path, server, share, folders, url}]``.

    Each entry needs ``name`` (NAME_RE, unique), ``group`` (an AD group name; resolved by the role) and
    ``path`` (UNC). Raises DrivesError naming the entry and the key."""
    if drives is None:
        return []
    if not isinstance(drives, list):
        raise DrivesError('jupyterhub_drives must be a list of {name, group, path}, got %s' % type(drives).__name__)
    seen = {}
    result = []
    for index, drive in enumerate(drives):
        where = _where(index, drive)
        if not isinstance(drive, dict):
            raise DrivesError('%s must be a dictionary {name, group, path}' % where)
        unknown = sorted(set(drive) - set(('name', 'group', 'path')))
        if unknown:
            raise DrivesError('%s: unknown key(s) %s (a drive has name, group and path)' % (where, ', '.join(unknown)))
        for key in ('name', 'group', 'path'):
            if not isinstance(drive.get(key), str) or not drive[key].strip():
                raise DrivesError('%s: %s is missing or empty' % (where, key))
        name = drive['name']
        if not NAME_RE.match(name):
            raise DrivesError("%s: name %r is not usable as a folder name (lower case letters, digits and dashes, "
                              "starting with a letter, at most 40 characters)" % (where, name))
        if name in seen:
            raise DrivesError('%s: name %r is already used by jupyterhub_drives[%d]' % (where, name, seen[name]))
        seen[name] = index
        try:
            unc = parse_unc(drive['path'])
        except DrivesError as exc:
            raise DrivesError('%s: %s' % (where, exc))
        result.append({
            'name': name,
            'group': drive['group'].strip(),
            'path': drive['path'],
            'server': unc['server'],
            'share': unc['share'],
            'folders': unc['folders'],
            'url': 'smb://%s/%s' % (unc['server'], '/'.join([unc['share']] + unc['folders'])),
        })
    return result


def domain_from_base_dn(base_dn):
    """``DC=lab,DC=dsaas,DC=test`` (and ``OU=x,DC=...``) as ``lab.dsaas.test``; DrivesError without DC parts."""
    if not isinstance(base_dn, str):
        raise DrivesError('dsaas_ad.base_dn must be a DN (DC=example,DC=org), got %r' % (base_dn,))
    dcs = []
    for part in base_dn.split(','):
        match = DN_DC_RE.match(part)
        if match:
            dcs.append(match.group('dc').lower())
        elif dcs:
            raise DrivesError('dsaas_ad.base_dn %r: the DC= components must come last' % base_dn)
    if not dcs:
        raise DrivesError('dsaas_ad.base_dn %r has no DC= components: the AD domain cannot be derived' % base_dn)
    return '.'.join(dcs)


def check_realm(realm, base_dn):
    """The Kerberos realm: ``realm`` when given (must be the AD domain in upper case), else derived from the domain."""
    domain = domain_from_base_dn(base_dn)
    expected = domain.upper()
    if realm in (None, ''):
        return expected
    if not isinstance(realm, str) or realm != expected:
        raise DrivesError('jupyterhub_kerberos.realm %r does not match the AD domain %s (dsaas_ad.base_dn %s): '
                          'the realm of an AD domain is its DNS name in upper case, %s'
                          % (realm, domain, base_dn, expected))
    return realm


def default_kdcs(servers):
    """The AD servers' host names (every domain controller is a KDC), in order, without duplicates."""
    hosts = []
    for server in servers or []:
        text = str(server).strip()
        host = urlsplit(text).hostname if '://' in text else text.rsplit(':', 1)[0] if text.count(':') == 1 else text
        if host and host not in hosts:
            hosts.append(host)
    return hosts


def check_kdcs(kdcs):
    if not isinstance(kdcs, list) or not kdcs:
        raise DrivesError('jupyterhub_kerberos.kdcs must be a non-empty list of host[:port]')
    for kdc in kdcs:
        match = KDC_RE.match(kdc) if isinstance(kdc, str) else None
        if not match or (match.group('port') and not 0 < int(match.group('port')) < 65536):
            raise DrivesError('jupyterhub_kerberos.kdcs: %r is not host[:port]' % (kdc,))
    return list(kdcs)


def _positive(kerberos, key, default):
    value = kerberos.get(key)
    if value in (None, ''):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        raise DrivesError('jupyterhub_kerberos.%s must be a positive number of seconds, got %r' % (key, value))
    return number


def kerberos_settings(kerberos, ad):
    """``{'realm', 'domain', 'kdcs', 'kdc_timeout', 'login_timeout'}`` from jupyterhub_kerberos and dsaas_ad."""
    kerberos = kerberos or {}
    ad = ad or {}
    if not isinstance(kerberos, dict):
        raise DrivesError('jupyterhub_kerberos must be a dictionary')
    unknown = sorted(set(kerberos) - set(('realm', 'kdcs', 'kdc_timeout', 'login_timeout')))
    if unknown:
        raise DrivesError('jupyterhub_kerberos: unknown key(s) %s' % ', '.join(unknown))
    realm = check_realm(kerberos.get('realm'), ad.get('base_dn'))
    kdcs = kerberos.get('kdcs') or default_kdcs(ad.get('servers'))
    return {
        'realm': realm,
        'domain': domain_from_base_dn(ad.get('base_dn')),
        'kdcs': check_kdcs(kdcs),
        'kdc_timeout': _positive(kerberos, 'kdc_timeout', DEFAULT_KDC_TIMEOUT),
        'login_timeout': _positive(kerberos, 'login_timeout', DEFAULT_LOGIN_TIMEOUT),
    }


def render_krb5_conf(realm, kdcs, domain=None, servers=(), kdc_timeout=DEFAULT_KDC_TIMEOUT):
    """krb5.conf for the hub and the notebooks: the realm, its KDCs, no DNS guessing, a short timeout."""
    lines = [
        '# Rendered by dsaas.platform (module_utils/krb5_drives.py); change the inventory, not this file.',
        '[libdefaults]',
        '\tdefault_realm = %s' % realm,
        '\tdns_lookup_kdc = false',
        '\tdns_lookup_realm = false',
        '\trdns = false',
        '\tdns_canonicalize_hostname = false',
        '\tudp_preference_limit = 1',
        '\tkdc_timeout = %ds' % int(kdc_timeout),
        '\tmax_retries = 1',
        '\tforwardable = false',
        '',
        '[realms]',
        '\t%s = {' % realm,
    ]
    lines.extend('\t\tkdc = %s' % kdc for kdc in kdcs)
    lines.extend(['\t}', '', '[domain_realm]'])
    names = []
    for name in list(servers) + ([domain, '.' + domain] if domain else []):
        if name and name not in names:
            names.append(name)
    lines.extend('\t%s = %s' % (name, realm) for name in names)
    return '\n'.join(lines) + '\n'


def public_drive(drive):
    """What the hub hands to the notebook (DSAAS_DRIVES) for one drive."""
    return dict((key, copy.deepcopy(drive[key])) for key in ('name', 'group', 'path', 'server', 'share', 'folders', 'url'))


def configmap(namespace, krb5_conf, name=CONFIGMAP_NAME):
    return {
        'apiVersion': 'v1',
        'kind': 'ConfigMap',
        'metadata': {
            'name': name,
            'namespace': namespace,
            'labels': {'app.kubernetes.io/part-of': 'dsaas', 'app.kubernetes.io/component': 'krb5-conf'},
        },
        'data': {'krb5.conf': krb5_conf},
    }


def render(drives, kerberos=None, ad=None, namespace='dsaas-jupyterhub', mode='userland'):
    """Everything the role needs for the drives: ``{'values', 'configmap', 'krb5_conf', 'kerberos', 'drives', 'groups'}``.

    ``values`` is the z2jh fragment (``{}`` when ``drives`` is empty: the feature is off); ``configmap``
    the manifest the role applies with kubernetes.core.k8s (None when off). Raises DrivesError."""
    if mode not in MODES:
        raise DrivesError('jupyterhub_drives_mode %r is not one of %s' % (mode, ', '.join(MODES)))
    checked = validate_drives(drives)
    if not checked:
        return {'values': {}, 'configmap': None, 'krb5_conf': None, 'kerberos': None, 'drives': [], 'groups': []}
    settings = kerberos_settings(kerberos, ad)
    krb5_conf = render_krb5_conf(settings['realm'], settings['kdcs'], settings['domain'],
                                 [drive['server'] for drive in checked], settings['kdc_timeout'])
    values = {
        'hub': {
            'extraFiles': {CONFIGMAP_NAME: {'mountPath': HUB_KRB5_CONF, 'stringData': krb5_conf}},
            'extraEnv': {'KRB5_CONFIG': HUB_KRB5_CONF},
            'config': {
                CONFIG_SECTION: {
                    'drives': [public_drive(drive) for drive in checked],
                    'realm': settings['realm'],
                    'krb5_config': HUB_KRB5_CONF,
                    'notebook_krb5_config': NOTEBOOK_KRB5_CONF,
                    'ccache_dir': CCACHE_DIR,
                    'login_timeout': settings['login_timeout'],
                    'mode': mode,
                },
            },
            'extraConfig': {EXTRA_CONFIG_KEY: HUB_CODE},
        },
        'singleuser': {
            'extraEnv': {'KRB5_CONFIG': NOTEBOOK_KRB5_CONF},
            'storage': {
                'extraVolumes': [{'name': CONFIGMAP_NAME, 'configMap': {'name': CONFIGMAP_NAME}}],
                'extraVolumeMounts': [{'name': CONFIGMAP_NAME, 'mountPath': NOTEBOOK_KRB5_DIR, 'readOnly': True}],
            },
        },
    }
    groups = []
    for drive in checked:
        if drive['group'].casefold() not in [g.casefold() for g in groups]:
            groups.append(drive['group'])
    return {'values': values, 'configmap': configmap(namespace, krb5_conf), 'krb5_conf': krb5_conf,
            'kerberos': settings, 'drives': checked, 'groups': groups}


def drives_errors(drives, kerberos=None, ad=None, mode='userland'):
    """The checks of ``render`` as a list of one-line messages (empty: fine)."""
    try:
        render(drives, kerberos, ad, mode=mode)
    except DrivesError as exc:
        return [str(exc)]
    return []


def _dns_label(text, limit=63):
    label = re.sub(r'[^a-z0-9-]+', '-', str(text).lower()).strip('-')
    return label[:limit].rstrip('-') or 'x'


def csi_names(user_slug, drive_name):
    """(PersistentVolume name, claim name, Secret name) of one user's drive in the csi variant."""
    claim = _dns_label('dsaas-smb-%s-%s' % (drive_name, user_slug))
    return 'pv-%s-%s' % (_dns_label(user_slug, 40), claim), claim, SECRET_PREFIX + _dns_label(user_slug, 200)


def csi_manifests(drive, user_slug, uid, namespace, gid=100, capacity='1Gi', extra_mount_options=()):
    """The csi-driver-smb variant for one user's drive: a static PersistentVolume (cluster scope) bound to a claim.

    ``drive`` is an entry of ``validate_drives``. The node-stage Secret (``nodeStageSecretRef``) is the user's
    ``dsaas-krb5-<user>`` in ``namespace``; csi-driver-smb reads the Kerberos cache from its key
    ``krb5cc_<cruid>`` (the value: the cache in base64) and writes it to ``/var/lib/kubelet/kerberos/krb5cc_<cruid>``
    on the node, where cifs.upcall finds it for ``sec=krb5,cruid=<uid>``. The mount belongs to ``uid``/``gid``."""
    uid = int(uid)
    pv_name, claim_name, secret_name = csi_names(user_slug, drive['name'])
    source = '//%s/%s' % (drive['server'], drive['share'])
    attributes = {'source': source}
    if drive.get('folders'):
        attributes['subDir'] = '/'.join(drive['folders'])
    labels = {'app.kubernetes.io/part-of': 'dsaas', 'app.kubernetes.io/component': 'smb-drive',
              'dsaas.platform/drive': drive['name']}
    options = ['sec=krb5', 'cruid=%d' % uid, 'uid=%d' % uid, 'gid=%d' % int(gid), 'vers=3.0', 'seal',
               'nosuid', 'nodev', 'noperm', 'dir_mode=0700', 'file_mode=0600'] + list(extra_mount_options)
    pv = {
        'apiVersion': 'v1',
        'kind': 'PersistentVolume',
        'metadata': {'name': pv_name, 'labels': labels, 'annotations': {'pv.kubernetes.io/provisioned-by': CSI_DRIVER}},
        'spec': {
            'capacity': {'storage': capacity},
            'accessModes': ['ReadWriteMany'],
            'persistentVolumeReclaimPolicy': 'Retain',
            'storageClassName': '',
            'mountOptions': options,
            'claimRef': {'namespace': namespace, 'name': claim_name},
            'csi': {
                'driver': CSI_DRIVER,
                # unique per user and drive: the node stages (and caches the ticket) per volume
                'volumeHandle': '%s#%s#%s#%s' % (drive['server'], '/'.join(drive.get('folders') or []), drive['share'],
                                                 pv_name),
                'volumeAttributes': attributes,
                'nodeStageSecretRef': {'name': secret_name, 'namespace': namespace},
            },
        },
    }
    pvc = {
        'apiVersion': 'v1',
        'kind': 'PersistentVolumeClaim',
        'metadata': {'name': claim_name, 'namespace': namespace, 'labels': labels},
        'spec': {
            'accessModes': ['ReadWriteMany'],
            'storageClassName': '',
            'volumeName': pv_name,
            'resources': {'requests': {'storage': capacity}},
        },
    }
    return [pv, pvc]


def csi_secret_data(ccache_b64, uid):
    """The Secret's stringData for csi-driver-smb: ``krb5cc_<uid>`` = the cache in base64 (the driver decodes it)."""
    return {CSI_SECRET_KEY_PREFIX + str(int(uid)): ccache_b64}


# The hub.extraConfig snippet (constant: its settings come from hub.config.DsaasDrives). z2jh's
# jupyterhub_config.py runs it with exec() after hub.config, in the config file's namespace (where ``c`` is).
HUB_CODE = r'''# dsaas.platform: department drives (SMB/DFS) with the user's Kerberos ticket, no privileges.
# Rendered by the jupyterhub role (module_utils/krb5_drives.py); settings in hub.config.DsaasDrives.
# Login: Authenticator.post_auth_hook turns the password just typed into a Kerberos ticket cache (kept,
# encrypted, in auth_state["dsaas_krb5"]; the password is never stored, logged or passed on). Spawn:
# pre_spawn_hook puts the cache into the Secret dsaas-krb5-<user_server>; modify_pod_hook mounts it in an
# init container that copies it (0400, the notebook uid) into an in-memory emptyDir, mounted read-only in
# the notebook; post_stop_hook deletes the Secret. Existing hooks are chained, not replaced.
import asyncio as _dsaas_k_asyncio
import base64 as _dsaas_k_base64
import datetime as _dsaas_k_datetime
import json as _dsaas_k_json
import os as _dsaas_k_os
import shutil as _dsaas_k_shutil
import tempfile as _dsaas_k_tempfile
import time as _dsaas_k_time

from jupyterhub.utils import maybe_future as _dsaas_k_maybe_future
from traitlets import Dict as _DsaasKDict
from traitlets import Int as _DsaasKInt
from traitlets import List as _DsaasKList
from traitlets import Unicode as _DsaasKUnicode
from traitlets.config import Configurable as _DsaasKConfigurable

_DSAAS_KRB5_MECH = "1.2.840.113554.1.2.2"
_DSAAS_SECRET_KEY = "krb5cc"
_DSAAS_NO_GSSAPI = "the hub has no Kerberos library (python-gssapi)"


def _dsaas_k_line(text, limit=300):
    return " ".join(str(text).split())[:limit]


class DsaasDrives(_DsaasKConfigurable):
    """Department drives: the ticket at login, the Secret and the pod changes at spawn."""

    drives = _DsaasKList(_DsaasKDict(), config=True, help="[{name, group, path, server, share, folders, url}]")
    realm = _DsaasKUnicode("", config=True, help="Kerberos realm (the AD domain in upper case).")
    krb5_config = _DsaasKUnicode("", config=True, help="The hub's krb5.conf (set as KRB5_CONFIG in the hub).")
    notebook_krb5_config = _DsaasKUnicode("", config=True, help="krb5.conf in the notebook (the ConfigMap's mount).")
    ccache_dir = _DsaasKUnicode("/var/run/dsaas-krb5", config=True, help="In-memory folder of the cache in the notebook.")
    login_timeout = _DsaasKInt(15, config=True, help="Seconds the login waits for the KDC.")
    min_lifetime = _DsaasKInt(300, config=True, help="A ticket with less left than this counts as expired.")
    mode = _DsaasKUnicode("userland", config=True, help="userland (ticket in the notebook) or csi (csi-driver-smb).")

    # -------------------------------------------------------------------------------------- login ---
    @staticmethod
    def _gssapi():
        try:
            import gssapi.raw as raw
            from gssapi.raw import acquire_cred_with_password, store_cred_into  # noqa: F401 (the extensions needed)
        except ImportError:
            return None
        return raw

    @staticmethod
    def _kinit(raw, principal, password):
        """Blocking: a TGT for principal, as the bytes of a FILE ccache, and its lifetime in seconds."""
        mech = raw.OID.from_int_seq(_DSAAS_KRB5_MECH)
        name = raw.import_name(principal.encode("utf-8"), raw.NameType.kerberos_principal)
        acquired = raw.acquire_cred_with_password(name, password.encode("utf-8"), mechs=[mech], usage="initiate")
        folder = _dsaas_k_tempfile.mkdtemp(prefix="dsaas-krb5-")  # 0700, this process only
        try:
            path = _dsaas_k_os.path.join(folder, "ccache")
            raw.store_cred_into({"ccache": "FILE:" + path}, acquired.creds, usage="initiate", mech=mech,
                                overwrite=True, set_default=False)
            with open(path, "rb") as handle:
                data = handle.read()
        finally:
            _dsaas_k_shutil.rmtree(folder, ignore_errors=True)
        return data, acquired.lifetime

    def _reason(self, error):
        text = error.gen_message() if hasattr(error, "gen_message") else str(error)
        text = _dsaas_k_line(text)
        if "Minor (" in text:  # GSSError: "Major (n): <generic>, Minor (n): <what the KDC library said>"
            text = text.split("Minor (", 1)[1].split("): ", 1)[-1]
        lowered = text.lower()
        if "cannot contact any kdc" in lowered or "cannot find kdc" in lowered or "timed out" in lowered:
            return "the KDC of %s did not answer (%s)" % (self.realm, text)
        return "the KDC refused a ticket (%s)" % text

    async def ticket(self, account, password):
        """auth_state["dsaas_krb5"]: {ccache, expires, principal} or {error}. Never raises."""
        if not self.realm:
            return {"error": "no Kerberos realm configured"}
        raw = self._gssapi()
        if raw is None:
            return {"error": _DSAAS_NO_GSSAPI}
        principal = "%s@%s" % (account, self.realm)
        loop = _dsaas_k_asyncio.get_running_loop()
        try:
            data, lifetime = await _dsaas_k_asyncio.wait_for(
                loop.run_in_executor(None, self._kinit, raw, principal, password), self.login_timeout)
        except _dsaas_k_asyncio.TimeoutError:
            return {"error": "the KDC of %s did not answer within %d s" % (self.realm, self.login_timeout)}
        except Exception as e:  # GSSError and anything else: the login itself still succeeds
            return {"error": self._reason(e)}
        expires = int(_dsaas_k_time.time() + lifetime) if lifetime else None
        return {"ccache": _dsaas_k_base64.b64encode(data).decode("ascii"), "expires": expires, "principal": principal}

    # -------------------------------------------------------------------------------------- spawn ---
    @staticmethod
    def secret_name(spawner):
        try:
            slug = spawner._expand_user_properties("{user_server}")
        except Exception:
            from kubespawner.slugs import safe_slug
            slug = safe_slug(spawner.user.name)
        return "dsaas-krb5-" + slug

    async def user_drives(self, spawner):
        state = await spawner.user.get_auth_state() or {}
        if state.get("groups") is not None:
            groups = {str(g).casefold() for g in state["groups"]}
        else:
            groups = {g.name.casefold() for g in (getattr(spawner.user, "groups", None) or [])}
        drives = [dict(d) for d in self.drives if str(d.get("group", "")).casefold() in groups]
        return state, drives

    def status(self, state):
        krb = state.get("dsaas_krb5") or {}
        if krb.get("error"):
            return "log in again: " + krb["error"]
        if not krb.get("ccache"):
            return "log in again: no Kerberos ticket from this login (it was made before drives were enabled)"
        expires = krb.get("expires")
        if expires and expires - _dsaas_k_time.time() < self.min_lifetime:
            when = _dsaas_k_datetime.datetime.fromtimestamp(expires, _dsaas_k_datetime.timezone.utc)
            return "log in again: the Kerberos ticket expired (%s)" % when.strftime("%Y-%m-%d %H:%M UTC")
        return "ok"

    async def _delete_secret(self, spawner, name):
        from kubernetes_asyncio.client.rest import ApiException
        try:
            await spawner.api.delete_namespaced_secret(name, spawner.namespace)
        except ApiException as e:
            if e.status != 404:
                raise
            return False
        return True

    async def _put_secret(self, spawner, name, data):
        from kubernetes_asyncio.client.rest import ApiException
        body = {
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "labels": {
                "app.kubernetes.io/part-of": "dsaas", "app.kubernetes.io/component": "krb5-ccache",
                "hub.jupyter.org/username": spawner._expand_user_properties("{username}")
                if hasattr(spawner, "_expand_user_properties") else "unknown"}},
            "data": data,
        }
        try:
            await spawner.api.create_namespaced_secret(spawner.namespace, body)
        except ApiException as e:
            if e.status != 409:
                raise
            await spawner.api.replace_namespaced_secret(name, spawner.namespace, body)

    async def prepare(self, spawner):
        state, drives = await self.user_drives(spawner)
        name = self.secret_name(spawner)
        status = self.status(state) if drives else "ok"
        secret = None
        if drives and status == "ok":
            ccache = state["dsaas_krb5"]["ccache"]
            data = {_DSAAS_SECRET_KEY: ccache}
            if self.mode == "csi":
                # csi-driver-smb: key krb5cc_<cruid>, value the cache in base64 (the Secret's data is base64 again)
                data["krb5cc_%d" % int(spawner.uid or 1000)] = _dsaas_k_base64.b64encode(ccache.encode()).decode()
            try:
                await self._put_secret(spawner, name, data)
                secret = name
            except Exception as e:
                status = "log in again: the ticket could not be handed to the server (%s)" % _dsaas_k_line(e, 200)
        if secret is None:
            try:
                await self._delete_secret(spawner, name)  # never mount an older ticket
            except Exception as e:
                spawner.log.warning("dsaas drives: could not delete %s: %s", name, _dsaas_k_line(e))
        spawner._dsaas_drives = {"drives": drives, "status": status, "secret": secret}
        spawner.log.info("dsaas drives for %s: %s (%s)", spawner._log_name, ", ".join(d["name"] for d in drives) or "none",
                         status)

    def modify_pod(self, spawner, pod):
        from kubernetes_asyncio.client.models import (V1Capabilities, V1Container, V1EmptyDirVolumeSource,
                                                      V1EnvVar, V1PodSecurityContext, V1ResourceRequirements,
                                                      V1SeccompProfile, V1SecretVolumeSource, V1SecurityContext,
                                                      V1Volume, V1VolumeMount)
        plan = getattr(spawner, "_dsaas_drives", None)
        if not plan:
            return pod
        notebook = pod.spec.containers[0]
        env = {"DSAAS_DRIVES": _dsaas_k_json.dumps(plan["drives"], sort_keys=True),
               "DSAAS_DRIVES_STATUS": plan["status"]}
        if self.notebook_krb5_config:
            env["KRB5_CONFIG"] = self.notebook_krb5_config
        if plan["secret"]:
            env["KRB5CCNAME"] = "FILE:%s/%s" % (self.ccache_dir, _DSAAS_SECRET_KEY)
        notebook.env = [item for item in (notebook.env or []) if getattr(item, "name", None) not in env
                        and not (isinstance(item, dict) and item.get("name") in env)]
        notebook.env.extend(V1EnvVar(name=key, value=value) for key, value in sorted(env.items()))
        if not plan["secret"] or self.mode != "userland":
            return pod
        # KubeSpawner builds the pod from models and from the dicts of its configuration: read and write both
        security = notebook.security_context
        uid = (security.get("runAsUser") if isinstance(security, dict)
               else getattr(security, "run_as_user", None)) or spawner.uid
        pod_security = pod.spec.security_context
        if pod_security is None:
            pod_security = pod.spec.security_context = V1PodSecurityContext()
        fs_group = spawner.fs_gid if spawner.fs_gid is not None else 100
        # the Secret's files belong to root; the fsGroup makes them readable to the init container
        if isinstance(pod_security, dict):
            pod_security.setdefault("fsGroup", fs_group)
        elif pod_security.fs_group is None:
            pod_security.fs_group = fs_group
        pod.spec.volumes = list(pod.spec.volumes or []) + [
            V1Volume(name="dsaas-krb5-secret", secret=V1SecretVolumeSource(
                secret_name=plan["secret"], default_mode=0o400,
                items=[{"key": _DSAAS_SECRET_KEY, "path": _DSAAS_SECRET_KEY}])),
            V1Volume(name="dsaas-krb5-ccache", empty_dir=V1EmptyDirVolumeSource(medium="Memory", size_limit="1Mi")),
        ]
        notebook.volume_mounts = list(notebook.volume_mounts or []) + [
            V1VolumeMount(name="dsaas-krb5-ccache", mount_path=self.ccache_dir, read_only=True)]
        copy = V1Container(
            name="dsaas-krb5-ccache",
            image=notebook.image,
            image_pull_policy=notebook.image_pull_policy,
            command=["install", "-m", "0400", "/var/run/dsaas-krb5-secret/" + _DSAAS_SECRET_KEY,
                     self.ccache_dir + "/" + _DSAAS_SECRET_KEY],
            security_context=V1SecurityContext(
                run_as_user=uid, run_as_non_root=True, allow_privilege_escalation=False, privileged=False,
                capabilities=V1Capabilities(drop=["ALL"]), seccomp_profile=V1SeccompProfile(type="RuntimeDefault")),
            resources=V1ResourceRequirements(requests={"cpu": "10m", "memory": "16Mi"}, limits={"memory": "64Mi"}),
            volume_mounts=[
                V1VolumeMount(name="dsaas-krb5-secret", mount_path="/var/run/dsaas-krb5-secret", read_only=True),
                V1VolumeMount(name="dsaas-krb5-ccache", mount_path=self.ccache_dir),
            ],
        )
        pod.spec.init_containers = list(pod.spec.init_containers or []) + [copy]
        return pod


_dsaas_drives = DsaasDrives(config=c)
if _dsaas_drives.krb5_config:
    # the chart sets it with hub.extraEnv too; the lab's hub (and a hub started by hand) gets it here
    _dsaas_k_os.environ["KRB5_CONFIG"] = _dsaas_drives.krb5_config


def _dsaas_k_previous(sections, trait):
    for section in sections:
        if trait in c[section]:
            return c[section][trait]
    return None


_dsaas_k_prev_auth = _dsaas_k_previous(("DsaasLDAPAuthenticator", "LDAPAuthenticator", "Authenticator"), "post_auth_hook")
_dsaas_k_prev_pre = _dsaas_k_previous(("KubeSpawner", "Spawner"), "pre_spawn_hook")
_dsaas_k_prev_modify = _dsaas_k_previous(("KubeSpawner",), "modify_pod_hook")
_dsaas_k_prev_stop = _dsaas_k_previous(("KubeSpawner", "Spawner"), "post_stop_hook")


async def _dsaas_post_auth_hook(authenticator, handler, authentication):
    if _dsaas_k_prev_auth is not None:
        authentication = await _dsaas_k_maybe_future(_dsaas_k_prev_auth(authenticator, handler, authentication))
    if not authentication:
        return authentication
    state = dict(authentication.get("auth_state") or {})
    attributes = state.get("user_attributes") or {}
    account = attributes.get("sAMAccountName") or authentication["name"]
    if isinstance(account, (list, tuple)):
        account = account[0] if account else authentication["name"]
    try:
        password = handler.get_body_argument("password", default=None, strip=False) if handler is not None else None
    except Exception:
        password = None
    if password:
        state["dsaas_krb5"] = await _dsaas_drives.ticket(account, password)
    else:
        state["dsaas_krb5"] = {"error": "this login gave no password (log in through the login page)"}
    password = None
    if state["dsaas_krb5"].get("error"):
        authenticator.log.warning("username:%s no Kerberos ticket: %s", authentication["name"],
                                  state["dsaas_krb5"]["error"])
    else:
        authenticator.log.info("username:%s Kerberos ticket for %s", authentication["name"],
                               state["dsaas_krb5"]["principal"])
    authentication["auth_state"] = state
    return authentication


async def _dsaas_pre_spawn_hook(spawner):
    if _dsaas_k_prev_pre is not None:
        await _dsaas_k_maybe_future(_dsaas_k_prev_pre(spawner))
    await _dsaas_drives.prepare(spawner)


async def _dsaas_modify_pod_hook(spawner, pod):
    if _dsaas_k_prev_modify is not None:
        pod = await _dsaas_k_maybe_future(_dsaas_k_prev_modify(spawner, pod))
    return _dsaas_drives.modify_pod(spawner, pod)


async def _dsaas_post_stop_hook(spawner):
    try:
        if _dsaas_k_prev_stop is not None:
            await _dsaas_k_maybe_future(_dsaas_k_prev_stop(spawner))
    finally:
        name = _dsaas_drives.secret_name(spawner)
        try:
            if await _dsaas_drives._delete_secret(spawner, name):
                spawner.log.info("dsaas drives: deleted the ticket Secret %s", name)
        except Exception as e:
            spawner.log.warning("dsaas drives: could not delete the ticket Secret %s: %s", name, _dsaas_k_line(e))


c.Authenticator.post_auth_hook = _dsaas_post_auth_hook
for _dsaas_k_section in ("DsaasLDAPAuthenticator", "LDAPAuthenticator"):
    if "post_auth_hook" in c[_dsaas_k_section]:
        c[_dsaas_k_section].post_auth_hook = _dsaas_post_auth_hook
c.KubeSpawner.pre_spawn_hook = _dsaas_pre_spawn_hook
c.KubeSpawner.modify_pod_hook = _dsaas_modify_pod_hook
c.KubeSpawner.post_stop_hook = _dsaas_post_stop_hook
'''
