-- KPI item 7 of docs/BI.md: follow-up discipline (SOP 002 §4 KPI 5), per agent and day,
-- with week and month columns to roll up by (every count here is additive).

CREATE VIEW bi.follow_up_discipline AS
SELECT a.day, date_trunc('week', a.day::timestamp)::date AS week, date_trunc('month', a.day::timestamp)::date AS month,
       t.name AS team, a.team_id, t.time_zone, g.name AS agent, a.agent_id,
       a.follow_up_calls,
       a.follow_up_dated AS follow_ups_with_date,
       round(100.0 * a.follow_up_dated / nullif(a.follow_up_calls, 0), 1) AS with_date_pct,
       a.fu_total - a.fu_pending AS follow_ups_due,
       a.fu_on_time AS done_on_time,
       a.fu_within_24h AS done_within_24h,
       a.fu_missed AS missed,
       a.fu_pending AS pending,
       round(100.0 * a.fu_on_time / nullif(a.fu_total - a.fu_pending, 0), 1) AS on_time_pct,
       round(100.0 * a.fu_within_24h / nullif(a.fu_total - a.fu_pending, 0), 1) AS within_24h_pct
FROM bi_agent_day a
JOIN teams t ON t.id = a.team_id
JOIN agents g ON g.id = a.agent_id
WHERE a.day <= ((SELECT r.as_of FROM bi_refresh_state r) AT TIME ZONE t.time_zone)::date
  AND (a.follow_up_calls > 0 OR a.fu_total > 0);
COMMENT ON VIEW bi.follow_up_discipline IS 'Follow-up discipline per agent and local day (SOP 002 §4 KPI 5). follow_up_calls = calls ending in callback, will_place_order or waiting_for_quote that day; follow_ups_with_date = those with a next date the agent logged (a callback always has one; a will-place/waiting follow-up without one gets the team default of 24 h and does not count); with_date_pct = with date / follow_up_calls. follow_ups_due = callbacks and follow-ups this agent scheduled that fell due that day (pending = not called, not yet due); done_on_time = the next call began by the scheduled time + the team''s grace; done_within_24h = within 24 h of the scheduled time; missed = not on time. on_time_pct and within_24h_pct are of follow_ups_due. No row for a day after the local day of the last refresh (follow-ups due later are pending, live in bi.backlog_now), nor for a day with no follow-up call and none due. Sum by week or month and recompute the ratios. As of the last bi_refresh.';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.follow_up_discipline TO leadline_bi;
    END IF;
END $$;
