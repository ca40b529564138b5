-- Touch: the holder extends its lease by the team's lease duration from now.
--   $1 lead, $2 agent, $3 lease generation, $4 now
WITH touched AS (
    UPDATE leads l SET lease_expires_at = $4::timestamptz + t.lease_duration
    FROM teams t
    WHERE l.id = $1::bigint AND l.holder_agent_id = $2::bigint AND l.lease_gen = $3::bigint
      AND l.lease_expires_at > $4::timestamptz AND t.id = l.team_id
    RETURNING l.id, l.lease_gen, l.lease_expires_at
),
event AS (
    INSERT INTO lead_events (lead_id, kind, agent_id, at, lease_gen)
    SELECT id, 'touched', $2::bigint, $4::timestamptz, lease_gen FROM touched
)
SELECT id, lease_gen, lease_expires_at FROM touched;
