"""What k8s_node leaves on a node: kernel settings for every boot, containerd for kubelet, the bundle's binaries."""

import pytest

VERSION = "v1.37.2"
BIN = "/usr/local/bin"


def test_swap_entries_commented_out(host):
    fstab = host.file("/etc/fstab").content_string
    assert "# /swapfile none swap sw 0 0" in fstab
    assert not [line for line in fstab.splitlines() if line.split()[2:3] == ["swap"]]


def test_kernel_modules_at_boot(host):
    f = host.file("/etc/modules-load.d/k8s.conf")
    assert f.user == "root" and f.mode == 0o644
    lines = [line for line in f.content_string.splitlines() if line and not line.startswith("#")]
    assert lines == ["overlay", "br_netfilter"]


def test_kernel_parameters_at_boot(host):
    f = host.file("/etc/sysctl.d/99-kubernetes.conf")
    assert f.user == "root" and f.mode == 0o644
    lines = [line for line in f.content_string.splitlines() if line and not line.startswith("#")]
    assert lines == [
        "net.bridge.bridge-nf-call-iptables = 1",
        "net.bridge.bridge-nf-call-ip6tables = 1",
        "net.ipv4.ip_forward = 1",
    ]


def test_containerd_config_parses_with_systemd_cgroups(host):
    """containerd itself reads the file: the runc runtime uses the systemd cgroup driver and the pinned pause image."""
    dump = host.check_output("containerd config dump")
    assert "SystemdCgroup = true" in dump
    assert 'sandbox_image = "registry.k8s.io/pause:3.10.2"' in dump
    assert 'config_path = "/etc/containerd/certs.d"' in dump


def test_crictl_config(host):
    assert host.check_output("crictl config --get runtime-endpoint") == "unix:///run/containerd/containerd.sock"
    assert host.check_output("crictl config --get image-endpoint") == "unix:///run/containerd/containerd.sock"


def test_containerd_serves_cri_with_systemd_cgroups(host):
    """Started by hand (no systemd in the container): the CRI answers crictl and reports the config."""
    pid = host.check_output(
        "sh -c 'containerd >/tmp/containerd-verify.log 2>&1 & echo $!'"
    )
    try:
        host.run_test("sh -c 'for i in $(seq 50); do [ -S /run/containerd/containerd.sock ] && exit 0; sleep 0.2; done; exit 1'")
        assert "RuntimeName:  containerd" in host.check_output("crictl version")
        info = host.check_output("crictl info")
        assert '"SystemdCgroup": true' in info
        assert '"sandboxImage": "registry.k8s.io/pause:3.10.2"' in info
    finally:
        host.run("kill %s", pid)


@pytest.mark.parametrize(
    "command,expected",
    [
        ("kubelet --version", f"Kubernetes {VERSION}"),
        ("kubeadm version -o short", VERSION),
        ("kubectl version --client", f"Client Version: {VERSION}"),
        ("crictl --version", "crictl version v1.37.0"),
    ],
)
def test_bundle_binaries(host, command, expected):
    name = command.split()[0]
    f = host.file(f"{BIN}/{name}")
    assert f.is_file and f.user == "root" and f.mode == 0o755
    assert expected in host.check_output(f"{BIN}/{command}")


def test_kubelet_unit_and_kubeadm_dropin(host):
    unit = host.file("/etc/systemd/system/kubelet.service").content_string
    assert f"ExecStart={BIN}/kubelet\n" in unit
    dropin = host.file("/etc/systemd/system/kubelet.service.d/10-kubeadm.conf").content_string
    assert "EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env" in dropin
    assert (
        f"ExecStart={BIN}/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS"
        in dropin
    )


@pytest.mark.parametrize("unit", ["containerd", "kubelet"])
def test_services_enabled(host, unit):
    assert host.run(f"SYSTEMD_OFFLINE=1 systemctl is-enabled {unit}.service").stdout.strip() == "enabled"
