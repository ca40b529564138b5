-- Attempts per lead per day (SOP 000 §6A "Not Called: attempt at least 3 times/day",
-- SOP 001 §5 "Not Connected: try 3 times and log attempts"), per team and local day, from
-- bi_attempt_day (01_bi_refresh.sql step 8b). The number of attempts a day is the team's
-- setting attempts_per_day (teams.max_attempts_per_day, TEAM SET attempts_per_day; its
-- reading is in docs/RULES.md), never a constant here.

CREATE VIEW bi.attempts_per_day AS
SELECT a.day, date_trunc('week', a.day::timestamp)::date AS week, date_trunc('month', a.day::timestamp)::date AS month,
       t.name AS team, a.team_id, t.time_zone,
       a.attempts_per_day,
       a.leads_unreached,
       a.leads_owed_met,
       round(100.0 * a.leads_owed_met / nullif(a.leads_unreached, 0), 1) AS compliance_pct,
       a.leads_at_setting,
       round(100.0 * a.leads_at_setting / nullif(a.leads_unreached, 0), 1) AS at_setting_pct,
       a.attempts,
       round(a.attempts::numeric / nullif(a.leads_unreached, 0), 2) AS avg_attempts
FROM bi_attempt_day a
JOIN teams t ON t.id = a.team_id
-- complete days only: during the day, a lead tried at 10:00 and 12:00 is not yet short of
-- its 14:00 attempt
WHERE a.day < ((SELECT r.as_of FROM bi_refresh_state r) AT TIME ZONE t.time_zone)::date;
COMMENT ON VIEW bi.attempts_per_day IS 'Attempts per lead per day (SOP 000 "attempt 3 times/day", SOP 001 "try 3 times and log attempts"), per team and local day, over the leads called that day and not reached (no connected call that day; a lead closed that day as wrong number, not serviceable or device not supported is left out). attempts_per_day = the team''s setting when the day was computed. A lead is owed attempts_per_day attempts that day, or fewer when the calling window left no room: one per attempt spacing from the window''s opening (or the drop-off, if later) to its closing, at least one. leads_owed_met = leads that got every attempt owed; compliance_pct = leads_owed_met / leads_unreached. leads_at_setting and at_setting_pct = leads with attempts_per_day attempts or more, whatever the window allowed. attempts = their calls that day; avg_attempts = attempts per lead. A day on which an open lead got no call at all is not here: it is a first-call or retry SLA breach (bi.sla_compliance). Complete days only: a day appears once the last refresh is past its end (local time). Sum the counts by week or month and recompute the ratios. As of the last bi_refresh.';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.attempts_per_day TO leadline_bi;
    END IF;
END $$;
