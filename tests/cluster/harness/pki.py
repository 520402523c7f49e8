"""Certificates for a throwaway cluster, made with the openssl command line."""

from __future__ import annotations

import subprocess
from pathlib import Path

DAYS = "30"
# A new P-256 key, unencrypted: quick to make, and accepted by every Kubernetes component.
NEW_EC_KEY = ("-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(pki: Path) -> None:
    _openssl(
        "req",
        "-x509",
        "-new",
        *NEW_EC_KEY,
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-subj",
        "/CN=jobplatform-test-ca",
        "-days",
        DAYS,
        cwd=pki,
    )


def make_cert(pki: Path, name: str, subject: str, *, server_sans: list[str] | None = None) -> None:
    """A certificate signed by the CA: a client cert (subject CN=user/O=group) or, with SANs,
    a serving cert."""
    _openssl(
        "req",
        "-new",
        *NEW_EC_KEY,
        "-keyout",
        f"{name}.key",
        "-out",
        f"{name}.csr",
        "-subj",
        subject,
        cwd=pki,
    )
    usage = "serverAuth" if server_sans else "clientAuth"
    ext = [f"extendedKeyUsage={usage}", "keyUsage=critical,digitalSignature,keyEncipherment"]
    if server_sans:
        ext.append("subjectAltName=" + ",".join(server_sans))
    (pki / f"{name}.ext").write_text("\n".join(ext) + "\n")
    _openssl(
        "x509",
        "-req",
        "-in",
        f"{name}.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        f"{name}.crt",
        "-days",
        DAYS,
        "-extfile",
        f"{name}.ext",
        cwd=pki,
    )


def make_service_account_keys(pki: Path) -> None:
    _openssl("genrsa", "-out", "sa.key", "2048", cwd=pki)
    _openssl("rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=pki)
