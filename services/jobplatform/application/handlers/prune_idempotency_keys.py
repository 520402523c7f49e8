from jobplatform.application.handlers.job_run import JobRun
from jobplatform.domain.job_types.prune_idempotency_keys import PruneIdempotencyKeysPayload


def handle_prune_idempotency_keys(payload: PruneIdempotencyKeysPayload, run: JobRun) -> None:
    with run.units.open() as uow:
        uow.idempotency.delete_expired(run.clock.now())
        uow.commit()
