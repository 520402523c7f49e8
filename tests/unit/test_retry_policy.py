"""The retry policy's bounds, from worked examples and properties (the code's own formula is
not restated here)."""

import random

import pytest
from hypothesis import assume, given
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


class Fixed(random.Random):
    """A random source that always draws the same number: the extremes of the jitter."""

    def __init__(self, value: float):
        super().__init__()
        self.value = value

    def random(self) -> float:
        return self.value


# Worked by hand for factor 1 s, cap 8 s: (retries done, shortest, longest).
EXAMPLES = [(0, 0.5, 1.0), (1, 1.0, 2.0), (2, 2.0, 4.0), (3, 4.0, 8.0), (10, 4.0, 8.0)]


@pytest.mark.parametrize(("retries_done", "shortest", "longest"), EXAMPLES)
def test_worked_examples(retries_done: int, shortest: float, longest: float) -> None:
    policy = RetryPolicy(max_retries=20, backoff_factor=1.0, backoff_max=8.0)
    assert policy.delay(retries_done, Fixed(0.0)) == pytest.approx(shortest)
    assert policy.delay(retries_done, Fixed(1.0)) == pytest.approx(longest)
    assert shortest <= policy.delay(retries_done, random.Random(retries_done)) <= longest


@given(policy=policies, retries_done=st.integers(0, 60), seed=st.integers())
def test_a_delay_is_positive_never_above_the_cap_and_jitter_at_most_halves_it(
    policy: RetryPolicy, retries_done: int, seed: int
) -> None:
    delay = policy.delay(retries_done, random.Random(seed))
    longest = policy.delay(retries_done, Fixed(1.0))
    assert 0 < delay <= longest <= policy.backoff_max
    assert delay >= longest / 2


# Policies whose cap leaves room for a few doublings, so that "below the cap" is common.
roomy_policies = st.builds(
    lambda factor, extra, retries: RetryPolicy(
        max_retries=retries, backoff_factor=factor, backoff_max=factor + extra
    ),
    st.floats(0.01, 10),
    st.floats(0, 100_000),
    st.integers(0, 20),
)


@given(policy=roomy_policies, retries_done=st.integers(0, 8), a=st.integers(), b=st.integers())
def test_below_the_cap_a_retry_never_waits_less_than_the_one_before(
    policy: RetryPolicy, retries_done: int, a: int, b: int
) -> None:
    # Below the cap: the next retry's longest wait is not yet clipped to backoff_max.
    assume(policy.delay(retries_done + 1, Fixed(1.0)) < policy.backoff_max)
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
