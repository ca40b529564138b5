-- Escalations, newest first, filtered by the lead's team, the target team (cx, ops,
-- pricing), the status (open, resolved) and the lead; a NULL filter matches everything.
-- A viewer whose team is a desk (teams.desk) also sees every escalation sent to that desk,
-- whatever team raised it. `age_minutes`: whole minutes open, until resolved or now.
--   $1 team, $2 target, $3 status, $4 lead, $5 limit, $6 now, $7 viewer agent (NULL = none)
SELECT e.id, e.lead_id, e.agent_id, a.name AS agent, e.target::text AS target, e.summary, e.ask, e.status,
       e.created_at, e.resolved_at, l.team_id, rb.name AS resolved_by, e.resolution,
       floor(extract(epoch FROM coalesce(e.resolved_at, $6::timestamptz) - e.created_at) / 60)::bigint AS age_minutes
FROM escalations e
JOIN leads l ON l.id = e.lead_id
JOIN agents a ON a.id = e.agent_id
LEFT JOIN agents rb ON rb.id = e.resolved_by
WHERE ($1::bigint IS NULL OR l.team_id = $1::bigint
       OR e.target = (SELECT t.desk FROM agents v JOIN teams t ON t.id = v.team_id WHERE v.id = $7::bigint))
  AND ($2::escalation_target IS NULL OR e.target = $2::escalation_target)
  AND ($3::text IS NULL OR e.status = $3::text)
  AND ($4::bigint IS NULL OR e.lead_id = $4::bigint)
ORDER BY e.created_at DESC, e.id DESC
LIMIT $5::int;
