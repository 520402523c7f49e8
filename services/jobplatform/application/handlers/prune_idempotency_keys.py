from jobplatform.application.handlers.batched_delete import delete_in_batches
from jobplatform.application.handlers.job_run import JobRun
from jobplatform.domain.job_types.prune_idempotency_keys import PruneIdempotencyKeysPayload


def handle_prune_idempotency_keys(payload: PruneIdempotencyKeysPayload, run: JobRun) -> None:
    now, limit = run.clock.now(), run.services.prune_batch_size
    delete_in_batches(run.units, lambda uow: uow.idempotency.delete_expired(now, limit))
