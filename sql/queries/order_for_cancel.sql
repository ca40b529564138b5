-- An order about to be cancelled, locked, with its lead's team and the acting agent's
-- role and team (the caller decides who may cancel).
--   $1 order, $2 agent
SELECT o.id, o.lead_id, o.status::text AS status, o.created_by, l.team_id,
       a.role::text AS role, a.team_id AS agent_team_id
FROM orders o JOIN leads l ON l.id = o.lead_id JOIN agents a ON a.id = $2::bigint
WHERE o.id = $1::bigint
FOR UPDATE OF o;
