# -*- coding: utf-8 -*-
"""Notebook profiles (dsaas.platform.jupyterhub_profiles) against the real things they are written for:

* the z2jh 4.4 values schema (``../shared/contracts/z2jh``), over the chart's own values.yaml;
* the hub code run by the pinned hub runtime's Python (JupyterHub 5.5.0, KubeSpawner 7.0.0, cached
  by the lab under ~/.cache/dsaas-lab/jupyterhub/<hash>/venv): ``hub.extraConfig`` is exec'd with a
  traitlets ``Config`` that holds what z2jh's jupyterhub_config.py puts there, and a real
  ``KubeSpawner`` (its ``_mock`` mode: no Kubernetes API) with a stub user whose
  ``get_auth_state()`` returns the AD groups then lists, renders and loads the profiles;
* the module itself, run by ansible ad hoc (one valid, one invalid input).

No lab service is needed.
"""
import copy
import glob
import json
import os
import subprocess

import pytest
import yaml

from conftest import run_module, z2jh_contract

from ansible_collections.dsaas.platform.plugins.module_utils.jupyterhub_profiles import (
    EXTRA_CONFIG_KEY,
    KUBESPAWNER_TRAITS,
    render_profiles,
)
from ansible_collections.dsaas.platform.plugins.module_utils.z2jh import merge_values, schema_errors

CACHE = os.path.join(os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'), 'dsaas-lab', 'jupyterhub')
DIGEST = 'sha256:' + '0123456789abcdef' * 4

PROFILES = [
    {'display_name': 'Basic', 'slug': 'basic', 'description': 'Python, 1 CPU, 2 GB', 'default': True,
     'image': {'repository': 'quay.io/jupyter/minimal-notebook', 'tag': '2025-06-02'},
     'cpu': {'guarantee': '500m', 'limit': '1'}, 'memory': {'guarantee': '1G', 'limit': '2G'}},
    {'display_name': 'Data Science', 'slug': 'data-science', 'description': 'Python, R, Julia; 4 CPU, 16 GiB',
     'groups': ['DSAAS-Researchers'],
     'image': {'repository': 'quay.io/jupyter/datascience-notebook', 'digest': DIGEST},
     'cpu': {'guarantee': 1, 'limit': 4}, 'memory': {'guarantee': '4Gi', 'limit': '16Gi'},
     'extra_volumes': [{'name': 'datasets', 'persistentVolumeClaim': {'claimName': 'datasets', 'readOnly': True}}],
     'extra_volume_mounts': [{'name': 'datasets', 'mountPath': '/home/jovyan/datasets', 'readOnly': True}],
     'kubespawner_override': {'extra_resource_limits': {'nvidia.com/gpu': '1'},
                              'environment': {'DSAAS_PROFILE': 'data-science'}}},
    {'display_name': 'Teaching', 'slug': 'teaching',
     'groups': ['dsaas-students'],
     'image': {'repository': 'quay.io/jupyter/scipy-notebook', 'tag': 'python-3.12'},
     'memory': {'limit': '1Gi'}},
]
COMMON = {
    'common_volumes': [{'name': 'shared', 'persistentVolumeClaim': {'claimName': 'dsaas-shared'}}],
    'common_volume_mounts': [{'name': 'shared', 'mountPath': '/home/jovyan/shared'}],
    'tiers': {'student': {'groups': ['dsaas-students'], 'storage_class': 'ontap-students'},
              'researcher': {'groups': ['dsaas-researchers'], 'storage_class': 'ontap-research'}},
}


def rendered():
    return render_profiles(copy.deepcopy(PROFILES), **copy.deepcopy(COMMON))


# ------------------------------------------------------------------------------ (a) the contract ---

def test_values_validate_against_the_z2jh_schema():
    chart_values, schema = z2jh_contract()
    values = rendered()
    # YAML round trip, as helm gets it
    values = yaml.safe_load(yaml.safe_dump(values))
    merged = merge_values(chart_values, values)
    assert schema_errors(merged, schema) == []
    assert merged['singleuser']['profileList'] == values['singleuser']['profileList']
    # and the chart's own values alone are valid (the test can tell valid from invalid)
    assert schema_errors(merge_values(chart_values, {'singleuser': {'profilelist': []}}), schema)


# ---------------------------------------------------------------------- (b) the hub code for real ---

def hub_python():
    for python in sorted(glob.glob(os.path.join(CACHE, '*', 'venv', 'bin', 'python'))):
        probe = subprocess.run([python, '-c', 'import importlib.metadata as m; print(m.version("jupyterhub"), '
                                              'm.version("jupyterhub-kubespawner"))'],
                               capture_output=True, text=True, check=False)
        if probe.returncode == 0 and probe.stdout.split() == ['5.5.0', '7.0.0']:
            return python
    pytest.skip('no hub runtime with JupyterHub 5.5.0 + KubeSpawner 7.0.0 under %s (lab/lab builds it)' % CACHE)


HUB_SCRIPT = r'''
import asyncio
import json
import logging
import sys

from kubespawner import KubeSpawner
from traitlets.config import Config

logging.basicConfig(level=logging.WARNING)
documents = json.load(sys.stdin)


def hub_config(values):
    """What z2jh's jupyterhub_config.py leaves in c before the extraConfig snippets, then the snippets."""
    c = Config()
    c.KubeSpawner.profile_list = values["singleuser"]["profileList"]
    c.KubeSpawner.storage_class = "chart-default"
    c.KubeSpawner.volumes = [{"name": "volume-{user_server}",
                              "persistentVolumeClaim": {"claimName": "{pvc_name}"}}]
    c.KubeSpawner.volume_mounts = [{"name": "volume-{user_server}", "mountPath": "/home/jovyan"}]
    for key in sorted(values["hub"]["extraConfig"]):
        exec(compile(values["hub"]["extraConfig"][key], key, "exec"), {"c": c})
    return c


class Group:
    def __init__(self, name):
        self.name = name


class User:
    """Enough of jupyterhub.user.User for KubeSpawner and the profile code."""

    def __init__(self, name, groups, auth_state=True, hub_groups=()):
        self.name = name
        self.id = 1
        self.url = "/user/%s/" % name
        self._auth_state = {"groups": groups, "group_dns": []} if auth_state else None
        self.groups = [Group(g) for g in hub_groups]

    async def get_auth_state(self):
        return self._auth_state


async def probe(config, name, groups, **kwargs):
    spawner = KubeSpawner(_mock=True, user=User(name, groups, **kwargs), config=config)
    out = {"callable": callable(spawner.profile_list) and asyncio.iscoroutinefunction(spawner.profile_list)}
    try:
        profiles = await spawner.profile_list(spawner)
    except Exception as exc:
        out["error"] = "%s: %s" % (type(exc).__name__, exc)
        try:
            await spawner.get_options_form()  # what JupyterHub's spawn page calls
        except Exception as form_exc:
            out["form_error"] = "%s: %s" % (type(form_exc).__name__, form_exc)
        return out
    out["visible"] = [p["slug"] for p in profiles]
    out["storage_class"] = spawner.storage_class
    out["form"] = await spawner.get_options_form()  # what JupyterHub's spawn page calls
    out["spawns"] = {}
    for slug in ("data-science", "basic", "teaching"):  # the same spawner: overrides must not pile up
        spawner.user_options = {"profile": slug}
        try:
            await spawner.load_user_options()
        except Exception as exc:
            out["spawns"][slug] = {"error": "%s: %s" % (type(exc).__name__, exc)}
            continue
        out["spawns"][slug] = {
            "image": spawner.image, "cpu_guarantee": spawner.cpu_guarantee, "cpu_limit": spawner.cpu_limit,
            "mem_guarantee": spawner.mem_guarantee, "mem_limit": spawner.mem_limit,
            "storage_class": spawner.storage_class,
            "volumes": [v["name"] for v in spawner._sorted_dict_values(spawner.volumes)],
            "mounts": [m["mountPath"] for m in spawner._sorted_dict_values(spawner.volume_mounts)],
            "pod_volumes": [v["name"] for v in spawner._expand_all(spawner._sorted_dict_values(spawner.volumes))],
            "environment": spawner.environment,
            "extra_resource_limits": spawner.extra_resource_limits,
        }
    return out


async def main():
    config = hub_config(documents["values"])
    restricted = hub_config(documents["restricted"])
    result = {
        "traits": sorted(KubeSpawner.class_trait_names(config=True)),
        "student": await probe(config, "stella", ["dsaas-students", "Domain-Other"]),
        "both": await probe(config, "bob", ["dsaas-students", "dsaas-researchers"]),
        "researcher": await probe(config, "rita", ["DSAAS-RESEARCHERS"]),
        "nobody": await probe(config, "nora", []),
        "hub_groups": await probe(config, "hugo", None, auth_state=False, hub_groups=["dsaas-researchers"]),
        "restricted_nobody": await probe(restricted, "nora", ["other"]),
    }
    print(json.dumps(result, default=str))


asyncio.run(main())
'''


# KubeSpawner loads a kubeconfig when it is created, even in _mock mode; this one is never contacted.
KUBECONFIG = {
    'apiVersion': 'v1', 'kind': 'Config', 'current-context': 'none',
    'clusters': [{'name': 'none', 'cluster': {'server': 'https://127.0.0.1:9'}}],
    'users': [{'name': 'none', 'user': {'token': 'unused'}}],
    'contexts': [{'name': 'none', 'context': {'cluster': 'none', 'user': 'none', 'namespace': 'dsaas'}}],
}


@pytest.fixture(scope='module')
def hub_run(tmp_path_factory):
    python = hub_python()
    kubeconfig = tmp_path_factory.mktemp('hub') / 'kubeconfig'
    kubeconfig.write_text(yaml.safe_dump(KUBECONFIG))
    env = dict(os.environ, KUBECONFIG=str(kubeconfig))
    env.pop('KUBERNETES_SERVICE_HOST', None)
    restricted = render_profiles([dict(PROFILES[0], groups=['dsaas-staff'])])
    completed = subprocess.run([python, '-c', HUB_SCRIPT], input=json.dumps({'values': rendered(),
                                                                             'restricted': restricted}),
                               capture_output=True, text=True, check=False, timeout=120, env=env)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_trait_list_matches_the_pinned_kubespawner(hub_run):
    assert sorted(KUBESPAWNER_TRAITS) == hub_run['traits']


def test_student_sees_student_and_everyone_profiles(hub_run):
    student = hub_run['student']
    assert student['callable']
    assert student['visible'] == ['basic', 'teaching']
    assert student['storage_class'] == 'ontap-students'
    assert 'Teaching' in student['form'] and 'Basic' in student['form'] and 'Data Science' not in student['form']
    # posting the slug of a profile the student may not see does not work either
    assert 'No such profile: data-science' in student['spawns']['data-science']['error']
    assert student['spawns']['teaching']['mem_limit'] == 2 ** 30
    assert student['spawns']['teaching']['storage_class'] == 'ontap-students'


def test_researcher_and_student_gets_the_researcher_tier(hub_run):
    both = hub_run['both']
    assert both['visible'] == ['basic', 'data-science', 'teaching']
    assert both['storage_class'] == 'ontap-research'
    assert both['spawns']['data-science']['storage_class'] == 'ontap-research'


def test_researcher_spawns_data_science(hub_run):
    researcher = hub_run['researcher']
    assert researcher['visible'] == ['basic', 'data-science']  # group names compare case-insensitively
    assert researcher['storage_class'] == 'ontap-research'
    spawn = researcher['spawns']['data-science']
    assert spawn['image'] == 'quay.io/jupyter/datascience-notebook@' + DIGEST
    assert (spawn['cpu_guarantee'], spawn['cpu_limit']) == (1.0, 4.0)
    assert (spawn['mem_guarantee'], spawn['mem_limit']) == (4 * 2 ** 30, 16 * 2 ** 30)
    assert spawn['extra_resource_limits'] == {'nvidia.com/gpu': '1'}
    assert spawn['environment']['DSAAS_PROFILE'] == 'data-science'
    # merged, not replaced (z2jh#2556): the home volume stays next to the common and profile ones
    assert spawn['volumes'] == ['datasets', 'shared', 'volume-{user_server}']
    assert spawn['pod_volumes'] == ['datasets', 'shared', 'volume-rita']
    assert spawn['mounts'] == ['/home/jovyan', '/home/jovyan/datasets', '/home/jovyan/shared']


def test_next_spawn_does_not_keep_the_previous_profile(hub_run):
    basic = hub_run['researcher']['spawns']['basic']
    assert basic['image'] == 'quay.io/jupyter/minimal-notebook:2025-06-02'
    assert (basic['cpu_guarantee'], basic['cpu_limit']) == (0.5, 1.0)
    assert (basic['mem_guarantee'], basic['mem_limit']) == (10 ** 9, 2 * 10 ** 9)
    assert basic['volumes'] == ['shared', 'volume-{user_server}']
    assert basic['mounts'] == ['/home/jovyan', '/home/jovyan/shared']


def test_user_without_tier_keeps_the_chart_class(hub_run):
    nobody = hub_run['nobody']
    assert nobody['visible'] == ['basic']
    assert nobody['storage_class'] == 'chart-default'


def test_hub_groups_without_auth_state(hub_run):
    hugo = hub_run['hub_groups']
    assert hugo['visible'] == ['basic', 'data-science']
    assert hugo['storage_class'] == 'ontap-research'


def test_user_with_no_profile_is_refused(hub_run):
    refused = hub_run['restricted_nobody']
    assert refused['error'].startswith('HTTPError: HTTP 403')
    assert 'No notebook profile is available to nora' in refused['error']
    assert 'HTTP 403' in refused['form_error']


# --------------------------------------------------------------------------- the module, ad hoc ---

def test_module_renders():
    args = dict(copy.deepcopy(COMMON), profiles=copy.deepcopy(PROFILES))
    run = run_module('dsaas.platform.jupyterhub_profiles', args, '--check')
    assert not run.failed, run.output
    assert run.result['changed'] is False
    assert run.result['z2jh_values'] == json.loads(json.dumps(rendered()))
    assert EXTRA_CONFIG_KEY in run.result['z2jh_values']['hub']['extraConfig']


def test_module_refuses_bad_input():
    profiles = copy.deepcopy(PROFILES)
    profiles[1]['cpu'] = {'guarantee': '2', 'limit': '1500m'}
    run = run_module('dsaas.platform.jupyterhub_profiles', dict(COMMON, profiles=profiles))
    assert run.failed
    assert run.msg == "profiles[1] (slug 'data-science').cpu: limit 1500m is less than guarantee 2"
    assert 'z2jh_values' not in run.result


def test_module_refuses_unknown_override_key():
    profiles = copy.deepcopy(PROFILES)
    profiles[0]['kubespawner_override'] = {'node_selectors': {'gpu': 'true'}}
    run = run_module('dsaas.platform.jupyterhub_profiles', dict(COMMON, profiles=profiles))
    assert run.failed
    assert "'node_selectors' is not a KubeSpawner 7.0.0 trait; did you mean 'node_selector'?" in run.msg


def test_module_refuses_unknown_profile_key():
    profiles = copy.deepcopy(PROFILES)
    profiles[0]['memroy'] = {'limit': '1G'}
    run = run_module('dsaas.platform.jupyterhub_profiles', dict(COMMON, profiles=profiles))
    assert run.failed
    assert 'memroy' in run.msg
