"""Manifests for workloads that run on the test cluster's real node: the platform's own
images, secure container defaults (non-root, read-only root filesystem, no capabilities) and
the toleration and selector that place them on the real node and nowhere else."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from cluster.harness.real_node import LABELS, TOLERATION

_VERSION = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"][
    "version"
]
IMAGES = {
    "services": f"localhost/jobplatform:{_VERSION}",
    "operator": f"localhost/jobplatform/operator:{_VERSION}",
    "redis": "localhost/jobplatform/redis:bookworm",
    "postgres": "localhost/jobplatform/postgres:bookworm",
}
WEB_PORT = 8000

# An API call run inside the web pod (`python3 -c IN_POD_HTTP method url key [body]`): the
# request goes by Service name, through CoreDNS and kube-proxy.
IN_POD_HTTP = """
import json, sys, urllib.request
method, url, key = sys.argv[1:4]
body = sys.argv[4].encode() if len(sys.argv) > 4 else None
req = urllib.request.Request(url, data=body, method=method, headers={
    "Authorization": "Bearer " + key, "Content-Type": "application/json"})
with urllib.request.urlopen(req, timeout=10) as resp:
    print(json.dumps({"status": resp.status, "body": json.loads(resp.read())}))
"""


def on_real_node(pod_spec: dict[str, Any]) -> dict[str, Any]:
    return {**pod_spec, "nodeSelector": dict(LABELS), "tolerations": [dict(TOLERATION)]}


def container(
    name: str,
    image: str,
    args: list[str],
    env: dict[str, str] | None = None,
    *,
    read_only: bool = True,
    non_root: bool = True,
) -> dict[str, Any]:
    security: dict[str, Any] = {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": read_only,
        "capabilities": {"drop": ["ALL"]},
    }
    if non_root:
        security["runAsNonRoot"] = True
    return {
        "name": name,
        "image": image,
        "imagePullPolicy": "Never",  # loaded into the node: nothing is ever pulled
        "args": args,
        "env": [{"name": k, "value": v} for k, v in (env or {}).items()],
        "securityContext": security,
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }


def pod_spec(containers: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return on_real_node(
        {"containers": containers, "volumes": [{"name": "tmp", "emptyDir": {}}], **extra}
    )


def pod(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def deployment(name: str, spec: dict[str, Any], replicas: int = 1) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": spec},
        },
    }


def service(name: str, port: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": [{"port": port, "targetPort": port}]},
    }


def job(name: str, spec: dict[str, Any], backoff_limit: int = 10) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "backoffLimit": backoff_limit,
            "template": {"spec": {**spec, "restartPolicy": "Never"}},
        },
    }


def platform_env() -> dict[str, str]:
    """Where every platform process finds Redis and Postgres: their Services, by name."""
    return {
        "JOBPLATFORM_DATABASE_URL": "postgresql://postgres@postgres:5432/jobplatform",
        "JOBPLATFORM_REDIS_URL": "redis://redis:6379/0",
    }


def datastores(images: dict[str, str]) -> list[dict[str, Any]]:
    """Redis and Postgres, each behind a Service of its name."""
    # Debian's server packages start as their own users (named, not numeric): the data
    # stores run without runAsNonRoot; their images never run as root either.
    redis = container("redis", images["redis"], [], non_root=False)
    postgres = container(
        "postgres", images["postgres"], [], {"POSTGRES_DB": "jobplatform"}, non_root=False
    )
    postgres["volumeMounts"].append({"name": "data", "mountPath": "/var/lib/postgresql"})
    postgres["readinessProbe"] = {
        "tcpSocket": {"port": 5432},
        "periodSeconds": 2,
    }
    postgres_spec = pod_spec([postgres])
    postgres_spec["volumes"].append({"name": "data", "emptyDir": {}})
    return [
        deployment("redis", pod_spec([redis])),
        service("redis", 6379),
        deployment("postgres", postgres_spec),
        service("postgres", 5432),
    ]


def migration(images: dict[str, str]) -> dict[str, Any]:
    return job(
        "migrate", pod_spec([container("migrate", images["services"], ["migrate"], platform_env())])
    )


def platform_processes(images: dict[str, str]) -> list[dict[str, Any]]:
    """web (behind a Service), relay and one worker, all from the services image."""
    svc, env = images["services"], platform_env()
    web = container("web", svc, ["web", "--host", "0.0.0.0", "--port", str(WEB_PORT)], env)
    web["readinessProbe"] = {"httpGet": {"path": "/readyz", "port": WEB_PORT}, "periodSeconds": 2}
    return [
        deployment("web", pod_spec([web])),
        service("web", WEB_PORT),
        deployment("relay", pod_spec([container("relay", svc, ["relay"], env)])),
        deployment(
            "worker",
            pod_spec(
                [
                    container(
                        "worker",
                        svc,
                        ["worker", "--queues", "default", "--pool", "solo"],
                        env,
                    )
                ],
                terminationGracePeriodSeconds=5,
            ),
        ),
    ]
