"""The outside world a job handler may use, each behind its port. A process wires only the
ones it has; a handler whose port is missing fails as a configuration error."""

from __future__ import annotations

from dataclasses import dataclass

from jobplatform.application.mail import Mailer
from jobplatform.application.secrets import SecretStore
from jobplatform.application.storage import Storage
from jobplatform.application.webhooks import WebhookSender
from jobplatform.domain.errors import NonRetryableError


class ServiceNotConfigured(NonRetryableError):
    """This process has no adapter for a port the job needs."""


@dataclass(frozen=True, slots=True)
class JobServices:
    storage: Storage | None = None
    secrets: SecretStore | None = None
    webhooks: WebhookSender | None = None
    mailer: Mailer | None = None
    # Rows per transaction of a CSV import.
    import_chunk_rows: int = 1000
    # Rows a report reads per page (one transaction each).
    report_page_rows: int = 1000
    # An upload no unfinished import names is deleted once it is this old.
    upload_orphan_age_seconds: float = 86_400.0
    # Scheduled pruning: rows deleted per transaction, and how long dead letters are kept.
    prune_batch_size: int = 1000
    dead_letter_retention_seconds: float = 30 * 86_400.0
    # How long a revoked or expired API key is kept before it is deleted.
    api_key_retention_seconds: float = 30 * 86_400.0
    # Audit: the days beat's aggregation recounts (today and the days before it), and how
    # many days of raw events compaction keeps (older ones live on as daily counts).
    audit_open_days: int = 2
    audit_retention_days: int = 90

    def require_secrets(self) -> SecretStore:
        if self.secrets is None:
            raise ServiceNotConfigured("secrets")
        return self.secrets

    def require_webhooks(self) -> WebhookSender:
        if self.webhooks is None:
            raise ServiceNotConfigured("webhooks")
        return self.webhooks

    def require_mailer(self) -> Mailer:
        if self.mailer is None:
            raise ServiceNotConfigured("mailer")
        return self.mailer

    def require_storage(self) -> Storage:
        if self.storage is None:
            raise ServiceNotConfigured("storage")
        return self.storage
