-- May this agent be handed High-End leads: a senior agent (or a team lead or admin), or
-- any agent of a team that allows juniors. No row = no such agent.
--   $1 agent id
SELECT (a.senior OR a.role <> 'agent' OR t.allow_junior_high_end) AS allowed
FROM agents a JOIN teams t ON t.id = a.team_id
WHERE a.id = $1::bigint;
