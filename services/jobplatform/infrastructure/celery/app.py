"""The platform's Celery app, made by the composition root (``infrastructure.bootstrap``).

Nothing here runs at import time: the app is built per process, with that process's
container, so a task reaches its adapters through ``self.app.container`` and never through
a global.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from celery import Celery

from jobplatform.infrastructure.celery import publish_hooks, retention_task, tasks  # noqa: F401

# Imported for what they register: the tasks (shared tasks bind to every app when it is
# finalized) and the publish hook (a global Celery signal, the same for every app).
from jobplatform.infrastructure.celery.closed_broker_guard import install_closed_broker_guard
from jobplatform.infrastructure.celery.config import celery_config
from jobplatform.infrastructure.celery.worker_hooks import connect_worker_hooks

if TYPE_CHECKING:
    from jobplatform.infrastructure.container import Container


class PlatformCelery(Celery):  # type: ignore[misc]
    """A Celery app that carries the adapters its tasks and worker hooks use."""

    container: Container


def make_celery_app(container: Container) -> PlatformCelery:
    install_closed_broker_guard()  # a Redis restart must not end a worker (see its module)
    app = PlatformCelery("jobplatform")
    app.config_from_object(celery_config(container.settings))
    app.container = container
    connect_worker_hooks(app)
    return app
