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


@given(a=st.uuids(), b=st.uuids(), part=parts)
def test_keys_of_different_tenants_never_collide(a: uuid.UUID, b: uuid.UUID, part: str) -> None:
    ka, kb = tenant_key(TenantId(a), part), tenant_key(TenantId(b), part)
    assert (ka == kb) == (a == b)
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
