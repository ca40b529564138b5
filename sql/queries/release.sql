-- Release: the holder gives the lead back (with a note) before calling it; it returns
-- to its queue at once with its history.
--   $1 lead, $2 agent, $3 lease generation, $4 now, $5 note, $6 request id (may be NULL)
WITH released AS (
    UPDATE leads l
    SET holder_agent_id = NULL, lease_expires_at = NULL,
        tier = lead_tier(l.high_end, l.state, l.next_action_at, $4::timestamptz)
    WHERE l.id = $1::bigint AND l.holder_agent_id = $2::bigint AND l.lease_gen = $3::bigint
      AND l.lease_expires_at > $4::timestamptz
    RETURNING l.id, l.team_id, l.lease_gen, l.tier, l.assigned_agent_id
),
event AS (
    INSERT INTO lead_events (lead_id, kind, agent_id, at, note, lease_gen, request_id)
    SELECT id, 'released', $2::bigint, $4::timestamptz, $5::text, lease_gen, $6::text FROM released
),
wake AS (
    SELECT pg_notify('leadline_ready', team_id || ':' || coalesce(assigned_agent_id, 0) || ':' || id)
    FROM released WHERE tier IS NOT NULL
)
SELECT id, lease_gen, (SELECT count(*) FROM wake) AS woken FROM released;
