-- Lease reaper: leads whose lease ran out go back to their queue, keeping their history.
--   $1 now, $2 batch size
-- Scans lead_leases (the held leads, migration 0012) and locks only the `leads` rows,
-- re-checking the lease on them.
WITH expired AS (
    SELECT l.id, l.holder_agent_id, l.lease_gen FROM lead_leases x JOIN leads l ON l.id = x.lead_id
    WHERE x.lease_expires_at <= $1::timestamptz
      AND l.holder_agent_id IS NOT NULL AND l.lease_expires_at <= $1::timestamptz
    ORDER BY x.lease_expires_at
    LIMIT $2::int
    FOR UPDATE OF l SKIP LOCKED
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
