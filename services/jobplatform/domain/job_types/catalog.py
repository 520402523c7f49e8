"""Every job type the platform accepts, by name. A new job type is added here."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

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
from jobplatform.domain.job_types.spec import JobTypeSpec
from jobplatform.domain.job_types.webhook_delivery import WEBHOOK_DELIVERY


class UnknownJobType(LookupError):
    pass


CATALOG: Mapping[str, JobTypeSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            NOOP,
            DIAGNOSTIC,
            PRUNE_IDEMPOTENCY_KEYS,
            WEBHOOK_DELIVERY,
            EMAIL_SEND,
            AUDIT_RECORD,
            EVENT_DISPATCH,
            CSV_IMPORT,
            CLEANUP_UPLOADS,
            PRUNE_DEAD_LETTERS,
            PRUNE_API_KEYS,
            REPORT_GENERATE,
            AUDIT_AGGREGATE,
            AUDIT_COMPACT,
        )
    }
)


def job_type(name: str, *, internal_allowed: bool = True) -> JobTypeSpec:
    """The spec of a job type; an internal type counts as unknown unless internal_allowed."""
    spec = CATALOG.get(name)
    if spec is None or (spec.internal and not internal_allowed):
        raise UnknownJobType(name)
    return spec


def submittable_types() -> list[str]:
    """The job types a tenant may submit, sorted."""
    return sorted(name for name, spec in CATALOG.items() if not spec.internal)
