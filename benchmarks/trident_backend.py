# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of issue 6: a no-op dsaas.platform.trident_backend vs a bare kubernetes.core.k8s_info of the same object.

Seeds (idempotently) in the lab's Kubernetes API a namespace ``dsaas-bench-trident`` holding the
TridentBackendConfig ``bench-nas`` and its credentials Secret, made by the module itself, then times,
interleaved, each as one ad-hoc ``ansible localhost -m ...`` run with the JSON callback, as an operator runs them:

    A  dsaas.platform.trident_backend with the same arguments again: nothing to change (reads the
       TridentBackendConfig and the Secret, compares, validates the config)
    B  kubernetes.core.k8s_info of that TridentBackendConfig (reads it, nothing else)

and prints every round, the medians, the ratio A/B of the medians (goal <= 1.5) and of the minimums, all measured
in this run. Both pay Ansible's start-up; that is what a user waits for.

    .venv/bin/python benchmarks/trident_backend.py [--rounds N] [--remove]

See the README, section Storage.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAB_STATE = os.environ.get('DSAAS_LAB_STATE') or os.path.join(REPO, '.lab')
KUBECONFIG = os.environ.get('K8S_AUTH_KUBECONFIG') or os.path.join(LAB_STATE, 'kubernetes', 'admin.kubeconfig')
VENV_BIN = os.path.dirname(sys.executable)
NAMESPACE = 'dsaas-bench-trident'
NAME = 'bench-nas'
BACKEND = dict(
    kubeconfig=KUBECONFIG, namespace=NAMESPACE, name=NAME, driver='ontap-nas', ontap_username='vsadmin-bench',
    ontap_password='bench-only-not-a-secret',
    config=dict(managementLIF='192.0.2.10', dataLIF='192.0.2.11', svm='svm_bench', nfsMountOptions='nfsvers=4.1',
                autoExportPolicy=True, autoExportCIDRs=['10.0.0.0/8'], labels=dict(cluster='bench'),
                defaults=dict(spaceReserve='none', snapshotDir='true'),
                storage=[dict(labels=dict(dsaas_tier='student'),
                              defaults=dict(snapshotPolicy='dsaas-daily', qosPolicy='dsaas-balanced')),
                         dict(labels=dict(dsaas_tier='researcher'),
                              defaults=dict(snapshotPolicy='dsaas-hourly', qosPolicy='dsaas-performance'))]))
INFO = dict(kubeconfig=KUBECONFIG, api_version='trident.netapp.io/v1', kind='TridentBackendConfig',
            namespace=NAMESPACE, name=NAME)


class BenchError(Exception):
    pass


def adhoc(module, args):
    """(seconds, result) of one ad-hoc run of module on localhost with the checkout's collection."""
    cmd = [os.path.join(VENV_BIN, 'ansible'), 'localhost', '-i', os.path.join(REPO, 'inventories', 'lab'),
           '-m', module, '-a', json.dumps(args)]
    env = dict(os.environ, ANSIBLE_LOAD_CALLBACK_PLUGINS='1', ANSIBLE_STDOUT_CALLBACK='ansible.posix.json',
               ANSIBLE_NOCOLOR='1', DSAAS_LAB_STATE=LAB_STATE)
    started = time.perf_counter()
    completed = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - started
    try:
        result = json.loads(completed.stdout)['plays'][0]['tasks'][0]['hosts']['localhost']
    except (ValueError, KeyError, IndexError):
        raise BenchError('%s: no result (%s)' % (module, ' '.join((completed.stdout + completed.stderr).split())[:300]))
    if result.get('failed'):
        raise BenchError('%s failed: %s' % (module, result.get('msg')))
    return seconds, result


def bench_namespace(present):
    """Create (present=True) or delete the bench namespace with the module's own client library."""
    import kubernetes  # pylint: disable=import-outside-toplevel
    api = kubernetes.client.CoreV1Api(kubernetes.config.new_client_from_config(config_file=KUBECONFIG))
    names = [item.metadata.name for item in api.list_namespace().items]
    if present and NAMESPACE not in names:
        api.create_namespace({'metadata': {'name': NAMESPACE}})
        return 'created namespace %s' % NAMESPACE
    if not present and NAMESPACE in names:
        api.delete_namespace(NAMESPACE)
        return 'deleted namespace %s (and the objects in it)' % NAMESPACE
    return 'namespace %s %s' % (NAMESPACE, 'exists' if present else 'absent')


def seed():
    print('seed: %s' % bench_namespace(True))
    seconds, result = adhoc('dsaas.platform.trident_backend', BACKEND)
    state = 'created' if result['changed'] else 'exists'
    print('seed: trident_backend %s/%s %s in %.2f s' % (NAMESPACE, NAME, state, seconds))


def benchmark(rounds):
    adhoc('dsaas.platform.trident_backend', BACKEND)  # warm-up: caches on both sides
    adhoc('kubernetes.core.k8s_info', INFO)
    times_a, times_b = [], []
    for number in range(1, rounds + 1):
        seconds_a, result_a = adhoc('dsaas.platform.trident_backend', BACKEND)
        seconds_b, result_b = adhoc('kubernetes.core.k8s_info', INFO)
        if result_a['changed'] or len(result_b.get('resources') or []) != 1:
            raise BenchError('round %d: A changed=%s, B found %d objects: not the same no-op'
                             % (number, result_a['changed'], len(result_b.get('resources') or [])))
        times_a.append(seconds_a)
        times_b.append(seconds_b)
        print('  round %d: A %.3f s  B %.3f s  A/B %.2f' % (number, seconds_a, seconds_b, seconds_a / seconds_b))
        sys.stdout.flush()
    median_a, median_b = statistics.median(times_a), statistics.median(times_b)
    ratio = median_a / median_b
    print('A trident_backend, no-op (GET TridentBackendConfig + GET Secret): median %.3f s, min %.3f s'
          % (median_a, min(times_a)))
    print('B k8s_info of the same TridentBackendConfig:                    median %.3f s, min %.3f s'
          % (median_b, min(times_b)))
    print('ratio A/B of medians: %.2f (goal <= 1.5: %s); ratio of minimums: %.2f'
          % (ratio, 'met' if ratio <= 1.5 else 'NOT met', min(times_a) / min(times_b)))
    return ratio


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=7, help='timed rounds of A and B (default 7)')
    parser.add_argument('--remove', action='store_true', help='delete the bench namespace and stop')
    args = parser.parse_args()
    try:
        if args.remove:
            print('remove: %s' % bench_namespace(False))
            return 0
        print('bench: Kubernetes API from %s, %d rounds A,B after one warm-up' % (KUBECONFIG, args.rounds))
        seed()
        benchmark(args.rounds)
    except BenchError as exc:
        print('error: %s' % exc, file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
