-- A due callback its owner did not claim within the grace period goes to the team pool.
-- (The missed callback itself is recorded once by the SLA watcher.)
--   $1 now, $2 batch size
-- Scans lead_queue's reserved rows (migration 0012), locks only the `leads` rows.
WITH lapsed AS (
    SELECT l.id FROM lead_queue q JOIN leads l ON l.id = q.lead_id
    WHERE q.reserved_until <= $1::timestamptz
      AND l.reserved_until IS NOT NULL AND l.reserved_until <= $1::timestamptz AND l.holder_agent_id IS NULL
    ORDER BY q.reserved_until
    LIMIT $2::int
    FOR UPDATE OF l SKIP LOCKED
),
pooled AS (
    UPDATE leads l SET assigned_agent_id = NULL, reserved_until = NULL
    FROM lapsed x WHERE l.id = x.id
    RETURNING l.id, l.team_id
),
wake AS (
    SELECT pg_notify('leadline_ready', team_id || ':0:' || id) FROM pooled
)
SELECT id, team_id, (SELECT count(*) FROM wake) AS woken FROM pooled;
