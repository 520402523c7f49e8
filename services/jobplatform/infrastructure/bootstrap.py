"""The one composition root: every entrypoint (web, worker, beat, relay, reconciler, the CLI's
commands) calls ``bootstrap`` once and gets the wired container. Nothing is built at import
time, and no code below the entrypoints looks up a global: tasks reach their adapters through
``self.app.container``, the web through ``app.state.container``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jobplatform.infrastructure.celery.app import make_celery_app
from jobplatform.infrastructure.container import Container
from jobplatform.infrastructure.settings import Settings


def bootstrap(settings: Settings) -> Container:
    """Build this process's container and its Celery app (tasks and worker hooks wired).

    Adapters connect lazily on first use, so bootstrapping never touches Redis or Postgres."""
    container = Container(settings)
    container.celery = make_celery_app(container)
    return container


def __getattr__(name: str) -> Any:
    # For `celery -A jobplatform.infrastructure.bootstrap worker ...` (tests load extra task
    # modules this way): Celery asks the module for `app`, and gets one built from the
    # environment's settings at that moment, not at import.
    if name == "app":
        return _app_for_celery_command()
    raise AttributeError(name)


@cache
def _app_for_celery_command() -> Any:
    from jobplatform.infrastructure.settings import settings

    return bootstrap(settings()).celery
