"""Statements of the recovery path: lease renewal and the reconciler's scan. System scope."""

from sqlalchemy import text

# The worker's main process renews the leases of the runs it has in hand.
RENEW_LEASES = text("""
UPDATE jobs SET lease_expires_at = :until
 WHERE id = ANY(:ids) AND lease_owner = :owner AND status = 'running'
""")

# Runs started from their tickets wrote nothing yet: the lease keeper marks those it still has
# in hand running, first attempt, under its lease, so the reconciler and the API see them as
# any other run (and a job that outlives the ticket's window is not published again).
MARK_TICKET_RUNS = text("""
UPDATE jobs
   SET status = 'running', attempts = 1, started_at = COALESCE(started_at, :now),
       updated_at = :now, lease_owner = :owner, lease_expires_at = :until,
       next_attempt_at = NULL
 WHERE id = ANY(:ids) AND status = 'queued' AND attempts = 0
""")

# Jobs whose state says work should be happening but nothing has moved for too long, and
# that have no message waiting in the outbox (the relay will send that one):
# - queued since its last dispatch for longer than the bound, doubled after each re-publish
#   (a deep backlog is not flooded with copies);
# - retrying past its due time plus a grace;
# - running with an expired lease (the worker died), not re-published since it expired;
# - any of them (a running one only with an expired lease) when the broker lost its data.
# SKIP LOCKED and the dispatch time written in the same transaction let several reconcilers
# run side by side without publishing a job twice.
FIND_STALLED = text("""
SELECT j.id, j.tenant_id, j.type, j.queue, j.request_id, j.status, j.next_attempt_at
  FROM jobs j
 WHERE j.status IN ('queued', 'running', 'retrying')
   AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.job_id = j.id AND o.published_at IS NULL)
   AND (
        (:broker_lost AND j.dispatched_at < :now
         AND (j.status <> 'running' OR j.lease_expires_at IS NULL OR j.lease_expires_at < :now))
     OR (j.status = 'queued'
         AND j.dispatched_at < :now - :queued_after * power(2, least(j.redispatches, 6)))
     OR (j.status = 'retrying'
         AND COALESCE(j.next_attempt_at, j.updated_at) < :now - :retry_grace
         AND j.dispatched_at < :now - :retry_grace)
     OR (j.status = 'running'
         AND (j.lease_expires_at IS NULL OR j.lease_expires_at < :now)
         AND j.dispatched_at < GREATEST(j.lease_expires_at, :now - :queued_after))
   )
 ORDER BY j.dispatched_at
 LIMIT :limit
 FOR UPDATE OF j SKIP LOCKED
""")

MARK_REDISPATCHED = text("""
UPDATE jobs SET dispatched_at = :now, redispatches = redispatches + 1
 WHERE id = ANY(:ids)
""")
