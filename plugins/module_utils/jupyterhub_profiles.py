# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Notebook profiles as zero-to-jupyterhub values (pure: no server is contacted).

``render_profiles(profiles, common_volumes=..., common_volume_mounts=..., tiers=...)`` checks the
profiles and returns ``{'singleuser': {'profileList': [...]}, 'hub': {'extraConfig':
{'dsaas-profiles': <python>}}}`` for the z2jh 4.4 chart (JupyterHub 5.5.0, KubeSpawner 7.0.0).
It raises ``ProfilesError`` (one line, naming the profile and the key) and renders nothing when the
input is wrong.

Decisions written down here because the code alone does not say why:

**Quantities are Kubernetes quantities, rendered as numbers.** ``2G`` is 2*10^9 bytes and ``2Gi``
2*2^30 (Kubernetes), but KubeSpawner's ``mem_limit`` is a JupyterHub ``ByteSpecification``, for
which ``2G`` means 2*2^30. Passing the string through would silently give 7 % more memory than
asked for, so memory is rendered as an integer number of bytes and CPU as a float of cores
(``500m`` -> 0.5). Limits below guarantees are refused after parsing, not by comparing strings.

**Volumes are merged, not replaced (z2jh#2556).** A list in ``kubespawner_override.volumes``
replaces the spawner's whole list, the user's home volume included. The profile's
``volumes``/``volume_mounts`` are therefore rendered as *dicts* (volumes keyed by name, mounts by
mountPath): KubeSpawner 7 merges a dict override into a dict-valued trait
(``_apply_overrides`` -> ``recursive_update``). The hub code turns the spawner's own list (the
chart's home volume and ``singleuser.storage.extraVolumes``) into such a dict before the override
is applied, and resets it to the configured value at every spawn, so a second spawn with another
profile does not keep the first profile's volumes. Common volumes are part of every profile's
override; a name used twice (common and profile) is an error. Mounts sort by mountPath, so a
parent directory is mounted before the directories inside it.

**Who sees what is decided in the hub, per user, at every spawn.** ``groups`` of a profile are AD
group names (sAMAccountName, compared case-insensitively) from ``auth_state["groups"]`` that
``DsaasLDAPAuthenticator`` (module_utils/hub_auth.py) stores at login and refresh; without auth
state the hub groups (mirrored from AD by ``manage_groups``) are used. ``profile_list`` becomes an
async callable: KubeSpawner calls it for the options form and again in ``load_user_options``
before it applies the chosen profile, so a profile the user may not see can not be chosen by
posting its slug either (``No such profile``). A user who may see no profile at all gets a 403
instead of a server with the chart's default image. A profile without groups is for everyone.
The map slug -> groups lives in the hub code, not in ``profileList``: KubeSpawner and the chart's
image puller read profileList, and the groups are not theirs.

**Storage tier**: the same callable sets ``spawner.storage_class`` (used when the home PVC is
created): the researcher class if the user is in a researcher group, else the student class if in
a student group, else the configured one (the chart's ``singleuser.storage.dynamic.storageClass``).
A ``storage_class`` in a profile's ``kubespawner_override`` wins over the tier (applied later).
The class only matters when the PVC is created; an existing PVC keeps its class.

**changed is always false**: the module only computes values (like the collection's other pure
renderers, e.g. the jupyterhub_ad_auth filter); whether anything changes is decided by whatever
applies the values (helm).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import difflib
import re
from decimal import Decimal, InvalidOperation

KUBESPAWNER_VERSION = '7.0.0'
EXTRA_CONFIG_KEY = 'dsaas-profiles'

# KubeSpawner 7.0.0's configurable traits: sorted(KubeSpawner.class_trait_names(config=True)).
# tests/integration/test_jupyterhub_profiles.py compares this with the pinned hub runtime.
KUBESPAWNER_TRAITS = frozenset((
    'additional_profile_form_template_paths', 'after_pod_created_hook', 'allow_privilege_escalation',
    'apply_user_options', 'args', 'auth_state_hook', 'automount_service_account_token', 'cmd',
    'common_labels', 'component_label', 'consecutive_failure_limit', 'container_security_context',
    'cpu_guarantee', 'cpu_limit', 'debug', 'default_url', 'delete_grace_period', 'delete_pvc',
    'delete_stopped_pods', 'disable_user_config', 'dns_name_template', 'enable_user_namespaces', 'env_keep',
    'environment', 'events_enabled', 'extra_annotations', 'extra_container_config', 'extra_containers',
    'extra_labels', 'extra_pod_config', 'extra_resource_guarantees', 'extra_resource_limits', 'fs_gid',
    'get_pod_url', 'gid', 'group_overrides', 'handle_legacy_names', 'http_timeout', 'hub_connect_ip',
    'hub_connect_port', 'hub_connect_url', 'image', 'image_pull_policy', 'image_pull_secrets',
    'init_containers', 'ip', 'k8s_api_host', 'k8s_api_request_retry_timeout', 'k8s_api_request_timeout',
    'k8s_api_ssl_ca_cert', 'k8s_api_threadpool_workers', 'k8s_api_verify_ssl', 'lifecycle_hooks',
    'mem_guarantee', 'mem_limit', 'modify_pod_hook', 'namespace', 'node_affinity_preferred',
    'node_affinity_required', 'node_selector', 'notebook_dir', 'oauth_client_allowed_scopes', 'oauth_roles',
    'options_form', 'options_from_form', 'pod_affinity_preferred', 'pod_affinity_required',
    'pod_anti_affinity_preferred', 'pod_anti_affinity_required', 'pod_connect_ip', 'pod_name_template',
    'pod_security_context', 'poll_interval', 'poll_jitter', 'port', 'post_stop_hook', 'pre_spawn_hook',
    'priority_class_name', 'privileged', 'profile_form_template', 'profile_list', 'progress_ready_hook',
    'pvc_name_template', 'remember_pvc_name', 'scheduler_name', 'secret_mount_path', 'secret_name_template',
    'server_token_scopes', 'service_account', 'services_enabled', 'slug_scheme', 'ssl_alt_names',
    'ssl_alt_names_include_local', 'start_timeout', 'storage_access_modes', 'storage_capacity',
    'storage_class', 'storage_extra_annotations', 'storage_extra_labels', 'storage_pvc_ensure',
    'storage_selector', 'supplemental_gids', 'tolerations', 'uid', 'user_namespace_annotations',
    'user_namespace_labels', 'user_namespace_template', 'volume_mounts', 'volumes', 'working_dir',
))

# Traits this module renders from its own options: in kubespawner_override they are refused with
# the option to use instead. The others make no sense per profile (they are read before a profile
# is chosen).
MANAGED_OVERRIDES = {
    'image': 'image', 'cpu_guarantee': 'cpu.guarantee', 'cpu_limit': 'cpu.limit',
    'mem_guarantee': 'memory.guarantee', 'mem_limit': 'memory.limit',
    'volumes': 'extra_volumes', 'volume_mounts': 'extra_volume_mounts',
}
NOT_PER_PROFILE = frozenset(('profile_list', 'profile_form_template', 'additional_profile_form_template_paths',
                             'options_form', 'options_from_form', 'group_overrides', 'apply_user_options'))

PROFILE_KEYS = ('display_name', 'slug', 'description', 'image', 'cpu', 'memory', 'default', 'groups',
                'extra_volumes', 'extra_volume_mounts', 'kubespawner_override')
IMAGE_KEYS = ('repository', 'tag', 'digest')
RESOURCE_KEYS = ('guarantee', 'limit')
TIER_NAMES = ('researcher', 'student')  # precedence: a user in both gets the first
TIER_KEYS = ('groups', 'storage_class')

SLUG_RE = re.compile(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')
TAG_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$')
DIGEST_RE = re.compile(r'^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$')
_COMPONENT = r'[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*'
REPOSITORY_RE = re.compile(r'^(?:[A-Za-z0-9.-]+(?::[0-9]+)?/)?%s(?:/%s)*$' % (_COMPONENT, _COMPONENT))

_NUMBER = r'(\d+(?:\.\d*)?|\.\d+)'
CPU_RE = re.compile(r'^%s(m?)$' % _NUMBER)
MEMORY_RE = re.compile(r'^%s(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$' % _NUMBER)
MEMORY_FACTORS = {
    None: 1, 'k': 10 ** 3, 'M': 10 ** 6, 'G': 10 ** 9, 'T': 10 ** 12, 'P': 10 ** 15, 'E': 10 ** 18,
    'Ki': 2 ** 10, 'Mi': 2 ** 20, 'Gi': 2 ** 30, 'Ti': 2 ** 40, 'Pi': 2 ** 50, 'Ei': 2 ** 60,
}


class ProfilesError(ValueError):
    """The profiles cannot be rendered; the message (one line) says where and why."""


def _is_string(value):
    return isinstance(value, str)


def _check_keys(value, allowed, where):
    if not isinstance(value, dict):
        raise ProfilesError('%s: expected a dictionary, got %s' % (where, type(value).__name__))
    for key in value:
        if key not in allowed:
            near = difflib.get_close_matches(str(key), allowed, n=1)
            raise ProfilesError('%s: unknown key %r (%s)' % (
                where, key, ('did you mean %r?' % near[0]) if near else 'expected one of %s' % ', '.join(allowed)))


def _text(value, where, required=True):
    if value is None or value == '':
        if required:
            raise ProfilesError('%s is required' % where)
        return None
    if not _is_string(value):
        raise ProfilesError('%s: expected a string, got %s' % (where, type(value).__name__))
    return value


def parse_cpu(value, where='cpu'):
    """A Kubernetes CPU quantity (``2``, ``1.5``, ``500m``) as a Decimal number of cores."""
    if isinstance(value, bool) or value is None:
        raise ProfilesError('%s: %r is not a CPU quantity (like 2, 0.5 or 500m)' % (where, value))
    text = str(value).strip()
    match = CPU_RE.match(text)
    if not match:
        raise ProfilesError('%s: %r is not a CPU quantity (like 2, 0.5 or 500m)' % (where, value))
    try:
        cores = Decimal(match.group(1))
    except InvalidOperation:
        raise ProfilesError('%s: %r is not a CPU quantity (like 2, 0.5 or 500m)' % (where, value))
    if match.group(2) == 'm':
        cores = cores / 1000
    return cores


def parse_memory(value, where='memory'):
    """A Kubernetes memory quantity (``512M``, ``2G``, ``1Gi``, ``1000000``) as int bytes.

    SI suffixes are powers of 10 (k, M, G, T, P, E) and binary ones powers of 2 (Ki ... Ei), as in
    Kubernetes. ``K`` (upper case) is not a Kubernetes suffix and is refused, as are fractions of a
    byte and ``m`` (milli).
    """
    if isinstance(value, bool) or value is None:
        raise ProfilesError('%s: %r is not a memory quantity (like 512M, 2G or 1Gi)' % (where, value))
    text = str(value).strip()
    match = MEMORY_RE.match(text)
    if not match:
        hint = " ('K' is not a Kubernetes suffix: use k for 10^3 or Ki for 2^10)" if text.endswith('K') else ''
        raise ProfilesError('%s: %r is not a memory quantity (like 512M, 2G or 1Gi)%s' % (where, value, hint))
    amount = Decimal(match.group(1)) * MEMORY_FACTORS[match.group(2)]
    if amount != amount.to_integral_value():
        raise ProfilesError('%s: %r is not a whole number of bytes' % (where, value))
    return int(amount)


def _resources(value, parse, where):
    if value is None:
        return None, None
    _check_keys(value, RESOURCE_KEYS, where)
    guarantee = value.get('guarantee')
    limit = value.get('limit')
    parsed_guarantee = None if guarantee is None else parse(guarantee, '%s.guarantee' % where)
    parsed_limit = None if limit is None else parse(limit, '%s.limit' % where)
    if parsed_limit is not None and parsed_limit <= 0:
        raise ProfilesError('%s.limit: %s must be more than 0' % (where, limit))
    if parsed_guarantee is not None and parsed_limit is not None and parsed_limit < parsed_guarantee:
        raise ProfilesError('%s: limit %s is less than guarantee %s' % (where, limit, guarantee))
    return parsed_guarantee, parsed_limit


def _cpu_number(cores):
    return None if cores is None else float(cores)


def image_reference(image, where='image'):
    """``repository:tag`` or ``repository@digest``; a tag or a digest is required (never ``latest`` implicitly)."""
    if image is None:
        raise ProfilesError('%s is required (repository and tag or digest)' % where)
    _check_keys(image, IMAGE_KEYS, where)
    repository = _text(image.get('repository'), '%s.repository' % where)
    tag = _text(image.get('tag'), '%s.tag' % where, required=False)
    digest = _text(image.get('digest'), '%s.digest' % where, required=False)
    if '@' in repository or ':' in repository.rsplit('/', 1)[-1]:
        raise ProfilesError("%s.repository %r holds a tag or digest: give it in %s.tag or %s.digest"
                            % (where, repository, where, where))
    if not REPOSITORY_RE.match(repository):
        raise ProfilesError('%s.repository %r is not an image repository name' % (where, repository))
    if tag and digest:
        raise ProfilesError('%s: give tag or digest, not both' % where)
    if not tag and not digest:
        raise ProfilesError('%s %r has no tag or digest (an untagged image is whatever "latest" is today)'
                            % (where, repository))
    if tag:
        if not TAG_RE.match(tag):
            raise ProfilesError('%s.tag %r is not an image tag' % (where, tag))
        return '%s:%s' % (repository, tag)
    if not DIGEST_RE.match(digest):
        raise ProfilesError('%s.digest %r is not a digest (like sha256:<64 hex digits>)' % (where, digest))
    return '%s@%s' % (repository, digest)


def _groups(value, where):
    if value is None:
        return []
    if _is_string(value) or not isinstance(value, (list, tuple)):
        raise ProfilesError('%s: expected a list of AD group names' % where)
    names = []
    for index, name in enumerate(value):
        name = _text(name, '%s[%d]' % (where, index))
        if ',' in name and '=' in name:
            raise ProfilesError('%s[%d] %r is a DN: give the group name (sAMAccountName)' % (where, index, name))
        if name.casefold() not in [n.casefold() for n in names]:
            names.append(name)
    return names


def _volumes(value, where, key, kind):
    """Volumes (key ``name``) or mounts (key ``mountPath``) as a list of dicts, keys unique."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise ProfilesError('%s: expected a list of %s' % (where, kind))
    seen = set()
    result = []
    for index, item in enumerate(value):
        item_where = '%s[%d]' % (where, index)
        if not isinstance(item, dict):
            raise ProfilesError('%s: expected a dictionary (a Kubernetes %s)' % (item_where, kind))
        if kind == 'volume mounts' and not _is_string(item.get('name')):
            raise ProfilesError('%s: a volume mount needs a name' % item_where)
        _text(item.get(key), '%s.%s' % (item_where, key))
        if item[key] in seen:
            raise ProfilesError('%s: %s %r appears twice' % (item_where, key, item[key]))
        seen.add(item[key])
        result.append(copy.deepcopy(item))
    return result


def merge_volumes(common, extra, key, where):
    """Common items then the profile's, as a dict keyed by ``key``; a key in both is an error."""
    merged = {}
    for item in common:
        merged[item[key]] = copy.deepcopy(item)
    for item in extra:
        if item[key] in merged:
            raise ProfilesError('%s: %s %r is also in the common ones (merged, not replaced: use another %s)'
                                % (where, key, item[key], key))
        merged[item[key]] = copy.deepcopy(item)
    return merged


def _override(value, where):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProfilesError('%s: expected a dictionary of KubeSpawner %s traits' % (where, KUBESPAWNER_VERSION))
    for key in value:
        if key in MANAGED_OVERRIDES:
            raise ProfilesError('%s.%s: set it with the profile option %s' % (where, key, MANAGED_OVERRIDES[key]))
        if key in NOT_PER_PROFILE:
            raise ProfilesError('%s.%s: KubeSpawner reads it before a profile is chosen, it cannot be overridden '
                                'per profile' % (where, key))
        if key not in KUBESPAWNER_TRAITS:
            near = difflib.get_close_matches(str(key), sorted(KUBESPAWNER_TRAITS), n=1, cutoff=0.5)
            raise ProfilesError('%s: %r is not a KubeSpawner %s trait%s' % (
                where, key, KUBESPAWNER_VERSION, ("; did you mean %r?" % near[0]) if near else ''))
    return copy.deepcopy(value)


def default_slug(display_name):
    slug = re.sub(r'[^a-z0-9]+', '-', display_name.lower()).strip('-')
    return slug[:63].rstrip('-')


def _profile(profile, index, common_volumes, common_mounts):
    where = 'profiles[%d]' % index
    _check_keys(profile, PROFILE_KEYS, where)
    display_name = _text(profile.get('display_name'), '%s.display_name' % where)
    slug = profile.get('slug')
    slug = _text(slug, '%s.slug' % where) if slug not in (None, '') else default_slug(display_name)
    if not SLUG_RE.match(slug) or len(slug) > 63:
        raise ProfilesError("%s.slug %r: use lower-case letters, digits and '-' (at most 63)" % (where, slug))
    where = "profiles[%d] (slug '%s')" % (index, slug)
    description = _text(profile.get('description'), '%s.description' % where, required=False)
    default = profile.get('default', False)
    if default is None:
        default = False
    if not isinstance(default, bool):
        raise ProfilesError('%s.default: expected true or false' % where)

    override = {'image': image_reference(profile.get('image'), '%s.image' % where)}
    cpu_guarantee, cpu_limit = _resources(profile.get('cpu'), parse_cpu, '%s.cpu' % where)
    mem_guarantee, mem_limit = _resources(profile.get('memory'), parse_memory, '%s.memory' % where)
    for name, number in (('cpu_guarantee', _cpu_number(cpu_guarantee)), ('cpu_limit', _cpu_number(cpu_limit)),
                         ('mem_guarantee', mem_guarantee), ('mem_limit', mem_limit)):
        if number is not None:
            override[name] = number
    volumes = merge_volumes(common_volumes, _volumes(profile.get('extra_volumes'), '%s.extra_volumes' % where,
                                                     'name', 'volumes'), 'name', '%s.extra_volumes' % where)
    mounts = merge_volumes(common_mounts, _volumes(profile.get('extra_volume_mounts'),
                                                   '%s.extra_volume_mounts' % where, 'mountPath', 'volume mounts'),
                           'mountPath', '%s.extra_volume_mounts' % where)
    if volumes:
        override['volumes'] = volumes
    if mounts:
        override['volume_mounts'] = mounts
    override.update(_override(profile.get('kubespawner_override'), '%s.kubespawner_override' % where))

    rendered = {'display_name': display_name, 'slug': slug}
    if description:
        rendered['description'] = description
    if default:
        rendered['default'] = True
    rendered['kubespawner_override'] = override
    return rendered, _groups(profile.get('groups'), '%s.groups' % where)


def _tiers(tiers):
    if tiers is None:
        return []
    _check_keys(tiers, TIER_NAMES, 'tiers')
    result = []
    for name in TIER_NAMES:  # precedence order
        tier = tiers.get(name)
        if tier is None:
            continue
        where = 'tiers.%s' % name
        _check_keys(tier, TIER_KEYS, where)
        groups = _groups(tier.get('groups'), '%s.groups' % where)
        if not groups:
            raise ProfilesError('%s.groups: at least one AD group is required' % where)
        storage_class = _text(tier.get('storage_class'), '%s.storage_class' % where)
        result.append((name, groups, storage_class))
    return result


def render_profiles(profiles, common_volumes=None, common_volume_mounts=None, tiers=None):
    """The z2jh values fragment for the profiles (see the module docstring); raises ProfilesError."""
    if not isinstance(profiles, (list, tuple)) or not profiles:
        raise ProfilesError('profiles: at least one profile is required')
    common_volumes = _volumes(common_volumes, 'common_volumes', 'name', 'volumes')
    common_mounts = _volumes(common_volume_mounts, 'common_volume_mounts', 'mountPath', 'volume mounts')
    tier_list = _tiers(tiers)

    profile_list = []
    groups_by_slug = {}
    for index, profile in enumerate(profiles):
        rendered, groups = _profile(profile, index, common_volumes, common_mounts)
        if rendered['slug'] in groups_by_slug:
            raise ProfilesError("profiles[%d]: slug '%s' is used twice" % (index, rendered['slug']))
        groups_by_slug[rendered['slug']] = groups
        profile_list.append(rendered)

    defaults = [p['slug'] for p in profile_list if p.get('default')]
    if not defaults:
        raise ProfilesError('profiles: no profile has default: true (exactly one must)')
    if len(defaults) > 1:
        raise ProfilesError('profiles: %d profiles have default: true (%s); exactly one must'
                            % (len(defaults), ', '.join(defaults)))

    return {
        'singleuser': {'profileList': profile_list},
        'hub': {'extraConfig': {EXTRA_CONFIG_KEY: hub_code(groups_by_slug, tier_list)}},
    }


HUB_CODE = '''\
# dsaas.platform.jupyterhub_profiles (rendered: change the profiles, not this code).
# singleuser.profileList -> an async profile_list callable that shows each user the profiles of
# their AD groups (auth_state["groups"], else the hub groups) and sets the storage class of their tier.
import copy as _dsaas_copy

from tornado import web as _dsaas_web

# slug -> AD group names (lower case) allowed to see the profile; empty: everyone
_DSAAS_PROFILE_GROUPS = %(groups)s
# (tier, AD group names in lower case, storage class), in precedence order
_DSAAS_TIERS = %(tiers)s

_dsaas_configured_profiles = c.KubeSpawner.profile_list if "profile_list" in c.KubeSpawner else []


def _dsaas_keyed(items, key):
    """A volume/mount list as the dict form KubeSpawner merges overrides into."""
    if isinstance(items, dict):
        return _dsaas_copy.deepcopy(items)
    return {str(item.get(key) or "~%%03d" %% index): _dsaas_copy.deepcopy(item)
            for index, item in enumerate(items or [])}


async def _dsaas_user_groups(user):
    state = await user.get_auth_state()
    if state and state.get("groups") is not None:
        names = state["groups"]
    else:
        names = [group.name for group in (getattr(user, "groups", None) or [])]
    return {str(name).casefold() for name in names}


async def _dsaas_profile_list(spawner):
    profiles = _dsaas_configured_profiles
    if callable(profiles):
        profiles = profiles(spawner)
        if hasattr(profiles, "__await__"):
            profiles = await profiles
    groups = await _dsaas_user_groups(spawner.user)

    # What the configuration set, kept from the first call (before any profile was applied), so
    # every spawn starts from it and overrides of an earlier spawn do not accumulate.
    base = getattr(spawner, "_dsaas_base", None)
    if base is None:
        base = spawner._dsaas_base = {
            "storage_class": spawner.storage_class,
            "volumes": _dsaas_keyed(spawner.volumes, "name"),
            "volume_mounts": _dsaas_keyed(spawner.volume_mounts, "mountPath"),
        }
    spawner.volumes = _dsaas_copy.deepcopy(base["volumes"])
    spawner.volume_mounts = _dsaas_copy.deepcopy(base["volume_mounts"])
    spawner.storage_class = base["storage_class"]
    for tier, tier_groups, storage_class in _DSAAS_TIERS:
        if groups.intersection(tier_groups):
            spawner.storage_class = storage_class
            break

    visible = [profile for profile in profiles
               if not _DSAAS_PROFILE_GROUPS.get(profile.get("slug"))
               or groups.intersection(_DSAAS_PROFILE_GROUPS[profile.get("slug")])]
    if not visible:
        raise _dsaas_web.HTTPError(
            403, "No notebook profile is available to %%s: ask for membership in one of the "
            "notebook groups" %% spawner.user.name)
    return _dsaas_copy.deepcopy(visible)


c.KubeSpawner.profile_list = _dsaas_profile_list
'''


def hub_code(groups_by_slug, tiers):
    """The ``hub.extraConfig`` snippet (Python for the hub's jupyterhub_config.py)."""
    groups = dict((slug, sorted(set(name.casefold() for name in names))) for slug, names in groups_by_slug.items())
    tier_literal = [(name, sorted(set(g.casefold() for g in tier_groups)), storage_class)
                    for name, tier_groups, storage_class in tiers]
    return HUB_CODE % {'groups': repr(groups), 'tiers': repr(tier_literal)}
