"""`helm install` of the chart on the real node, as a platform team would run it: every
process's pods really run from the images built here (web, relay, reconciler, three worker
pools, beat, the operator, the bundled Redis and Postgres), the migration hook has run, jobs
submitted through the web Service succeed on each queue, and the operator grows the heavy pool
under a surge of jobs and shrinks it again."""

from __future__ import annotations

import pytest

from cluster.chart_release import COMPONENTS, ROOT, WORKER_POOLS, Installed, ready_components
from cluster.k8s_helpers import kubectl, kubectl_json
from cluster.test_operator_rbac import PLATFORM_EXPECTATION, can_i, normalised
from devstack.wait import wait_for

pytestmark = pytest.mark.timeout(1500)


def test_every_process_runs_and_the_migration_hook_ran_first(installed: Installed) -> None:
    assert set(COMPONENTS) <= ready_components(installed.cluster, installed.namespace)
    # The hook's schema is there (alembic's version table names the newest migration), and
    # the platform's role is not the superuser: row-level security binds it.
    versions = ROOT / "services" / "jobplatform" / "infrastructure" / "db" / "migrations"
    newest = max(p.name.split("_")[0] for p in (versions / "versions").glob("0*.py"))
    assert installed.sql("SELECT version_num FROM alembic_version") == newest
    assert (
        installed.sql("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = 'jobplatform'")
        == "f"
    )


def test_worker_pods_run_with_exactly_the_platform_accounts_rights(installed: Installed) -> None:
    """Each pool's pods, as installed: the ServiceAccount they run as may do what
    expectations/platform-can-i.txt lists (discovery and self-reviews) and nothing else, and no
    pod of theirs holds its token."""
    cluster, ns = installed.cluster, installed.namespace
    for pool in WORKER_POOLS:
        template = kubectl_json(
            cluster, "get", "deployment", installed.name(f"worker-{pool}"), "-n", ns
        )
        spec = template["spec"]["template"]["spec"]
        assert spec["automountServiceAccountToken"] is False, pool
        user = f"system:serviceaccount:{ns}:{spec['serviceAccountName']}"
        rights = normalised(kubectl(cluster, "auth", "can-i", "--list", f"--as={user}", "-n", ns))
        assert rights == PLATFORM_EXPECTATION.read_text(), pool
        for verb, resource in (
            ("get", "secrets"),
            ("patch", "deployments/scale"),
            ("list", "pods"),
        ):
            assert not can_i(cluster, user, verb, resource, ns), (pool, verb, resource)
        selector = f"app.kubernetes.io/component=worker-{pool}"
        for pod in kubectl_json(cluster, "get", "pods", "-n", ns, "-l", selector)["items"]:
            mounts = [
                m["mountPath"] for c in pod["spec"]["containers"] for m in c.get("volumeMounts", [])
            ]
            assert not any("serviceaccount" in m for m in mounts), (pod["metadata"]["name"], mounts)


def test_jobs_through_the_web_service_succeed_on_each_queue(installed: Installed) -> None:
    jobs = [installed.submit("noop", {}), installed.submit("diagnostic", {"sleep_seconds": 0.1})]
    for job_id in jobs:
        wait_for(
            lambda j=job_id: installed.status(j) == "succeeded",
            timeout=180,
            interval=2,
            what=f"job {job_id} to succeed",
        )
    # The scheduled queue's job comes from beat (the prune job, every 15 s here).
    wait_for(
        lambda: (
            installed.sql(
                "SELECT count(*) FROM jobs WHERE queue = 'scheduled' AND status = 'succeeded'"
            )
            not in ("", "0")
        ),
        timeout=180,
        interval=3,
        what="beat's scheduled job to succeed on the scheduled pool",
    )


def test_operator_grows_the_heavy_pool_under_a_surge_and_shrinks_it_after(
    installed: Installed,
) -> None:
    assert installed.ready_replicas("worker-heavy") == 1
    jobs = [installed.submit("diagnostic", {"sleep_seconds": 20}) for _ in range(6)]
    wait_for(
        lambda: installed.ready_replicas("worker-heavy") >= 2,
        timeout=240,
        interval=2,
        what="the operator to add heavy workers",
    )
    for job_id in jobs:
        wait_for(
            lambda j=job_id: installed.status(j) == "succeeded",
            timeout=400,
            interval=3,
            what=f"job {job_id} to succeed",
        )
    wait_for(
        lambda: installed.ready_replicas("worker-heavy") == 1,
        timeout=300,
        interval=3,
        what="the heavy pool to shrink back to its minimum",
    )
    # Every job ran exactly once: one attempt each, none left behind.
    attempts = [installed.http("GET", f"/v1/jobs/{j}")["body"]["attempts"] for j in jobs]
    assert attempts == [1] * len(jobs)
