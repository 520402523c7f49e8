"""A stable fingerprint of a submission, to tell a replayed request from a different one."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def request_fingerprint(job_type: str, payload: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"type": job_type, "payload": payload}, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
