"""The web process: authenticates, validates, enqueues. It never runs a job."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from jobplatform.infrastructure.container import Container
from jobplatform.interface.http import (
    routes_audit,
    routes_batch,
    routes_dead_letters,
    routes_health,
    routes_imports,
    routes_jobs,
    routes_metrics,
    routes_reports,
    routes_webhooks,
)
from jobplatform.interface.http.access_log import AccessLogMiddleware
from jobplatform.interface.http.body_limit import BodyLimitMiddleware
from jobplatform.interface.http.errors import install_error_handlers
from jobplatform.interface.http.nul_guard import NulGuardMiddleware
from jobplatform.interface.http.request_id import request_id_middleware
from jobplatform.interface.http.unexpected_errors import UnexpectedErrorMiddleware


def create_app(container: Container) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The submit path's connections live on the serving event loop, for as long as it.
        async with container.job_intake() as intake:
            app.state.job_intake = intake
            yield

    app = FastAPI(
        lifespan=lifespan,
        title="jobplatform",
        version="0.1.0",
        description="Multi-tenant background jobs on Celery and Redis.",
    )
    app.state.container = container
    app.include_router(routes_jobs.router)
    app.include_router(routes_batch.router)
    app.include_router(routes_dead_letters.router)
    app.include_router(routes_health.router)
    app.include_router(routes_metrics.router)
    app.include_router(routes_webhooks.router)
    app.include_router(routes_audit.router)
    app.include_router(routes_imports.router)
    app.include_router(routes_reports.router)
    install_error_handlers(app)
    # Innermost first; the request id is outermost, so every response carries it, a 413 or
    # a 500 included.
    app.add_middleware(NulGuardMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=container.settings.max_body_bytes,
        # Uploads have their own limit (the route answers 413 past it).
        path_limits={"/v1/imports": container.settings.import_max_bytes},
    )
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(request_id_middleware)
    return app
