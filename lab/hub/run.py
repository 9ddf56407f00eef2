"""The lab's JupyterHub: the z2jh hub pod's process, run on loopback from the values the jupyterhub role wrote.

    run.py apply VALUES --namespace NS [--port 18000]   (re)start the hub when the values changed;
                                                        prints "changed" or "unchanged"
    run.py stop                                         stop it (and its proxy)
    run.py status                                       "running URL" or "stopped" (exit 1)

Run with the lab's hub runtime (Python 3.12 with the hub image's pins: `lab/lab env jupyterhub` gives
DSAAS_HUB_PYTHON). The values are coalesced onto the chart's values.yaml as Helm does, then read by
lab/hub/jupyterhub_config.py the way the chart's hub reads them. State (pid, values hash, log, cookie
secret) is in $DSAAS_LAB_STATE/hub; the merged values there are 0600 and removed on stop.
"""
import argparse
import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
STATE = os.environ.get('DSAAS_LAB_STATE') or os.path.join(ROOT, '.lab')
HUB_DIR = os.path.join(STATE, 'hub')
CHART_DEFAULTS = os.path.join(ROOT, 'roles', 'jupyterhub', 'files', 'z2jh-4.4.0', 'values.yaml')
RUNTIME = os.path.join(STATE, 'jupyterhub')

# Helm's coalescing is the collection's (module_utils/z2jh.py: copy and, guarded, jsonschema only), importable
# without ansible from the checkout's collection link, which lab/lab makes.
sys.path.insert(0, os.path.join(ROOT, '.ansible', 'collections'))
from ansible_collections.dsaas.platform.plugins.module_utils.z2jh import merge_values  # noqa: E402


def path(name):
    return os.path.join(HUB_DIR, name)


def read(name):
    try:
        with open(path(name)) as handle:
            return handle.read().strip()
    except OSError:
        return None


def running_pid():
    pid = read('pid')
    if not pid:
        return None
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError):
        return None
    return int(pid)


def answers(url):
    try:
        with urllib.request.urlopen(url + '/hub/api', timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def stop():
    pid = running_pid()
    if pid:
        os.killpg(pid, signal.SIGTERM)  # the hub, its proxy and its services: one process group
        for _attempt in range(100):
            if running_pid() is None:
                break
            time.sleep(0.2)
        else:
            os.killpg(pid, signal.SIGKILL)
    for name in ('pid', 'values.yaml', 'values.sha256'):
        if os.path.exists(path(name)):
            os.remove(path(name))
    return pid is not None


def crypt_key():
    """auth_state's key: the chart generates hub.config.CryptKeeper.keys into its Secret; the lab keeps one."""
    key_file = os.path.join(STATE, 'secrets', 'hub-crypt-key')
    if not os.path.exists(key_file):
        os.makedirs(os.path.dirname(key_file), exist_ok=True)
        with open(os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), 'w') as handle:
            handle.write(secrets.token_hex(32))
    with open(key_file) as handle:
        return handle.read().strip()


def apply(values_file, namespace, port):
    with open(values_file) as handle:
        values = yaml.safe_load(handle) or {}
    with open(CHART_DEFAULTS) as handle:
        merged = merge_values(yaml.safe_load(handle), values)
    with open(os.path.join(HERE, 'jupyterhub_config.py')) as handle:
        config = handle.read()
    digest = hashlib.sha256(json.dumps([merged, namespace, port, config], sort_keys=True).encode()).hexdigest()
    url = 'http://127.0.0.1:%d' % port
    if running_pid() and read('values.sha256') == digest and answers(url):
        return 'unchanged'
    stop()
    os.makedirs(HUB_DIR, mode=0o700, exist_ok=True)
    with open(os.open(path('values.yaml'), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w') as handle:
        yaml.safe_dump(merged, handle)
    env = dict(os.environ, DSAAS_HUB_VALUES=path('values.yaml'), DSAAS_HUB_DIR=HUB_DIR, DSAAS_HUB_PORT=str(port),
               DSAAS_HUB_API_PORT=str(port + 1), DSAAS_HUB_PROXY_API_PORT=str(port + 2),
               DSAAS_HUB_CHP=os.path.join(RUNTIME, 'chp', 'node_modules', '.bin', 'configurable-http-proxy'),
               POD_NAMESPACE=namespace, KUBECONFIG=os.path.join(STATE, 'kubernetes', 'admin.kubeconfig'),
               JUPYTERHUB_CRYPT_KEY=crypt_key(),
               PATH=os.path.join(RUNTIME, 'venv', 'bin') + os.pathsep + os.environ.get('PATH', ''))
    env.pop('CONFIGPROXY_AUTH_TOKEN', None)
    with open(path('jupyterhub.log'), 'a') as log:
        process = subprocess.Popen(
            [os.path.join(RUNTIME, 'venv', 'bin', 'jupyterhub'), '-f', os.path.join(HERE, 'jupyterhub_config.py')],
            cwd=HUB_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    with open(path('pid'), 'w') as handle:
        handle.write(str(process.pid))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if answers(url):
            with open(path('values.sha256'), 'w') as handle:
                handle.write(digest)
            return 'changed'
        time.sleep(0.3)
    stop()
    with open(path('jupyterhub.log')) as handle:
        tail = handle.read()[-3000:]
    sys.exit('the lab hub did not answer on %s within 120 s (log %s):\n%s' % (url, path('jupyterhub.log'), tail))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest='command', required=True)
    apply_cmd = commands.add_parser('apply')
    apply_cmd.add_argument('values')
    apply_cmd.add_argument('--namespace', required=True)
    apply_cmd.add_argument('--port', type=int, default=18000)
    commands.add_parser('stop')
    commands.add_parser('status')
    args = parser.parse_args()
    if args.command == 'apply':
        print(apply(args.values, args.namespace, args.port))
    elif args.command == 'stop':
        print('stopped' if stop() else 'not running')
    else:
        pid = running_pid()
        print('running pid %d' % pid if pid else 'stopped')
        sys.exit(0 if pid else 1)


if __name__ == '__main__':
    main()
