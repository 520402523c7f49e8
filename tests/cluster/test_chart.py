"""The Helm chart: it lints and renders with every `ci/*-values.yaml`, the real apiserver accepts
every rendered object (server-side dry run, CRDs installed first), wrong values are refused
with a message naming what to change, pods get the secure defaults, and k8s/ and the chart's
CRDs are what the chart and the operator say."""

from __future__ import annotations

import filecmp
import importlib.util
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from pytest_kubernetes.providers.base import AClusterManager

from cluster.k8s_helpers import new_namespace

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "jobplatform"
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
GROUP = "autoscaling.jobplatform.dev"


def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["helm", *args], capture_output=True, text=True, check=check)


def render(*args: str, namespace: str = "jobplatform") -> list[dict[str, Any]]:
    out = helm("template", "jobplatform", str(CHART), "--namespace", namespace, *args).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda p: p.name)
def test_chart_lints_with_each_ci_values_file(k8s_bin: Path, values: Path) -> None:
    result = helm("lint", str(CHART), "--strict", "-f", str(values), check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def _install_crds(cluster: AClusterManager, k8s_bin: Path) -> None:
    monitoring = k8s_bin.parent / "monitoring-crds"
    for path in [*sorted((CHART / "crds").glob("*.yaml")), *sorted(monitoring.glob("*.yaml"))]:
        # Server-side: the Prometheus Operator's CRDs are too large for the last-applied
        # annotation of a client-side apply.
        cluster.kubectl(["apply", "--server-side", "-f", str(path)], as_dict=False)
    for crd in (
        f"workerpools.{GROUP}",
        f"queuealerts.{GROUP}",
        "kopfpeerings.kopf.dev",
        "servicemonitors.monitoring.coreos.com",
        "prometheusrules.monitoring.coreos.com",
    ):
        cluster.kubectl(
            ["wait", "--for=condition=Established", f"crd/{crd}", "--timeout=60s"], as_dict=False
        )


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda p: p.name)
def test_apiserver_accepts_every_rendered_object(
    cluster: AClusterManager, k8s_bin: Path, values: Path
) -> None:
    _install_crds(cluster, k8s_bin)
    ns = new_namespace(cluster)
    docs = render("-f", str(values), namespace=ns)
    result = subprocess.run(
        [
            "kubectl",
            "--kubeconfig",
            str(cluster.kubeconfig),
            "apply",
            "-n",
            ns,
            "--dry-run=server",
            "-f",
            "-",
        ],
        input=yaml.safe_dump_all(docs),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    # Every object was checked by the apiserver, none skipped.
    assert result.stdout.count("(server dry run)") == len(docs), result.stdout


# Each wrong value and the words that must tell the user what is wrong.
BAD_VALUES = {
    "zero concurrency": (
        ["--set", "workers.default.concurrency=0"],
        "/workers/default/concurrency",
    ),
    "unknown top-level key": (["--set", "replicaCount=3"], "additional properties 'replicaCount'"),
    "external stores without Secrets": (
        ["--set", "bundled.enabled=false"],
        "/redis/existingSecret",
    ),
    "a URL in config": (
        ["--set", "config.JOBPLATFORM_REDIS_URL=redis://x"],
        "/config/JOBPLATFORM_REDIS_URL",
    ),
    "setting name outside JOBPLATFORM_": (["--set", "config.DEBUG=1"], "invalid propertyName"),
    "unknown Celery pool": (["--set", "workers.heavy.pool=gevent"], "/workers/heavy/pool"),
    "max below min": (
        [
            "--set",
            "workers.default.autoscaling.minReplicas=5",
            "--set",
            "workers.default.autoscaling.maxReplicas=2",
        ],
        "maxReplicas (2) is below minReplicas (5)",
    ),
    "grace period shorter than soft shutdown": (
        ["--set", "workers.heavy.terminationGracePeriodSeconds=30"],
        "terminationGracePeriodSeconds (30) must be at least softShutdownTimeoutSeconds (600)",
    ),
    "a catalog queue without a pool": (
        ["--set", "workers.scheduled.queues={maintenance}"],
        'consumes the "scheduled" queue',
    ),
    "bad pull policy": (["--set", "image.pullPolicy=Sometimes"], "/image/pullPolicy"),
    "run-ticket key name not a Secret key": (
        ["--set", "runTickets.key=signing/key"],
        "/runTickets/key",
    ),
    "unknown storage access mode": (
        ["--set", "storage.persistence.accessModes={ReadOnlyMany}"],
        "/storage/persistence/accessModes/0",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_wrong_values_are_refused_with_a_message(k8s_bin: Path, case: str) -> None:
    args, message = BAD_VALUES[case]
    result = helm("template", "jobplatform", str(CHART), *args, check=False)
    assert result.returncode != 0, f"{case} was accepted"
    assert message in result.stderr, result.stderr


def _pod_specs(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    specs = {}
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job"):
            specs[doc["metadata"]["name"]] = doc["spec"]["template"]["spec"]
    return specs


def test_platform_pods_get_secure_defaults_and_only_the_operator_a_token(k8s_bin: Path) -> None:
    specs = _pod_specs(render("-f", str(CHART / "ci" / "production-values.yaml")))
    assert specs, "nothing rendered"
    for name, spec in specs.items():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert spec["automountServiceAccountToken"] is (name.endswith("-operator")), name
        for c in spec["containers"]:
            ctx = c["securityContext"]
            assert ctx["readOnlyRootFilesystem"] is True, name
            assert ctx["allowPrivilegeEscalation"] is False, name
            assert ctx["capabilities"] == {"drop": ["ALL"]}, name
            # Credentials only ever come from Secrets.
            for env in c.get("env", []):
                assert "URL" not in env["name"] or "valueFrom" in env, (name, env)


def test_operator_scales_only_pools_that_ask_and_owns_no_replicas_field(k8s_bin: Path) -> None:
    docs = render()
    pools = {d["spec"]["deployment"]: d for d in docs if d["kind"] == "WorkerPool"}
    workers = {
        d["metadata"]["name"]: d
        for d in docs
        if d["kind"] == "Deployment" and "-worker-" in d["metadata"]["name"]
    }
    assert set(workers) == {f"jobplatform-worker-{p}" for p in ("default", "heavy", "scheduled")}
    assert set(pools) == {"jobplatform-worker-default", "jobplatform-worker-heavy"}
    for name, dep in workers.items():
        # An upgrade must not reset what the operator scaled.
        assert ("replicas" in dep["spec"]) is (name not in pools), name


def _storage(docs: list[dict[str, Any]]) -> dict[str, tuple[dict[str, Any], str]]:
    """Deployment name -> (its storage volume, where its container mounts it)."""
    found = {}
    for name, spec in _pod_specs(docs).items():
        volumes = [v for v in spec.get("volumes", []) if v["name"] == "storage"]
        mounts = [
            m["mountPath"]
            for c in spec["containers"]
            for m in c.get("volumeMounts", [])
            if m["name"] == "storage"
        ]
        assert len(volumes) == len(mounts) <= 1, (name, volumes, mounts)
        if volumes:
            found[name] = (volumes[0], mounts[0])
    return found


def test_web_and_the_workers_that_touch_stored_files_mount_one_storage_volume(
    k8s_bin: Path,
) -> None:
    users = {f"jobplatform-{c}" for c in ("web", "worker-heavy", "worker-scheduled")}
    # No claim given: each pod's own emptyDir, at the default storage root.
    default = _storage(render())
    assert set(default) == users
    assert {str(v) for v, _ in default.values()} == {str({"name": "storage", "emptyDir": {}})}
    assert {m for _, m in default.values()} == {"/var/lib/jobplatform/storage"}
    assert not [d for d in render() if d["kind"] == "PersistentVolumeClaim"]

    # The chart's claim, mounted wherever config puts the storage root.
    docs = render(
        "-f",
        str(CHART / "ci" / "production-values.yaml"),
        "--set",
        "config.JOBPLATFORM_STORAGE_ROOT=/data/files",
    )
    [claim] = [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
    assert claim["metadata"]["name"] == "jobplatform-storage"
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    claimed = _storage(docs)
    assert set(claimed) == users
    for volume, mount in claimed.values():
        assert volume["persistentVolumeClaim"] == {"claimName": "jobplatform-storage"}
        assert mount == "/data/files"

    # An existing claim wins; the chart makes none. A pool that consumes heavy mounts it.
    given = render(
        "--set",
        "storage.existingClaim=shared-files",
        "--set",
        "storage.persistence.enabled=true",
        "--set",
        "workers.default.queues={default,heavy}",
    )
    assert not [d for d in given if d["kind"] == "PersistentVolumeClaim"]
    mounted = _storage(given)
    assert set(mounted) == users | {"jobplatform-worker-default"}
    assert all(
        v["persistentVolumeClaim"]["claimName"] == "shared-files" for v, _ in mounted.values()
    )


def test_k8s_manifests_are_rendered_from_the_chart(k8s_bin: Path, tmp_path: Path) -> None:
    subprocess.run(
        ["bash", str(ROOT / "charts" / "render-manifests.sh"), str(tmp_path)],
        check=True,
        capture_output=True,
    )
    rendered = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(
        str(p.relative_to(ROOT / "k8s")) for p in (ROOT / "k8s").rglob("*") if p.is_file()
    )
    assert rendered == committed
    stale = [f for f in rendered if not filecmp.cmp(tmp_path / f, ROOT / "k8s" / f, shallow=False)]
    assert not stale, f"k8s/ is stale, run `make manifests`: {stale}"


def test_chart_crds_are_the_operators(k8s_bin: Path) -> None:
    operator_crds = ROOT / "operator" / "crds"
    names = sorted(p.name for p in operator_crds.glob("*.yaml"))
    assert names == sorted(p.name for p in (CHART / "crds").glob("*.yaml"))
    _match, mismatch, errors = filecmp.cmpfiles(operator_crds, CHART / "crds", names, shallow=False)
    assert (mismatch, errors) == ([], []), "copy operator/crds/*.yaml into charts/jobplatform/crds"


def _values_reference() -> Any:
    spec = importlib.util.spec_from_file_location(
        "values_reference", ROOT / "charts" / "values-reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_value_is_documented_and_the_reference_is_current() -> None:
    reference = _values_reference()
    text = (CHART / "values.yaml").read_text()
    docs = reference.documented(text)
    undocumented = [
        path
        for path in reference.leaves(yaml.safe_load(text))
        # The pools after workers.default repeat its keys, documented there.
        if not (path.startswith("workers.") and not path.startswith("workers.default."))
        and not any(path == key or path.startswith(f"{key}.") for key in docs)
    ]
    assert undocumented == []
    page = ROOT / "docs" / "chart-values.md"
    assert page.read_text() == reference.render(), "run `make manifests`"
