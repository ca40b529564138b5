-- Promoter: scheduled leads whose time has come enter the ready index. A due callback
-- is reserved for the agent who scheduled it until its time + the team's grace, while
-- that agent is on the floor (active or paused); a callback of a draining or disabled
-- agent goes straight to the team pool.
-- Scans lead_schedule (the scheduled leads, migration 0012), locks only the `leads` rows.
--   $1 now, $2 batch size
WITH due AS (
    SELECT l.id,
           coalesce((SELECT a.status IN ('active', 'paused') FROM agents a WHERE a.id = l.callback_agent_id), false) AS owner_on_floor
    FROM lead_schedule s JOIN leads l ON l.id = s.lead_id
    WHERE s.next_action_at <= $1::timestamptz
      AND l.tier IS NULL AND l.holder_agent_id IS NULL AND l.state IN ('callback', 'retry', 'follow_up')
      AND l.next_action_at <= $1::timestamptz
    ORDER BY s.next_action_at
    LIMIT $2::int
    FOR UPDATE OF l SKIP LOCKED
),
promoted AS (
    UPDATE leads l
    SET tier = lead_tier(l.high_end, l.state, l.next_action_at, $1::timestamptz),
        assigned_agent_id = CASE WHEN l.state = 'callback' AND l.assigned_agent_id IS NULL AND due.owner_on_floor
                                 THEN l.callback_agent_id ELSE l.assigned_agent_id END,
        reserved_until = CASE WHEN l.state = 'callback' AND l.assigned_agent_id IS NULL AND due.owner_on_floor
                              THEN l.next_action_at + t.callback_grace END
    FROM due, teams t
    WHERE l.id = due.id AND t.id = l.team_id
    RETURNING l.id, l.team_id, l.assigned_agent_id
),
wake AS (
    SELECT pg_notify('leadline_ready', team_id || ':' || coalesce(assigned_agent_id, 0) || ':' || id) FROM promoted
)
SELECT id, team_id, assigned_agent_id, (SELECT count(*) FROM wake) AS woken FROM promoted;
