# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""zero-to-jupyterhub values: merged the way Helm merges them, checked against the chart's schema (pure).

``merge_values(defaults, *fragments)`` is Helm's coalescing of user values onto the chart's
``values.yaml``: dictionaries are merged key by key, anything else (lists included) replaces what
was there, and ``None`` removes the key (Helm's "null deletes a default"), so the result is what the
chart's templates and ``values.schema.json`` see. ``schema_errors(values, schema)`` lists every
violation as ``$.json.path: message``, sorted by path, so an operator sees all of them at once and
where each one is.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

try:
    import jsonschema
except ImportError:  # pragma: no cover - reported by schema_errors
    jsonschema = None


def plain(value, text=str):
    """Ansible's lazy/tagged containers as plain dicts and lists (keys made ``text``), which jsonschema and the
    renderers walk safely."""
    if isinstance(value, dict):
        return dict((text(k), plain(v, text)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [plain(v, text) for v in value]
    return value


def merge_values(defaults, *fragments):
    """A new document: every fragment coalesced, in order, onto a copy of ``defaults``."""
    merged = copy.deepcopy(defaults) if defaults else {}
    for fragment in fragments:
        _coalesce(merged, fragment or {})
    return merged


def _coalesce(base, extra):
    for key, value in extra.items():
        if value is None:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            _coalesce(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def json_path(path):
    """``$.hub.db.type`` / ``$.singleuser.profileList[0].slug`` for a jsonschema error path (a deque)."""
    text = '$'
    for part in path:
        text += '[%d]' % part if isinstance(part, int) else '.%s' % part
    return text


def _message(error):
    # additionalProperties names the unexpected key in its message; the other validators speak of the value
    if error.validator == 'additionalProperties':
        return error.message
    text = error.message
    return text if len(text) <= 240 else text[:237] + '...'


def schema_errors(values, schema):
    """Every violation of ``schema`` by ``values`` as ``$.path: message``, sorted by path."""
    if jsonschema is None:
        return ['$: cannot validate: the Python package jsonschema is not installed on the controller']
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(values), key=lambda e: (json_path(e.absolute_path), e.message))
    return ['%s: %s' % (json_path(e.absolute_path), _message(e)) for e in errors]


def strip_descriptions(schema):
    """The schema without its documentation (``description`` texts): what validation needs, a fifth of the size."""
    if isinstance(schema, dict):
        return dict((k, strip_descriptions(v)) for k, v in schema.items()
                    if not (k == 'description' and isinstance(v, str)))
    if isinstance(schema, list):
        return [strip_descriptions(v) for v in schema]
    return schema


class PlatformValuesError(ValueError):
    """Bad role input, in one line."""


# User pods pass Pod Security "restricted": the chart's own pods already do, KubeSpawner's defaults do not
# (no runAsNonRoot, capabilities kept, no seccomp profile), and the chart's iptables init container that
# blocks the cloud metadata server is privileged; the singleuser NetworkPolicy blocks that address instead.
RESTRICTED_CONTAINER = {
    'runAsNonRoot': True,
    'allowPrivilegeEscalation': False,
    'capabilities': {'drop': ['ALL']},
    'seccompProfile': {'type': 'RuntimeDefault'},
}


def image_paths(values, path=()):
    """Paths of every ``image: {name: ...}`` in a values document (the chart's images), in document order."""
    found = []
    if isinstance(values, dict):
        for key, value in values.items():
            if key == 'image' and isinstance(value, dict) and 'name' in value:
                found.append(path + (key,))
            else:
                found.extend(image_paths(value, path + (key,)))
    return found


def _nested(path, leaf):
    value = leaf
    for key in reversed(path):
        value = {key: value}
    return value


def mirrored_images(chart_defaults, mirror):
    """A values fragment putting ``mirror/`` before every chart image's name (``quay.io/jupyterhub/k8s-hub``
    becomes ``MIRROR/quay.io/jupyterhub/k8s-hub``, the layout of a pull-through registry cache)."""
    fragment = {}
    mirror = (mirror or '').rstrip('/')
    if not mirror:
        return fragment
    for path in image_paths(chart_defaults):
        value = chart_defaults
        for key in path:
            value = value[key]
        fragment = merge_values(fragment, _nested(path, {'name': '%s/%s' % (mirror, value['name'])}))
    return fragment


def postgresql_url(db):
    """SQLAlchemy URL of the hub database, without the password (the chart passes it as PGPASSWORD)."""
    from urllib.parse import quote
    for key in ('host', 'database', 'user'):
        if not db.get(key):
            raise PlatformValuesError('jupyterhub_db.%s is empty: the hub database needs host, port, database and user' % key)
    try:
        port = int(db.get('port') or 5432)
    except (TypeError, ValueError):
        raise PlatformValuesError('jupyterhub_db.port %r is not a port number' % (db.get('port'),))
    url = 'postgresql://%s@%s:%d/%s' % (quote(str(db['user']), safe=''), db['host'], port, quote(str(db['database']), safe=''))
    if db.get('ssl_mode'):
        url += '?sslmode=%s' % db['ssl_mode']
    return url


def platform_values(settings, chart_defaults=None):
    """The values the jupyterhub role sets itself: hub.db, culling, home storage, network policies, the proxy
    Service, pull secrets and mirror, and user pods fit for Pod Security "restricted"."""
    cull = settings.get('cull') or {}
    if cull.get('enabled', True) and not (int(cull.get('timeout') or 0) > 0 and int(cull.get('every') or 0) > 0):
        raise PlatformValuesError('culling needs a timeout and an interval above 0 seconds (jupyterhub_cull_timeout, '
                                  'jupyterhub_cull_every); set jupyterhub_cull_enabled: false to keep idle servers')
    db = settings.get('db') or {}
    proxy = settings.get('proxy') or {}
    network_policy = bool(settings.get('network_policy', True))
    values = {
        'hub': {
            'db': {'type': 'postgres', 'url': postgresql_url(db), 'password': db.get('password')},
            'networkPolicy': {'enabled': network_policy},
            'config': {'KubeSpawner': {'container_security_context': dict(RESTRICTED_CONTAINER)}},
        },
        'cull': {'enabled': bool(cull.get('enabled', True)), 'timeout': int(cull.get('timeout') or 3600),
                 'every': int(cull.get('every') or 600)},
        'singleuser': {
            'storage': {'type': 'dynamic', 'capacity': settings['home']['capacity'],
                        'dynamic': {'storageClass': settings['home']['storage_class']}},
            'cloudMetadata': {'blockWithIptables': False},
            'networkPolicy': {
                'enabled': network_policy,
                'egressAllowRules': {'cloudMetadataServer': False, 'privateIPs': False},
                'egress': [{'to': [{'ipBlock': {'cidr': cidr}}]} for cidr in settings.get('user_egress_cidrs') or []],
            },
        },
        'proxy': {
            'chp': {'networkPolicy': {'enabled': network_policy}},
            'service': {'type': proxy.get('type') or 'LoadBalancer',
                        'nodePorts': {'http': proxy.get('node_port')}},
        },
    }
    if proxy.get('load_balancer_ip'):
        values['proxy']['service']['loadBalancerIP'] = proxy['load_balancer_ip']
    credentials = settings.get('registry_credentials') or {}
    if credentials:
        missing = [k for k in ('registry', 'username', 'password') if not credentials.get(k)]
        if missing:
            raise PlatformValuesError('jupyterhub_registry_credentials lacks %s' % ', '.join(missing))
        values['imagePullSecret'] = {'create': True, 'automaticReferenceInjection': True,
                                     'registry': credentials['registry'], 'username': credentials['username'],
                                     'password': credentials['password']}
    if settings.get('image_pull_secrets'):
        values['imagePullSecrets'] = list(settings['image_pull_secrets'])
    return merge_values(values, mirrored_images(chart_defaults or {}, settings.get('registry_mirror')))
