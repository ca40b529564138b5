-- Who may touch a lead outside a lease (notes, escalations): the lead's team and holder,
-- and the acting agent's role and team. The lead row is locked (FOR NO KEY UPDATE: a note
-- may move the lead out of Not Called) so its holder cannot change before the caller
-- writes, and two notes on one lead take turns instead of deadlocking.
--   $1 lead, $2 agent, $3 now
SELECT l.id, l.team_id, l.state::text AS state, l.holder_agent_id, l.lease_gen,
       (l.holder_agent_id IS NOT NULL AND l.lease_expires_at > $3::timestamptz) AS held,
       a.role::text AS role, a.team_id AS agent_team_id
FROM leads l JOIN agents a ON a.id = $2::bigint
WHERE l.id = $1::bigint
FOR NO KEY UPDATE OF l;
