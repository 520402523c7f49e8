"""structlog JSON logs in every process, with redaction of secrets before anything is written.

Standard-library loggers (Celery, uvicorn, alembic) are routed through the same processors,
so every line a process writes is one JSON object.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

import structlog

REDACTED = "[redacted]"
# Key names whose values never reach a log line, whatever the level.
BUILTIN_SENSITIVE = (
    "authorization",
    "api_key",
    "apikey",
    "token",
    "secret",
    "password",
    "passwd",
    "cookie",
    "credential",
    "private_key",
    "payload",
)
# Values that look like our API keys or bearer tokens are masked wherever they appear.
SECRET_VALUE = re.compile(r"(jpk_[A-Za-z0-9_\-]+|Bearer\s+[A-Za-z0-9._~+/=\-]+)")


class Redactor:
    def __init__(self, extra_fields: Iterable[str] = ()):
        self._fields = tuple(f.lower() for f in (*BUILTIN_SENSITIVE, *extra_fields))

    def _sensitive(self, key: str) -> bool:
        k = key.lower()
        return any(f in k for f in self._fields)

    def _clean(self, value: Any, depth: int = 0) -> Any:
        if depth > 6:
            return value
        if isinstance(value, str):
            return SECRET_VALUE.sub(REDACTED, value)
        if isinstance(value, dict):
            return {
                k: REDACTED
                if isinstance(k, str) and self._sensitive(k)
                else self._clean(v, depth + 1)
                for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return [self._clean(v, depth + 1) for v in value]
        return value

    def __call__(
        self, _logger: Any, _method: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        for key in list(event):
            if key != "event" and self._sensitive(key):
                event[key] = REDACTED
            else:
                event[key] = self._clean(event[key])
        return event


def configure_logging(
    process: str, level: str = "INFO", sensitive_fields: Iterable[str] = ()
) -> None:
    redactor = Redactor(sensitive_fields)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redactor,
    ]
    structlog.configure(
        # A line below the level is dropped first, before the other processors run (the web
        # logs one INFO line per request: at WARNING, building it cost a few % of a submit).
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.ExtraAdder(), *shared],
        processors=[
            lambda _l, _m, ev: {**ev, "process": process},
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "amqp", "kombu"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
