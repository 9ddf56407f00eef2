#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: trident_backend
short_description: Ensure a Trident backend (TridentBackendConfig) and its credentials Secret
version_added: 0.1.0
description:
  - Manages a C(TridentBackendConfig) (C(trident.netapp.io/v1)) for one of Trident's ONTAP drivers and the
    Kubernetes Secret that holds its ONTAP credentials, declaratively, in Trident's namespace.
  - The backend options in O(config) are checked against what Trident 26.06's driver reads, before anything
    is sent. A key the driver does not know, a key of another driver, credentials in the spec, a missing
    C(managementLIF) or C(svm), or an invalid CIDR in C(autoExportCIDRs) fail the task with every problem
    named (and the nearest valid key for a typo); nothing is changed. Trident itself would silently ignore
    an unknown key.
  - The spec is managed as a whole, the Secret's data too. A key removed from O(config) is removed from
    the spec. Labels and annotations that others put on the objects are kept.
  - Credential rotation updates the Secret only. Trident watches the Secrets in its namespace and updates
    every backend that uses a changed one with the new credentials (its documented behaviour, see
    C(frontend/crd/controller/secret.go)). Bumping an annotation on the C(TridentBackendConfig) would
    not help, because Trident ignores updates that leave the object's generation unchanged.
  - A Secret of that name that this module did not create for this backend is an error before any change.
  - O(state=absent) deletes the C(TridentBackendConfig). With O(deletion_policy=retain) (the default) Trident
    keeps the backend and everything on ONTAP; nothing on the ONTAP side is touched by this module. The
    Secret is deleted once the C(TridentBackendConfig) is gone, see O(delete_secret).
author:
  - dsaas.platform maintainers (@dsaas-platform)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
options:
  name:
    description:
      - Name of the C(TridentBackendConfig) object (a Kubernetes name).
    type: str
    required: true
  namespace:
    description:
      - Trident's namespace. Trident reads C(TridentBackendConfig) objects and their Secrets only there.
    type: str
    default: trident
  state:
    description:
      - Whether the backend configuration and its Secret should exist.
    type: str
    choices: [present, absent]
    default: present
  driver:
    description:
      - Trident storage driver (C(spec.storageDriverName)).
      - One of V(ontap-nas), V(ontap-nas-economy), V(ontap-nas-flexgroup), V(ontap-san). Another value is an
        error that lists these.
      - Required with O(state=present).
    type: str
  backend_name:
    description:
      - Trident's name of the backend (C(spec.backendName)). Defaults to O(name).
    type: str
  config:
    description:
      - The driver's options as Trident names them (C(managementLIF), C(dataLIF), C(svm), C(aggregate),
        C(nfsMountOptions), C(autoExportPolicy), C(autoExportCIDRs), C(labels), C(defaults), C(storage)
        virtual pools with C(labels), C(defaults), C(zone) and so on). C(managementLIF) and C(svm) are required.
      - Values of C(labels) and C(defaults) are sent as strings, as Trident expects them (C(snapshotReserve) 10
        becomes V("10"), a boolean V(true) becomes V("true")); C(unixPermissions) must be a quoted string.
      - C(version), C(storageDriverName), C(backendName) and C(deletionPolicy) come from this module's
        options. C(credentials) may name the Secret (C(name), C(type=secret)) and hold nothing else.
        C(username), C(password) and the CHAP secrets are refused here; see O(ontap_username).
    type: dict
    default: {}
  ontap_username:
    description:
      - ONTAP account Trident logs in with (cluster or SVM management), written into the Secret as C(username).
      - Required with O(state=present).
    type: str
  ontap_password:
    description:
      - Its password, written into the Secret as C(password). Never shown in output or diffs.
      - A different value rotates the credentials (the Secret is updated; Trident re-reads it).
      - Required with O(state=present).
    type: str
  chap:
    description:
      - Bidirectional CHAP secrets for O(driver=ontap-san) with C(useCHAP=true) in O(config), written into the
        Secret as C(chapUsername), C(chapInitiatorSecret), C(chapTargetUsername) and C(chapTargetInitiatorSecret).
    type: dict
    suboptions:
      username:
        description: Inbound CHAP user name.
        type: str
        required: true
      initiator_secret:
        description: CHAP initiator secret.
        type: str
        required: true
      target_username:
        description: Target (outbound) CHAP user name.
        type: str
        required: true
      target_initiator_secret:
        description: CHAP target initiator secret.
        type: str
        required: true
  secret_name:
    description:
      - Name of the credentials Secret. Defaults to C(config.credentials.name) or O(name) with C(-credentials).
    type: str
  deletion_policy:
    description:
      - C(spec.deletionPolicy). V(retain) keeps the Trident backend, its volumes and the ONTAP side when the
        C(TridentBackendConfig) is deleted; V(delete) makes Trident delete the backend as well.
    type: str
    choices: [retain, delete]
    default: retain
  delete_secret:
    description:
      - With O(state=absent), also delete the credentials Secret, once the C(TridentBackendConfig) is gone
        (Trident may need the credentials while it processes the deletion; a later run deletes the Secret then).
      - Only a Secret this module created for this backend is ever deleted.
      - A backend retained by Trident (O(deletion_policy=retain)) and managed further with C(tridentctl) still
        refers to the Secret; keep it with V(false) in that case.
    type: bool
    default: true
  wait:
    description:
      - Wait until Trident reports the backend C(Bound) with last operation C(Success) (with O(state=present)),
        or until the C(TridentBackendConfig) is gone (with O(state=absent)).
      - Needs a running Trident controller. Trident's status has no observed generation, so right after an
        update the status may still describe the previous configuration.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait with O(wait); the task fails after that, naming the phase, status and message it saw.
    type: int
    default: 300
  request_timeout:
    description:
      - Seconds to wait for each answer of the Kubernetes API.
    type: int
    default: 30
attributes:
  check_mode:
    support: full
    description: Reads both objects, reports what would change and writes nothing.
  diff_mode:
    support: full
    description:
      - Before and after of every changed field, flattened to paths such as C(spec.defaults.snapshotPolicy)
        and C(secret.username). Secret values (C(secret.password), the CHAP secrets) are masked.
notes:
  - Requires the C(kubernetes) Python library on the controller. The connection options are those of
    kubernetes.core; requests go to fixed paths without API discovery.
  - The API account needs get, create, update, patch and delete on C(tridentbackendconfigs) and C(secrets)
    in O(namespace), and get on the namespace.
seealso:
  - name: Trident ONTAP NAS backend options
    description: The options of the ONTAP NAS drivers.
    link: https://docs.netapp.com/us-en/trident/trident-use/ontap-nas-examples.html
  - name: Backend management with kubectl
    description: TridentBackendConfig, its Secret, deletion policy and credential updates.
    link: https://docs.netapp.com/us-en/trident/trident-use/backend_ops_kubectl.html
'''

EXAMPLES = r'''
- name: The platform's NAS backend with a virtual pool per tier
  dsaas.platform.trident_backend:
    kubeconfig: "{{ dsaas_kubernetes.kubeconfig }}"
    name: dsaas-nas
    driver: ontap-nas
    ontap_username: vsadmin-trident
    ontap_password: "{{ vault_ontap_password }}"
    config:
      managementLIF: ontap-cluster-mgmt.corp.example
      dataLIF: 10.20.50.10
      svm: svm_dsaas
      nfsMountOptions: nfsvers=4.1
      autoExportPolicy: true
      autoExportCIDRs: [10.20.30.0/24]
      labels:
        cluster: dsaas
      defaults:
        spaceReserve: none
        snapshotDir: "true"
      storage:
        - labels: {dsaas_tier: student}
          defaults: {snapshotPolicy: dsaas-daily, qosPolicy: dsaas-balanced, snapshotReserve: "10"}
        - labels: {dsaas_tier: researcher}
          defaults: {snapshotPolicy: dsaas-hourly, qosPolicy: dsaas-performance, snapshotReserve: "20"}
  register: backend

- name: Rotate the ONTAP password and wait until Trident has the backend bound again
  dsaas.platform.trident_backend:
    name: dsaas-nas
    driver: ontap-nas
    ontap_username: vsadmin-trident
    ontap_password: "{{ vault_ontap_password_new }}"
    config: "{{ dsaas_nas_config }}"
    wait: true
    wait_timeout: 120

- name: Remove the backend configuration; Trident keeps the backend and ONTAP is left alone
  dsaas.platform.trident_backend:
    name: dsaas-nas
    state: absent
'''

RETURN = r'''
name:
  description: Name of the TridentBackendConfig.
  returned: always
  type: str
  sample: dsaas-nas
namespace:
  description: Its namespace.
  returned: always
  type: str
  sample: trident
secret_name:
  description: Name of the credentials Secret.
  returned: always
  type: str
  sample: dsaas-nas-credentials
operation:
  description: What was (or in check mode would be) done, null when nothing.
  returned: always
  type: str
  sample: update
modified:
  description: The flattened fields that differ (names only, never values).
  returned: always
  type: list
  elements: str
  sample: [spec.dataLIF, secret.password]
credentials_rotated:
  description: Whether the credentials in the Secret were (or would be) changed on an existing Secret.
  returned: always
  type: bool
backend_name:
  description: Trident's backend name (from the status when Trident reported one, else from the spec).
  returned: always
  type: str
  sample: dsaas-nas
phase:
  description: Trident's phase of the TridentBackendConfig (Bound, Unbound, Lost, Deleting, Unknown); null before
    Trident has processed it (always so in a cluster without a Trident controller).
  returned: always
  type: str
  sample: Bound
last_operation_status:
  description: Result of Trident's last operation on it (Success, Failed), null when none yet.
  returned: always
  type: str
  sample: Success
uuid:
  description: Trident's backend UUID when known.
  returned: always
  type: str
  sample: 7a5e8b1c-8e2a-4f7e-9c1d-2b3e4f5a6b7c
message:
  description: Trident's last status message, when there is one.
  returned: always
  type: str
  sample: Backend 'dsaas-nas' created
secret_kept:
  description: Why the Secret was not deleted with O(state=absent), when it was not.
  returned: when O(state=absent) and the Secret was left in place
  type: str
'''

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dsaas.platform.plugins.module_utils.diff import compute_change
from ansible_collections.dsaas.platform.plugins.module_utils.k8s import (
    K8S_CONNECTION_SPEC,
    ApiAnswer,
    K8sError,
    k8s_connect,
)
from ansible_collections.dsaas.platform.plugins.module_utils.trident import (
    KIND,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    SECRET_VIEW_SECRETS,
    TridentConfigError,
    backend_status,
    backend_view,
    decode_data,
    desired_backend_config,
    desired_secret,
    desired_view,
    secret_clash,
    secret_data,
    secret_merge_patch,
    secret_owner,
    secret_path,
    tbc_path,
    validate_backend,
    wait_verdict,
)

POLL_SECONDS = 2


def argument_spec():
    spec = dict(K8S_CONNECTION_SPEC)
    spec.update(
        name=dict(type='str', required=True),
        namespace=dict(type='str', default='trident'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        driver=dict(type='str'),
        backend_name=dict(type='str'),
        config=dict(type='dict', default={}),
        ontap_username=dict(type='str'),
        ontap_password=dict(type='str', no_log=True),
        chap=dict(type='dict', no_log=True, options=dict(
            username=dict(type='str', required=True),
            initiator_secret=dict(type='str', required=True, no_log=True),
            target_username=dict(type='str', required=True),
            target_initiator_secret=dict(type='str', required=True, no_log=True),
        )),
        secret_name=dict(type='str'),
        deletion_policy=dict(type='str', choices=['retain', 'delete'], default='retain'),
        delete_secret=dict(type='bool', default=True),
        wait=dict(type='bool', default=False),
        wait_timeout=dict(type='int', default=300),
    )
    return spec


class Backend:
    """The two objects of one backend in the API, read and written with one-line errors."""

    def __init__(self, api, namespace, name, secret_name):
        self.api = api
        self.namespace = namespace
        self.name = name
        self.secret_name = secret_name
        self.tbc_what = '%s %s/%s' % (KIND, namespace, name)
        self.secret_what = 'Secret %s/%s' % (namespace, secret_name)

    def read_tbc(self):
        try:
            return self.api.get(tbc_path(self.namespace, self.name), what=self.tbc_what)
        except ApiAnswer as answer:
            if answer.status == 404:  # not a Status document: the resource type itself is not served
                raise K8sError("%s: %s (trident.netapp.io/v1) is not served: are Trident's CRDs installed?"
                               % (self.api.where(), KIND))
            raise

    def read_secret(self):
        return self.api.get(secret_path(self.namespace, self.secret_name), what=self.secret_what)

    def require_namespace(self, check_mode):
        """Fail before any change when the namespace is missing; in check mode only warn (a task before may create it)."""
        if self.api.get('/api/v1/namespaces/%s' % self.namespace, what='namespace %s' % self.namespace) is not None:
            return None
        message = ('%s: namespace %s does not exist (Trident\'s namespace: install the operator or create it first)'
                   % (self.api.where(), self.namespace))
        if check_mode:
            return message
        raise K8sError(message + '; nothing was changed')


def ensure_present(backend, params, spec, check_mode):
    tbc, secret = backend.read_tbc(), backend.read_secret()
    clash = secret_clash(secret, backend.name, backend.namespace)
    if clash:
        raise K8sError(clash)
    desired_tbc = desired_backend_config(backend.name, backend.namespace, params['driver'], spec, backend.secret_name,
                                         params['backend_name'], params['deletion_policy'])
    data = secret_data(params['ontap_username'], params['ontap_password'], params['chap'])
    current = backend_view(tbc, secret)
    change = compute_change(current, desired_view(desired_tbc, data, current), secret_keys=SECRET_VIEW_SECRETS)
    secret_changed = [key for key in change.modified if key.startswith('secret.')]
    rotated = secret is not None and bool(secret_changed)
    extra = dict(credentials_rotated=rotated)
    if change and (tbc is None or secret is None):
        warning = backend.require_namespace(check_mode)
        if warning:
            extra['warning'] = warning + ': the change would fail unless it is created first'
    written = tbc
    if change and not check_mode:
        written = apply_present(backend, tbc, secret, desired_tbc, data, change)
    return change, written, extra


def apply_present(backend, tbc, secret, desired_tbc, data, change):
    api = backend.api
    created_secret = False
    if secret is None:
        api.create(secret_path(backend.namespace), desired_secret(backend.secret_name, backend.namespace,
                                                                  backend.name, data), what=backend.secret_what)
        created_secret = True
    elif any(key.startswith('secret.') for key in change.modified):
        api.merge_patch(secret_path(backend.namespace, backend.secret_name),
                        secret_merge_patch(decode_data(secret.get('data')), data, backend.name),
                        what=backend.secret_what)
    if tbc is None:
        try:
            return api.create(tbc_path(backend.namespace), desired_tbc, what=backend.tbc_what)
        except K8sError:
            if created_secret:  # leave nothing half-made behind
                api.delete(secret_path(backend.namespace, backend.secret_name), what=backend.secret_what)
            raise
    if any(not key.startswith('secret.') for key in change.modified):
        body = dict(tbc)
        body.pop('status', None)
        metadata = dict(tbc.get('metadata') or {})
        labels = dict(metadata.get('labels') or {})
        labels[MANAGED_BY_LABEL] = MANAGED_BY
        metadata['labels'] = labels
        body['metadata'] = metadata
        body['spec'] = desired_tbc['spec']
        return api.replace(tbc_path(backend.namespace, backend.name), body, what=backend.tbc_what)
    return tbc


def ensure_absent(backend, params, check_mode, module):
    tbc, secret = backend.read_tbc(), backend.read_secret()
    ours = secret if secret is not None and secret_owner(secret) == backend.name else None
    if secret is not None and ours is None:
        module.warn('%s is not managed by dsaas.platform for %s: left alone' % (backend.secret_what, backend.tbc_what))
    deleting = tbc is not None and bool((tbc.get('metadata') or {}).get('deletionTimestamp'))
    managed_secret = ours if params['delete_secret'] else None
    # While Trident still processes an earlier deletion (finalizer), the Secret has to wait: nothing to do yet.
    change = compute_change(backend_view(None if deleting else tbc, None if deleting else managed_secret), None,
                            secret_keys=SECRET_VIEW_SECRETS)
    extra = dict(backend_name=((tbc or {}).get('spec') or {}).get('backendName'))
    if deleting and managed_secret is not None:
        extra['secret_kept'] = ('%s is still being deleted by Trident (finalizer); the Secret is deleted by a '
                                'later run once it is gone' % backend.tbc_what)
    elif ours is not None and not params['delete_secret']:
        extra['secret_kept'] = 'delete_secret is false'
    if check_mode or not change:
        return change, tbc, extra
    if tbc is not None and not deleting:
        backend.api.delete(tbc_path(backend.namespace, backend.name), what=backend.tbc_what)
    remaining = backend.read_tbc() if tbc is not None else None
    if remaining is not None and params['wait']:
        remaining = wait_for(backend, params, gone=True)
    if managed_secret is not None:
        if remaining is None:
            backend.api.delete(secret_path(backend.namespace, backend.secret_name), what=backend.secret_what)
        else:
            extra['secret_kept'] = ('%s is still being deleted by Trident (finalizer); the Secret is deleted by a '
                                    'later run once it is gone' % backend.tbc_what)
    return change, remaining, extra


def wait_for(backend, params, gone=False, fresh=False):
    """Poll until Bound/Success (or gone); K8sError with what was seen at the timeout."""
    deadline = time.time() + params['wait_timeout']
    while True:
        tbc = backend.read_tbc()
        if gone and tbc is None:
            return None
        status = backend_status(tbc)
        if not gone:
            verdict = wait_verdict(status, fresh)
            if verdict == 'ready':
                return tbc
            if verdict == 'failed':
                raise K8sError('%s: Trident could not create the backend: %s'
                               % (backend.tbc_what, status['message'] or 'no message'))
        if time.time() >= deadline:
            what = 'gone' if gone else 'Bound with last operation Success'
            raise K8sError('%s not %s after %d s (phase %s, last operation %s, message: %s)%s'
                           % (backend.tbc_what, what, params['wait_timeout'], status['phase'] or 'none',
                              status['last_operation_status'] or 'none', status['message'] or 'none',
                              '' if status['phase'] else '; is the Trident controller running?'))
        time.sleep(POLL_SECONDS)


def run(module, api, spec, secret_name):
    params = module.params
    backend = Backend(api, params['namespace'], params['name'], secret_name)
    extra = {}
    if params['state'] == 'present':
        change, tbc, extra = ensure_present(backend, params, spec, module.check_mode)
        if extra.get('warning'):
            module.warn(extra.pop('warning'))
        if params['wait'] and not module.check_mode:
            tbc = wait_for(backend, params, fresh=change.action == 'create')
    else:
        change, tbc, extra = ensure_absent(backend, params, module.check_mode, module)
    status = backend_status(tbc)
    result = dict(changed=bool(change), name=params['name'], namespace=params['namespace'], secret_name=secret_name,
                  operation=change.action, modified=list(change.modified),
                  credentials_rotated=extra.pop('credentials_rotated', False),
                  backend_name=status['backend_name'] or (((tbc or {}).get('spec') or {}).get('backendName')) or
                  extra.pop('backend_name', None) or params['backend_name'] or params['name'],
                  phase=status['phase'], last_operation_status=status['last_operation_status'],
                  uuid=status['backend_uuid'], message=status['message'])
    extra.pop('backend_name', None)
    result.update(extra)
    if module._diff:
        result['diff'] = change.masked()
    return result


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_if=[('state', 'present', ['driver'])])
    try:
        spec, secret_name = validate_backend(module.params)
    except TridentConfigError as exc:
        module.fail_json(msg='%s: %s; nothing was changed' % (KIND, exc), errors=exc.errors)
    try:
        api = k8s_connect(module)
        result = run(module, api, spec, secret_name)
    except K8sError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
