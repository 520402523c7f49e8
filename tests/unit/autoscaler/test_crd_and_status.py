"""WorkerPool objects -> policy spec and probe layout; conditions move only when they flip."""

from celery_autoscaler import crd, status
from celery_autoscaler.actuators.kubernetes import pod_name
from celery_autoscaler.actuators.local import LocalProcessActuator
from celery_autoscaler.policy import PoolSpec

SPEC = {
    "deployment": "worker",
    "queues": ["default", "heavy"],
    "minReplicas": 1,
    "maxReplicas": 8,
    "celery": {"prioritySteps": [0, 5], "keyPrefix": "app:"},
    "targets": {"backlogPerReplica": 20, "maxWaitSeconds": 10, "concurrency": 4},
    "behaviour": {
        "scaleDown": {"stabilisationWindowSeconds": 90},
        "cooldownToZeroSeconds": 30,
        "podStartSeconds": 45,
    },
    "fallback": {"replicas": 3},
    "retryStorm": {"ratio": 2, "holdScaleUp": True},
}


def test_spec_fields_reach_the_policy() -> None:
    pool = crd.pool_spec(SPEC, {crd.PAUSED_ANNOTATION: "true"})
    assert (pool.min_replicas, pool.max_replicas, pool.concurrency) == (1, 8, 4)
    assert pool.backlog_per_replica == 20 and pool.max_wait_seconds == 10
    assert pool.scale_down.stabilisation_seconds == 90 and pool.pod_start_seconds == 45
    assert pool.scale_down.pods == PoolSpec().scale_down.pods  # unset: the default
    assert pool.fallback_replicas == 3 and pool.hold_scale_up_on_retry_storm and pool.paused
    assert not crd.pool_spec(SPEC).paused


def test_layout_uses_steps_and_prefix() -> None:
    layout = crd.layout(SPEC)
    assert layout.priority_keys("default") == ["app:default", "app:default\x06\x165"]
    assert layout.unacked == "app:unacked"
    assert layout.binding_key("heavy") == "app:_kombu.binding.heavy"


def test_condition_transition_time_moves_only_on_a_flip() -> None:
    first = status.conditions([], {"Ready": (True, "Backlog", "")}, now=100)
    same = status.conditions(first, {"Ready": (True, "Latency", "")}, now=200)
    flipped = status.conditions(same, {"Ready": (False, "InvalidSpec", "max < min")}, now=300)
    assert first[0]["lastTransitionTime"] == same[0]["lastTransitionTime"]
    assert same[0]["reason"] == "Latency"
    assert flipped[0]["lastTransitionTime"] != same[0]["lastTransitionTime"]


class FakeWorker:
    def __init__(self, n: int) -> None:
        self.hostname, self.stopped = f"w{n}@local", False

    def stop(self) -> None:
        self.stopped = True


def test_local_actuator_stops_drained_workers_first() -> None:
    local = LocalProcessActuator(FakeWorker)  # type: ignore[arg-type]
    local.scale(4)
    local.scale(2, drain=("w2@local",))
    assert [w.hostname for w in local.workers] == ["w1@local", "w3@local"]


def test_pod_name_is_the_host_part_of_the_celery_hostname() -> None:
    assert pod_name("celery@worker-default-7d9f-abcde") == "worker-default-7d9f-abcde"
    assert pod_name("plain-pod") == "plain-pod"
