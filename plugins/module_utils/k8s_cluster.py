# -*- coding: utf-8 -*-
# Copyright: dsaas.platform contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HA control plane of a kubeadm cluster as pure functions (no node, no server).

``cluster_plan`` checks what the k8s_control_plane role is given (version, control-plane count for HA, the
VIP against the node segment and the nodes' addresses, the API endpoint, the pod/service/node networks, the
CNI) and returns either the errors, each a sentence that names the variable, or the data the role's
templates render the kubeadm configuration and the kube-vip manifest from. Nothing is rendered when there
is an error.

Facts this follows (kubeadm v1beta4, Kubernetes 1.31 and later): the v1beta4 configuration API is read by
kubeadm 1.31+; kube-apiserver accepts a service range of at most 20 host bits (an IPv4 /12, an IPv6 /108);
etcd needs 3 members to survive the loss of one; kube-controller-manager
gives each node a /24 of the pod network (IPv4 default), so the pod network must be at least a /24 per node.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

# The oldest release whose kubeadm reads kubeadm.k8s.io/v1beta4 (what the templates write).
MINIMUM_MINOR = 31
CNIS = ('calico', 'cilium')
DEFAULT_API_PORT = 6443
# Placeholders that make a join configuration valid for `kubeadm config validate` when no cluster exists
# (render-only runs); a real run puts the token, CA hash and certificate key of the first control plane there.
PLACEHOLDER_TOKEN = 'render.validationonly00'
PLACEHOLDER_CA_CERT_HASH = 'sha256:' + '0' * 64
PLACEHOLDER_CERTIFICATE_KEY = '0' * 64

VERSION_RE = re.compile(r'^v?(\d+)\.(\d+)\.(\d+)$')
TOKEN_RE = re.compile(r'^[a-z0-9]{6}\.[a-z0-9]{16}$')
CA_HASH_RE = re.compile(r'^sha256:[0-9a-f]{64}$')
CERTIFICATE_KEY_RE = re.compile(r'^[0-9a-f]{64}$')
# `kubeadm token create --print-join-command`: kubeadm join HOST:PORT --token T --discovery-token-ca-cert-hash H
JOIN_COMMAND_RE = re.compile(r'--token\s+(\S+)\s+--discovery-token-ca-cert-hash\s+(\S+)')
# The last line of `kubeadm init phase upload-certs --upload-certs`: the key alone.
CERTIFICATE_KEY_LINE_RE = re.compile(r'^([0-9a-f]{64})\s*$', re.M)
# RFC 1123 host name (the endpoint may be a DNS name that resolves to the VIP).
HOSTNAME_RE = re.compile(r'^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$',
                         re.I)


def parse_version(version):
    """(major, minor, patch) of '1.37.2' or 'v1.37.2'; None when it is not a release number."""
    match = VERSION_RE.match(str(version or '').strip())
    return tuple(int(part) for part in match.groups()) if match else None


def version_errors(version, name='k8s_control_plane_version'):
    parsed = parse_version(version)
    if parsed is None:
        return ["%s '%s' is not a Kubernetes release (MAJOR.MINOR.PATCH, e.g. 1.37.2)" % (name, version)]
    if parsed[0] != 1 or parsed[1] < MINIMUM_MINOR:
        return ['%s %s is older than 1.%d, the first release whose kubeadm reads the v1beta4 configuration this '
                'role writes' % (name, version, MINIMUM_MINOR) if parsed[0] == 1 else
                '%s %s: only Kubernetes 1.x is known' % (name, version)]
    return []


def parse_network(value, name):
    """(network, error): an IP network written as a CIDR without host bits."""
    text = str(value or '').strip()
    if '/' not in text:
        return None, "%s '%s' is not a CIDR (address/prefix, e.g. 10.20.30.0/24)" % (name, value)
    try:
        return ipaddress.ip_network(text, strict=True), None
    except ValueError as exc:
        if 'host bits set' in str(exc):
            return None, "%s '%s' has host bits set (the network is %s)" % (
                name, value, ipaddress.ip_network(text, strict=False))
        return None, "%s '%s' is not a CIDR (address/prefix, e.g. 10.20.30.0/24)" % (name, value)


def parse_address(value):
    try:
        return ipaddress.ip_address(str(value or '').strip())
    except ValueError:
        return None


def parse_endpoint(endpoint):
    """(host, port, error) of 'host:port', '[v6]:port' or a bare host (port 6443)."""
    text = str(endpoint or '').strip()
    if not text:
        return None, None, None
    host, port = text, DEFAULT_API_PORT
    if text.startswith('['):
        closing = text.find(']')
        if closing < 0:
            return None, None, "k8s_control_plane_endpoint '%s' is not host:port" % endpoint
        host, rest = text[1:closing], text[closing + 1:]
        if rest:
            if not rest.startswith(':'):
                return None, None, "k8s_control_plane_endpoint '%s' is not host:port" % endpoint
            port = rest[1:]
    elif text.count(':') == 1:
        host, port = text.split(':')
    elif text.count(':') > 1:
        return None, None, "k8s_control_plane_endpoint '%s': write an IPv6 address as [address]:port" % endpoint
    try:
        port = int(port)
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        return None, None, "k8s_control_plane_endpoint '%s': the port must be 1-65535" % endpoint
    if parse_address(host) is None and not HOSTNAME_RE.match(host):
        return None, None, "k8s_control_plane_endpoint '%s': '%s' is neither an IP address nor a host name" % (
            endpoint, host)
    return host, port, None


def node_errors(nodes, group):
    """Names and addresses of the nodes of one group: each an IP, none twice."""
    errors = []
    for node in nodes:
        if parse_address(node.get('address')) is None:
            errors.append("node %s (%s): address '%s' is not an IP address (set ansible_host or "
                          "k8s_control_plane_node_addresses)" % (node.get('name'), group, node.get('address')))
    return errors


def network_errors(networks, node_cidr):
    """Overlaps between the node, pod and service networks, and their sizes."""
    errors = []
    parsed = {}
    for name, value in networks:
        if value in (None, ''):
            if name != 'k8s_control_plane_node_cidr':
                errors.append('%s is needed' % name)
            continue
        network, error = parse_network(value, name)
        if error:
            errors.append(error)
        else:
            parsed[name] = network
    names = [name for name, dummy in networks if name in parsed]
    for index, first in enumerate(names):
        for second in names[index + 1:]:
            if parsed[first].version == parsed[second].version and parsed[first].overlaps(parsed[second]):
                errors.append('%s %s overlaps %s %s' % (first, parsed[first], second, parsed[second]))
    service = parsed.get('k8s_control_plane_service_cidr')
    if service is not None:
        host_bits = service.max_prefixlen - service.prefixlen
        limit = 20
        if host_bits > limit:
            errors.append('k8s_control_plane_service_cidr %s is larger than kube-apiserver accepts (at most /%d)'
                          % (service, service.max_prefixlen - limit))
    pod = parsed.get('k8s_control_plane_pod_cidr')
    if pod is not None and pod.version == 4 and pod.prefixlen > 24:
        errors.append('k8s_control_plane_pod_cidr %s is smaller than the /24 each node is given' % pod)
    return errors, parsed


def cluster_plan(spec):
    """Errors, or what the templates need.

    spec: version, ha (bool), endpoint ('host:port' or ''), vip, node_cidr, pod_cidr, service_cidr, cni,
    cni_manifest, control_planes and workers (lists of {name, address}; the first control plane inits),
    cert_sans (extra names).
    """
    errors = list(version_errors(spec.get('version')))
    control_planes = list(spec.get('control_planes') or [])
    workers = list(spec.get('workers') or [])
    ha = bool(spec.get('ha'))
    names = [node.get('name') for node in control_planes]
    if not control_planes:
        errors.append('no control plane: the control-plane group is empty')
    elif ha and len(control_planes) < 3:
        errors.append('an HA control plane needs at least 3 control planes (etcd keeps quorum with one lost); '
                      'the control-plane group has %d: %s' % (len(control_planes), ', '.join(names)))
    elif not ha and len(control_planes) > 1:
        errors.append('k8s_control_plane_ha is false but the control-plane group has %d hosts (%s): without HA '
                      'there is exactly one control plane' % (len(control_planes), ', '.join(names)))
    both = set(names) & set(node.get('name') for node in workers)
    if both:
        errors.append('%s in both the control-plane and the worker group' % ', '.join(sorted(both)))

    errors += node_errors(control_planes, 'control plane') + node_errors(workers, 'worker')
    addresses = {}
    for node in control_planes + workers:
        address = parse_address(node.get('address'))
        if address is not None:
            addresses.setdefault(address, []).append(node.get('name'))
    for address, owners in sorted(addresses.items()):
        if len(owners) > 1:
            errors.append('address %s is given to %s' % (address, ' and '.join(owners)))

    net_errors, networks = network_errors([
        ('k8s_control_plane_node_cidr', spec.get('node_cidr')),
        ('k8s_control_plane_pod_cidr', spec.get('pod_cidr')),
        ('k8s_control_plane_service_cidr', spec.get('service_cidr')),
    ], spec.get('node_cidr'))
    errors += net_errors
    segment = networks.get('k8s_control_plane_node_cidr')
    if segment is None and ha and not any(error.startswith('k8s_control_plane_node_cidr') for error in errors):
        errors.append('k8s_control_plane_node_cidr is needed with HA (the segment the VIP is announced on by ARP)')
    if segment is not None:
        for address, owners in sorted(addresses.items()):
            if address not in segment:
                errors.append('node %s: address %s is not in the node segment %s' % (owners[0], address, segment))

    vip = None
    if ha:
        vip = parse_address(spec.get('vip'))
        if spec.get('vip') in (None, ''):
            errors.append('k8s_control_plane_vip is needed with HA (the address kube-vip holds for the API)')
        elif vip is None:
            errors.append("k8s_control_plane_vip '%s' is not an IP address" % spec.get('vip'))
        else:
            if segment is not None:
                if vip not in segment:
                    errors.append('k8s_control_plane_vip %s is not in the node segment %s (kube-vip announces it '
                                  'by ARP there)' % (vip, segment))
                elif segment.num_addresses > 2 and vip in (segment.network_address, segment.broadcast_address):
                    errors.append('k8s_control_plane_vip %s is the %s address of the node segment %s' % (
                        vip, 'network' if vip == segment.network_address else 'broadcast', segment))
            if vip in addresses:
                errors.append('k8s_control_plane_vip %s is the address of node %s; it must be a free address'
                              % (vip, addresses[vip][0]))

    host, port, error = parse_endpoint(spec.get('endpoint'))
    if error:
        errors.append(error)
    elif host is None:
        if ha:
            host, port = (str(vip) if vip is not None else None), DEFAULT_API_PORT
        elif control_planes:
            host, port = control_planes[0].get('address'), DEFAULT_API_PORT
    elif ha and vip is not None and parse_address(host) is not None and parse_address(host) != vip:
        errors.append('k8s_control_plane_endpoint %s is an address other than the VIP %s: the API must be reached '
                      'through the VIP' % (spec.get('endpoint'), vip))

    cni = spec.get('cni')
    if cni not in CNIS:
        errors.append("k8s_control_plane_cni '%s' is not supported (one of: %s)" % (cni, ', '.join(CNIS)))
    elif not str(spec.get('cni_manifest') or '').strip():
        errors.append('k8s_control_plane_cni_manifest is needed for %s (a URL or a file on the controller%s)' % (
            cni, '; Cilium publishes none: render one with helm template' if cni == 'cilium' else ''))

    if errors:
        return dict(errors=errors)

    endpoint_host = '[%s]' % host if parse_address(host) is not None and parse_address(host).version == 6 else host
    sans = [str(vip)] if vip is not None else []
    for name in [host] + list(spec.get('cert_sans') or []):
        if name and name not in sans:
            sans.append(name)
    version = 'v%d.%d.%d' % parse_version(spec.get('version'))
    first = control_planes[0]
    nodes = [dict(name=first['name'], address=str(parse_address(first['address'])), role='init')]
    nodes += [dict(name=node['name'], address=str(parse_address(node['address'])), role='control-plane')
              for node in control_planes[1:]]
    nodes += [dict(name=node['name'], address=str(parse_address(node['address'])), role='worker')
              for node in workers]
    return dict(
        errors=[],
        version=version,
        ha=ha,
        vip=str(vip) if vip is not None else None,
        vip_prefix=(networks['k8s_control_plane_node_cidr'].max_prefixlen if vip is not None else None),
        endpoint='%s:%d' % (endpoint_host, port),
        api_port=port,
        cert_sans=sans,
        pod_cidr=str(networks['k8s_control_plane_pod_cidr']),
        service_cidr=str(networks['k8s_control_plane_service_cidr']),
        first_control_plane=first['name'],
        nodes=nodes,
    )


def join_secrets(join_command, upload_certs_output=None):
    """token, ca_cert_hash (from `kubeadm token create --print-join-command`) and certificate_key (the last line
    of `kubeadm init phase upload-certs --upload-certs`), each checked for kubeadm's format. Raises ValueError
    with a message that contains none of them."""
    match = JOIN_COMMAND_RE.search(join_command or '')
    if not match:
        raise ValueError('kubeadm token create --print-join-command printed no --token and '
                         '--discovery-token-ca-cert-hash')
    token, ca_hash = match.groups()
    if not TOKEN_RE.match(token):
        raise ValueError('the join token is not in kubeadm format [a-z0-9]{6}.[a-z0-9]{16}')
    if not CA_HASH_RE.match(ca_hash):
        raise ValueError('the CA certificate hash is not sha256:<64 hex digits>')
    secrets = dict(token=token, ca_cert_hash=ca_hash)
    if upload_certs_output is not None:
        keys = CERTIFICATE_KEY_LINE_RE.findall(upload_certs_output or '')
        if not keys:
            raise ValueError('kubeadm init phase upload-certs printed no certificate key')
        secrets['certificate_key'] = keys[-1]
    return secrets
