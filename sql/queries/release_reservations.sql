-- A due callback its owner did not claim within the grace period goes to the team pool.
-- (The missed callback itself is recorded once by the SLA watcher.)
--   $1 now, $2 batch size
WITH lapsed AS (
    SELECT id FROM leads
    WHERE reserved_until IS NOT NULL AND reserved_until <= $1::timestamptz AND holder_agent_id IS NULL
    ORDER BY reserved_until
    LIMIT $2::int
    FOR UPDATE SKIP LOCKED
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
