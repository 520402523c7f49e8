"""The worker pools of ADR-006: each job type runs on exactly one of these queues."""

from enum import StrEnum


class Queue(StrEnum):
    DEFAULT = "default"
    HEAVY = "heavy"
    SCHEDULED = "scheduled"
