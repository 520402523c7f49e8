"""Reading the JSON log lines the platform's processes wrote during the run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def json_lines(log_dir: Path) -> list[dict[str, Any]]:
    found = []
    for path in log_dir.glob("*.log"):
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    found.append(json.loads(line))
                except ValueError:
                    continue  # a line still being written
    return found


def failure_line(log_dir: Path, job_id: str) -> dict[str, Any] | None:
    """The worker's ``job_failed`` line of this job, once it is written."""
    for line in json_lines(log_dir):
        if line.get("event") == "job_failed" and line.get("job_id") == job_id:
            return line
    return None
