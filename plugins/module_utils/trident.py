# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Trident's backend configuration, storage tiers and ONTAP preparation as pure functions (no server).

What Trident 26.06's ONTAP drivers read from a TridentBackendConfig spec is taken from its sources
(storage_drivers/types.go: OntapStorageDriverConfig, CommonStorageDriverConfig, OntapStorageDriverPool,
OntapStorageDriverConfigDefaults) and its documentation (ONTAP NAS/SAN configuration options). Trident's
Go JSON decoding silently ignores keys it does not know, so a typo there would give a backend without the
setting; here it is an error that names the key and the nearest valid one.

Selectors follow Trident's grammar (storage_attribute/label.go): ``name=value``, ``name!=value``,
``name in (a, b)``, ``name notin (a, b)``, ``name``, ``!name``, joined by ``;``; names and values are
letters, digits and ``_``. A virtual pool offers its backend's labels overlaid with its own.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
import difflib
import ipaddress
import re

API_VERSION = 'trident.netapp.io/v1'
KIND = 'TridentBackendConfig'
PLURAL = 'tridentbackendconfigs'
PROVISIONER = 'csi.trident.netapp.io'

MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by'
MANAGED_BY = 'dsaas.platform'
OWNER_ANNOTATION = 'dsaas.platform/trident-backend-config'

NAS = ('ontap-nas', 'ontap-nas-economy', 'ontap-nas-flexgroup')
SAN = ('ontap-san',)
DRIVERS = NAS + SAN
NOT_FLEXGROUP = ('ontap-nas', 'ontap-nas-economy', 'ontap-san')
NOT_ECONOMY = ('ontap-nas', 'ontap-nas-flexgroup', 'ontap-san')

# Spec keys of the ONTAP drivers and the drivers that read them.
SPEC_KEYS = {
    'managementLIF': DRIVERS, 'dataLIF': DRIVERS, 'svm': DRIVERS,
    'aggregate': NOT_FLEXGROUP, 'flexgroupAggregateList': ('ontap-nas-flexgroup',),
    'labels': DRIVERS, 'region': DRIVERS, 'zone': DRIVERS, 'supportedTopologies': DRIVERS,
    'defaults': DRIVERS, 'storage': DRIVERS,
    'storagePrefix': DRIVERS, 'limitVolumeSize': DRIVERS, 'limitAggregateUsage': DRIVERS,
    'debugTraceFlags': DRIVERS, 'useREST': DRIVERS, 'usageHeartbeat': DRIVERS, 'userState': DRIVERS,
    'clientCertificate': DRIVERS, 'trustedCACertificate': DRIVERS, 'cloneSplitDelay': DRIVERS,
    'replicationPolicy': DRIVERS, 'replicationSchedule': DRIVERS, 'credentials': DRIVERS,
    'nfsMountOptions': NAS, 'autoExportPolicy': NAS, 'autoExportCIDRs': NAS, 'nasType': NAS, 'smbShare': NAS,
    'qtreesPerFlexvol': ('ontap-nas-economy',), 'qtreePruneFlexvolsPeriod': ('ontap-nas-economy',),
    'qtreeQuotaResizePeriod': ('ontap-nas-economy',), 'emptyFlexvolDeferredDeletePeriod': ('ontap-nas-economy',),
    'limitVolumePoolSize': ('ontap-nas-economy',), 'denyNewVolumePools': ('ontap-nas-economy',),
    'igroupName': SAN, 'useCHAP': SAN, 'sanType': SAN, 'formatOptions': SAN,
}

# Keys of "defaults", at the backend and in each virtual pool.
DEFAULTS_KEYS = {
    'spaceReserve': DRIVERS, 'spaceAllocation': DRIVERS, 'snapshotPolicy': DRIVERS, 'snapshotReserve': DRIVERS,
    'encryption': DRIVERS, 'securityStyle': DRIVERS, 'splitOnClone': DRIVERS, 'tieringPolicy': DRIVERS,
    'qosPolicy': DRIVERS, 'adaptiveQosPolicy': NOT_ECONOMY, 'mirroring': DRIVERS, 'size': DRIVERS,
    'nameTemplate': DRIVERS,
    'snapshotDir': NAS, 'unixPermissions': NAS, 'exportPolicy': NAS, 'adAdminUser': NAS,
    'fileSystemType': SAN, 'LUKSEncryption': SAN, 'formatOptions': SAN,
}

# Keys of a virtual pool (an entry of "storage").
POOL_KEYS = {
    'labels': DRIVERS, 'region': DRIVERS, 'zone': DRIVERS, 'supportedTopologies': DRIVERS, 'defaults': DRIVERS,
    'nasType': NAS, 'smbShare': NAS, 'sanType': SAN,
}

# Secrets Trident refuses in a TridentBackendConfig spec: they belong in the credentials Secret.
SECRET_SPEC_KEYS = ('username', 'password', 'clientPrivateKey', 'chapUsername', 'chapInitiatorSecret',
                    'chapTargetUsername', 'chapTargetInitiatorSecret')
# Spec keys this module sets from its own options.
OPTION_SPEC_KEYS = {'version': 'always 1', 'storageDriverName': 'the driver option',
                    'backendName': 'the backend_name option', 'deletionPolicy': 'the deletion_policy option'}

BOOL_KEYS = ('autoExportPolicy', 'useREST', 'useCHAP', 'denyNewVolumePools')
STRING_LIST_KEYS = ('autoExportCIDRs', 'flexgroupAggregateList')

# Keys of the credentials Secret (Trident lower-cases them when it reads the Secret).
CHAP_SECRET_KEYS = {'username': 'chapUsername', 'initiator_secret': 'chapInitiatorSecret',
                    'target_username': 'chapTargetUsername', 'target_initiator_secret': 'chapTargetInitiatorSecret'}
SECRET_VIEW_SECRETS = ('secret.password', 'secret.chapUsername', 'secret.chapInitiatorSecret',
                       'secret.chapTargetUsername', 'secret.chapTargetInitiatorSecret')

DNS_SUBDOMAIN = re.compile(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')
DNS_LABEL = re.compile(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')
WORD = r'[A-Za-z0-9_]+'  # Go's \w
SELECTOR_TERMS = (
    ('=', re.compile(r'^(%s)\s*={1,2}\s*(%s)$' % (WORD, WORD))),
    ('!=', re.compile(r'^(%s)\s*!=\s*(%s)$' % (WORD, WORD))),
    ('in', re.compile(r'^(%s)\s+in\s+[(]([\sA-Za-z0-9_,]+)[)]$' % WORD)),
    ('notin', re.compile(r'^(%s)\s+notin\s+[(]([\sA-Za-z0-9_,]+)[)]$' % WORD)),
    ('exists', re.compile(r'^(%s)$' % WORD)),
    ('!exists', re.compile(r'^!(%s)$' % WORD)),
)


class TridentConfigError(Exception):
    """Everything wrong with the input, in one message; raised before anything is changed."""

    def __init__(self, errors):
        self.errors = list(errors)
        super(TridentConfigError, self).__init__('; '.join(self.errors))


# ----------------------------------------------------------------------------------- validation ---

def _nearest(key, candidates):
    close = difflib.get_close_matches(key, sorted(candidates), n=1, cutoff=0.6)
    if not close:
        lowered = dict((candidate.lower(), candidate) for candidate in candidates)
        close = [lowered[key.lower()]] if key.lower() in lowered else []
    return close[0] if close else None


def _unknown_key(where, key, driver, table):
    """The error for a key the driver does not read: its owners when another driver reads it, else the nearest key."""
    owners = table.get(key)
    if owners:
        return ('%s: %s is not read by driver %s (it is an option of %s)'
                % (where, key, driver, ', '.join(owners)))
    valid = [name for name, drivers in table.items() if driver in drivers]
    nearest = _nearest(key, valid)
    hint = '; did you mean %s?' % nearest if nearest else ''
    return '%s: unknown key %s for driver %s%s' % (where, key, driver, hint)


def _as_string(where, key, value, errors):
    """Trident's string fields: numbers and booleans as Trident writes them, anything else an error."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if key == 'unixPermissions' and not isinstance(value, str):
        errors.append('%s: unixPermissions must be a quoted string such as "0755" (YAML reads 0755 as the number %s)'
                      % (where, value))
        return value
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    errors.append('%s: %s must be a string, not %s' % (where, key, type(value).__name__))
    return value


def _as_bool(where, key, value, errors):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ('true', 'false'):
        return value.lower() == 'true'
    errors.append('%s: %s must be true or false, not %r' % (where, key, value))
    return value


def _string_map(where, value, errors):
    if not isinstance(value, dict):
        errors.append('%s must be a mapping of names to strings' % where)
        return value
    return dict((str(name), _as_string('%s.%s' % (where, name), name, item, errors)) for name, item in value.items())


def _string_list(where, key, value, errors):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        errors.append('%s: %s must be a list of strings' % (where, key))
        return value
    return [_as_string('%s[%d]' % (where, index), key, item, errors) for index, item in enumerate(value)]


def check_cidr(where, value, errors):
    """A CIDR as Go's net.ParseCIDR takes it: address/prefix, IPv4 or IPv6, host bits allowed."""
    if not isinstance(value, str) or '/' not in value:
        errors.append("%s: %r is not a CIDR (address/prefix length, e.g. 10.20.30.0/24)" % (where, value))
        return
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError as exc:
        errors.append("%s: %r is not a CIDR (%s)" % (where, value, exc))


def _defaults(where, driver, value, errors):
    if not isinstance(value, dict):
        errors.append('%s must be a mapping' % where)
        return value
    out = {}
    for key, item in value.items():
        key_where = '%s.%s' % (where, key)
        if key not in DEFAULTS_KEYS or driver not in DEFAULTS_KEYS[key]:
            errors.append(_unknown_key(key_where, key, driver, DEFAULTS_KEYS))
            continue
        out[key] = _as_string(key_where, key, item, errors)
    return out


def _topologies(where, value, errors):
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        errors.append('%s must be a list of mappings (topology label: value)' % where)
        return value
    return [_string_map('%s[%d]' % (where, index), item, errors) for index, item in enumerate(value)]


def _pool(where, driver, value, errors):
    if not isinstance(value, dict):
        errors.append('%s must be a mapping (labels, defaults, zone, ...)' % where)
        return value
    out = {}
    for key, item in value.items():
        key_where = '%s.%s' % (where, key)
        if key not in POOL_KEYS or driver not in POOL_KEYS[key]:
            errors.append(_unknown_key(key_where, key, driver, POOL_KEYS))
        elif key == 'labels':
            out[key] = _string_map(key_where, item, errors)
        elif key == 'defaults':
            out[key] = _defaults(key_where, driver, item, errors)
        elif key == 'supportedTopologies':
            out[key] = _topologies(key_where, item, errors)
        else:
            out[key] = _as_string(key_where, key, item, errors)
    return out


def _credentials(where, value, errors):
    if not isinstance(value, dict):
        errors.append('%s must be a mapping with name and type' % where)
        return None
    extra = sorted(set(value) - set(('name', 'type')))
    if extra:
        errors.append('%s may hold only name and type (found %s); the username and password go into the Secret '
                      'through the ontap_username and ontap_password options' % (where, ', '.join(extra)))
    if value.get('type') not in (None, 'secret'):
        errors.append("%s.type: only type 'secret' (a Kubernetes Secret this module manages) is supported, not %r"
                      % (where, value.get('type')))
    return value.get('name')


def normalize_config(driver, config):
    """(spec fields, credentials Secret name or None, errors): the driver's view of config, values as Trident types."""
    errors = []
    if driver not in DRIVERS:
        nearest = _nearest(str(driver), DRIVERS)
        return {}, None, ['driver %r is not supported; supported: %s%s'
                          % (driver, ', '.join(DRIVERS), '; did you mean %s?' % nearest if nearest else '')]
    if not isinstance(config, dict):
        return {}, None, ['config must be a mapping of Trident backend options']
    spec, secret_name = {}, None
    for key, value in config.items():
        where = 'config.%s' % key
        if key in SECRET_SPEC_KEYS:
            errors.append('%s: Trident refuses credentials in the spec; give them with the ontap_username/'
                          'ontap_password (and chap) options, which go into the credentials Secret' % where)
        elif key in OPTION_SPEC_KEYS:
            errors.append('%s: set by %s, not in config' % (where, OPTION_SPEC_KEYS[key]))
        elif key not in SPEC_KEYS or driver not in SPEC_KEYS[key]:
            errors.append(_unknown_key(where, key, driver, SPEC_KEYS))
        elif key == 'credentials':
            secret_name = _credentials(where, value, errors)
        elif key == 'labels':
            spec[key] = _string_map(where, value, errors)
        elif key == 'debugTraceFlags':
            spec[key] = dict((name, _as_bool('%s.%s' % (where, name), name, item, errors))
                             for name, item in (value or {}).items()) if isinstance(value, dict) else value
        elif key == 'defaults':
            spec[key] = _defaults(where, driver, value, errors)
        elif key == 'storage':
            if not isinstance(value, list):
                errors.append('%s must be a list of virtual pools' % where)
            else:
                spec[key] = [_pool('%s[%d]' % (where, index), driver, item, errors) for index, item in enumerate(value)]
        elif key == 'supportedTopologies':
            spec[key] = _topologies(where, value, errors)
        elif key in BOOL_KEYS:
            spec[key] = _as_bool(where, key, value, errors)
        elif key in STRING_LIST_KEYS:
            spec[key] = _string_list(where, key, value, errors)
        else:
            spec[key] = _as_string(where, key, value, errors)
    for key, meaning in (('managementLIF', 'the cluster or SVM management LIF'),
                         ('svm', 'the SVM Trident provisions volumes in')):
        if not spec.get(key) and not any(error.startswith('config.%s' % key) or error.endswith('did you mean %s?' % key)
                                         for error in errors):
            errors.append('config.%s is required (%s)' % (key, meaning))
    for index, cidr in enumerate(spec.get('autoExportCIDRs') or []):
        check_cidr('config.autoExportCIDRs[%d]' % index, cidr, errors)
    return spec, secret_name, errors


def check_name(where, value, errors, label=False):
    pattern, limit = (DNS_LABEL, 63) if label else (DNS_SUBDOMAIN, 253)
    if not value or len(value) > limit or not pattern.match(value):
        errors.append('%s %r is not a valid Kubernetes name (lower case letters, digits, %s; at most %d characters)'
                      % (where, value, "'-'" if label else "'-' and '.'", limit))


def validate_backend(params):
    """The normalized spec and the Secret name for the module's params; TridentConfigError lists every problem.

    With state=absent only the names matter (the config may be left out).
    """
    errors = []
    check_name('name', params.get('name'), errors)
    check_name('namespace', params.get('namespace'), errors, label=True)
    present = params.get('state', 'present') == 'present'
    config = params.get('config') or {}
    if present:
        spec, config_secret, config_errors = normalize_config(params.get('driver'), config)
        errors.extend(config_errors)
    else:
        credentials = config.get('credentials') if isinstance(config, dict) else None
        spec, config_secret = {}, credentials.get('name') if isinstance(credentials, dict) else None
    secret_name = params.get('secret_name')
    if config_secret and secret_name and config_secret != secret_name:
        errors.append('config.credentials.name %r and secret_name %r differ; give one of them'
                      % (config_secret, secret_name))
    secret_name = secret_name or config_secret or '%s-credentials' % params.get('name')
    check_name('secret_name', secret_name, errors)
    if present:
        for option in ('ontap_username', 'ontap_password'):
            if not params.get(option):
                errors.append('%s is required with state=present (it goes into the credentials Secret)' % option)
        if spec.get('useCHAP') and not params.get('chap'):
            errors.append('config.useCHAP is true: give the chap option (username, initiator_secret, '
                          'target_username, target_initiator_secret) for the credentials Secret')
    if errors:
        raise TridentConfigError(errors)
    return spec, secret_name


# --------------------------------------------------------------------------------- desired objects ---

def tbc_path(namespace, name=None):
    path = '/apis/%s/namespaces/%s/%s' % (API_VERSION, namespace, PLURAL)
    return path + '/' + name if name else path


def secret_path(namespace, name=None):
    path = '/api/v1/namespaces/%s/secrets' % namespace
    return path + '/' + name if name else path


def desired_backend_config(name, namespace, driver, spec, secret_name, backend_name=None, deletion_policy='retain'):
    """The TridentBackendConfig object: Trident's fixed fields first, then the driver's options."""
    full = dict(version=1, storageDriverName=driver, backendName=backend_name or name,
                credentials=dict(name=secret_name, type='secret'), deletionPolicy=deletion_policy)
    full.update(copy.deepcopy(spec))
    return {
        'apiVersion': API_VERSION,
        'kind': KIND,
        'metadata': {'name': name, 'namespace': namespace, 'labels': {MANAGED_BY_LABEL: MANAGED_BY}},
        'spec': full,
    }


def secret_data(username, password, chap=None):
    """The credentials as Trident reads them from the Secret (keys are matched case-insensitively)."""
    data = {'username': username, 'password': password}
    for option, key in CHAP_SECRET_KEYS.items():
        if chap and chap.get(option) is not None:
            data[key] = chap[option]
    return data


def desired_secret(secret_name, namespace, tbc_name, data):
    return {
        'apiVersion': 'v1',
        'kind': 'Secret',
        'type': 'Opaque',
        'metadata': {'name': secret_name, 'namespace': namespace,
                     'labels': {MANAGED_BY_LABEL: MANAGED_BY},
                     'annotations': {OWNER_ANNOTATION: tbc_name}},
        'data': encode_data(data),
    }


def encode_data(data):
    return dict((key, base64.b64encode(str(value).encode('utf-8')).decode('ascii')) for key, value in data.items())


def decode_data(data):
    out = {}
    for key, value in (data or {}).items():
        try:
            out[key] = base64.b64decode(value).decode('utf-8')
        except (ValueError, TypeError, UnicodeDecodeError):
            out[key] = value
    return out


def secret_owner(secret):
    """The TridentBackendConfig name a Secret belongs to, or None when it is not one of ours."""
    metadata = (secret or {}).get('metadata') or {}
    if (metadata.get('labels') or {}).get(MANAGED_BY_LABEL) != MANAGED_BY:
        return None
    return (metadata.get('annotations') or {}).get(OWNER_ANNOTATION)


def secret_clash(secret, tbc_name, namespace):
    """An error message when an existing Secret of that name is not ours for this backend, else None."""
    if secret is None:
        return None
    owner = secret_owner(secret)
    if owner == tbc_name:
        return None
    name = secret['metadata'].get('name')
    if owner:
        whose = 'belongs to TridentBackendConfig %s' % owner
    else:
        whose = ('is not managed by dsaas.platform (no %s=%s label and %s annotation)'
                 % (MANAGED_BY_LABEL, MANAGED_BY, OWNER_ANNOTATION))
    return ('Secret %s/%s already exists and %s; nothing was changed: choose another secret_name'
            % (namespace, name, whose))


# ------------------------------------------------------------------------------ compare and diff ---

def _segment(key):
    key = str(key)
    return key if re.match(r'^[A-Za-z0-9_-]+$', key) else '["%s"]' % key


def flatten(value, prefix=''):
    """{dotted.path: leaf}: mappings and lists of mappings are walked, everything else is a leaf."""
    out = {}
    if isinstance(value, dict) and value:
        for key in sorted(value, key=str):
            segment = _segment(key)
            path = ('%s%s' % (prefix, segment) if segment.startswith('[') else
                    '%s.%s' % (prefix, segment)) if prefix else segment
            out.update(flatten(value[key], path))
        return out
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        for index, item in enumerate(value):
            out.update(flatten(item, '%s[%d]' % (prefix, index)))
        return out
    out[prefix] = copy.deepcopy(value)
    return out


def backend_view(tbc, secret):
    """What the module manages of the two objects, flattened: spec.*, our label, secret.* (decoded). None if absent."""
    if tbc is None and secret is None:
        return None
    view = {}
    if tbc is not None:
        view.update(flatten(tbc.get('spec') or {}, 'spec'))
        labels = (tbc.get('metadata') or {}).get('labels') or {}
        view['metadata.labels["%s"]' % MANAGED_BY_LABEL] = labels.get(MANAGED_BY_LABEL)
    if secret is not None:
        view.update(flatten(decode_data(secret.get('data')), 'secret'))
    return view


def desired_view(tbc, data, current_view):
    """The desired flat view; keys the current objects have and the desired ones do not become None (removed)."""
    view = flatten(tbc['spec'], 'spec')
    view['metadata.labels["%s"]' % MANAGED_BY_LABEL] = MANAGED_BY
    view.update(flatten(data, 'secret'))
    for key in current_view or {}:
        if key not in view and (key.startswith('spec') or key.startswith('secret')):
            view[key] = None
    return view


def secret_merge_patch(current_data, data, tbc_name):
    """A JSON merge patch that makes the Secret hold exactly data (removed keys set to null) and marks it ours."""
    patch_data = encode_data(data)
    for key in current_data or {}:
        if key not in data:
            patch_data[key] = None
    return {'metadata': {'labels': {MANAGED_BY_LABEL: MANAGED_BY}, 'annotations': {OWNER_ANNOTATION: tbc_name}},
            'data': patch_data}


def backend_status(tbc):
    """phase, last_operation_status, message, backend name and UUID from a TridentBackendConfig's status."""
    status = (tbc or {}).get('status') or {}
    info = status.get('backendInfo') or {}
    return dict(phase=status.get('phase') or None, last_operation_status=status.get('lastOperationStatus') or None,
                message=status.get('message') or None, backend_name=info.get('backendName') or None,
                backend_uuid=info.get('backendUUID') or None, deletion_policy=status.get('deletionPolicy') or None)


def wait_verdict(status, fresh):
    """'ready', 'failed' or 'pending' for the wait on Bound/Success.

    Trident's status has no observedGeneration: after an update the old status stays until Trident has run, so a
    Failed status only ends the wait when the object is new (fresh); otherwise the wait goes on until the timeout.
    """
    if status.get('phase') == 'Bound' and status.get('last_operation_status') == 'Success':
        return 'ready'
    if fresh and status.get('last_operation_status') == 'Failed':
        return 'failed'
    return 'pending'


# ------------------------------------------------------------------------------- tiers and pools ---

def parse_selector(selector):
    """[(op, name, values)] for a Trident label selector; ValueError naming the bad term."""
    if not isinstance(selector, str) or not selector.strip():
        raise ValueError('the selector is empty')
    terms = []
    for raw in selector.split(';'):
        term = raw.strip()
        for op, pattern in SELECTOR_TERMS:
            match = pattern.match(term)
            if match:
                values = [] if len(match.groups()) < 2 else \
                    [item.strip() for item in match.group(2).split(',') if item.strip()]
                terms.append((op, match.group(1), values))
                break
        else:
            raise ValueError("%r is not a Trident selector term (name=value, name!=value, name in (a, b), "
                             "name notin (a, b), name or !name; names and values of letters, digits and _)" % term)
    return terms


def selector_matches(terms, labels):
    """Trident's matching (label.go): every term must match the offered labels."""
    for op, name, values in terms:
        present = name in labels
        value = labels.get(name)
        if op == '=' and not (present and value == values[0]):
            return False
        if op == '!=' and not (present and value != values[0]):
            return False
        if op == 'in' and not (present and value in values):
            return False
        if op == 'notin' and present and value in values:
            return False
        if op == 'exists' and not present:
            return False
        if op == '!exists' and present:
            return False
    return True


def backend_pools(backend):
    """The pools a backend offers as Trident names them: <backendName>_pool_<i> for virtual pools, else the backend.

    Each pool has the backend's labels overlaid with its own and the backend's defaults overlaid with its own.
    """
    config = backend.get('config') or {}
    name = backend.get('backend_name') or backend.get('name')
    labels = dict((str(key), str(value)) for key, value in (config.get('labels') or {}).items())
    defaults = dict(config.get('defaults') or {})
    pools = config.get('storage') or []
    if not pools:
        return [dict(name=name, backend=backend.get('name'), driver=backend.get('driver'), labels=labels,
                     defaults=defaults)]
    out = []
    for index, pool in enumerate(pools):
        pool = pool or {}
        pool_labels = dict(labels)
        pool_labels.update((str(key), str(value)) for key, value in (pool.get('labels') or {}).items())
        pool_defaults = dict(defaults)
        pool_defaults.update(pool.get('defaults') or {})
        out.append(dict(name='%s_pool_%d' % (name, index), backend=backend.get('name'), driver=backend.get('driver'),
                        labels=pool_labels, defaults=pool_defaults))
    return out


def _labels_text(labels):
    return '{%s}' % ', '.join('%s=%s' % item for item in sorted(labels.items()))


def tier_pools(tier, backends):
    """(matching pools, error or None) for one tier."""
    name = tier.get('name')
    try:
        terms = parse_selector(tier.get('selector'))
    except ValueError as exc:
        return [], 'tier %s: invalid selector: %s' % (name, exc)
    pools = []
    for backend in backends or []:
        if backend.get('state', 'present') == 'absent':
            continue
        if tier.get('backend_type') and backend.get('driver') != tier['backend_type']:
            continue
        pools.extend(backend_pools(backend))
    matched = [pool for pool in pools if selector_matches(terms, pool['labels'])]
    if not matched:
        offered = '; '.join('%s %s' % (pool['name'], _labels_text(pool['labels'])) for pool in pools) or 'none'
        return [], ('tier %s: selector %r matches no virtual pool of any backend (pools: %s)'
                    % (name, tier.get('selector'), offered))
    return matched, None


def tier_errors(tiers, backends):
    """Every tier must select at least one pool, and the pools it selects must carry its snapshot and QoS policies."""
    errors = []
    seen = {}
    for tier in tiers or []:
        storage_class = tier.get('storage_class')
        if storage_class in seen:
            errors.append('tiers %s and %s both define StorageClass %s'
                          % (seen[storage_class], tier.get('name'), storage_class))
        seen[storage_class] = tier.get('name')
        matched, error = tier_pools(tier, backends)
        if error:
            errors.append(error)
            continue
        for pool in matched:
            for option, key in (('snapshot_policy', 'snapshotPolicy'), ('qos_policy', 'qosPolicy')):
                want = tier.get(option)
                have = pool['defaults'].get(key)
                if want and have != want:
                    errors.append('tier %s selects pool %s whose %s is %s, not the tier\'s %s'
                                  % (tier.get('name'), pool['name'], key, repr(have) if have else 'unset', want))
    defaults = [tier.get('name') for tier in tiers or [] if tier.get('default')]
    if len(defaults) > 1:
        errors.append('only one tier can be the default StorageClass (found %s)' % ', '.join(defaults))
    return errors


def storage_class(tier):
    """The StorageClass of a tier: Trident's CSI provisioner, pools selected by labels, user data retained."""
    parameters = {'selector': tier['selector']}
    if tier.get('backend_type'):
        parameters['backendType'] = tier['backend_type']
    for key, value in (tier.get('parameters') or {}).items():
        parameters[str(key)] = value if isinstance(value, str) else \
            ('true' if value is True else 'false' if value is False else str(value))
    manifest = {
        'apiVersion': 'storage.k8s.io/v1',
        'kind': 'StorageClass',
        'metadata': {
            'name': tier['storage_class'],
            'labels': {MANAGED_BY_LABEL: MANAGED_BY, 'dsaas.platform/tier': tier['name']},
            'annotations': {'storageclass.kubernetes.io/is-default-class': 'true' if tier.get('default') else 'false'},
        },
        'provisioner': PROVISIONER,
        'parameters': parameters,
        'reclaimPolicy': 'Retain',
        'allowVolumeExpansion': True,
        'volumeBindingMode': tier.get('volume_binding_mode') or 'Immediate',
    }
    if tier.get('mount_options'):
        manifest['mountOptions'] = list(tier['mount_options'])
    return manifest


IMMUTABLE_CLASS_FIELDS = ('provisioner', 'parameters', 'reclaimPolicy', 'volumeBindingMode')


def storage_class_replacements(desired, existing):
    """Names of existing StorageClasses whose immutable fields differ from the desired ones (delete, then create)."""
    current = dict((item['metadata']['name'], item) for item in existing or [])
    out = []
    for manifest in desired:
        have = current.get(manifest['metadata']['name'])
        if have is None:
            continue
        if any(have.get(field) != manifest.get(field) for field in IMMUTABLE_CLASS_FIELDS):
            out.append(manifest['metadata']['name'])
    return out


# ----------------------------------------------------------------------------- operator values ---

COMMENTED_KEY = re.compile(r'^#\s?([a-z][a-z0-9]*[A-Z][A-Za-z0-9]*)\s*:', re.MULTILINE)


def commented_keys(contract_text):
    """Top-level keys the chart documents as comments (e.g. '#tridentLogLevel: "info"'): valid, only unset."""
    return sorted(set(COMMENTED_KEY.findall(contract_text or '')))


def operator_values_errors(values, contract, documented=()):
    """Keys of values the operator chart does not have; below a key whose contract value is a non-empty mapping
    the keys are checked too, below an empty mapping or a scalar anything goes (nodeSelector, tolerations)."""
    errors = []

    def walk(value, allowed, path):
        if not isinstance(value, dict):
            return
        for key, item in value.items():
            where = '%s.%s' % (path, key) if path else str(key)
            if key not in allowed and not (not path and key in documented):
                valid = list(allowed) + (list(documented) if not path else [])
                nearest = _nearest(str(key), [str(name) for name in valid])
                errors.append('operator values: %s is not a value of the trident-operator chart%s'
                              % (where, '; did you mean %s?' % ('%s.%s' % (path, nearest) if path else nearest)
                                 if nearest else ''))
                continue
            expected = allowed.get(key)
            if isinstance(expected, dict) and expected:
                walk(item, expected, where)

    walk(values or {}, contract or {}, '')
    return errors


# ---------------------------------------------------------------------------- ONTAP preparation ---

def ontap_plan(tiers, svm, export_policy=None):
    """The netapp.ontap module parameters that prepare the SVM for the tiers (connection options left out).

    - one snapshot policy per distinct tier snapshot_policy, with the tier's schedules (ONTAP's cron schedules
      such as hourly, daily, weekly) and counts;
    - one non-shared fixed QoS policy group per distinct tier qos_policy (Trident's advice: not shared, so the
      limit applies to each volume, not to their sum);
    - the export policy for the Kubernetes nodes and one rule per client CIDR (NFS, sys).
    """
    errors = []
    snapshot_policies, qos_policies = [], []
    seen_snapshot, seen_qos = {}, {}
    for tier in tiers or []:
        name = tier.get('name')
        policy = tier.get('snapshot_policy')
        schedules = tier.get('snapshot_schedules') or []
        if policy and policy not in seen_snapshot:
            if not schedules:
                errors.append('tier %s: snapshot_schedules is needed to create snapshot policy %s' % (name, policy))
            else:
                snapshot_policies.append(dict(
                    name=policy, vserver=svm, enabled=True,
                    comment='dsaas.platform tier %s' % name,
                    schedule=[str(item['schedule']) for item in schedules],
                    prefix=[str(item.get('prefix') or item['schedule']) for item in schedules],
                    count=[int(item['count']) for item in schedules]))
            seen_snapshot[policy] = name
        elif policy and seen_snapshot[policy] != name:
            other = [item for item in tiers if item.get('name') == seen_snapshot[policy]][0]
            if (other.get('snapshot_schedules') or []) != schedules and schedules:
                errors.append('tiers %s and %s share snapshot policy %s with different schedules'
                              % (seen_snapshot[policy], name, policy))
        qos = tier.get('qos_policy')
        limits = tier.get('qos') or {}
        if qos and qos not in seen_qos:
            options = dict((key, int(value)) for key, value in limits.items()
                           if key in ('max_throughput_iops', 'max_throughput_mbps', 'min_throughput_iops',
                                      'min_throughput_mbps') and value is not None)
            if not options:
                errors.append('tier %s: qos (max_throughput_iops, ...) is needed to create QoS policy group %s'
                              % (name, qos))
            else:
                options['capacity_shared'] = False
                qos_policies.append(dict(name=qos, vserver=svm, fixed_qos_options=options))
            seen_qos[qos] = name
    plan = dict(snapshot_policies=snapshot_policies, qos_policies=qos_policies, export_policy=None, export_rules=[])
    if export_policy and export_policy.get('name'):
        plan['export_policy'] = dict(name=export_policy['name'], vserver=svm)
        for index, client in enumerate(export_policy.get('clients') or []):
            check_cidr('export policy %s clients[%d]' % (export_policy['name'], index), client, errors)
            plan['export_rules'].append(dict(
                name=export_policy['name'], vserver=svm, rule_index=index + 1, client_match=[client],
                protocol=list(export_policy.get('protocols') or ['nfs']), ro_rule=['sys'], rw_rule=['sys'],
                super_user_security=['sys'], allow_suid=False))
    if not svm:
        errors.append('the SVM name is needed for the ONTAP preparation')
    plan['errors'] = errors
    return plan


def svm_protocol_errors(svm_record, protocols):
    """Protocols (nfs, iscsi, ...) that the SVM record of na_ontap_rest_info (svm/svms) does not have enabled."""
    errors = []
    for protocol in protocols or []:
        section = (svm_record or {}).get(protocol) or {}
        if not section.get('enabled'):
            errors.append('SVM %s: protocol %s is not enabled (Trident needs it for the tiers\' volumes)'
                          % ((svm_record or {}).get('name'), protocol))
    return errors
