-- A lead a team lead acts on (ASSIGN, SIGNAL), locked, with what the routing rules need:
-- its skills profile, who holds it (live or not), whose personal queue it is in, and, for
-- a failed payment, who owns it: the author of its last disposition (who also scheduled
-- its callback) while on the floor in its team, and the team's account manager.
--   $1 lead, $2 now
SELECT l.id, l.team_id, t.name AS team, l.state::text AS state, l.high_end, l.city, l.category, l.language, l.reserved_until,
       l.holder_agent_id, h.name AS holder, (l.holder_agent_id IS NOT NULL AND l.lease_expires_at > $2::timestamptz) AS held,
       l.assigned_agent_id, asg.name AS assigned, t.allow_junior_high_end,
       (SELECT a.name
        FROM (SELECT e.agent_id FROM lead_events e
              WHERE e.lead_id = l.id AND e.kind = 'disposition' ORDER BY e.id DESC LIMIT 1) last
        JOIN agents a ON a.id = last.agent_id
        WHERE a.team_id = l.team_id AND a.status IN ('active', 'paused')) AS last_worker,
       (SELECT a.name FROM agents a WHERE a.id = t.account_manager_id AND a.status IN ('active', 'paused')) AS account_manager
FROM leads l
JOIN teams t ON t.id = l.team_id
LEFT JOIN agents h ON h.id = l.holder_agent_id
LEFT JOIN agents asg ON asg.id = l.assigned_agent_id
WHERE l.id = $1::bigint
FOR UPDATE OF l;
