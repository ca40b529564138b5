-- Internal (not granted to leadline_bi): the per agent-day rollup summed into days,
-- weeks and months, per agent and per team (agent_id 0), with the KPI ratios. The
-- bi.agent_* and bi.team_* views are slices of it. Distinct-lead counts use the
-- rollup's first-in-period columns, so a week or month counts each lead once.
-- Days after the local day of the last refresh (bi_refresh_state.as_of) are left out:
-- the rollup keeps a row for the day a callback is due, but until that day has come it
-- has nothing to report (its pending callbacks are live in bi.backlog_now). A period where
-- the agent (team) made no call and owned no callback due has no row.
DROP VIEW IF EXISTS bi_kpi CASCADE;
CREATE VIEW bi_kpi AS
WITH src AS NOT MATERIALIZED (
    SELECT a.*
    FROM bi_agent_day a
    JOIN teams t ON t.id = a.team_id
    WHERE a.day <= ((SELECT r.as_of FROM bi_refresh_state r) AT TIME ZONE t.time_zone)::date
),
g AS (
    SELECT 'day'::text AS grain, a.day AS period, a.team_id, a.agent_id,
           a.contacted AS a_contacted, a.connected AS a_connected, a.he_connected AS a_he_connected,
           a.t_contacted AS tm_contacted, a.t_connected AS tm_connected, a.t_he_connected AS tm_he_connected,
           a.calls, a.connected_calls, a.meaningful_note_calls, a.orders, a.high_end_orders, a.first_attempts, a.ttfa_sum_s,
           a.cb_total, a.cb_on_time, a.cb_missed, a.cb_pending, a.cb_attempted, a.cb_converted,
           a.first_within_1h, a.first_same_day, a.first_within_24h, a.first_3plus, a.first_covered
    FROM src a
    UNION ALL
    SELECT 'week', date_trunc('week', a.day::timestamp)::date, a.team_id, a.agent_id,
           a.contacted_wk, a.connected_wk, a.he_connected_wk, a.t_contacted_wk, a.t_connected_wk, a.t_he_connected_wk,
           a.calls, a.connected_calls, a.meaningful_note_calls, a.orders, a.high_end_orders, a.first_attempts, a.ttfa_sum_s,
           a.cb_total, a.cb_on_time, a.cb_missed, a.cb_pending, a.cb_attempted, a.cb_converted,
           a.first_within_1h, a.first_same_day, a.first_within_24h, a.first_3plus, a.first_covered
    FROM src a
    UNION ALL
    SELECT 'month', date_trunc('month', a.day::timestamp)::date, a.team_id, a.agent_id,
           a.contacted_mo, a.connected_mo, a.he_connected_mo, a.t_contacted_mo, a.t_connected_mo, a.t_he_connected_mo,
           a.calls, a.connected_calls, a.meaningful_note_calls, a.orders, a.high_end_orders, a.first_attempts, a.ttfa_sum_s,
           a.cb_total, a.cb_on_time, a.cb_missed, a.cb_pending, a.cb_attempted, a.cb_converted,
           a.first_within_1h, a.first_same_day, a.first_within_24h, a.first_3plus, a.first_covered
    FROM src a
),
s AS (
    SELECT g.grain, g.period, g.team_id,
           CASE WHEN grouping(g.agent_id) = 1 THEN 0 ELSE g.agent_id END AS agent_id,
           sum(g.calls)::integer AS calls,
           sum(g.connected_calls)::integer AS connected_calls,
           (CASE WHEN grouping(g.agent_id) = 1 THEN sum(g.tm_contacted) ELSE sum(g.a_contacted) END)::integer AS contacted,
           (CASE WHEN grouping(g.agent_id) = 1 THEN sum(g.tm_connected) ELSE sum(g.a_connected) END)::integer AS connected,
           (CASE WHEN grouping(g.agent_id) = 1 THEN sum(g.tm_he_connected) ELSE sum(g.a_he_connected) END)::integer AS he_connected,
           sum(g.orders)::integer AS orders,
           sum(g.high_end_orders)::integer AS he_orders,
           sum(g.meaningful_note_calls)::integer AS meaningful,
           sum(g.first_attempts)::integer AS first_attempts,
           sum(g.ttfa_sum_s) AS ttfa_sum_s,
           sum(g.cb_total - g.cb_pending)::integer AS cb_due,
           sum(g.cb_on_time)::integer AS cb_on_time,
           sum(g.cb_missed)::integer AS cb_missed,
           sum(g.cb_pending)::integer AS cb_pending,
           sum(g.cb_attempted)::integer AS cb_attempted,
           sum(g.cb_converted)::integer AS cb_converted,
           sum(g.cb_total)::integer AS cb_total,
           sum(g.first_within_1h)::integer AS first_within_1h,
           sum(g.first_same_day)::integer AS first_same_day,
           sum(g.first_within_24h)::integer AS first_within_24h,
           sum(g.first_3plus)::integer AS first_3plus,
           sum(g.first_covered)::integer AS first_covered
    FROM g
    GROUP BY GROUPING SETS ((g.grain, g.period, g.team_id, g.agent_id), (g.grain, g.period, g.team_id))
    HAVING sum(g.calls) > 0 OR sum(g.cb_total) > 0
)
SELECT s.grain, s.period, t.name AS team, s.team_id, t.time_zone, a.name AS agent, s.agent_id,
       s.calls AS calls_made,
       s.connected_calls,
       s.contacted AS leads_contacted,
       s.connected AS leads_connected,
       s.orders AS orders_created,
       round(100.0 * s.orders / nullif(s.connected, 0), 1) AS lead_to_order_pct,
       s.he_connected AS high_end_leads_connected,
       s.he_orders AS high_end_orders,
       round(100.0 * s.he_orders / nullif(s.he_connected, 0), 1) AS high_end_conversion_pct,
       s.connected - s.he_connected AS normal_leads_connected,
       s.orders - s.he_orders AS normal_orders,
       round(100.0 * (s.orders - s.he_orders) / nullif(s.connected - s.he_connected, 0), 1) AS normal_conversion_pct,
       s.cb_due AS callbacks_due,
       s.cb_on_time AS callbacks_on_time,
       s.cb_missed AS callbacks_missed,
       s.cb_pending AS callbacks_pending,
       round(100.0 * s.cb_on_time / nullif(s.cb_due, 0), 1) AS callback_on_time_pct,
       s.cb_attempted AS callbacks_attempted,
       s.cb_converted AS callbacks_converted,
       round(100.0 * s.cb_converted / nullif(s.cb_attempted, 0), 1) AS callback_conversion_pct,
       s.meaningful AS meaningful_note_calls,
       round(100.0 * s.meaningful / nullif(s.calls, 0), 1) AS meaningful_note_pct,
       s.first_attempts,
       round(s.ttfa_sum_s / 60.0 / nullif(s.first_attempts, 0), 1) AS avg_first_attempt_min,
       -- a primary-key lookup per row: fast whatever the planner thinks of the row count
       round(((SELECT f.p90_s FROM bi_ttfa f
               WHERE f.grain = s.grain AND f.period = s.period AND f.team_id = s.team_id AND f.agent_id = s.agent_id) / 60.0)::numeric, 1)
           AS p90_first_attempt_min,
       s.first_within_1h AS first_called_within_1h,
       round(100.0 * s.first_within_1h / nullif(s.first_attempts, 0), 1) AS first_called_within_1h_pct,
       s.first_same_day AS first_called_same_day,
       round(100.0 * s.first_same_day / nullif(s.first_attempts, 0), 1) AS first_called_same_day_pct,
       s.first_within_24h AS first_called_within_24h,
       round(100.0 * s.first_within_24h / nullif(s.first_attempts, 0), 1) AS first_called_within_24h_pct,
       s.first_3plus AS first_called_with_3_attempts,
       round(100.0 * s.first_3plus / nullif(s.first_attempts, 0), 1) AS first_called_with_3_attempts_pct,
       s.first_covered AS first_called_covered,
       round(100.0 * s.first_covered / nullif(s.first_attempts, 0), 1) AS first_called_covered_pct
FROM s
JOIN teams t ON t.id = s.team_id
LEFT JOIN agents a ON a.id = s.agent_id;

COMMENT ON VIEW bi_kpi IS 'Internal, not granted: bi_agent_day summed per day/week/month, per agent and per team (agent_id 0), with the KPI ratios; bi.agent_* and bi.team_* are its slices.';
