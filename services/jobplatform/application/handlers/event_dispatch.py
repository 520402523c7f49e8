from jobplatform.application.follow_ups import submit_follow_ups
from jobplatform.application.handlers.job_run import JobRun
from jobplatform.domain.job_types.event_dispatch import EventDispatchPayload


def handle_event_dispatch(payload: EventDispatchPayload, run: JobRun) -> None:
    submit_follow_ups(payload.name, payload.data, run)
