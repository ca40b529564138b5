-- MOVE's candidates from one agent's personal queue (leads assigned to it, and its due
-- callbacks reserved for it), due or not, in claim order, locked. `view` and `city`
-- filter (NULL = any); the view of a lead is the one LEAD SHOW names.
--   $1 agent, $2 view, $3 city, $4 limit, $5 now
SELECT l.id, l.high_end, l.city, l.category, l.language, l.holder_agent_id,
       (l.holder_agent_id IS NOT NULL AND l.lease_expires_at > $5::timestamptz) AS held
FROM leads l
WHERE l.assigned_agent_id = $1::bigint AND l.state <> 'closed'
  AND ($2::text IS NULL OR (CASE WHEN l.high_end THEN 'high_end' WHEN l.state = 'new' THEN 'not_called' ELSE 'callback' END) = $2::text)
  AND ($3::text IS NULL OR lower(l.city) = lower($3::text))
ORDER BY l.tier NULLS LAST, l.priority, l.sla_due_at, l.id
LIMIT $4::int
FOR UPDATE OF l;
