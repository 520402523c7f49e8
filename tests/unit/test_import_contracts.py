"""The layer contracts of pyproject.toml hold, and each one fails when a wrong import is planted.

A contract that cannot fail proves nothing: every kind of wrong import DESIGN.md rules out is
planted in a copy of the package, and lint-imports must name the contract it breaks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")

# (file to plant the import in, the import, the contract that must break)
PLANTED = [
    (
        "domain/job.py",
        "import structlog",
        "Domain imports only the standard library and pydantic",
    ),
    (
        "application/submit_job.py",
        "import sqlalchemy",
        "Application imports only the standard library, pydantic, structlog and",
    ),
    (
        "interface/cli/main.py",
        "import jobplatform.infrastructure.db.repositories",
        "The CLI hands over to use cases and processes",
    ),
    (
        "interface/http/routes_jobs.py",
        "import jobplatform.infrastructure.db.unit_of_work",
        "HTTP routes reach jobs only through the application layer",
    ),
    (
        "infrastructure/celery/publisher.py",
        "import jobplatform.infrastructure.db.engine",
        "The Celery adapter imports neither the database nor the Redis adapter",
    ),
    # The three imports the composition root made unnecessary: none may come back.
    (
        "infrastructure/celery/worker_hooks.py",
        "from jobplatform.infrastructure.redis.heartbeat import HeartbeatThread",
        "The Celery adapter imports neither the database nor the Redis adapter",
    ),
    (
        "infrastructure/celery/tenant_task.py",
        "from jobplatform.infrastructure.redis.worker_keys import queue_stats_key",
        "The Celery adapter imports neither the database nor the Redis adapter",
    ),
    (
        "infrastructure/celery/outcomes.py",
        "from jobplatform.infrastructure.redis.worker_keys import queue_stats_key",
        "The Celery adapter imports neither the database nor the Redis adapter",
    ),
    (
        "infrastructure/db/engine.py",
        "import jobplatform.infrastructure.redis.client",
        "The database adapter imports neither the Celery nor the Redis adapter",
    ),
    (
        "infrastructure/redis/client.py",
        "import jobplatform.infrastructure.celery.config",
        "The Redis adapter imports neither the Celery nor the database adapter",
    ),
    (
        "infrastructure/celery/tasks.py",
        "from jobplatform.infrastructure.db.unit_of_work import SqlUnitOfWorkFactory",
        "Celery tasks hand over to use cases, never to SQL, HTTP or the unit of work",
    ),
    (
        "domain/job.py",
        "import jobplatform.application.ports",
        "Layers: interface > infrastructure > application > domain",
    ),
]


def _lint_imports(cwd: Path, services: Path) -> subprocess.CompletedProcess[str]:
    # The copy comes first on the path, before the editable install of the real package.
    env = {**os.environ, "PYTHONPATH": str(services), "COLUMNS": "200"}
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"], cwd=cwd, capture_output=True, text=True, env=env
    )


def test_import_contracts_are_kept() -> None:
    result = _lint_imports(ROOT, ROOT / "services")
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"), PLANTED, ids=[f"{p[0]}:{p[1].split()[1]}" for p in PLANTED]
)
def test_a_planted_wrong_import_breaks_its_contract(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    shutil.copytree(
        ROOT / "services", tmp_path / "services", ignore=shutil.ignore_patterns("*.pyc")
    )
    shutil.copytree(ROOT / "tests" / "import_rules", tmp_path / "tests" / "import_rules")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "services" / "jobplatform" / module
    target.write_text(target.read_text() + f"\n{line}  # planted by the test\n")

    result = _lint_imports(tmp_path, tmp_path / "services")

    assert result.returncode != 0, result.stdout
    broken = [x for x in result.stdout.splitlines() if " BROKEN" in x]
    assert any(contract in x for x in broken), result.stdout
    report = result.stdout[result.stdout.index("Broken contracts") :].splitlines()
    print(
        f"\nplanted {line!r} in {module}: " + " | ".join(x.strip() for x in report[3:] if x.strip())
    )
