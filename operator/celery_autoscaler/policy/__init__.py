"""The scaling policy: pure functions from signals, spec and history to a decision.

Nothing here imports kopf, kubernetes or redis (import-linter enforces it), so the same policy
drives the operator, the local demo and the simulator.
"""

from celery_autoscaler.policy.burst_watch import POLL, WATCH, PollClock, watch_fires
from celery_autoscaler.policy.decide import decide
from celery_autoscaler.policy.decision import AlertSignal, Decision, Reason
from celery_autoscaler.policy.history import History
from celery_autoscaler.policy.observation import Observation, QueueSignals, Rates
from celery_autoscaler.policy.spec import Behaviour, PoolSpec

__all__ = [
    "POLL",
    "WATCH",
    "AlertSignal",
    "Behaviour",
    "Decision",
    "History",
    "Observation",
    "PollClock",
    "PoolSpec",
    "QueueSignals",
    "Rates",
    "Reason",
    "decide",
    "watch_fires",
]
