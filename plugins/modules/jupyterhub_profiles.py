#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: jupyterhub_profiles
short_description: Render JupyterHub notebook profiles, per AD group, as zero-to-jupyterhub values
version_added: 0.1.0
description:
  - Checks a list of notebook profiles and renders them for the zero-to-jupyterhub 4.4 chart
    (JupyterHub 5.5.0, KubeSpawner 7.0.0) as C(singleuser.profileList) plus the hub code in
    C(hub.extraConfig.dsaas-profiles).
  - The hub code makes C(KubeSpawner.profile_list) an async callable that shows each user only the
    profiles of their AD groups (C(auth_state["groups"]) stored by the collection's AD login, else
    the user's hub groups) and sets the storage class of the user's tier for the home volume
    (researcher before student). A profile the user may not see cannot be chosen by its slug
    either; a user who may see no profile gets HTTP 403 instead of a default server.
  - Memory and CPU are Kubernetes quantities (C(2G) is 2*10^9 bytes, C(2Gi) 2*2^30) and are
    rendered as numbers (bytes, cores), because KubeSpawner would read C(2G) as 2*2^30.
  - Volumes and mounts of a profile are merged with the common ones and with the spawner's own
    (the home volume), not put in their place (z2jh#2556).
  - Pure rendering, nothing is contacted or changed, so the result is always C(changed=false),
    also in check mode. Bad input fails with one line naming the profile and the key, and nothing
    is rendered.
author:
  - dsaas.platform maintainers (@dsaas-platform)
options:
  profiles:
    description:
      - The notebook profiles, in the order users see them.
    type: list
    elements: dict
    required: true
    suboptions:
      display_name:
        description:
          - Name shown to the user.
        type: str
        required: true
      slug:
        description:
          - Machine name of the profile (lower-case letters, digits and C(-), at most 63); unique.
          - Derived from O(profiles[].display_name) when not given.
        type: str
      description:
        description:
          - Text shown under the name.
        type: str
      image:
        description:
          - The notebook image. A tag or a digest is required.
        type: dict
        required: true
        suboptions:
          repository:
            description:
              - Image repository, with the registry if not Docker Hub, without tag or digest.
            type: str
            required: true
          tag:
            description:
              - Image tag. Mutually exclusive with O(profiles[].image.digest).
            type: str
          digest:
            description:
              - Image digest (C(sha256:...)). Mutually exclusive with O(profiles[].image.tag).
            type: str
      cpu:
        description:
          - CPU guarantee (request) and limit, as Kubernetes quantities (C(2), C(0.5), C(500m)).
          - The limit must not be below the guarantee.
        type: dict
        suboptions:
          guarantee:
            description:
              - Cores reserved for the server.
            type: raw
          limit:
            description:
              - Cores the server may use at most.
            type: raw
      memory:
        description:
          - Memory guarantee (request) and limit, as Kubernetes quantities (C(512M), C(2G), C(1Gi));
            SI suffixes are powers of 10, C(Ki)/C(Mi)/C(Gi)/... powers of 2.
          - The limit must not be below the guarantee.
        type: dict
        suboptions:
          guarantee:
            description:
              - Memory reserved for the server.
            type: raw
          limit:
            description:
              - Memory the server may use at most.
            type: raw
      default:
        description:
          - The profile chosen when the user chooses none. Exactly one profile must have it.
        type: bool
        default: false
      groups:
        description:
          - AD group names (sAMAccountName, not DN; case-insensitive) whose members see the profile.
          - Empty means everyone who may log in.
        type: list
        elements: str
        default: []
      extra_volumes:
        description:
          - Kubernetes volumes for this profile, added to O(common_volumes) and to the spawner's
            own volumes. A name already in O(common_volumes) is an error.
        type: list
        elements: dict
        default: []
      extra_volume_mounts:
        description:
          - Volume mounts for this profile, added to O(common_volume_mounts) and to the spawner's
            own mounts. A mountPath already in O(common_volume_mounts) is an error.
        type: list
        elements: dict
        default: []
      kubespawner_override:
        description:
          - More KubeSpawner settings for this profile, passed through. Every key must be a
            configurable trait of KubeSpawner 7.0.0 (an unknown key fails, naming the nearest
            valid one).
          - The traits this module sets from its own options (C(image), C(cpu_guarantee),
            C(cpu_limit), C(mem_guarantee), C(mem_limit), C(volumes), C(volume_mounts)) and those
            KubeSpawner reads before a profile is chosen (C(profile_list), C(options_form), ...) are
            refused.
          - A C(storage_class) here wins over the tier's.
        type: dict
        default: {}
  common_volumes:
    description:
      - Kubernetes volumes for every profile (merged with each profile's O(profiles[].extra_volumes)).
    type: list
    elements: dict
    default: []
  common_volume_mounts:
    description:
      - Volume mounts for every profile (merged with each profile's O(profiles[].extra_volume_mounts)).
    type: list
    elements: dict
    default: []
  tiers:
    description:
      - Storage tiers by AD group. A user in a researcher group gets the researcher storage class,
        else a user in a student group the student class, else the chart's
        C(singleuser.storage.dynamic.storageClass).
      - The class is used when the user's home volume claim is created; an existing claim keeps its class.
    type: dict
    suboptions:
      student:
        description:
          - The student tier.
        type: dict
        suboptions:
          groups:
            description:
              - AD group names of students.
            type: list
            elements: str
            required: true
          storage_class:
            description:
              - Storage class of the students' home volumes.
            type: str
            required: true
      researcher:
        description:
          - The researcher tier (wins over the student tier).
        type: dict
        suboptions:
          groups:
            description:
              - AD group names of researchers.
            type: list
            elements: str
            required: true
          storage_class:
            description:
              - Storage class of the researchers' home volumes.
            type: str
            required: true
extends_documentation_fragment:
  - dsaas.platform.z2jh_values
notes:
  - The hub code expects the chart's C(jupyterhub_config.py) to have set C(c.KubeSpawner.profile_list)
    from C(singleuser.profileList), as z2jh does, before the C(hub.extraConfig) snippets run.
  - Profile volumes are merged into the spawner's volumes by name and mounts by mountPath; a profile
    volume must not reuse the name of a volume the chart adds (the home volume).
seealso:
  - module: dsaas.platform.ad_group_info
  - name: KubeSpawner profile_list
    description: The configuration the profiles are rendered into.
    link: https://jupyterhub-kubespawner.readthedocs.io/en/latest/spawner.html#kubespawner.KubeSpawner.profile_list
'''

EXAMPLES = r'''
- name: Render the notebook profiles
  dsaas.platform.jupyterhub_profiles:
    profiles:
      - display_name: Basic
        slug: basic
        description: Python and the usual libraries, 1 CPU, 2 GB.
        default: true
        image:
          repository: quay.io/jupyter/minimal-notebook
          tag: "2025-06-02"
        cpu: {guarantee: 500m, limit: 1}
        memory: {guarantee: 1G, limit: 2G}
      - display_name: Data Science
        slug: data-science
        description: Scientific Python, R and Julia, 4 CPU, 16 GiB.
        groups: [dsaas-researchers]
        image:
          repository: quay.io/jupyter/datascience-notebook
          digest: sha256:0b5bd3d1d4d0c0e5d8a9f0f4c2f0e1c0b2a4d6e8f0a1b2c3d4e5f60718293a4b
        cpu: {guarantee: 1, limit: 4}
        memory: {guarantee: 4Gi, limit: 16Gi}
        extra_volumes:
          - name: datasets
            persistentVolumeClaim: {claimName: datasets}
        extra_volume_mounts:
          - name: datasets
            mountPath: /home/jovyan/datasets
            readOnly: true
        kubespawner_override:
          extra_resource_limits: {nvidia.com/gpu: "1"}
    common_volumes:
      - name: shared
        persistentVolumeClaim: {claimName: shared}
    common_volume_mounts:
      - name: shared
        mountPath: /home/jovyan/shared
    tiers:
      student: {groups: [dsaas-students], storage_class: ontap-students}
      researcher: {groups: [dsaas-researchers], storage_class: ontap-research}
  register: profiles

- name: Use them in the chart's values
  ansible.builtin.set_fact:
    jupyterhub_values: "{{ jupyterhub_values | combine(profiles.z2jh_values, recursive=true) }}"
'''

RETURN = r'''
z2jh_values:
  description:
    - The z2jh values fragment (not called C(values), which Jinja cannot reach with dot notation). C(singleuser.profileList) holds the profiles with their
      C(kubespawner_override) (image, cpu_guarantee/cpu_limit in cores, mem_guarantee/mem_limit in
      bytes, volumes keyed by name and volume_mounts keyed by mountPath, then the given overrides);
      C(hub.extraConfig.dsaas-profiles) the Python code that filters them per user and sets the tier's
      storage class.
  returned: success
  type: dict
  contains:
    singleuser:
      description: C(profileList) for the chart.
      type: dict
    hub:
      description: C(extraConfig) with the C(dsaas-profiles) snippet.
      type: dict
  sample:
    singleuser:
      profileList:
        - display_name: Basic
          slug: basic
          default: true
          kubespawner_override:
            image: quay.io/jupyter/minimal-notebook:2025-06-02
            cpu_guarantee: 0.5
            cpu_limit: 1.0
            mem_guarantee: 1000000000
            mem_limit: 2000000000
            volumes: {shared: {name: shared, persistentVolumeClaim: {claimName: shared}}}
            volume_mounts: {/home/jovyan/shared: {name: shared, mountPath: /home/jovyan/shared}}
    hub:
      extraConfig:
        dsaas-profiles: "# dsaas.platform.jupyterhub_profiles (rendered: ...)\n..."
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dsaas.platform.plugins.module_utils.jupyterhub_profiles import (
    ProfilesError,
    render_profiles,
)


def _resource_spec():
    return dict(type='dict', options=dict(guarantee=dict(type='raw'), limit=dict(type='raw')))


def _tier_spec():
    return dict(type='dict', options=dict(
        groups=dict(type='list', elements='str', required=True),
        storage_class=dict(type='str', required=True),
    ))


def argument_spec():
    return dict(
        profiles=dict(type='list', elements='dict', required=True, options=dict(
            display_name=dict(type='str', required=True),
            slug=dict(type='str'),
            description=dict(type='str'),
            image=dict(type='dict', required=True, options=dict(
                repository=dict(type='str', required=True),
                tag=dict(type='str'),
                digest=dict(type='str'),
            )),
            cpu=_resource_spec(),
            memory=_resource_spec(),
            default=dict(type='bool', default=False),
            groups=dict(type='list', elements='str', default=[]),
            extra_volumes=dict(type='list', elements='dict', default=[]),
            extra_volume_mounts=dict(type='list', elements='dict', default=[]),
            kubespawner_override=dict(type='dict', default={}),
        )),
        common_volumes=dict(type='list', elements='dict', default=[]),
        common_volume_mounts=dict(type='list', elements='dict', default=[]),
        tiers=dict(type='dict', options=dict(student=_tier_spec(), researcher=_tier_spec())),
    )


def _without_none(value):
    """Suboptions the user left out come as None from AnsibleModule; the renderer wants them absent."""
    if isinstance(value, dict):
        return dict((k, _without_none(v)) for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    profiles = [_without_none(p) for p in params['profiles']]
    # kubespawner_override, volumes and mounts are passed through as given (None may mean "remove").
    for profile, given in zip(profiles, params['profiles']):
        for key in ('kubespawner_override', 'extra_volumes', 'extra_volume_mounts'):
            profile[key] = given[key]
    tiers = _without_none(params['tiers']) if params['tiers'] else None
    try:
        values = render_profiles(profiles, common_volumes=params['common_volumes'],
                                 common_volume_mounts=params['common_volume_mounts'], tiers=tiers)
    except ProfilesError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, z2jh_values=values)


if __name__ == '__main__':
    main()
