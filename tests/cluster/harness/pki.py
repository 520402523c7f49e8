"""Certificates for a throwaway cluster, made with the cryptography library.

Same files and contents as the cluster components expect: ``ca.crt``/``ca.key``, then per
component ``<name>.crt``/``<name>.key`` signed by the CA (EC P-256, 30 days), and an RSA key
pair ``sa.key``/``sa.pub`` for service-account tokens.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = dt.timedelta(days=30)
_ATTRIBUTES = {"CN": NameOID.COMMON_NAME, "O": NameOID.ORGANIZATION_NAME}


def parse_subject(subject: str) -> x509.Name:
    """``/O=system:masters/CN=admin`` (the openssl form the callers write) -> a Name."""
    parts = [p.split("=", 1) for p in subject.strip("/").split("/")]
    return x509.Name([x509.NameAttribute(_ATTRIBUTES[k], v) for k, v in parts])


def parse_sans(sans: list[str]) -> x509.SubjectAlternativeName:
    """``["IP:127.0.0.1", "DNS:localhost"]`` -> the extension."""
    names: list[x509.GeneralName] = []
    for san in sans:
        kind, value = san.split(":", 1)
        if kind == "IP":
            names.append(x509.IPAddress(ipaddress.ip_address(value)))
        elif kind == "DNS":
            names.append(x509.DNSName(value))
        else:
            raise ValueError(f"unsupported subject alternative name: {san}")
    return x509.SubjectAlternativeName(names)


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def make_ca(pki: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = parse_subject("/CN=jobplatform-test-ca")
    cert = (
        _builder(name, name, key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    _write_key(pki / "ca.key", key)
    (pki / "ca.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def make_cert(pki: Path, name: str, subject: str, *, server_sans: list[str] | None = None) -> None:
    """A certificate signed by the CA: a client cert (subject CN=user/O=group) or, with SANs,
    a serving cert."""
    ca = x509.load_pem_x509_certificate((pki / "ca.crt").read_bytes())
    ca_key = serialization.load_pem_private_key((pki / "ca.key").read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server_sans else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        _builder(parse_subject(subject), ca.subject, key.public_key())
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if server_sans:
        builder = builder.add_extension(parse_sans(server_sans), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    _write_key(pki / f"{name}.key", key)
    (pki / f"{name}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def make_service_account_keys(pki: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _write_key(pki / "sa.key", key)
    (pki / "sa.pub").write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
