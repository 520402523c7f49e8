"""Chaos: a thousand jobs through random worker SIGKILLs, a broker restart that loses every
message, and a Postgres restart. Every accepted job ends, none runs its effect twice."""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from devstack.wait import wait_for
from support.tenants import TenantFixture

from .conftest import Stack

pytestmark = [pytest.mark.integration, pytest.mark.chaos]

JOBS = int(os.environ.get("JOBPLATFORM_CHAOS_JOBS", "1000"))
SEED = int(os.environ.get("JOBPLATFORM_CHAOS_SEED", "6"))


class Submitter(threading.Thread):
    """Submits ``count`` jobs like a careful client: a request that fails (the database is
    restarting) is sent again under the same Idempotency-Key until it is accepted."""

    def __init__(self, base_url: str, tenant: TenantFixture, count: int, rng: random.Random):
        super().__init__(name="chaos-submitter", daemon=True)
        self.base_url, self.tenant, self.count, self.rng = base_url, tenant, count, rng
        self.accepted: dict[str, str] = {}  # job id -> job type
        self.refusals: Counter[int] = Counter()  # status code (0: no answer) -> count
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with httpx.Client(base_url=self.base_url, timeout=30) as api:
                for _ in range(self.count):
                    self._submit_one(api)
        except BaseException as exc:  # reported by the test, never swallowed
            self.error = exc

    def _submit_one(self, api: httpx.Client) -> None:
        if self.rng.random() < 0.25:
            body = {"type": "diagnostic", "payload": {"sleep_seconds": 0.05, "emit_event": True}}
        else:
            body = {"type": "noop", "payload": {}}
        headers = {**self.tenant.headers, "Idempotency-Key": uuid.uuid4().hex}
        for _ in range(200):  # bounded: about a minute of refusals at most
            try:
                response = api.post("/v1/jobs", json=body, headers=headers)
            except httpx.TransportError:
                response = None
            if response is not None and response.status_code == 202:
                self.accepted[response.json()["job_id"]] = str(body["type"])
                return
            self.refusals[0 if response is None else response.status_code] += 1
            time.sleep(0.3)
        raise AssertionError(f"a submission was refused 200 times: {response!r}")


def test_chaos_loses_no_job_and_doubles_no_effect(
    stack: Stack, stack_tenant: TenantFixture, request: pytest.FixtureRequest
) -> None:
    rng = random.Random(SEED)
    submitter = Submitter(stack.base_url, stack_tenant, JOBS, random.Random(SEED + 1))
    faults: list[tuple[int, str, Callable[[], None]]] = []

    def kill_worker() -> None:
        name = rng.choice(["default", "heavy"])
        stack.procs[name].kill()
        stack.start(name)  # what the Deployment (or make demo) does for a dead worker

    def restart_broker() -> None:
        stack.broker.stop()  # no persistence: every message in Redis is lost
        stack.broker.start()

    def restart_postgres() -> None:
        stack.postgres.stop()
        time.sleep(2)
        stack.postgres.start()

    # Faults fire as submissions progress, so they meet jobs in every state.
    for i in range(6):
        faults.append((int(JOBS * (0.1 + 0.14 * i)), "worker SIGKILL", kill_worker))
    faults.append((int(JOBS * 0.35), "broker restart without persistence", restart_broker))
    faults.append((int(JOBS * 0.65), "postgres restart", restart_postgres))
    faults.sort(key=lambda f: f[0])

    submitter.start()
    last_fault = time.monotonic()
    for threshold, _, fault in faults:
        wait_for(
            lambda t=threshold: len(submitter.accepted) >= t or not submitter.is_alive(),  # type: ignore[misc]
            timeout=300,
            what=f"{threshold} accepted jobs",
        )
        fault()
        last_fault = time.monotonic()
    submitter.join(timeout=600)
    assert submitter.error is None, submitter.error
    assert len(submitter.accepted) == JOBS

    ids = list(submitter.accepted)

    def unfinished() -> int:
        rows = stack.sql(
            "SELECT count(*) FROM jobs WHERE id = ANY(%s::uuid[])"
            " AND status NOT IN ('succeeded', 'dead', 'failed')",
            ids,
        )
        return int(rows[0][0])  # type: ignore[call-overload]

    wait_for(lambda: unfinished() == 0, timeout=600, interval=1, what="every job to finish")
    healed_after = time.monotonic() - last_fault

    states = dict(
        stack.sql(
            "SELECT status, count(*) FROM jobs WHERE id = ANY(%s::uuid[]) GROUP BY status", ids
        )
    )
    effects = stack.effects(stack_tenant)
    diagnostic = [i for i, kind in submitter.accepted.items() if kind == "diagnostic"]
    doubled = [i for i in diagnostic if effects[i] > 1]
    missing = [i for i in diagnostic if effects[i] == 0]
    report = (
        f"chaos: {JOBS} jobs accepted (refused requests re-sent, by status: "
        f"{dict(submitter.refusals)}), "
        f"{len(faults)} faults, states {states}, effects doubled {len(doubled)}, "
        f"effects skipped (worker died between ledger and effect) {len(missing)}, "
        f"last job finished {healed_after:.1f} s after the last fault"
    )
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(report)
    print(report)
    assert states == {"succeeded": JOBS}
    for name, proc in stack.procs.items():  # killed workers were replaced; nothing else died
        assert proc.alive(), f"{name} exited: {proc.log_path.read_text()[-2000:]}"
    assert set(submitter.refusals) <= {0, 503}  # an outage is a 503 to retry, never a 500
    assert doubled == []
