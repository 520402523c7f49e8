"""`helm upgrade` and then `helm rollback` of the installed chart on the real node while jobs
keep arriving through the web Service before, during and after each: a changed worker setting
(the pools' concurrency) rolls the default and heavy worker Deployments, and every accepted job
still succeeds, runs once and does its guarded effect once (docs/upgrade.md says why)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from cluster.chart_release import CHART, RELEASE, Installed
from cluster.job_stream import JobStream, Outcome, outcome
from cluster.k8s_helpers import kubectl, kubectl_json
from devstack.wait import wait_for

pytestmark = pytest.mark.timeout(1800)

ROLLED_POOLS = ("default", "heavy")
# The installed concurrency of each rolled pool (values.yaml), and the upgrade's.
INSTALLED_CONCURRENCY = {"default": 4, "heavy": 1}
UPGRADED_CONCURRENCY = {"default": 2, "heavy": 2}
# Batches of jobs accepted before a change starts and after its pods have rolled.
BATCHES_AROUND = 4


@dataclass(frozen=True)
class Rolled:
    """One change made while jobs flowed, and what became of those jobs."""

    change: str
    before: int  # jobs accepted before the change started
    during: int  # ... while helm ran
    after: int  # ... after helm returned
    running_at_start: int  # jobs running when the change started
    helm_seconds: float
    refusals: dict[str, int]  # submissions sent again, by status or error
    outcome: Outcome

    def report(self) -> str:
        return (
            f"{self.change}: jobs submitted {self.before} before, {self.during} during "
            f"({self.helm_seconds:.0f} s of helm), {self.after} after; "
            f"{self.running_at_start} running when it started; submissions sent again "
            f"{self.refusals or 'none'}; {self.outcome.summary()}"
        )


def _concurrency(release: Installed, pool: str) -> int:
    dep = kubectl_json(
        release.cluster,
        "get",
        "deployment",
        release.name(f"worker-{pool}"),
        "-n",
        release.namespace,
    )
    args = dep["spec"]["template"]["spec"]["containers"][0]["args"]
    return int(args[args.index("--concurrency") + 1])


# Runs in progress: jobs marked running, and jobs still queued whose run has started (from its
# run ticket, before the lease keeper marks it: docs/reliability.md), which a diagnostic job
# shows by its effect claimed in the ledger.
IN_PROGRESS = """
SELECT count(*) FROM jobs j
 WHERE j.status = 'running'
    OR (j.status = 'queued' AND EXISTS (SELECT 1 FROM effect_ledger e WHERE e.job_id = j.id))
"""


def _running(release: Installed) -> int:
    return int(release.sql(IN_PROGRESS) or 0)


def roll_while_jobs_flow(release: Installed, change: str, run_helm: Callable[[], None]) -> Rolled:
    old_pods = {pool: release.pods(f"worker-{pool}") for pool in ROLLED_POOLS}
    stream = JobStream(release)
    stream.start()
    stream.wait_for_more(BATCHES_AROUND * 4, what=f"jobs accepted before the {change}")
    # The change starts while a job runs, so a worker with work in hand is among those stopped.
    wait_for(lambda: _running(release) > 0, timeout=120, interval=0.5, what="a running job")
    running_at_start = _running(release)
    before = len(stream.accepted)
    started = time.monotonic()
    run_helm()
    helm_seconds = time.monotonic() - started
    during = len(stream.accepted) - before
    # helm waited for the new pods; the old ones may still be finishing their tasks.
    for pool in ROLLED_POOLS:
        try:
            wait_for(
                lambda p=pool: not (release.pods(f"worker-{p}") & old_pods[p]),  # type: ignore[misc]
                timeout=900,
                interval=2,
                what=f"the old {pool} workers to stop",
            )
        except TimeoutError as exc:
            left = release.pods(f"worker-{pool}") & old_pods[pool]
            raise TimeoutError(f"{exc}\n{_why_still_there(release, left)}") from None
    stream.wait_for_more(BATCHES_AROUND * 4, what=f"jobs accepted after the {change}")
    accepted = stream.stop()
    after = len(accepted) - before - during
    return Rolled(
        change,
        before,
        during,
        after,
        running_at_start,
        helm_seconds,
        dict(stream.refusals),
        outcome(release, accepted),
    )


def _why_still_there(release: Installed, pods: set[str]) -> str:
    """What a worker pod that outlived its stop was doing: its phase, its containers' states,
    the jobs Postgres has running and the end of its log."""
    running = release.sql("SELECT id, type, lease_owner FROM jobs WHERE status = 'running'")
    lines = [f"running jobs: {running or 'none'}"]
    for pod in sorted(pods):
        try:
            status = kubectl_json(release.cluster, "get", "pod", pod, "-n", release.namespace)
            states = [c.get("state") for c in status["status"].get("containerStatuses", [])]
            lines.append(
                f"{pod}: phase {status['status'].get('phase')}, deletion "
                f"{status['metadata'].get('deletionTimestamp')}, containers {states}"
            )
            lines.append(
                kubectl(release.cluster, "logs", pod, "-n", release.namespace, "--tail=60")
            )
        except subprocess.CalledProcessError as exc:
            lines.append(f"{pod}: {exc.stderr}")
    return "\n".join(lines)


def _report(request: pytest.FixtureRequest, rolled: Rolled) -> None:
    line = rolled.report()
    print(line)
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        # The figures are the point of the run: shown even when the test passes.
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)


def _assert_nothing_lost_or_repeated(rolled: Rolled) -> None:
    result = rolled.outcome
    assert rolled.running_at_start > 0 and rolled.during > 0, rolled.report()
    assert result.lost == [], rolled.report()
    assert result.states == {"succeeded": result.accepted}
    # A stopping worker finishes what it runs and hands back what it had not started: no job
    # started twice, so no effect could have happened twice.
    assert result.attempts == {1: result.accepted}, rolled.report()
    assert result.doubled == [] and result.missing == [], rolled.report()
    assert result.ledger_rows_off == []
    # The web pods do not roll: no submission may have been refused by the API itself.
    assert not [r for r in rolled.refusals if r.isdigit()], rolled.report()


@pytest.fixture(scope="module")
def upgraded(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Rolled:
    assert {p: _concurrency(installed, p) for p in ROLLED_POOLS} == INSTALLED_CONCURRENCY
    change = tmp_path_factory.mktemp("upgrade") / "upgrade-values.yaml"
    change.write_text(
        json.dumps({"workers": {p: {"concurrency": c} for p, c in UPGRADED_CONCURRENCY.items()}})
    )
    files = [arg for path in (*installed.values_files, change) for arg in ("-f", str(path))]

    def upgrade() -> None:
        installed.helm("upgrade", RELEASE, str(CHART), *files, "--wait", "--timeout", "15m")

    return roll_while_jobs_flow(installed, "helm upgrade", upgrade)


def test_upgrade_rolls_the_workers_without_losing_or_repeating_a_job(
    installed: Installed, upgraded: Rolled, request: pytest.FixtureRequest
) -> None:
    _report(request, upgraded)
    assert {p: _concurrency(installed, p) for p in ROLLED_POOLS} == UPGRADED_CONCURRENCY
    _assert_nothing_lost_or_repeated(upgraded)
    # The pre-upgrade migration hook ran and was cleaned up (hook-succeeded).
    history = json.loads(installed.helm("history", RELEASE, "-o", "json"))
    assert [r["status"] for r in history][-1] == "deployed"


def test_rollback_rolls_them_back_without_losing_or_repeating_a_job(
    installed: Installed, upgraded: Rolled, request: pytest.FixtureRequest
) -> None:
    def rollback() -> None:
        installed.helm("rollback", RELEASE, "--wait", "--timeout", "15m")

    rolled = roll_while_jobs_flow(installed, "helm rollback", rollback)
    _report(request, rolled)
    assert {p: _concurrency(installed, p) for p in ROLLED_POOLS} == INSTALLED_CONCURRENCY
    _assert_nothing_lost_or_repeated(rolled)
    history = json.loads(installed.helm("history", RELEASE, "-o", "json"))
    assert history[-1]["status"] == "deployed"
    assert "Rollback" in history[-1]["description"]
