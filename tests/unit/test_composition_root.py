"""The composition root: nothing is wired at import time; bootstrap wires it all, lazily."""

from __future__ import annotations

import subprocess
import sys

from jobplatform.infrastructure.bootstrap import bootstrap
from jobplatform.infrastructure.celery.config import RUN_JOB_TASK, SCHEDULE_FAN_OUT_TASK
from jobplatform.infrastructure.settings import Settings

IMPORT_EVERYTHING = """
import gc, importlib, pkgutil
import jobplatform
from celery import _state

for module in pkgutil.walk_packages(jobplatform.__path__, "jobplatform."):
    if ".migrations" not in module.name:
        importlib.import_module(module.name)
from jobplatform.infrastructure.container import Container

print(len(list(_state._apps)), sum(isinstance(o, Container) for o in gc.get_objects()))
"""


def test_importing_every_module_builds_no_celery_app_and_no_container() -> None:
    # A fresh interpreter: this test process may have bootstrapped already.
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING], capture_output=True, text=True, check=True
    )
    apps, containers = result.stdout.split()
    assert (apps, containers) == ("0", "0"), result.stderr


def test_bootstrap_wires_the_app_and_the_container_to_each_other_without_connecting() -> None:
    # Nothing listens on these ports: wiring must not need the servers.
    c = bootstrap(
        Settings(
            database_url="postgresql+psycopg://nobody@127.0.0.1:9/none",
            redis_url="redis://127.0.0.1:9/0",
        )
    )
    assert c.celery.container is c
    assert {RUN_JOB_TASK, SCHEDULE_FAN_OUT_TASK} <= set(c.celery.tasks)
    assert c.celery.conf.broker_url == "redis://127.0.0.1:9/0"
    assert "engine" not in vars(c) and "redis" not in vars(c)
    child = c.for_child()
    assert child is not c and child.celery is c.celery and child.settings is c.settings
