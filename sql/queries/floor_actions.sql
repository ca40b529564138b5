-- AUDIT: the floor-action log of one team (NULL = every team), newest first, at most $3
-- rows, optionally only the actions of or on one agent.
--   $1 team, $2 agent (acting or acted on; NULL = any), $3 limit
SELECT f.id, f.at, t.name AS team, actor.name AS actor, f.action, target.name AS agent, f.lead_count, f.forced,
       f.details::text AS details, f.note
FROM floor_actions f
JOIN teams t ON t.id = f.team_id
LEFT JOIN agents actor ON actor.id = f.actor_agent_id
LEFT JOIN agents target ON target.id = f.agent_id
WHERE ($1::bigint IS NULL OR f.team_id = $1::bigint)
  AND ($2::bigint IS NULL OR f.actor_agent_id = $2::bigint OR f.agent_id = $2::bigint)
ORDER BY f.at DESC, f.id DESC
LIMIT $3::int;
