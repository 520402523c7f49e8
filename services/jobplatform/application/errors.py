"""Why a use case refused a request. The interface layer maps each to an HTTP status."""


class ApplicationError(Exception):
    pass


class NotFound(ApplicationError):
    pass


class UnknownTenant(NotFound):
    """No tenant has this id."""


class Conflict(ApplicationError):
    pass


class IdempotencyConflict(Conflict):
    """The key was used before for a different request."""


class AlreadyReplayed(Conflict):
    pass


class InvalidPayload(ApplicationError):
    def __init__(self, errors: list[dict[str, list[object] | str]]):
        super().__init__("invalid payload")
        self.errors = errors


class InvalidBatch(ApplicationError):
    """One or more items of a batch are not valid; ``errors`` locate each (``["jobs", i, ...]``)."""

    def __init__(self, errors: list[dict[str, list[object] | str]]):
        super().__init__("invalid batch")
        self.errors = errors


class BatchIdempotencyConflict(IdempotencyConflict):
    """A batch item's idempotency key was used before for a different request."""

    def __init__(self, key: str, index: int):
        super().__init__(key)
        self.index = index
