"""Dead letters are kept for the retention period (to be read and replayed), then deleted."""

from datetime import timedelta

from jobplatform.application.handlers.batched_delete import delete_in_batches
from jobplatform.application.handlers.job_run import JobRun
from jobplatform.domain.job_types.prune_dead_letters import PruneDeadLettersPayload


def handle_prune_dead_letters(payload: PruneDeadLettersPayload, run: JobRun) -> None:
    retention = timedelta(seconds=run.services.dead_letter_retention_seconds)
    before, limit = run.clock.now() - retention, run.services.prune_batch_size
    delete_in_batches(run.units, lambda uow: uow.dead_letters.delete_older_than(before, limit))
