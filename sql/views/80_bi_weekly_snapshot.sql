-- KPI item 8 of docs/BI.md: the "B2C Sales & Lead Conversion Snapshot" of SOP 002 §6, one
-- row per team and week (ISO, Monday, team time zone).

CREATE VIEW bi.weekly_snapshot AS
WITH weeks AS (
    SELECT w.team_id, w.week
    FROM (SELECT DISTINCT c.team_id, date_trunc('week', c.day::timestamp)::date AS week FROM bi_cohort c
          UNION
          SELECT DISTINCT a.team_id, date_trunc('week', a.day::timestamp)::date FROM bi_agent_day a) w
    JOIN teams t ON t.id = w.team_id
    -- no week after the one of the last refresh (a callback due next week has nothing to report yet)
    WHERE w.week <= date_trunc('week', ((SELECT r.as_of FROM bi_refresh_state r) AT TIME ZONE t.time_zone)::date::timestamp)::date
),
received AS (
    SELECT c.team_id, date_trunc('week', c.day::timestamp)::date AS week,
           sum(c.received)::integer AS received, sum(c.attempted)::integer AS received_contacted,
           sum(c.attempts_3plus)::integer AS with_3_attempts
    FROM bi_cohort c GROUP BY 1, 2
),
work AS (
    SELECT k.team_id, k.period AS week, k.calls_made, k.leads_contacted, k.leads_connected, k.orders_created,
           k.lead_to_order_pct, k.high_end_conversion_pct, k.normal_conversion_pct, k.callbacks_due, k.callbacks_on_time, k.callbacks_missed
    FROM bi_kpi k WHERE k.grain = 'week' AND k.agent_id = 0
),
scheduled AS (
    SELECT a.team_id, date_trunc('week', a.day::timestamp)::date AS week, sum(a.callbacks_scheduled)::integer AS callbacks_scheduled
    FROM bi_agent_day a GROUP BY 1, 2
),
missed AS (
    SELECT s.team_id, date_trunc('week', s.day::timestamp)::date AS week, sum(s.breached)::integer AS follow_ups_missed
    FROM bi_sla_day s WHERE s.sla_view IN ('callback', 'all') GROUP BY 1, 2
),
closed AS (
    SELECT x.team_id, date_trunc('week', x.day::timestamp)::date AS week,
           sum(x.leads) FILTER (WHERE x.reason <> '')::integer AS closed_with_reason,
           sum(x.leads) FILTER (WHERE x.reason = '')::integer AS closed_other_outcome
    FROM bi_reason_day x GROUP BY 1, 2
),
live AS (
    SELECT o.team_id,
           count(*) FILTER (WHERE o.state = 'callback')::integer AS callback_pipeline,
           -- a lead noted but never called (follow_up with no attempt) has no follow-up deadline
           count(*) FILTER (WHERE (o.state = 'callback' OR (o.state IN ('follow_up', 'retry') AND o.attempts > 0))
                              AND o.next_action_at + t.callback_grace < bi_now())::integer AS overdue
    FROM leads o JOIN teams t ON t.id = o.team_id
    WHERE o.outcome IS NULL  -- open, in the form of leads_bi_open's predicate (migration 0012)
    GROUP BY o.team_id
)
SELECT w.week, t.name AS team, w.team_id, t.time_zone,
       coalesce(rc.received, 0) AS leads_received,
       coalesce(rc.received_contacted, 0) AS leads_received_contacted,
       round(100.0 * rc.received_contacted / nullif(rc.received, 0), 1) AS received_contacted_pct,
       coalesce(k.leads_contacted, 0) AS leads_contacted,
       coalesce(rc.with_3_attempts, 0) AS leads_with_3_attempts,
       coalesce(k.calls_made, 0) AS calls_made,
       coalesce(k.leads_connected, 0) AS leads_connected,
       coalesce(k.orders_created, 0) AS orders_created,
       k.lead_to_order_pct,
       k.high_end_conversion_pct,
       k.normal_conversion_pct,
       coalesce(sc.callbacks_scheduled, 0) AS callbacks_scheduled,
       coalesce(k.callbacks_due, 0) AS callbacks_due,
       coalesce(k.callbacks_on_time, 0) AS callbacks_on_time,
       coalesce(k.callbacks_missed, 0) AS callbacks_missed,
       coalesce(m.follow_ups_missed, 0) AS follow_ups_missed,
       CASE WHEN w.week = date_trunc('week', (bi_now() AT TIME ZONE t.time_zone)::date::timestamp)::date
            THEN coalesce(lv.callback_pipeline, 0) END AS callback_pipeline_now,
       CASE WHEN w.week = date_trunc('week', (bi_now() AT TIME ZONE t.time_zone)::date::timestamp)::date
            THEN coalesce(lv.overdue, 0) END AS follow_ups_overdue_now,
       coalesce(cl.closed_with_reason, 0) AS closed_with_reason,
       coalesce(cl.closed_other_outcome, 0) AS closed_other_outcome
FROM weeks w
JOIN teams t ON t.id = w.team_id
LEFT JOIN received rc ON rc.team_id = w.team_id AND rc.week = w.week
LEFT JOIN work k ON k.team_id = w.team_id AND k.week = w.week
LEFT JOIN scheduled sc ON sc.team_id = w.team_id AND sc.week = w.week
LEFT JOIN missed m ON m.team_id = w.team_id AND m.week = w.week
LEFT JOIN closed cl ON cl.team_id = w.team_id AND cl.week = w.week
LEFT JOIN live lv ON lv.team_id = w.team_id;
COMMENT ON VIEW bi.weekly_snapshot IS 'The weekly B2C Sales & Lead Conversion Snapshot (SOP 002 §6), per team and ISO week in the team''s time zone. Lead overview: leads_received (created that week) vs leads_received_contacted (of those, called so far) and leads_contacted (distinct leads called that week, whenever created); leads_with_3_attempts (of the week''s leads, 3+ attempts so far). Conversion: calls_made, leads_connected (distinct leads spoken to), orders_created, lead_to_order_pct = orders / connected, high_end_conversion_pct, normal_conversion_pct. Follow-up status: callbacks_scheduled that week; callbacks_due / on_time / missed by due week; follow_ups_missed = callbacks, follow-ups and retries due that week whose call was not logged by their time + grace (bi.sla_compliance breached, views callback and all); callback_pipeline_now and follow_ups_overdue_now (the current week only, live at bi_now()). closed_with_reason = leads closed that week without an order with a customer reason (Not Interested, Sold Elsewhere), closed_other_outcome = the rest (unreachable, invalid); the top 3 reasons are rows of bi.non_conversion_reasons_week (rank <= 3). As of the last bi_refresh (the *_now columns live).';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.weekly_snapshot TO leadline_bi;
    END IF;
END $$;
