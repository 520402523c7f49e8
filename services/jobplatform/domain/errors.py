"""Failure classes. A handler says whether a failure may be retried by the class it raises."""


class JobError(Exception):
    """Base class of every failure a job handler raises on purpose."""


class RetryableError(JobError):
    """A temporary failure (network, an unavailable dependency): the job is retried with backoff."""

    # Seconds the peer asked us to wait (an HTTP Retry-After): the next attempt waits at
    # least this long, whatever the backoff says.
    retry_after: float | None = None


class NonRetryableError(JobError):
    """A failure that will not go away by retrying (bad data, a broken invariant): dead at once."""


class MissingTenantContext(NonRetryableError):
    """Work was attempted without a tenant scope: a critical defect, never run."""


def error_class_name(exc: BaseException) -> str:
    """The name stored and logged for a failure: the class name, never the message."""
    return type(exc).__name__
