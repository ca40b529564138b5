-- AGENT SET: change an agent's seniority, skills and capacity; a NULL keeps the current
-- value. Skills are stored lower-case (the agents CHECK); an empty list covers everything.
-- The agents_changed trigger wakes the agent's waiting CLAIMs (new skills, more capacity).
--   $1 agent, $2 senior, $3 cities, $4 device categories, $5 languages, $6 capacity, $7 now
UPDATE agents a
SET senior = coalesce($2::boolean, a.senior),
    cities = CASE WHEN $3::text[] IS NULL THEN a.cities ELSE lower($3::text[]::text)::text[] END,
    device_categories = CASE WHEN $4::text[] IS NULL THEN a.device_categories ELSE lower($4::text[]::text)::text[] END,
    languages = CASE WHEN $5::text[] IS NULL THEN a.languages ELSE lower($5::text[]::text)::text[] END,
    capacity = coalesce($6::int, a.capacity),
    updated_at = $7::timestamptz
FROM teams t
WHERE a.id = $1::bigint AND t.id = a.team_id
RETURNING a.id, a.name, t.name AS team, a.role::text AS role, a.status::text AS status, a.senior, a.capacity,
          a.cities, a.device_categories, a.languages;
