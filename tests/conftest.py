"""Shared fixtures: real Redis and Postgres for the whole run, in temporary directories."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def log_dir() -> Iterator[Path]:
    """Every platform process's log; kept after the run when JOBPLATFORM_TEST_KEEP_LOGS is set."""
    path = Path(tempfile.mkdtemp(prefix="jp-logs-"))
    yield path
    if not os.environ.get("JOBPLATFORM_TEST_KEEP_LOGS"):
        shutil.rmtree(path, ignore_errors=True)
