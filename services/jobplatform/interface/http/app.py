"""The web process: authenticates, validates, enqueues. It never runs a job."""

from __future__ import annotations

from fastapi import FastAPI

from jobplatform.infrastructure.container import Container
from jobplatform.interface.http import (
    routes_dead_letters,
    routes_health,
    routes_jobs,
    routes_metrics,
)
from jobplatform.interface.http.errors import install_error_handlers
from jobplatform.interface.http.request_id import RequestIdMiddleware


def create_app(container: Container) -> FastAPI:
    app = FastAPI(
        title="jobplatform",
        version="0.1.0",
        description="Multi-tenant background jobs on Celery and Redis.",
        # 413 for larger bodies, declared or streamed, before a route reads them.
        max_body_size=container.settings.max_body_bytes,
    )
    app.state.container = container
    app.include_router(routes_jobs.router)
    app.include_router(routes_dead_letters.router)
    app.include_router(routes_health.router)
    app.include_router(routes_metrics.router)
    install_error_handlers(app)
    app.add_middleware(RequestIdMiddleware)
    return app
