-- An agent a team lead acts on (ASSIGN, MOVE, PAUSE, RESUME, DRAIN, AGENT SET, TEAM SET), by name,
-- with the team settings its eligibility depends on. Not locked: a routing verb takes
-- agent_hold.sql after its leads' locks.
--   $1 agent name
SELECT a.id, a.name, a.team_id, t.name AS team, a.role::text AS role, a.status::text AS status, a.senior,
       a.cities, a.device_categories, a.languages, a.capacity, t.allow_junior_high_end
FROM agents a JOIN teams t ON t.id = a.team_id
WHERE a.name = $1::text;
