"""The statements every job runs, as plain SQL.

Building them with the expression API cost more Python time per job than the database work
itself (measured with cProfile: about 2 ms of 6.6 ms). As fixed text, psycopg prepares them
once per connection and each is one round trip.
"""

from sqlalchemy import text

# Queued or retrying -> running with one more attempt and a lease for this worker, by the
# function of migration 0009: it binds the tenant itself, so the worker's start is one
# statement (no pipeline). No row: unknown in this tenant, finished, or held by a live run.
START_ATTEMPT = text(
    "SELECT * FROM jobplatform_start_attempt(:tenant, :id, :now, :owner, :lease_until)"
)

# The attempt's outcome on the job row and in the attempt log, in one statement. Only the run
# that still holds the attempt may record it: a run whose lease expired and whose job was
# taken over by another worker records nothing (``recorded`` is 0).
RECORD_ATTEMPT = text("""
WITH saved AS (
  UPDATE jobs
     SET status = :status, error_class = :error_class, updated_at = :now,
         finished_at = :finished_at, next_attempt_at = :next_attempt_at,
         lease_owner = NULL, lease_expires_at = NULL
   WHERE id = :id AND tenant_id = :tenant AND status = 'running' AND attempts = :attempt
  RETURNING id
), logged AS (
  INSERT INTO job_attempts (job_id, attempt, tenant_id, started_at, finished_at, outcome,
                            error_class, retry_delay)
  SELECT id, :attempt, :tenant, :started, :ended, :outcome, :error_class, :retry_delay
    FROM saved
  ON CONFLICT DO NOTHING
)
SELECT count(*) AS recorded FROM saved
""")

# New queued jobs and their outbox messages, any number, in one statement (the rows come as
# parallel arrays). The outbox rows reference the jobs inserted by the same statement: foreign
# keys are checked at its end. Row-level security checks both inserts against the tenant.
ACCEPT_JOBS = text("""
WITH accepted AS (
  INSERT INTO jobs (id, tenant_id, type, queue, payload, status, attempts,
                    attempts_before_series, request_id, created_at, updated_at, dispatched_at)
  SELECT j.id, :tenant, j.type, j.queue, j.payload, 'queued', 0, 0, :request_id, :now, :now,
         :now
    FROM unnest(CAST(:ids AS uuid[]), CAST(:types AS text[]), CAST(:queues AS text[]),
                CAST(:payloads AS jsonb[])) AS j(id, type, queue, payload)
  RETURNING id, type, queue
)
INSERT INTO outbox (job_id, tenant_id, job_type, queue, request_id, created_at)
SELECT id, :tenant, type, queue, :request_id, :now FROM accepted
""")

# ACCEPT_JOBS for one job, as plain parameters: most submits carry one job, and encoding four
# one-element arrays cost more of the web's CPU than the row itself. Same rows, same checks.
ACCEPT_ONE_JOB = text("""
WITH accepted AS (
  INSERT INTO jobs (id, tenant_id, type, queue, payload, status, attempts,
                    attempts_before_series, request_id, created_at, updated_at, dispatched_at)
  VALUES (:id, :tenant, :type, :queue, :payload, 'queued', 0, 0, :request_id, :now, :now, :now)
  RETURNING id, type, queue
)
INSERT INTO outbox (job_id, tenant_id, job_type, queue, request_id, created_at)
SELECT id, :tenant, type, queue, :request_id, :now FROM accepted
""")

# Succeeded outcomes of one tenant's runs, any number, in one statement (parallel arrays): the
# worker's write-behind sends them together a few milliseconds after the runs ended. Same rule
# as RECORD_ATTEMPT: a row is written only for the run that still holds its attempt. A run
# started from its ticket (``ticket_owner`` set) holds the first attempt of its job while the
# job is still queued (nothing was written when it started) or once its worker's lease keeper
# marked it running; not if another run claimed the job.
RECORD_SUCCEEDED = text("""
WITH batch AS (
  SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:attempts AS integer[]),
                       CAST(:started AS timestamptz[]), CAST(:ended AS timestamptz[]),
                       CAST(:ticket_owners AS text[]))
         AS b(id, attempt, started, ended, ticket_owner)
), saved AS (
  UPDATE jobs j
     SET status = 'succeeded', attempts = b.attempt, error_class = NULL,
         started_at = COALESCE(j.started_at, b.started), updated_at = b.ended,
         finished_at = b.ended, next_attempt_at = NULL,
         lease_owner = NULL, lease_expires_at = NULL
    FROM batch b
   WHERE j.id = b.id AND j.tenant_id = :tenant
     AND CASE WHEN b.ticket_owner IS NULL
              THEN j.status = 'running' AND j.attempts = b.attempt
              ELSE (j.status = 'queued' AND j.attempts = 0)
                OR (j.status = 'running' AND j.attempts = 1 AND j.lease_owner = b.ticket_owner)
         END
  RETURNING j.id, b.attempt, b.started, b.ended
), logged AS (
  INSERT INTO job_attempts (job_id, attempt, tenant_id, started_at, finished_at, outcome,
                            error_class, retry_delay)
  SELECT id, attempt, :tenant, started, ended, 'succeeded', NULL, NULL
    FROM saved
  ON CONFLICT DO NOTHING
)
SELECT count(*) AS recorded FROM saved
""")

# A run started from its ticket takes its job before it records an outcome other than a
# write-behind success (a retry, a dead letter, a step after the outcome): the job's first
# attempt, from queued, or already marked running by this worker's lease keeper. No row:
# another run took the job over meanwhile.
CLAIM_TICKET_RUN = text("""
UPDATE jobs
   SET attempts = 1, status = 'running', started_at = COALESCE(started_at, :started),
       updated_at = :now, lease_owner = :owner, lease_expires_at = :lease_until,
       next_attempt_at = NULL
 WHERE id = :id AND tenant_id = :tenant
   AND ((status = 'queued' AND attempts = 0)
        OR (status = 'running' AND attempts = 1 AND lease_owner = :owner))
RETURNING *
""")
