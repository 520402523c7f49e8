"""The tenant a piece of work runs for, held in a context variable.

Bound by the web layer from the authenticated API key and by the worker from message headers,
and reset when that work ends. Repositories read it, so data access without a tenant scope fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from jobplatform.domain.errors import MissingTenantContext
from jobplatform.domain.tenant import TenantContext

_current: ContextVar[TenantContext | None] = ContextVar("tenant_context", default=None)


def current() -> TenantContext | None:
    return _current.get()


def require() -> TenantContext:
    ctx = _current.get()
    if ctx is None:
        raise MissingTenantContext("no tenant context is bound")
    return ctx


@contextmanager
def bound(ctx: TenantContext) -> Iterator[TenantContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
