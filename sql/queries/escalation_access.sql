-- Who may resolve an escalation: the escalation (locked until the caller commits, so two
-- resolutions take turns), its lead's team, and the acting agent's role, team and the desk
-- its team is (teams.desk; NULL for a sales team). No row = no such escalation.
--   $1 escalation, $2 agent
SELECT e.id, e.lead_id, e.target::text AS target, e.status, l.team_id,
       a.role::text AS role, a.team_id AS agent_team_id, t.desk::text AS agent_desk
FROM escalations e
JOIN leads l ON l.id = e.lead_id
JOIN agents a ON a.id = $2::bigint
JOIN teams t ON t.id = a.team_id
WHERE e.id = $1::bigint
FOR UPDATE OF e;
