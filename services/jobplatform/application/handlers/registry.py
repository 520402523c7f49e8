"""Job type name -> handler. Every catalog entry must have one (a unit test checks)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jobplatform.application.handlers.audit_aggregate import handle_audit_aggregate
from jobplatform.application.handlers.audit_compact import handle_audit_compact
from jobplatform.application.handlers.audit_record import handle_audit_record
from jobplatform.application.handlers.cleanup_uploads import handle_cleanup_uploads
from jobplatform.application.handlers.csv_import import handle_csv_import, release_csv_upload
from jobplatform.application.handlers.diagnostic import handle_diagnostic
from jobplatform.application.handlers.email_send import handle_email_send
from jobplatform.application.handlers.event_dispatch import handle_event_dispatch
from jobplatform.application.handlers.job_run import JobRun
from jobplatform.application.handlers.noop import handle_noop
from jobplatform.application.handlers.prune_api_keys import handle_prune_api_keys
from jobplatform.application.handlers.prune_dead_letters import handle_prune_dead_letters
from jobplatform.application.handlers.prune_idempotency_keys import (
    handle_prune_idempotency_keys,
)
from jobplatform.application.handlers.report_generate import handle_report_generate
from jobplatform.application.handlers.webhook_delivery import handle_webhook_delivery
from jobplatform.domain.job_types.audit_aggregate import AUDIT_AGGREGATE
from jobplatform.domain.job_types.audit_compact import AUDIT_COMPACT
from jobplatform.domain.job_types.audit_record import AUDIT_RECORD
from jobplatform.domain.job_types.cleanup_uploads import CLEANUP_UPLOADS
from jobplatform.domain.job_types.csv_import import CSV_IMPORT
from jobplatform.domain.job_types.diagnostic import DIAGNOSTIC
from jobplatform.domain.job_types.email_send import EMAIL_SEND
from jobplatform.domain.job_types.event_dispatch import EVENT_DISPATCH
from jobplatform.domain.job_types.noop import NOOP
from jobplatform.domain.job_types.prune_api_keys import PRUNE_API_KEYS
from jobplatform.domain.job_types.prune_dead_letters import PRUNE_DEAD_LETTERS
from jobplatform.domain.job_types.prune_idempotency_keys import PRUNE_IDEMPOTENCY_KEYS
from jobplatform.domain.job_types.report_generate import REPORT_GENERATE
from jobplatform.domain.job_types.webhook_delivery import WEBHOOK_DELIVERY

Handler = Callable[[Any, JobRun], None]

HANDLERS: Mapping[str, Handler] = {
    NOOP.name: handle_noop,
    DIAGNOSTIC.name: handle_diagnostic,
    PRUNE_IDEMPOTENCY_KEYS.name: handle_prune_idempotency_keys,
    WEBHOOK_DELIVERY.name: handle_webhook_delivery,
    EMAIL_SEND.name: handle_email_send,
    AUDIT_RECORD.name: handle_audit_record,
    EVENT_DISPATCH.name: handle_event_dispatch,
    CSV_IMPORT.name: handle_csv_import,
    CLEANUP_UPLOADS.name: handle_cleanup_uploads,
    PRUNE_DEAD_LETTERS.name: handle_prune_dead_letters,
    PRUNE_API_KEYS.name: handle_prune_api_keys,
    REPORT_GENERATE.name: handle_report_generate,
    AUDIT_AGGREGATE.name: handle_audit_aggregate,
    AUDIT_COMPACT.name: handle_audit_compact,
}

# What a job type does once a job of it is over for good (succeeded, or dead after its last
# attempt), after that outcome is recorded: release what only the job needed. A failure here
# is logged and changes nothing of the outcome; scheduled cleanups catch what is left.
AFTER_FINISH: Mapping[str, Handler] = {
    CSV_IMPORT.name: release_csv_upload,
}
