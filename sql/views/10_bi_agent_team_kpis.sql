-- KPI item 1 of docs/BI.md: per agent and per team, per day, week and month (SOP 000 §9,
-- 002 §4). Slices of the internal view bi_kpi (02_bi_kpi.sql), which sums bi_agent_day.

CREATE VIEW bi.agent_day AS
SELECT k.period AS day, k.team, k.team_id, k.time_zone, k.agent, k.agent_id,
       calls_made, connected_calls, leads_contacted, leads_connected, orders_created, lead_to_order_pct,
       high_end_leads_connected, high_end_orders, high_end_conversion_pct,
       normal_leads_connected, normal_orders, normal_conversion_pct,
       callbacks_due, callbacks_on_time, callbacks_missed, callbacks_pending, callback_on_time_pct,
       callbacks_attempted, callbacks_converted, callback_conversion_pct,
       meaningful_note_calls, meaningful_note_pct, first_attempts, avg_first_attempt_min, p90_first_attempt_min,
       first_called_within_1h, first_called_within_1h_pct, first_called_same_day, first_called_same_day_pct,
       first_called_within_24h, first_called_within_24h_pct, first_called_with_3_attempts,
       first_called_with_3_attempts_pct, first_called_covered, first_called_covered_pct
FROM bi_kpi k
WHERE k.grain = 'day' AND k.agent_id <> 0;
COMMENT ON VIEW bi.agent_day IS 'Per agent per day: the SOP sales KPIs. calls_made = calls logged (every disposition or conversion is one call); leads_contacted / leads_connected = distinct leads called / spoken to (Connected group or a conversion) in the period; orders_created = conversions; lead_to_order_pct = orders_created / leads_connected x 100; high_end_conversion_pct = the same for High-End leads, normal_conversion_pct for the other (normal) leads; callbacks_* = callbacks the agent scheduled, by the day they were due: on time = the next call began by the callback time + team grace, callback_on_time_pct = on time / due (pending ones not yet due are left out), callback_conversion_pct = callbacks whose call created the order / callbacks called; meaningful_note_pct = calls whose note passes Note.isMeaningful / calls_made; avg/p90_first_attempt_min = minutes from lead creation to its first call, over the leads this agent called first in the period; first_called_* = of those leads (the associate''s new leads, SOP 002 KPI 1 coverage): first call logged within 1 h / the same local day / 24 h of the drop-off, with 3+ call attempts so far, covered (reached, closed or 3+ attempts so far). Days, weeks (ISO, Monday) and months in the team''s time zone. No row for a day after the local day of the last refresh, nor for a period without a call or a callback due. As of the last bi_refresh (bi.freshness).';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.agent_day TO leadline_bi;
    END IF;
END $$;

CREATE VIEW bi.agent_week AS
SELECT k.period AS week, k.team, k.team_id, k.time_zone, k.agent, k.agent_id,
       calls_made, connected_calls, leads_contacted, leads_connected, orders_created, lead_to_order_pct,
       high_end_leads_connected, high_end_orders, high_end_conversion_pct,
       normal_leads_connected, normal_orders, normal_conversion_pct,
       callbacks_due, callbacks_on_time, callbacks_missed, callbacks_pending, callback_on_time_pct,
       callbacks_attempted, callbacks_converted, callback_conversion_pct,
       meaningful_note_calls, meaningful_note_pct, first_attempts, avg_first_attempt_min, p90_first_attempt_min,
       first_called_within_1h, first_called_within_1h_pct, first_called_same_day, first_called_same_day_pct,
       first_called_within_24h, first_called_within_24h_pct, first_called_with_3_attempts,
       first_called_with_3_attempts_pct, first_called_covered, first_called_covered_pct
FROM bi_kpi k
WHERE k.grain = 'week' AND k.agent_id <> 0;
COMMENT ON VIEW bi.agent_week IS 'Per agent per week: the SOP sales KPIs. calls_made = calls logged (every disposition or conversion is one call); leads_contacted / leads_connected = distinct leads called / spoken to (Connected group or a conversion) in the period; orders_created = conversions; lead_to_order_pct = orders_created / leads_connected x 100; high_end_conversion_pct = the same for High-End leads, normal_conversion_pct for the other (normal) leads; callbacks_* = callbacks the agent scheduled, by the day they were due: on time = the next call began by the callback time + team grace, callback_on_time_pct = on time / due (pending ones not yet due are left out), callback_conversion_pct = callbacks whose call created the order / callbacks called; meaningful_note_pct = calls whose note passes Note.isMeaningful / calls_made; avg/p90_first_attempt_min = minutes from lead creation to its first call, over the leads this agent called first in the period; first_called_* = of those leads (the associate''s new leads, SOP 002 KPI 1 coverage): first call logged within 1 h / the same local day / 24 h of the drop-off, with 3+ call attempts so far, covered (reached, closed or 3+ attempts so far). Days, weeks (ISO, Monday) and months in the team''s time zone. No row for a day after the local day of the last refresh, nor for a period without a call or a callback due. As of the last bi_refresh (bi.freshness).';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.agent_week TO leadline_bi;
    END IF;
END $$;

CREATE VIEW bi.agent_month AS
SELECT k.period AS month, k.team, k.team_id, k.time_zone, k.agent, k.agent_id,
       calls_made, connected_calls, leads_contacted, leads_connected, orders_created, lead_to_order_pct,
       high_end_leads_connected, high_end_orders, high_end_conversion_pct,
       normal_leads_connected, normal_orders, normal_conversion_pct,
       callbacks_due, callbacks_on_time, callbacks_missed, callbacks_pending, callback_on_time_pct,
       callbacks_attempted, callbacks_converted, callback_conversion_pct,
       meaningful_note_calls, meaningful_note_pct, first_attempts, avg_first_attempt_min, p90_first_attempt_min,
       first_called_within_1h, first_called_within_1h_pct, first_called_same_day, first_called_same_day_pct,
       first_called_within_24h, first_called_within_24h_pct, first_called_with_3_attempts,
       first_called_with_3_attempts_pct, first_called_covered, first_called_covered_pct
FROM bi_kpi k
WHERE k.grain = 'month' AND k.agent_id <> 0;
COMMENT ON VIEW bi.agent_month IS 'Per agent per month: the SOP sales KPIs. calls_made = calls logged (every disposition or conversion is one call); leads_contacted / leads_connected = distinct leads called / spoken to (Connected group or a conversion) in the period; orders_created = conversions; lead_to_order_pct = orders_created / leads_connected x 100; high_end_conversion_pct = the same for High-End leads, normal_conversion_pct for the other (normal) leads; callbacks_* = callbacks the agent scheduled, by the day they were due: on time = the next call began by the callback time + team grace, callback_on_time_pct = on time / due (pending ones not yet due are left out), callback_conversion_pct = callbacks whose call created the order / callbacks called; meaningful_note_pct = calls whose note passes Note.isMeaningful / calls_made; avg/p90_first_attempt_min = minutes from lead creation to its first call, over the leads this agent called first in the period; first_called_* = of those leads (the associate''s new leads, SOP 002 KPI 1 coverage): first call logged within 1 h / the same local day / 24 h of the drop-off, with 3+ call attempts so far, covered (reached, closed or 3+ attempts so far). Days, weeks (ISO, Monday) and months in the team''s time zone. No row for a day after the local day of the last refresh, nor for a period without a call or a callback due. As of the last bi_refresh (bi.freshness).';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.agent_month TO leadline_bi;
    END IF;
END $$;

CREATE VIEW bi.team_day AS
SELECT k.period AS day, k.team, k.team_id, k.time_zone,
       calls_made, connected_calls, leads_contacted, leads_connected, orders_created, lead_to_order_pct,
       high_end_leads_connected, high_end_orders, high_end_conversion_pct,
       normal_leads_connected, normal_orders, normal_conversion_pct,
       callbacks_due, callbacks_on_time, callbacks_missed, callbacks_pending, callback_on_time_pct,
       callbacks_attempted, callbacks_converted, callback_conversion_pct,
       meaningful_note_calls, meaningful_note_pct, first_attempts, avg_first_attempt_min, p90_first_attempt_min,
       first_called_within_1h, first_called_within_1h_pct, first_called_same_day, first_called_same_day_pct,
       first_called_within_24h, first_called_within_24h_pct, first_called_with_3_attempts,
       first_called_with_3_attempts_pct, first_called_covered, first_called_covered_pct
FROM bi_kpi k
WHERE k.grain = 'day' AND k.agent_id = 0;
COMMENT ON VIEW bi.team_day IS 'Per team per day: the SOP sales KPIs. calls_made = calls logged (every disposition or conversion is one call); leads_contacted / leads_connected = distinct leads called / spoken to (Connected group or a conversion) in the period; orders_created = conversions; lead_to_order_pct = orders_created / leads_connected x 100; high_end_conversion_pct = the same for High-End leads, normal_conversion_pct for the other (normal) leads; callbacks_* = callbacks the team''s agents scheduled, by the day they were due: on time = the next call began by the callback time + team grace, callback_on_time_pct = on time / due (pending ones not yet due are left out), callback_conversion_pct = callbacks whose call created the order / callbacks called; meaningful_note_pct = calls whose note passes Note.isMeaningful / calls_made; avg/p90_first_attempt_min = minutes from lead creation to its first call, over the leads first called in the period; first_called_* = of those leads: first call logged within 1 h / the same local day / 24 h, with 3+ attempts so far, covered (reached, closed or 3+ attempts so far). Days, weeks (ISO, Monday) and months in the team''s time zone. No row for a day after the local day of the last refresh, nor for a period without a call or a callback due. As of the last bi_refresh (bi.freshness).';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.team_day TO leadline_bi;
    END IF;
END $$;

CREATE VIEW bi.team_week AS
SELECT k.period AS week, k.team, k.team_id, k.time_zone,
       calls_made, connected_calls, leads_contacted, leads_connected, orders_created, lead_to_order_pct,
       high_end_leads_connected, high_end_orders, high_end_conversion_pct,
       normal_leads_connected, normal_orders, normal_conversion_pct,
       callbacks_due, callbacks_on_time, callbacks_missed, callbacks_pending, callback_on_time_pct,
       callbacks_attempted, callbacks_converted, callback_conversion_pct,
       meaningful_note_calls, meaningful_note_pct, first_attempts, avg_first_attempt_min, p90_first_attempt_min,
       first_called_within_1h, first_called_within_1h_pct, first_called_same_day, first_called_same_day_pct,
       first_called_within_24h, first_called_within_24h_pct, first_called_with_3_attempts,
       first_called_with_3_attempts_pct, first_called_covered, first_called_covered_pct
FROM bi_kpi k
WHERE k.grain = 'week' AND k.agent_id = 0;
COMMENT ON VIEW bi.team_week IS 'Per team per week: the SOP sales KPIs. calls_made = calls logged (every disposition or conversion is one call); leads_contacted / leads_connected = distinct leads called / spoken to (Connected group or a conversion) in the period; orders_created = conversions; lead_to_order_pct = orders_created / leads_connected x 100; high_end_conversion_pct = the same for High-End leads, normal_conversion_pct for the other (normal) leads; callbacks_* = callbacks the team''s agents scheduled, by the day they were due: on time = the next call began by the callback time + team grace, callback_on_time_pct = on time / due (pending ones not yet due are left out), callback_conversion_pct = callbacks whose call created the order / callbacks called; meaningful_note_pct = calls whose note passes Note.isMeaningful / calls_made; avg/p90_first_attempt_min = minutes from lead creation to its first call, over the leads first called in the period; first_called_* = of those leads: first call logged within 1 h / the same local day / 24 h, with 3+ attempts so far, covered (reached, closed or 3+ attempts so far). Days, weeks (ISO, Monday) and months in the team''s time zone. No row for a day after the local day of the last refresh, nor for a period without a call or a callback due. As of the last bi_refresh (bi.freshness).';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.team_week TO leadline_bi;
    END IF;
END $$;

CREATE VIEW bi.team_month AS
SELECT k.period AS month, k.team, k.team_id, k.time_zone,
       calls_made, connected_calls, leads_contacted, leads_connected, orders_created, lead_to_order_pct,
       high_end_leads_connected, high_end_orders, high_end_conversion_pct,
       normal_leads_connected, normal_orders, normal_conversion_pct,
       callbacks_due, callbacks_on_time, callbacks_missed, callbacks_pending, callback_on_time_pct,
       callbacks_attempted, callbacks_converted, callback_conversion_pct,
       meaningful_note_calls, meaningful_note_pct, first_attempts, avg_first_attempt_min, p90_first_attempt_min,
       first_called_within_1h, first_called_within_1h_pct, first_called_same_day, first_called_same_day_pct,
       first_called_within_24h, first_called_within_24h_pct, first_called_with_3_attempts,
       first_called_with_3_attempts_pct, first_called_covered, first_called_covered_pct
FROM bi_kpi k
WHERE k.grain = 'month' AND k.agent_id = 0;
COMMENT ON VIEW bi.team_month IS 'Per team per month: the SOP sales KPIs. calls_made = calls logged (every disposition or conversion is one call); leads_contacted / leads_connected = distinct leads called / spoken to (Connected group or a conversion) in the period; orders_created = conversions; lead_to_order_pct = orders_created / leads_connected x 100; high_end_conversion_pct = the same for High-End leads, normal_conversion_pct for the other (normal) leads; callbacks_* = callbacks the team''s agents scheduled, by the day they were due: on time = the next call began by the callback time + team grace, callback_on_time_pct = on time / due (pending ones not yet due are left out), callback_conversion_pct = callbacks whose call created the order / callbacks called; meaningful_note_pct = calls whose note passes Note.isMeaningful / calls_made; avg/p90_first_attempt_min = minutes from lead creation to its first call, over the leads first called in the period; first_called_* = of those leads: first call logged within 1 h / the same local day / 24 h, with 3+ attempts so far, covered (reached, closed or 3+ attempts so far). Days, weeks (ISO, Monday) and months in the team''s time zone. No row for a day after the local day of the last refresh, nor for a period without a call or a callback due. As of the last bi_refresh (bi.freshness).';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.team_month TO leadline_bi;
    END IF;
END $$;
