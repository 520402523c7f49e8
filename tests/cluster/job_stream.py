"""A steady stream of jobs through the web Service of an installed release, and the count of
what became of them: every accepted job in a terminal state, how often each ran and how often
its guarded effect happened (the same counts as tests/integration/recovery/test_chaos.py)."""

from __future__ import annotations

import json
import subprocess
import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from cluster.chart_release import Installed
from devstack.wait import wait_for

# Each round trip submits a batch from inside the web pod: `python3 -c IN_POD_SUBMIT url key
# items` (items: [[idempotency key, body], ...]) prints {"accepted": [[key, job_id], ...],
# "refused": [[key, status or error], ...]}.
IN_POD_SUBMIT = """
import json, sys, urllib.error, urllib.request
url, api_key, items = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
accepted, refused = [], []
for key, body in items:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": "Bearer " + api_key, "Content-Type": "application/json",
        "Idempotency-Key": key})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            accepted.append([key, json.loads(resp.read())["job_id"]])
    except urllib.error.HTTPError as exc:
        refused.append([key, exc.code])
    except OSError as exc:
        refused.append([key, type(exc).__name__])
print(json.dumps({"accepted": accepted, "refused": refused}))
"""
# Noop jobs go to the default pool; diagnostic jobs to the heavy pool, each emitting one event
# through the effect ledger and running long enough to be caught mid-way by a stopping worker.
BATCH: list[dict[str, Any]] = [
    {"type": "noop", "payload": {}},
    {"type": "diagnostic", "payload": {"sleep_seconds": 2, "emit_event": True}},
    {"type": "noop", "payload": {}},
    {"type": "diagnostic", "payload": {"sleep_seconds": 0.5, "emit_event": True}},
]
# Consecutive round trips that may fail (kubectl exec on a loaded machine) before the stream
# gives up.
MAX_FAILED_ROUND_TRIPS = 30


class JobStream(threading.Thread):
    """Submits batches back to back until stopped, like a careful client: a job that was not
    accepted (an error status, a timeout, a failed exec) is sent again under the same
    Idempotency-Key, so it is accepted once. Remembers every accepted job and each refusal."""

    def __init__(self, release: Installed):
        super().__init__(name="job-stream", daemon=True)
        self.release = release
        self.accepted: dict[str, str] = {}  # job id -> job type
        self.refusals: Counter[str] = Counter()  # status code or error -> count
        self.error: BaseException | None = None
        self._stopping = threading.Event()

    def run(self) -> None:
        url = f"http://{self.release.name('web')}:8000/v1/jobs"
        pending: dict[str, dict[str, Any]] = {}  # idempotency key -> body
        failed_in_a_row = 0
        try:
            while not self._stopping.is_set() or pending:
                if not pending:
                    pending = {uuid.uuid4().hex: body for body in BATCH}
                items = json.dumps(list(pending.items()))
                try:
                    out = self.release.exec_web(
                        "python3", "-c", IN_POD_SUBMIT, url, self.release.api_key, items
                    )
                except subprocess.CalledProcessError as exc:
                    self.refusals[f"exec: {exc.stderr.strip()[-200:]}"] += 1
                    failed_in_a_row += 1
                    assert failed_in_a_row < MAX_FAILED_ROUND_TRIPS, dict(self.refusals)
                    self._stopping.wait(2)  # a client's back-off before sending again
                    continue
                failed_in_a_row = 0
                answer = json.loads(out.strip().splitlines()[-1])
                for key, job_id in answer["accepted"]:
                    self.accepted[job_id] = pending.pop(key)["type"]
                for _, reason in answer["refused"]:
                    self.refusals[str(reason)] += 1
        except BaseException as exc:  # reported by the test, never swallowed
            self.error = exc

    def wait_for_more(self, count: int, what: str) -> None:
        target = len(self.accepted) + count
        wait_for(
            lambda: len(self.accepted) >= target or not self.is_alive(),
            timeout=300,
            interval=1,
            what=what,
        )
        assert self.error is None, self.error

    def stop(self) -> dict[str, str]:
        self._stopping.set()
        self.join(timeout=300)
        assert self.error is None, self.error
        return dict(self.accepted)


@dataclass(frozen=True)
class Outcome:
    """What became of a set of accepted jobs."""

    accepted: int
    states: dict[str, int]
    attempts: dict[int, int]  # attempts -> jobs
    lost: list[str]  # accepted, never succeeded
    doubled: list[str]  # effect happened more than once
    missing: list[str]  # effect never happened
    ledger_rows_off: list[str]  # a diagnostic job without exactly one ledger claim

    def summary(self) -> str:
        return (
            f"{self.accepted} accepted, states {self.states}, attempts {self.attempts}, "
            f"lost {len(self.lost)}, effects doubled {len(self.doubled)}, "
            f"effects missing {len(self.missing)}"
        )


def _rows(release: Installed, select: str, ids: list[str], where: str = "") -> list[list[str]]:
    """`select ... WHERE <id column> IN ids [AND where]`, psql's rows split into columns."""
    column = "job_id" if "effect_ledger" in select else "id"
    # Every id is parsed as a UUID first: nothing but UUIDs reaches the statement.
    listed = ",".join(f"'{uuid.UUID(i)}'" for i in ids)
    query = f"{select} WHERE {column} IN ({listed}) {where}"
    return [line.split("|") for line in release.sql(query).splitlines() if line]


def outcome(release: Installed, accepted: dict[str, str]) -> Outcome:
    """Waits until every accepted job is terminal, then counts runs and effects."""
    ids = list(accepted)
    pending = "AND status NOT IN ('succeeded', 'dead', 'failed')"
    wait_for(
        lambda: _rows(release, "SELECT count(*) FROM jobs", ids, pending) == [["0"]],
        timeout=900,
        interval=5,
        what=f"all {len(ids)} accepted jobs to reach a terminal state",
    )
    states = {
        s: int(n)
        for s, n in _rows(release, "SELECT status, count(*) FROM jobs", ids, "GROUP BY status")
    }
    attempts = {
        int(a): int(n)
        for a, n in _rows(release, "SELECT attempts, count(*) FROM jobs", ids, "GROUP BY attempts")
    }
    done = _rows(release, "SELECT id FROM jobs", ids, "AND status = 'succeeded'")
    succeeded = {row[0] for row in done}
    ledger = Counter(r[0] for r in _rows(release, "SELECT job_id FROM effect_ledger", ids))
    effects = release.effect_counts()
    diagnostic = [i for i, kind in accepted.items() if kind == "diagnostic"]
    return Outcome(
        accepted=len(ids),
        states=states,
        attempts=attempts,
        lost=sorted(set(ids) - succeeded),
        doubled=[i for i in diagnostic if effects[i] > 1],
        missing=[i for i in diagnostic if effects[i] == 0],
        ledger_rows_off=[i for i in diagnostic if ledger[i] != 1],
    )
