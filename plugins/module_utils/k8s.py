# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One way to reach the Kubernetes API: kubernetes.core's connection options and client configuration.

Every module of the collection that talks to the API merges ``K8S_CONNECTION_SPEC`` (kubernetes.core's
``AUTH_ARG_SPEC`` plus ``request_timeout``) into its spec, documents it with the doc fragment
``kubernetes.core.k8s_auth_options`` and calls ``k8s_connect``. The client is configured exactly as
kubernetes.core configures its own (kubeconfig, context, host, token, certificates, proxy, impersonation,
the ``K8S_AUTH_*`` environment variables, in-cluster), so a user learns the options once.

Requests go straight to fixed REST paths: no discovery round trips, a timeout on every request, and
every failure becomes one line that names the API's URL and the cause (``K8sError``), never a traceback.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import re

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC

try:
    import kubernetes  # noqa: F401 pylint: disable=unused-import
    from kubernetes.dynamic import DynamicClient
    from kubernetes.dynamic.exceptions import DynamicApiError
    HAS_KUBERNETES = True
    KUBERNETES_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the controller
    HAS_KUBERNETES = False
    KUBERNETES_IMPORT_ERROR = exc
    DynamicClient = object

    class DynamicApiError(Exception):
        """Stand-in so that the except clauses stay valid without the library."""

try:
    from urllib3.exceptions import HTTPError as Urllib3Error
except ImportError:  # pragma: no cover - urllib3 comes with kubernetes
    Urllib3Error = OSError

try:
    # How kubernetes.core turns its options (and K8S_AUTH_* variables) into a client configuration.
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import (
        _create_auth_spec,
        _create_configuration,
        _create_headers,
        _set_header,
    )
    HAS_CORE_CONFIGURATION = True
except ImportError:  # pragma: no cover - a kubernetes.core that renamed them: use its public entry point
    HAS_CORE_CONFIGURATION = False

PEER = 'Kubernetes API'
DEFAULT_REQUEST_TIMEOUT = 30

K8S_CONNECTION_SPEC = dict(copy.deepcopy(AUTH_ARG_SPEC),
                           request_timeout=dict(type='int', default=DEFAULT_REQUEST_TIMEOUT))


class K8sError(Exception):
    """A one-line, operator-facing reason why the API could not be used."""


def one_line(text):
    return ' '.join(str(text).split())


def connection_cause(exc):
    """The cause of a transport failure in the words an operator searches for (socket error first)."""
    text = one_line(getattr(exc, 'reason', None) or exc)
    errno = re.search(r'\[Errno -?[0-9]+\][^"()\]]*', text)
    if errno:
        return errno.group(0).strip(" '")
    lowered = text.lower()
    if 'certificate verify failed' in lowered:
        reason = text.split('certificate verify failed:', 1)[-1].split('(_ssl', 1)[0].strip(" )]'\"")
        return 'TLS certificate not trusted (certificate verify failed: %s)' % (reason or 'unknown')
    if 'timed out' in lowered or 'timeout' in lowered:
        return 'no answer in time (%s)' % text
    return text


def api_error_cause(exc):
    """'403 Forbidden: secrets "x" is forbidden: ...' from an API error answer."""
    status = getattr(exc, 'status', None)
    reason = getattr(exc, 'reason', None) or ''
    body = getattr(exc, 'body', None)
    message = ''
    if body:
        try:
            document = json.loads(body)
            message = document.get('message') or ''
        except (TypeError, ValueError, AttributeError):
            message = body.decode('utf-8', 'replace') if isinstance(body, bytes) else str(body)
    head = ' '.join(str(part) for part in (status, reason) if part)
    return one_line('%s: %s' % (head, message) if message else head or str(exc))


def status_details(exc):
    """The Status document of an API error answer, or {} when the body is not one (e.g. '404 page not found')."""
    body = getattr(exc, 'body', None)
    try:
        document = json.loads(body) if body else {}
    except (TypeError, ValueError):
        return {}
    return document if isinstance(document, dict) and document.get('kind') == 'Status' else {}


class _RestClient(DynamicClient):
    """kubernetes.dynamic's request plumbing (auth, serialisation, error mapping) without discovery."""

    def __init__(self, api_client):  # pylint: disable=super-init-not-called
        # DynamicClient.__init__ would start discovery (GET /version, /api, /apis): not needed on fixed paths.
        self.client = api_client
        self.configuration = api_client.configuration


def _json(_client, data):
    return data


class KubernetesApi:
    """Plain REST on fixed paths with one-line errors. ``get`` returns None when the object does not exist."""

    def __init__(self, api_client, timeout=DEFAULT_REQUEST_TIMEOUT):
        self.rest = _RestClient(api_client)
        self.url = api_client.configuration.host
        self.timeout = timeout

    def where(self):
        return '%s %s' % (PEER, self.url)

    def request(self, method, path, body=None, what=None, content_type=None):
        params = dict(serializer=_json, _request_timeout=self.timeout)
        if content_type:
            params['content_type'] = content_type
        try:
            return self.rest.request(method, path, body=body, **params)
        except DynamicApiError as exc:
            raise ApiAnswer(self, method, path, exc, what)
        except (Urllib3Error, OSError, ValueError) as exc:
            raise K8sError('%s: %s' % (self.where(), connection_cause(exc)))

    def get(self, path, what=None):
        try:
            return self.request('GET', path, what=what)
        except ApiAnswer as answer:
            if answer.status == 404 and answer.details.get('reason') == 'NotFound':
                return None
            raise

    def create(self, path, body, what=None):
        return self.request('POST', path, body=body, what=what)

    def replace(self, path, body, what=None):
        return self.request('PUT', path, body=body, what=what)

    def merge_patch(self, path, body, what=None):
        return self.request('PATCH', path, body=body, what=what, content_type='application/merge-patch+json')

    def delete(self, path, what=None):
        """DELETE; True when something was deleted, False when it was already gone."""
        try:
            self.request('DELETE', path, what=what)
        except ApiAnswer as answer:
            if answer.status == 404 and answer.details.get('reason') == 'NotFound':
                return False
            raise
        return True


class ApiAnswer(K8sError):
    """An HTTP error answer of the API, as one line: '<API URL>: GET <what> refused (404 Not Found: ...)'."""

    def __init__(self, api, method, path, exc, what=None):
        self.status = getattr(exc, 'status', None)
        self.details = status_details(exc)
        self.path = path
        verb = {'GET': 'read', 'POST': 'create', 'PUT': 'update', 'PATCH': 'update', 'DELETE': 'delete'}[method]
        super(ApiAnswer, self).__init__('%s: %s of %s refused (%s)'
                                        % (api.where(), verb, what or path, api_error_cause(exc)))


def _configuration(module):
    if HAS_CORE_CONFIGURATION:
        auth = _create_auth_spec(module)
        configuration = _create_configuration(auth)
        return configuration, _create_headers(module)
    # pragma: no cover - fallback through the public entry point (costs a GET /version)
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
    return get_api_client(module).configuration, {}


def describe_config_error(module, exc):
    kubeconfig = module.params.get('kubeconfig')
    source = 'kubeconfig %s' % kubeconfig if isinstance(kubeconfig, str) and kubeconfig else \
        'the kubeconfig' if kubeconfig else 'the default kubeconfig or in-cluster configuration'
    return '%s: cannot use %s (%s)' % (PEER, source, one_line(exc) or exc.__class__.__name__)


def k8s_connect(module):
    """A KubernetesApi configured from the module's kubernetes.core options; K8sError on any problem."""
    if not HAS_KUBERNETES:
        raise K8sError('%s: the Python library kubernetes is required on the controller (%s)'
                       % (PEER, KUBERNETES_IMPORT_ERROR))
    try:
        configuration, headers = _configuration(module)
        api_client = kubernetes.client.ApiClient(configuration)
    except Exception as exc:  # pylint: disable=broad-except  # kubernetes raises many kinds; report, never trace
        raise K8sError(describe_config_error(module, exc))
    for name, value in headers.items():
        _set_header(api_client, name, value)  # impersonation headers, as kubernetes.core sets them
    return KubernetesApi(api_client, timeout=module.params.get('request_timeout') or DEFAULT_REQUEST_TIMEOUT)
