"""One line for a fault a person can fix (a service not there, no schema) instead of a traceback."""

from __future__ import annotations

import redis.exceptions
import sqlalchemy.exc

from jobplatform.application.ports import StoreUnavailable


def describe_fault(exc: BaseException) -> str | None:
    """What to tell a person when ``exc`` means Postgres or Redis is not there; else None.

    The driver's own text is left out: a Postgres error can quote the statement's data.
    """
    if isinstance(
        exc, StoreUnavailable | sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError
    ):
        return (
            "cannot reach Postgres at JOBPLATFORM_DATABASE_URL "
            "(is it running, and do host, port, user and password match?)"
        )
    if isinstance(exc, sqlalchemy.exc.ProgrammingError) and (
        type(exc.orig).__name__ == "UndefinedTable"
    ):
        return "the database has no schema yet: run `jobplatform migrate` first"
    if isinstance(exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
        return "cannot reach Redis at JOBPLATFORM_REDIS_URL (is it running?)"
    return None
