from jobplatform.application.handlers.job_run import JobRun
from jobplatform.domain.job_types.noop import NoopPayload


def handle_noop(payload: NoopPayload, run: JobRun) -> None:
    return None
