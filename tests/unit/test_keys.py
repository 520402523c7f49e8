import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobplatform.domain.keys import platform_key, tenant_key
from jobplatform.domain.tenant import TenantId

parts = st.text(
    alphabet=st.characters(blacklist_characters=":", blacklist_categories=["Z", "C"]),
    min_size=1,
    max_size=20,
)


@st.composite
def two_keys(draw: st.DrawFn) -> tuple[tuple[uuid.UUID, str], tuple[uuid.UUID, str]]:
    """Two (tenant, part) pairs; half the time the same tenant, half the time the same part,
    so the equal branches are generated as often as the different ones."""
    a, part_a = draw(st.uuids()), draw(parts)
    b = a if draw(st.booleans()) else draw(st.uuids())
    part_b = part_a if draw(st.booleans()) else draw(parts)
    return (a, part_a), (b, part_b)


@given(pair=two_keys())
def test_two_keys_are_equal_exactly_when_tenant_and_part_are(
    pair: tuple[tuple[uuid.UUID, str], tuple[uuid.UUID, str]],
) -> None:
    (a, part_a), (b, part_b) = pair
    ka, kb = tenant_key(TenantId(a), part_a), tenant_key(TenantId(b), part_b)
    assert (ka == kb) == (a == b and part_a == part_b)
    assert str(a) in ka


def test_tenant_key_shape() -> None:
    tenant = TenantId(uuid.UUID(int=1))
    assert tenant_key(tenant, "events") == f"jobplatform:tenant:{tenant}:events"
    assert platform_key("workers") == "jobplatform:workers"


@pytest.mark.parametrize("bad", ["", "a:b", "has space", "tab\t"])
def test_parts_that_could_forge_another_key_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        tenant_key(TenantId(uuid.uuid4()), bad)


def test_a_bare_string_is_not_a_tenant() -> None:
    with pytest.raises(TypeError):
        tenant_key(str(uuid.uuid4()), "events")  # type: ignore[arg-type]
