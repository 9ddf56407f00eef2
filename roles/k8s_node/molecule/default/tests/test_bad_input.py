"""Bad input fails before any change, and says what is wrong (the role run again against the converged node)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

INSTANCE = "dsaas-k8s-node-bookworm"
REPO = Path(__file__).resolve().parents[5]
LAB_BIN = Path(os.environ.get("DSAAS_LAB_STATE", REPO / ".lab")) / "bin"
PLAYBOOK = """
- hosts: all
  gather_facts: false
  roles:
    - dsaas.platform.k8s_node
"""


def run_role(tmp_path, extra_vars):
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    (tmp_path / "vars.yml").write_text("\n".join(f"{k}: {v!r}" for k, v in extra_vars.items()) + "\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(REPO / ".ansible" / "collections"), ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_FORCE_COLOR", None)  # molecule forces colour; the messages are matched as plain text
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", f"{INSTANCE},",
         "-c", "containers.podman.podman", "-e", f"@{tmp_path / 'vars.yml'}", str(tmp_path / "play.yml")],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )
    # Errors go to stdout or (as under molecule) to stderr: both are searched.
    result.stdout = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    return result


def bundle(tmp_path, names):
    d = tmp_path / "bundle"
    d.mkdir()
    for name in names:
        (d / name).symlink_to((LAB_BIN / name).resolve())
    return str(d)


@pytest.mark.parametrize(
    "case,expected",
    [
        ({"k8s_node_package_source": "ftp"}, "k8s_node_package_source must be one of: repository, bundle, got: ftp"),
        ({"k8s_node_package_source": "repository", "k8s_node_apt_signing_key": ""},
         "package source repository needs k8s_node_apt_signing_key"),
        ({"k8s_node_package_source": "bundle"}, "package source bundle needs k8s_node_bundle_dir"),
        ({"k8s_node_package_source": "bundle", "k8s_node_bundle_dir": "/nonexistent/k8s-bundle"},
         "bundle directory /nonexistent/k8s-bundle does not exist on the controller"),
        ({"k8s_node_kubernetes_version": "1.37"}, "k8s_node_kubernetes_version 1.37 is not a version like 1.37.2"),
    ],
)
def test_bad_variables(tmp_path, case, expected):
    result = run_role(tmp_path, case)
    assert result.returncode != 0
    assert expected in " ".join(result.stdout.split()), result.stdout
    assert "changed=0" in result.stdout


def test_bundle_missing_a_binary(tmp_path):
    d = bundle(tmp_path, ["kubeadm", "kubectl"])
    result = run_role(tmp_path, {"k8s_node_package_source": "bundle", "k8s_node_bundle_dir": d})
    assert result.returncode != 0
    assert f"bundle directory {d} lacks kubelet; it holds: kubeadm, kubectl" in " ".join(result.stdout.split())
    assert "changed=0" in result.stdout


def test_bundle_of_another_version(tmp_path):
    d = bundle(tmp_path, ["kubeadm", "kubelet", "kubectl"])
    result = run_role(tmp_path, {"k8s_node_package_source": "bundle", "k8s_node_bundle_dir": d,
                                 "k8s_node_kubernetes_version": "1.36.4"})
    assert result.returncode != 0
    out = " ".join(result.stdout.split())
    assert f"the binaries of bundle {d} are not of the pinned version v1.36.4:" in out
    assert "kubeadm is v1.37.2, kubelet is v1.37.2, kubectl is v1.37.2" in out
    assert "changed=0" in result.stdout
