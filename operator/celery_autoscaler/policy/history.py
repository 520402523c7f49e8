"""The little the policy remembers between polls, kept in WorkerPool status by the operator."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class History:
    # (time, raw recommendation) within the longest stabilisation window
    recommendations: tuple[tuple[float, int], ...] = ()
    # (time, replicas) after each decision, for the per-period step limits
    replicas: tuple[tuple[float, int], ...] = ()
    last_work_at: float | None = None  # last poll that saw any ready/reserved/ETA/running work
    workers_seen_at: float | None = None  # last poll that saw a heartbeat for this pool
    # (time, ready + reserved) at the last poll, for the backlog's growth rate
    backlog: tuple[float, int] | None = None
    # the throughput term at the last poll: it must hold for two polls to add workers
    throughput: int | None = None

    def remember(
        self,
        now: float,
        raw: int,
        replicas: int,
        keep_seconds: float,
        work: bool,
        workers: bool,
        backlog: int | None = None,
        throughput: int | None = None,
    ) -> History:
        horizon = now - keep_seconds
        return replace(
            self,
            recommendations=(*[r for r in self.recommendations if r[0] >= horizon], (now, raw)),
            replicas=(*[r for r in self.replicas if r[0] >= horizon], (now, replicas)),
            last_work_at=now if work else self.last_work_at,
            workers_seen_at=now if workers else self.workers_seen_at,
            backlog=(now, backlog) if backlog is not None else self.backlog,
            throughput=throughput if throughput is not None else self.throughput,
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "recommendations": [list(r) for r in self.recommendations],
            "replicas": [list(r) for r in self.replicas],
            "lastWorkAt": self.last_work_at,
            "workersSeenAt": self.workers_seen_at,
            "backlog": list(self.backlog) if self.backlog is not None else None,
            "throughput": self.throughput,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object] | None) -> History:
        if not data:
            return cls()

        def pairs(key: str) -> tuple[tuple[float, int], ...]:
            raw = data.get(key) or []
            assert isinstance(raw, list)
            return tuple((float(t), int(n)) for t, n in raw)

        def opt(key: str) -> float | None:
            value = data.get(key)
            return float(value) if isinstance(value, int | float) else None

        raw_backlog = data.get("backlog")
        backlog = None
        if isinstance(raw_backlog, list) and len(raw_backlog) == 2:
            backlog = (float(raw_backlog[0]), int(raw_backlog[1]))
        throughput = data.get("throughput")
        return cls(
            pairs("recommendations"),
            pairs("replicas"),
            opt("lastWorkAt"),
            opt("workersSeenAt"),
            backlog,
            int(throughput) if isinstance(throughput, int | float) else None,
        )
