"""What ca_trust leaves on the host: the files, the hashed links and the system bundle."""

from pathlib import Path

import pytest

FILES = Path(__file__).resolve().parent.parent / "files"
LOCAL = "/usr/local/share/ca-certificates"
BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def pem_body(name):
    """The base64 lines of a fixture certificate, as they appear in the bundle."""
    lines = (FILES / f"{name}.crt").read_text().strip().splitlines()
    return "\n".join(lines[1:-1])


@pytest.mark.parametrize("name", ["dsaas-test-org-ca", "dsaas-test-mirror-ca"])
def test_certificate_file(host, name):
    f = host.file(f"{LOCAL}/{name}.crt")
    assert f.is_file
    assert f.user == "root" and f.group == "root" and f.mode == 0o644
    # Written normalised: the PEM text without surrounding blank lines, one final newline.
    assert f.content == ((FILES / f"{name}.crt").read_text().strip() + "\n").encode()


@pytest.mark.parametrize("name", ["dsaas-test-org-ca", "dsaas-test-mirror-ca"])
def test_certificate_in_bundle(host, name):
    assert pem_body(name) in host.file(BUNDLE).content_string


@pytest.mark.parametrize("name", ["dsaas-test-org-ca", "dsaas-test-mirror-ca"])
def test_openssl_trusts_certificate(host, name):
    """The hashed links in /etc/ssl/certs make OpenSSL accept the CA on its own."""
    assert host.file(f"/etc/ssl/certs/{name}.pem").is_symlink
    host.run_test("openssl verify -CApath /etc/ssl/certs %s", f"{LOCAL}/{name}.crt")


def test_retired_certificate_gone(host):
    assert not host.file(f"{LOCAL}/dsaas-test-retired-ca.crt").exists
    assert not host.file("/etc/ssl/certs/dsaas-test-retired-ca.pem").exists
    assert pem_body("dsaas-test-retired-ca") not in host.file(BUNDLE).content_string


def test_distribution_cas_still_trusted(host):
    """Rebuilding the bundle kept Debian's own CAs (a few hundred certificates)."""
    assert host.file(BUNDLE).content_string.count("BEGIN CERTIFICATE") > 100
