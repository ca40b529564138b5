-- One row of the floor-action audit (floor_actions, append-only): who did what to whom,
-- on how many leads, whether forced, with the details (filters, counts by reason,
-- settings before and after).
--   $1 now, $2 team, $3 acting agent (NULL = the server or the admin CLI), $4 action,
--   $5 agent acted on, $6 lead count, $7 forced, $8 details (jsonb), $9 note
INSERT INTO floor_actions (at, team_id, actor_agent_id, action, agent_id, lead_count, forced, details, note)
VALUES ($1::timestamptz, $2::bigint, $3::bigint, $4::text, $5::bigint, $6::int, $7::boolean, $8::jsonb, $9::text)
RETURNING id;
