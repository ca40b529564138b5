-- Brings the BI rollups up to date (sql/views/01_bi_refresh.sql); no row when another
-- refresh is running.
--   $1 now (deadlines are judged met / missed / pending at this instant), $2 overlap in event ids
SELECT leads, agent_days, team_days, cohorts, seconds FROM bi_refresh($1::timestamptz, $2::bigint);
