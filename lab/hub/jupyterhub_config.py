# The lab's stand-in for the z2jh 4.4 hub pod's jupyterhub_config.py: the same values document, read the
# way the chart reads it, with loopback stand-ins for what the chart takes from the pod and its Services.
#
# Environment (set by lab/hub/run.py, or by tests/integration/hubs.py for a test's own hub):
#   DSAAS_HUB_VALUES   the values, already coalesced onto the chart's values.yaml (z2jh.merge_values)
#   DSAAS_HUB_DIR      the hub's state directory (cookie secret; extraFiles under DIR/root)
#   DSAAS_HUB_PORT, DSAAS_HUB_API_PORT, DSAAS_HUB_PROXY_API_PORT, DSAAS_HUB_CHP
#   POD_NAMESPACE      where KubeSpawner creates the user pods (the chart sets it from the pod's namespace)
#   KUBECONFIG         the lab API (the chart's hub uses its in-cluster service account); without it (and
#                      without KUBERNETES_SERVICE_HOST) the hub keeps JupyterHub's default spawner
# What the lab leaves out: the chart's Kubernetes objects themselves (Deployments, Services, NetworkPolicies,
# the user-scheduler, the pre-puller); user pods on kwok nodes never start a notebook server.
# ruff: noqa: F821  (c is JupyterHub's config object)
import base64
import json
import os
import sys

import yaml

with open(os.environ["DSAAS_HUB_VALUES"]) as _f:
    _values = yaml.safe_load(_f)
_dir = os.environ["DSAAS_HUB_DIR"]
_root = os.path.join(_dir, "root")


def get_config(key, default=None):
    value = _values
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return default
        value = value[part]
    return default if value is None else value


def set_if(section, trait, key):
    value = get_config(key)
    if value is not None:
        setattr(section, trait, value)


def lab_path(path):
    """A path in the hub pod as the lab hub sees it: under DIR/root when an extraFile put it there."""
    if isinstance(path, str) and path.startswith("/") and os.path.exists(_root + path):
        return _root + path
    return path


def relocate(value):
    if isinstance(value, dict):
        return {k: relocate(v) for k, v in value.items()}
    if isinstance(value, list):
        return [relocate(v) for v in value]
    return lab_path(value)


# hub.extraFiles: written where the chart mounts them, under DIR/root
for _name, _file in get_config("hub.extraFiles", {}).items():
    _target = _root + _file["mountPath"]
    os.makedirs(os.path.dirname(_target), exist_ok=True)
    if "binaryData" in _file:
        _content = base64.b64decode("".join(_file["binaryData"].split()))
    elif "stringData" in _file:
        _content = _file["stringData"].encode()
    else:
        _data = _file.get("data", {})
        _content = (json.dumps(_data) if _target.endswith(".json") else yaml.safe_dump(_data)).encode()
    with open(_target, "wb") as _out:
        _out.write(_content)
    os.chmod(_target, int(str(_file.get("mode", "0644")), 8) if isinstance(_file.get("mode"), str) else _file.get("mode", 0o644))

# loopback stand-ins for the pod, its Services and the proxy pod
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = int(os.environ["DSAAS_HUB_PORT"])
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ["DSAAS_HUB_API_PORT"])
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:" + os.environ["DSAAS_HUB_PROXY_API_PORT"]
c.ConfigurableHTTPProxy.command = [os.environ["DSAAS_HUB_CHP"]]
c.JupyterHub.cookie_secret_file = os.path.join(_dir, "cookie_secret")
c.JupyterHub.cleanup_servers = False
c.JupyterHub.last_activity_interval = 60
c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 0}

# hub.db as the chart configures it (the password reaches the hub as PGPASSWORD / MYSQL_PWD)
_db_type = get_config("hub.db.type", "sqlite-pvc")  # the chart's default, for values without hub.db
if _db_type == "sqlite-pvc":
    c.JupyterHub.db_url = "sqlite:///" + os.path.join(_dir, "jupyterhub.sqlite")
elif _db_type == "sqlite-memory":
    c.JupyterHub.db_url = "sqlite://"
else:
    set_if(c.JupyterHub, "db_url", "hub.db.url")
_db_password = get_config("hub.db.password")
if _db_password is not None:
    if _db_type == "postgres":
        os.environ["PGPASSWORD"] = _db_password
    elif _db_type == "mysql":
        os.environ["MYSQL_PWD"] = _db_password
set_if(c.JupyterHub, "upgrade_db", "hub.db.upgrade")

for _trait, _key in (
    ("concurrent_spawn_limit", "hub.concurrentSpawnLimit"),
    ("active_server_limit", "hub.activeServerLimit"),
    ("base_url", "hub.baseUrl"),
    ("allow_named_servers", "hub.allowNamedServers"),
    ("named_server_limit_per_user", "hub.namedServerLimitPerUser"),
    ("redirect_to_server", "hub.redirectToServer"),
    ("shutdown_on_logout", "hub.shutdownOnLogout"),
    ("template_vars", "hub.templateVars"),
):
    set_if(c.JupyterHub, _trait, _key)
if get_config("hub.templatePaths"):
    c.JupyterHub.template_paths = [lab_path(p) for p in get_config("hub.templatePaths")]

# KubeSpawner from singleuser.*. KubeSpawner needs a Kubernetes config as soon as a spawner object exists
# (a user's home page creates one), so it is the spawner only with an API to talk to: KUBECONFIG (run.py) or
# the in-cluster environment. Without one (tests that only need logins and pages, tests/integration/hubs.py)
# the hub keeps JupyterHub's default spawner; the c.KubeSpawner settings below are then unused.
if os.environ.get("KUBECONFIG") or os.environ.get("KUBERNETES_SERVICE_HOST"):
    c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
c.KubeSpawner.namespace = os.environ.get("POD_NAMESPACE", "default")
c.KubeSpawner.common_labels = {"app": "jupyterhub", "heritage": "jupyterhub", "release": "jupyterhub"}
for _trait, _key in (
    ("pod_name_template", "podNameTemplate"),
    ("start_timeout", "startTimeout"),
    ("image_pull_policy", "image.pullPolicy"),
    ("events_enabled", "events"),
    ("extra_labels", "extraLabels"),
    ("extra_annotations", "extraAnnotations"),
    ("uid", "uid"),
    ("fs_gid", "fsGid"),
    ("service_account", "serviceAccountName"),
    ("storage_extra_labels", "storage.extraLabels"),
    ("node_selector", "nodeSelector"),
    ("mem_limit", "memory.limit"),
    ("mem_guarantee", "memory.guarantee"),
    ("cpu_limit", "cpu.limit"),
    ("cpu_guarantee", "cpu.guarantee"),
    ("environment", "extraEnv"),
    ("profile_list", "profileList"),
    ("extra_pod_config", "extraPodConfig"),
    ("allow_privilege_escalation", "allowPrivilegeEscalation"),
    ("cmd", "cmd"),
    ("default_url", "defaultUrl"),
):
    set_if(c.KubeSpawner, _trait, "singleuser." + _key)
_image = get_config("singleuser.image.name")
if _image:
    _tag = get_config("singleuser.image.tag")
    c.KubeSpawner.image = "%s:%s" % (_image, _tag) if _tag else _image

if get_config("singleuser.storage.type") == "dynamic":
    _pvc = get_config("singleuser.storage.dynamic.pvcNameTemplate")
    if _pvc:
        c.KubeSpawner.pvc_name_template = _pvc
    _volume = get_config("singleuser.storage.dynamic.volumeNameTemplate")
    c.KubeSpawner.storage_pvc_ensure = True
    set_if(c.KubeSpawner, "storage_class", "singleuser.storage.dynamic.storageClass")
    set_if(c.KubeSpawner, "storage_access_modes", "singleuser.storage.dynamic.storageAccessModes")
    set_if(c.KubeSpawner, "storage_capacity", "singleuser.storage.capacity")
    c.KubeSpawner.volumes = [{"name": _volume, "persistentVolumeClaim": {"claimName": "{pvc_name}"}}]
    c.KubeSpawner.volume_mounts = [{"mountPath": get_config("singleuser.storage.homeMountPath"), "name": _volume}]
c.KubeSpawner.volumes.extend(get_config("singleuser.storage.extraVolumes", []))
c.KubeSpawner.volume_mounts.extend(get_config("singleuser.storage.extraVolumeMounts", []))

# culling: the chart's jupyterhub-idle-culler service, run by the hub
c.JupyterHub.services = []
c.JupyterHub.load_roles = []
if get_config("cull.enabled"):
    _cull = [sys.executable, "-m", "jupyterhub_idle_culler",
             "--timeout=%d" % get_config("cull.timeout", 3600), "--cull-every=%d" % get_config("cull.every", 600),
             "--concurrency=%d" % get_config("cull.concurrency", 10)]
    _scopes = ["list:users", "read:users:activity", "read:servers", "delete:servers"]
    if get_config("cull.users"):
        _cull.append("--cull-users")
        _scopes.append("admin:users")
    if not get_config("cull.adminUsers", True):
        _cull.append("--cull-admin-users=false")
    if get_config("cull.maxAge"):
        _cull.append("--max-age=%d" % get_config("cull.maxAge"))
    c.JupyterHub.services.append({"name": "jupyterhub-idle-culler", "command": _cull})
    c.JupyterHub.load_roles.append({"name": "jupyterhub-idle-culler", "scopes": _scopes,
                                    "services": ["jupyterhub-idle-culler"]})

for _key, _service in get_config("hub.services", {}).items():
    _service.setdefault("name", _key)
    if "apiToken" in _service:
        _service["api_token"] = _service.pop("apiToken")
    c.JupyterHub.services.append(_service)
for _key, _role in get_config("hub.loadRoles", {}).items():
    _role.setdefault("name", _key)
    c.JupyterHub.load_roles.append(_role)

# hub.config, then hub.extraConfig in key order, as the chart does
for _app, _cfg in get_config("hub.config", {}).items():
    if _app == "JupyterHub":
        for _secret in ("proxy_auth_token", "cookie_secret", "services"):
            _cfg.pop(_secret, None)
    elif _app == "ConfigurableHTTPProxy":
        _cfg.pop("auth_token", None)
    elif _app == "CryptKeeper":
        _cfg.pop("keys", None)  # the lab gives JUPYTERHUB_CRYPT_KEY instead of the chart's Secret
    c[_app].update(relocate(_cfg))

for _key, _config_py in sorted(get_config("hub.extraConfig", {}).items()):
    print("Loading extra config: %s" % _key)
    exec(_config_py)
