"""Raw replies of the probe's pipeline -> typed per-queue signals and workers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime


def as_str(value: bytes | str | None) -> str:
    return value.decode() if isinstance(value, bytes) else (value or "")


def published_at(raw: bytes | None) -> float | None:
    """`published_at` header of a raw kombu message, if the platform stamped one."""
    if raw is None:
        return None
    try:
        value = (json.loads(raw).get("headers") or {}).get("published_at")
        return float(value) if value is not None else None
    except (ValueError, TypeError, AttributeError):
        return None


def eta_epoch(text: str) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def unacked_groups(
    flat: Sequence[bytes | int],
) -> tuple[list[tuple[str, float | None, bool, float]], bool]:
    """(queue, eta, is_retry, count) from UNACKED_SUMMARY's reply, and whether the counts are
    estimates from a sample (scaled to the hash's size) rather than exact."""
    total, read = int(flat[0]), int(flat[1])
    scale = total / read if read else 1.0
    found = []
    for key, count in zip(flat[2::2], flat[3::2], strict=True):
        queue, eta, retry = as_str(key if isinstance(key, bytes) else str(key)).split("\0")
        found.append((queue, eta_epoch(eta), retry == "1", int(count) * scale))
    return found, read < total


def workers(flat: Sequence[bytes]) -> list[tuple[str, tuple[str, ...], int]]:
    """(hostname, queues, tasks running) from WORKERS_SUMMARY's flat reply."""
    found = []
    for i in range(0, len(flat), 4):
        host, queues, state, active = (as_str(x) for x in flat[i : i + 4])
        running = int(active) if active.isdigit() else 0
        running = max(running, 1 if state == "busy" else 0)
        found.append((host, tuple(q for q in queues.split(",") if q), running))
    return found


def fresh_arrivals(reply: Sequence[int] | int) -> tuple[int, ...] | None:
    """FRESH_ARRIVALS' reply for one queue -> new jobs in each second, newest first; -1 (the
    queue has no counter) -> None."""
    if isinstance(reply, int):
        return None
    return tuple(int(n) for n in reply)
