# -*- coding: utf-8 -*-
# Notebook profiles as z2jh values (module_utils/jupyterhub_profiles.py): pure, no server. The hub code
# itself is run for real in the pinned hub runtime by tests/integration/test_jupyterhub_profiles.py.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import copy
from decimal import Decimal

import pytest

from ansible_collections.dsaas.platform.plugins.module_utils.jupyterhub_profiles import (
    EXTRA_CONFIG_KEY,
    ProfilesError,
    default_slug,
    image_reference,
    merge_volumes,
    parse_cpu,
    parse_memory,
    render_profiles,
)

DIGEST = 'sha256:' + '0123456789abcdef' * 4


def basic(**overrides):
    profile = {
        'display_name': 'Basic',
        'slug': 'basic',
        'description': 'Python, 1 CPU',
        'default': True,
        'image': {'repository': 'quay.io/jupyter/minimal-notebook', 'tag': '2025-06-02'},
        'cpu': {'guarantee': '500m', 'limit': 1},
        'memory': {'guarantee': '512M', 'limit': '2G'},
    }
    profile.update(overrides)
    return profile


def data_science(**overrides):
    profile = {
        'display_name': 'Data Science',
        'slug': 'data-science',
        'groups': ['dsaas-researchers'],
        'image': {'repository': 'quay.io/jupyter/datascience-notebook', 'digest': DIGEST},
        'cpu': {'guarantee': 1, 'limit': '4'},
        'memory': {'guarantee': '4Gi', 'limit': '16Gi'},
        'extra_volumes': [{'name': 'datasets', 'persistentVolumeClaim': {'claimName': 'datasets'}}],
        'extra_volume_mounts': [{'name': 'datasets', 'mountPath': '/home/jovyan/datasets', 'readOnly': True}],
        'kubespawner_override': {'extra_resource_limits': {'nvidia.com/gpu': '1'}},
    }
    profile.update(overrides)
    return profile


COMMON_VOLUMES = [{'name': 'shared', 'persistentVolumeClaim': {'claimName': 'shared'}}]
COMMON_MOUNTS = [{'name': 'shared', 'mountPath': '/home/jovyan/shared'}]
TIERS = {'student': {'groups': ['dsaas-students'], 'storage_class': 'ontap-students'},
         'researcher': {'groups': ['DSAAS-Researchers'], 'storage_class': 'ontap-research'}}


def render(profiles=None, **kwargs):
    kwargs.setdefault('common_volumes', COMMON_VOLUMES)
    kwargs.setdefault('common_volume_mounts', COMMON_MOUNTS)
    kwargs.setdefault('tiers', TIERS)
    return render_profiles(profiles if profiles is not None else [basic(), data_science()], **kwargs)


def fails(pattern, profiles=None, **kwargs):
    with pytest.raises(ProfilesError, match=pattern) as info:
        render(profiles, **kwargs)
    assert '\n' not in str(info.value)
    return str(info.value)


# ------------------------------------------------------------------------------------ quantities ---

@pytest.mark.parametrize('value, cores', [
    ('500m', Decimal('0.5')), ('1', Decimal(1)), (2, Decimal(2)), ('0.25', Decimal('0.25')), (1.5, Decimal('1.5')),
    ('100m', Decimal('0.1')), ('1500m', Decimal('1.5')), ('.5', Decimal('0.5')),
])
def test_parse_cpu(value, cores):
    assert parse_cpu(value) == cores


@pytest.mark.parametrize('value', ['', 'abc', '1c', '500M', '-1', True, None, '1 m', '2Gi'])
def test_parse_cpu_refuses(value):
    with pytest.raises(ProfilesError, match='not a CPU quantity'):
        parse_cpu(value)


@pytest.mark.parametrize('value, size', [
    ('512M', 512 * 10 ** 6), ('2G', 2 * 10 ** 9), ('1Gi', 2 ** 30), ('1.5Gi', 3 * 2 ** 29), ('100Ki', 102400),
    ('1k', 1000), ('1T', 10 ** 12), ('1Ti', 2 ** 40), (1048576, 1048576), ('1048576', 1048576),
    ('256Mi', 256 * 2 ** 20), ('0.5G', 5 * 10 ** 8),
])
def test_parse_memory(value, size):
    assert parse_memory(value) == size


@pytest.mark.parametrize('value', ['2GB', '1g', 'lots', '-1G', '', None, False, '1m', '1.5'])
def test_parse_memory_refuses(value):
    with pytest.raises(ProfilesError):
        parse_memory(value)


def test_parse_memory_upper_k_hint():
    with pytest.raises(ProfilesError, match='use k for 10.3 or Ki for 2.10'):
        parse_memory('512K')


def test_si_and_binary_compare_by_value():
    # 1Gi (1073741824) guarantee with a 1G (10^9) limit is a limit below the guarantee.
    fails(r"memory: limit 1G is less than guarantee 1Gi", [basic(memory={'guarantee': '1Gi', 'limit': '1G'})])
    render([basic(memory={'guarantee': '1G', 'limit': '1Gi'})])


# ------------------------------------------------------------------------------------- rendering ---

def test_rendered_structure():
    values = render()
    assert set(values) == {'singleuser', 'hub'}
    assert list(values['hub']['extraConfig']) == [EXTRA_CONFIG_KEY]
    first, second = values['singleuser']['profileList']
    assert first == {
        'display_name': 'Basic', 'slug': 'basic', 'description': 'Python, 1 CPU', 'default': True,
        'kubespawner_override': {
            'image': 'quay.io/jupyter/minimal-notebook:2025-06-02',
            'cpu_guarantee': 0.5, 'cpu_limit': 1.0,
            'mem_guarantee': 512000000, 'mem_limit': 2000000000,
            'volumes': {'shared': COMMON_VOLUMES[0]},
            'volume_mounts': {'/home/jovyan/shared': COMMON_MOUNTS[0]},
        },
    }
    assert 'default' not in second and 'groups' not in second
    override = second['kubespawner_override']
    assert override['image'] == 'quay.io/jupyter/datascience-notebook@' + DIGEST
    assert (override['cpu_guarantee'], override['cpu_limit']) == (1.0, 4.0)
    assert (override['mem_guarantee'], override['mem_limit']) == (4 * 2 ** 30, 16 * 2 ** 30)
    assert override['extra_resource_limits'] == {'nvidia.com/gpu': '1'}


def test_volumes_are_merged_with_the_common_ones():
    override = render()['singleuser']['profileList'][1]['kubespawner_override']
    assert sorted(override['volumes']) == ['datasets', 'shared']
    assert sorted(override['volume_mounts']) == ['/home/jovyan/datasets', '/home/jovyan/shared']
    assert override['volumes']['shared'] == COMMON_VOLUMES[0]


def test_merged_volumes_are_independent_copies():
    profiles = render()['singleuser']['profileList']
    profiles[0]['kubespawner_override']['volumes']['shared']['persistentVolumeClaim']['claimName'] = 'x'
    assert profiles[1]['kubespawner_override']['volumes']['shared']['persistentVolumeClaim']['claimName'] == 'shared'
    assert COMMON_VOLUMES[0]['persistentVolumeClaim']['claimName'] == 'shared'


def test_merge_volumes_refuses_a_name_in_both():
    with pytest.raises(ProfilesError, match="name 'shared' is also in the common ones"):
        merge_volumes(COMMON_VOLUMES, [{'name': 'shared', 'emptyDir': {}}], 'name', 'p')
    fails(r"mountPath '/home/jovyan/shared' is also in the common ones",
          [basic(extra_volume_mounts=[{'name': 'x', 'mountPath': '/home/jovyan/shared'}])])


def test_no_volumes_no_override():
    override = render([basic()], common_volumes=[], common_volume_mounts=[])['singleuser']['profileList'][0][
        'kubespawner_override']
    assert 'volumes' not in override and 'volume_mounts' not in override


def test_resources_are_optional():
    override = render([basic(cpu=None, memory={'limit': '1Gi'})])['singleuser']['profileList'][0][
        'kubespawner_override']
    assert 'cpu_limit' not in override and 'cpu_guarantee' not in override
    assert override['mem_limit'] == 2 ** 30 and 'mem_guarantee' not in override


def test_hub_code_carries_groups_and_tiers():
    code = render()['hub']['extraConfig'][EXTRA_CONFIG_KEY]
    tree = ast.parse(code)
    literals = dict((node.targets[0].id, ast.literal_eval(node.value)) for node in tree.body
                    if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                    and node.targets[0].id.startswith('_DSAAS_'))
    assert literals['_DSAAS_PROFILE_GROUPS'] == {'basic': [], 'data-science': ['dsaas-researchers']}
    assert literals['_DSAAS_TIERS'] == [('researcher', ['dsaas-researchers'], 'ontap-research'),
                                        ('student', ['dsaas-students'], 'ontap-students')]
    assert 'c.KubeSpawner.profile_list = _dsaas_profile_list' in code


def test_without_tiers():
    code = render(tiers=None)['hub']['extraConfig'][EXTRA_CONFIG_KEY]
    assert '_DSAAS_TIERS = []' in code


def test_slug_from_display_name():
    profile = basic()
    del profile['slug']
    assert render([profile])['singleuser']['profileList'][0]['slug'] == 'basic'
    assert default_slug('Data Science (GPU) ') == 'data-science-gpu'


def test_input_not_modified():
    profiles = [basic(), data_science()]
    before = copy.deepcopy(profiles)
    render(profiles)
    assert profiles == before


@pytest.mark.parametrize('image, reference', [
    ({'repository': 'jupyter/base-notebook', 'tag': 'python-3.12'}, 'jupyter/base-notebook:python-3.12'),
    ({'repository': 'registry.local:5000/dsaas/basic', 'tag': '1.0'}, 'registry.local:5000/dsaas/basic:1.0'),
    ({'repository': 'ubuntu', 'digest': DIGEST}, 'ubuntu@' + DIGEST),
])
def test_image_reference(image, reference):
    assert image_reference(image) == reference


# --------------------------------------------------------------------------------------- errors ---

def test_unknown_profile_key():
    message = fails(r"profiles\[0\]: unknown key 'memroy' \(did you mean 'memory'\?\)", [basic(memroy={})])
    assert 'memroy' in message


@pytest.mark.parametrize('profile, pattern', [
    (basic(image={'repository': 'x', 'tga': '1'}), r"image: unknown key 'tga' \(did you mean 'tag'\?\)"),
    (basic(cpu={'guarantee': 1, 'limits': 2}), r"cpu: unknown key 'limits'"),
])
def test_unknown_nested_keys(profile, pattern):
    fails(pattern, [profile])


def test_unknown_tier():
    fails(r"tiers: unknown key 'staff'", tiers={'staff': {'groups': ['a'], 'storage_class': 'b'}})
    fails(r"tiers.student: unknown key 'class'", tiers={'student': {'groups': ['a'], 'class': 'b'}})
    fails(r"tiers.student.groups: at least one AD group", tiers={'student': {'groups': [], 'storage_class': 'b'}})
    fails(r"tiers.researcher.storage_class is required", tiers={'researcher': {'groups': ['a']}})


def test_cpu_limit_below_guarantee():
    fails(r"profiles\[0\] \(slug 'basic'\).cpu: limit 500m is less than guarantee 1",
          [basic(cpu={'guarantee': '1', 'limit': '500m'})])


def test_memory_limit_below_guarantee():
    fails(r"memory: limit 512Mi is less than guarantee 1G", [basic(memory={'guarantee': '1G', 'limit': '512Mi'})])


def test_zero_limit():
    fails(r"cpu.limit: 0 must be more than 0", [basic(cpu={'limit': 0})])


def test_no_default():
    fails(r'no profile has default: true', [basic(default=False), data_science()])


def test_two_defaults():
    fails(r'2 profiles have default: true \(basic, data-science\)', [basic(), data_science(default=True)])


def test_duplicate_slug():
    fails(r"profiles\[1\]: slug 'basic' is used twice", [basic(), data_science(slug='basic')])


def test_duplicate_slug_from_display_name():
    second = basic(default=False, display_name='BASIC')
    del second['slug']
    fails(r"slug 'basic' is used twice", [basic(), second])


def test_bad_slug():
    fails(r"slug 'Data_Science'", [basic(slug='Data_Science')])


@pytest.mark.parametrize('image, pattern', [
    ({'repository': 'quay.io/jupyter/minimal-notebook'}, r'has no tag or digest'),
    ({'repository': 'quay.io/jupyter/minimal-notebook', 'tag': ''}, r'has no tag or digest'),
    ({'repository': 'jupyter/minimal-notebook:latest'}, r'holds a tag or digest'),
    ({'repository': 'jupyter/minimal-notebook@' + DIGEST}, r'holds a tag or digest'),
    ({'repository': 'x', 'tag': '1', 'digest': DIGEST}, r'tag or digest, not both'),
    ({'repository': 'x', 'digest': 'abc'}, r'is not a digest'),
    ({'repository': 'x', 'tag': 'a b'}, r'is not an image tag'),
    ({'repository': 'Bad Repo', 'tag': '1'}, r'is not an image repository'),
    (None, r'image is required'),
])
def test_bad_image(image, pattern):
    fails(pattern, [basic(image=image)])


def test_override_unknown_key_names_nearest():
    fails(r"kubespawner_override: 'extra_resource_limit' is not a KubeSpawner 7.0.0 trait; "
          r"did you mean 'extra_resource_limits'\?",
          [basic(kubespawner_override={'extra_resource_limit': {}})])
    fails(r"'storage_clas' is not a KubeSpawner 7.0.0 trait; did you mean 'storage_class'\?",
          [basic(kubespawner_override={'storage_clas': 'x'})])


def test_override_managed_and_not_per_profile_keys():
    fails(r"kubespawner_override.image: set it with the profile option image",
          [basic(kubespawner_override={'image': 'x:1'})])
    fails(r"kubespawner_override.volumes: set it with the profile option extra_volumes",
          [basic(kubespawner_override={'volumes': []})])
    fails(r"kubespawner_override.profile_list: KubeSpawner reads it before a profile is chosen",
          [basic(kubespawner_override={'profile_list': []})])


def test_override_pass_through():
    override = render([basic(kubespawner_override={'storage_class': 'fast', 'environment': {'A': '1'}})])[
        'singleuser']['profileList'][0]['kubespawner_override']
    assert override['storage_class'] == 'fast' and override['environment'] == {'A': '1'}


def test_bad_volumes():
    fails(r"extra_volumes\[0\].name is required", [basic(extra_volumes=[{'emptyDir': {}}])])
    fails(r"extra_volume_mounts\[0\]: a volume mount needs a name", [basic(extra_volume_mounts=[{'mountPath': '/x'}])])
    fails(r"common_volumes\[1\]: name 'a' appears twice",
          common_volumes=[{'name': 'a', 'emptyDir': {}}, {'name': 'a', 'emptyDir': {}}])
    fails(r"extra_volumes: expected a list", [basic(extra_volumes={'name': 'a'})])


def test_groups_must_be_names():
    fails(r"groups\[0\] 'CN=x,DC=corp' is a DN", [basic(groups=['CN=x,DC=corp'])])
    fails(r"groups: expected a list", [basic(groups='dsaas-students')])


def test_no_profiles():
    fails(r'at least one profile', [])


def test_missing_display_name():
    profile = basic()
    del profile['display_name']
    fails(r'profiles\[0\].display_name is required', [profile])


def test_default_must_be_bool():
    fails(r'default: expected true or false', [basic(default='yes')])
