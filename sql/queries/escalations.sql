-- Escalations, newest first, filtered by the lead's team, the target team (cx, ops,
-- pricing), the status (open, resolved) and the lead; a NULL filter matches everything.
--   $1 team, $2 target, $3 status, $4 lead, $5 limit
SELECT e.id, e.lead_id, e.agent_id, a.name AS agent, e.target::text AS target, e.summary, e.ask, e.status,
       e.created_at, e.resolved_at, l.team_id
FROM escalations e
JOIN leads l ON l.id = e.lead_id
JOIN agents a ON a.id = e.agent_id
WHERE ($1::bigint IS NULL OR l.team_id = $1::bigint)
  AND ($2::escalation_target IS NULL OR e.target = $2::escalation_target)
  AND ($3::text IS NULL OR e.status = $3::text)
  AND ($4::bigint IS NULL OR e.lead_id = $4::bigint)
ORDER BY e.created_at DESC, e.id DESC
LIMIT $5::int;
