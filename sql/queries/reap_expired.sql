-- Lease reaper: leads whose lease ran out go back to their queue, keeping their history.
--   $1 now, $2 batch size
WITH expired AS (
    SELECT id, holder_agent_id, lease_gen FROM leads
    WHERE holder_agent_id IS NOT NULL AND lease_expires_at <= $1::timestamptz
    ORDER BY lease_expires_at
    LIMIT $2::int
    FOR UPDATE SKIP LOCKED
),
back AS (
    UPDATE leads l
    SET holder_agent_id = NULL, lease_expires_at = NULL,
        tier = lead_tier(l.high_end, l.state, l.next_action_at, $1::timestamptz)
    FROM expired e
    WHERE l.id = e.id
    RETURNING l.id, l.team_id, l.tier, l.assigned_agent_id, e.holder_agent_id AS holder, e.lease_gen
),
event AS (
    INSERT INTO lead_events (lead_id, kind, agent_id, at, lease_gen)
    SELECT id, 'expired', holder, $1::timestamptz, lease_gen FROM back
),
wake AS (
    SELECT pg_notify('leadline_ready', team_id || ':' || coalesce(assigned_agent_id, 0) || ':' || id)
    FROM back WHERE tier IS NOT NULL
)
SELECT id, holder, lease_gen, (SELECT count(*) FROM wake) AS woken FROM back;
