import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobplatform.domain.retry_policy import RetryPolicy

policies = st.builds(
    lambda factor, extra, retries: RetryPolicy(
        max_retries=retries, backoff_factor=factor, backoff_max=factor + extra
    ),
    st.floats(0.01, 100),
    st.floats(0, 10_000),
    st.integers(0, 20),
)


@given(policy=policies, retries_done=st.integers(0, 60), seed=st.integers())
def test_delay_stays_within_half_step_and_the_cap(
    policy: RetryPolicy, retries_done: int, seed: int
) -> None:
    delay = policy.delay(retries_done, random.Random(seed))
    step = min(policy.backoff_max, policy.backoff_factor * 2**retries_done)
    assert step / 2 <= delay <= step <= policy.backoff_max


@given(policy=policies, retries_done=st.integers(0, 30), a=st.integers(), b=st.integers())
def test_below_the_cap_a_retry_never_waits_less_than_the_one_before(
    policy: RetryPolicy, retries_done: int, a: int, b: int
) -> None:
    next_step = policy.backoff_factor * 2 ** (retries_done + 1)
    if next_step > policy.backoff_max:
        return
    earlier = policy.delay(retries_done, random.Random(a))
    later = policy.delay(retries_done + 1, random.Random(b))
    assert later >= earlier


@given(policy=policies)
def test_retries_stop_at_the_cap(policy: RetryPolicy) -> None:
    allowed = [n for n in range(policy.max_retries + 5) if policy.may_retry(n)]
    assert allowed == list(range(policy.max_retries))
    assert policy.max_attempts == policy.max_retries + 1


@pytest.mark.parametrize(
    "kwargs", [{"max_retries": -1}, {"backoff_factor": 0}, {"backoff_factor": 10, "backoff_max": 5}]
)
def test_nonsense_policies_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
