"""The retention sweep's statement. System scope: it deletes across tenants."""

from sqlalchemy import text

# One batch: the oldest finished jobs past the cutoff, of one tenant (:tenant) or of every
# tenant but those with a retention of their own (:excluded) (the partial index on finished_at reads
# them in order) and every row that references them, in one statement. The batch's ids go to
# each delete as one array, so each is a lookup by index whatever the tables' sizes. Rows another
# transaction holds are skipped, and a job that is not finished is never chosen. The
# sub-deletes run before the foreign-key checks of the jobs' own delete, at the statement's
# end. Idempotency keys are not touched: they expire long before (the settings require the
# retention to outlast their time to live) and the hourly prune removes them.
DELETE_FINISHED_BATCH = text("""
WITH doomed AS (
  SELECT id, tenant_id FROM jobs
   WHERE status IN ('succeeded', 'failed', 'dead') AND finished_at < :before
     AND (CAST(:tenant AS uuid) IS NULL OR tenant_id = CAST(:tenant AS uuid))
     AND tenant_id <> ALL(CAST(:excluded AS uuid[]))
   ORDER BY finished_at
   LIMIT :limit
   FOR UPDATE SKIP LOCKED
), batch AS (
  SELECT array_agg(id) AS ids, array_agg(DISTINCT tenant_id) AS tenants FROM doomed
), attempts AS (
  DELETE FROM job_attempts WHERE job_id = ANY((SELECT ids FROM batch)::uuid[])
), messages AS (
  DELETE FROM outbox WHERE job_id = ANY((SELECT ids FROM batch)::uuid[])
), letters AS (
  DELETE FROM dead_letters WHERE job_id = ANY((SELECT ids FROM batch)::uuid[])
), deliveries AS (
  DELETE FROM webhook_attempts WHERE job_id = ANY((SELECT ids FROM batch)::uuid[])
), progress AS (
  DELETE FROM import_progress WHERE job_id = ANY((SELECT ids FROM batch)::uuid[])
), effects AS (
  DELETE FROM effect_ledger
   WHERE tenant_id = ANY((SELECT tenants FROM batch)::uuid[])
     AND job_id = ANY((SELECT ids FROM batch)::uuid[])
), gone AS (
  DELETE FROM jobs WHERE id = ANY((SELECT ids FROM batch)::uuid[]) RETURNING 1
)
SELECT count(*) FROM gone
""")

# The tenants with a retention of their own; every other tenant has the global one.
RETENTION_OVERRIDES = text("""
SELECT id, job_retention_days FROM tenants WHERE job_retention_days IS NOT NULL
""")
