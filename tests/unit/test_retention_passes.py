"""The retention sweep's passes: tenants with a retention of their own are left out of the
global pass and get a pass each with their own cutoff."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from jobplatform.application.retention import SweepPass, sweep_passes
from jobplatform.domain.tenant import TenantId


def test_without_overrides_one_global_pass() -> None:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    assert sweep_passes(now, timedelta(days=30), {}) == [SweepPass(before=now - timedelta(days=30))]


def test_each_tenant_with_its_own_retention_gets_its_own_cutoff() -> None:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    short, long_ = TenantId(uuid.uuid4()), TenantId(uuid.uuid4())
    passes = sweep_passes(now, timedelta(days=30), {short: 3, long_: 400})
    global_pass, *own = passes
    assert global_pass.tenant is None and set(global_pass.excluding) == {short, long_}
    assert global_pass.before == now - timedelta(days=30)
    assert {(p.tenant, p.before, p.excluding) for p in own} == {
        (short, now - timedelta(days=3), ()),
        (long_, now - timedelta(days=400), ()),
    }


def test_no_tenant_retention_is_shorter_than_the_shortest_allowed() -> None:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    brief = TenantId(uuid.uuid4())
    _, own = sweep_passes(now, timedelta(days=30), {brief: 1}, shortest=timedelta(days=2))
    assert own.before == now - timedelta(days=2)
