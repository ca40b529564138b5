-- Team-lead actions that change many leads of one team (STAR/UNSTAR, MOVE) take turns per
-- team, until COMMIT. Each locks its leads in its own order (MOVE in claim order, STAR in
-- table order), so two of them at once could deadlock; taking the team's row first
-- serialises them instead. FOR NO KEY UPDATE does not conflict with the FOR KEY SHARE
-- that a new lead's foreign key takes, so intake and import go on; claims and
-- dispositions do not lock the team row at all. A row lock, not an advisory lock: the
-- BI login cannot take it.
--   $1 team
SELECT id FROM teams WHERE id = $1::bigint FOR NO KEY UPDATE;
