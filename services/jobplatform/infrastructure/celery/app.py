"""The one Celery app of the platform."""

from __future__ import annotations

from celery import Celery

from jobplatform.infrastructure.celery.config import celery_config
from jobplatform.infrastructure.settings import settings

app = Celery("jobplatform")
app.config_from_object(celery_config(settings()))
app.autodiscover_tasks(["jobplatform.infrastructure.celery"], related_name="tasks", force=True)

# Hooks register on import; importing them here means every process using the app has them.
from jobplatform.infrastructure.celery import publish_hooks, worker_hooks  # noqa: E402,F401
