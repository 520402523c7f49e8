"""Statements of the daily audit counts, all within one tenant (row-level security holds)."""

from sqlalchemy import text

# The day's row, made on first use, then locked: recounts (and the seal) of one day run one
# at a time. A second transaction making the same row waits for the first to commit.
CLAIM_DAY = text("""
INSERT INTO audit_days (tenant_id, day) VALUES (:tenant, :day) ON CONFLICT DO NOTHING
""")
LOCK_DAY = text("""
SELECT sealed_at FROM audit_days WHERE tenant_id = :tenant AND day = :day FOR UPDATE
""")

# Counts replace counts: the statement sees every event committed before it started (after
# the lock), so two recounts in a row write the same numbers, and never add up.
RECOUNT_DAY = text("""
INSERT INTO audit_daily (tenant_id, day, action, count)
SELECT tenant_id, :day, action, count(*) FROM audit_events
 WHERE tenant_id = :tenant AND occurred_at >= :start AND occurred_at < :end
 GROUP BY tenant_id, action
ON CONFLICT (tenant_id, day, action) DO UPDATE SET count = excluded.count
""")

SEAL_DAY = text("""
UPDATE audit_days SET sealed_at = :now WHERE tenant_id = :tenant AND day = :day
""")

# By the (tenant_id, occurred_at) index: the first entry at or after the lower bound.
OLDEST_EVENT = text("""
SELECT min(occurred_at) FROM audit_events
 WHERE tenant_id = :tenant AND occurred_at >= :start AND occurred_at < :end
""")

# One bounded batch of a sealed day's events; nothing while the day is not sealed. The batch
# is materialized once: as a plain IN (subquery) the planner may rescan the subquery, and a
# rescan with SKIP LOCKED and LIMIT can pick other rows each time, deleting past the limit.
DELETE_SEALED_BATCH = text("""
WITH batch AS MATERIALIZED (
  SELECT e.id FROM audit_events e
   WHERE e.tenant_id = :tenant AND e.occurred_at >= :start AND e.occurred_at < :end
     AND EXISTS (SELECT 1 FROM audit_days d WHERE d.tenant_id = :tenant AND d.day = :day
                 AND d.sealed_at IS NOT NULL)
   LIMIT :limit
   FOR UPDATE OF e SKIP LOCKED
)
DELETE FROM audit_events WHERE tenant_id = :tenant AND id IN (SELECT id FROM batch)
""")
