"""A revoked or expired key is kept for a while (`jobplatform keys list` still names it, so an
operator can tell why a client is refused), then deleted."""

from datetime import timedelta

from jobplatform.application.handlers.batched_delete import delete_in_batches
from jobplatform.application.handlers.job_run import JobRun
from jobplatform.domain.job_types.prune_api_keys import PruneApiKeysPayload


def handle_prune_api_keys(payload: PruneApiKeysPayload, run: JobRun) -> None:
    retention = timedelta(seconds=run.services.api_key_retention_seconds)
    before, limit = run.clock.now() - retention, run.services.prune_batch_size
    delete_in_batches(
        run.units, lambda uow: uow.retired_api_keys.delete_retired_before(before, limit)
    )
