-- A team by name (NULL row = no such team).
--   $1 team name
SELECT id, name, time_zone, starred_mode FROM teams WHERE name = $1::text;
