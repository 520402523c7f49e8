"""The test cluster's certificates: what each component checks in them, read back."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cluster.harness import pki

APISERVER_SANS = ["IP:127.0.0.1", "IP:10.96.0.1", "DNS:localhost", "DNS:kubernetes"]


def _cert(directory: Path, name: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate((directory / f"{name}.crt").read_bytes())


def test_a_serving_and_a_client_certificate_signed_by_the_ca(tmp_path: Path) -> None:
    pki.make_ca(tmp_path)
    pki.make_cert(tmp_path, "apiserver", "/CN=kube-apiserver", server_sans=APISERVER_SANS)
    pki.make_cert(tmp_path, "admin", "/O=system:masters/CN=admin")
    ca = _cert(tmp_path, "ca")
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign

    server, client = _cert(tmp_path, "apiserver"), _cert(tmp_path, "admin")
    for cert in (server, client):
        cert.verify_directly_issued_by(ca)
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
        assert usage.critical and usage.value.digital_signature and usage.value.key_encipherment
        assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca

    def eku(cert: x509.Certificate) -> list[x509.ObjectIdentifier]:
        return list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)

    assert eku(server) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert eku(client) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    sans = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("10.96.0.1"),
    ]
    assert sans.get_values_for_type(x509.DNSName) == ["localhost", "kubernetes"]
    # Kubernetes reads the user from CN and the groups from O.
    assert client.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == (
        "system:masters"
    )
    assert client.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "admin"
    assert (tmp_path / "admin.key").stat().st_mode & 0o077 == 0


def test_the_service_account_key_pair_matches(tmp_path: Path) -> None:
    pki.make_service_account_keys(tmp_path)
    key = serialization.load_pem_private_key((tmp_path / "sa.key").read_bytes(), password=None)
    public = serialization.load_pem_public_key((tmp_path / "sa.pub").read_bytes())
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    assert public.public_numbers() == key.public_key().public_numbers()  # type: ignore[union-attr]
