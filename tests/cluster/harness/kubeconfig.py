"""Kubeconfig files: the admin's (client certificate) and a ServiceAccount's (token), so a
component can be run with exactly the permissions its Role grants."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path


def _write(path: Path, server: str, ca: Path, user: dict[str, str], name: str) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": name,
        "clusters": [
            {
                "name": "local",
                "cluster": {
                    "server": server,
                    "certificate-authority-data": base64.b64encode(ca.read_bytes()).decode(),
                },
            }
        ],
        "users": [{"name": name, "user": user}],
        "contexts": [{"name": name, "context": {"cluster": "local", "user": name}}],
    }
    path.write_text(json.dumps(config, indent=2))  # JSON is valid YAML
    path.chmod(0o600)
    return path


def client_cert_kubeconfig(path: Path, server: str, pki: Path, cert: str, name: str) -> Path:
    return _write(
        path,
        server,
        pki / "ca.crt",
        {
            "client-certificate-data": base64.b64encode(
                (pki / f"{cert}.crt").read_bytes()
            ).decode(),
            "client-key-data": base64.b64encode((pki / f"{cert}.key").read_bytes()).decode(),
        },
        name,
    )


def service_account_kubeconfig(
    admin_kubeconfig: Path,
    namespace: str,
    service_account: str,
    path: Path,
    kubectl: str = "kubectl",
    duration: str = "2h",
) -> Path:
    """Mint a token for the ServiceAccount (TokenRequest API) and write a kubeconfig using it."""
    admin = json.loads(admin_kubeconfig.read_text())
    cluster = admin["clusters"][0]["cluster"]
    token = subprocess.run(
        [
            kubectl,
            "--kubeconfig",
            str(admin_kubeconfig),
            "-n",
            namespace,
            "create",
            "token",
            service_account,
            f"--duration={duration}",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": service_account,
        "clusters": [{"name": "local", "cluster": cluster}],
        "users": [{"name": service_account, "user": {"token": token}}],
        "contexts": [
            {
                "name": service_account,
                "context": {"cluster": "local", "user": service_account, "namespace": namespace},
            }
        ],
    }
    path.write_text(json.dumps(config, indent=2))
    path.chmod(0o600)
    return path
