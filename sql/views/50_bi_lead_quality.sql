-- KPI item 5 of docs/BI.md: conversion by city, device category and campaign source per
-- week and month (SOP 002 §6 monthly review; the lead-quality report for marketing).

CREATE VIEW bi.lead_quality_week AS
SELECT date_trunc('week', c.day::timestamp)::date AS week, t.name AS team, c.team_id, t.time_zone, c.city, c.category,
       c.source, nullif(c.campaign, '') AS campaign,
       sum(c.received)::integer AS leads_received,
       sum(c.attempted)::integer AS leads_contacted,
       sum(c.connected)::integer AS leads_connected,
       sum(c.converted)::integer AS orders_created,
       coalesce(sum(c.received) FILTER (WHERE c.high_end), 0)::integer AS high_end_received,
       coalesce(sum(c.converted) FILTER (WHERE c.high_end), 0)::integer AS high_end_orders,
       coalesce(sum(c.connected) FILTER (WHERE c.high_end), 0)::integer AS high_end_connected,
       round(100.0 * sum(c.converted) FILTER (WHERE c.high_end) / nullif(sum(c.connected) FILTER (WHERE c.high_end), 0), 1) AS high_end_conversion_pct,
       coalesce(sum(c.connected) FILTER (WHERE NOT c.high_end), 0)::integer AS normal_connected,
       coalesce(sum(c.converted) FILTER (WHERE NOT c.high_end), 0)::integer AS normal_orders,
       round(100.0 * sum(c.converted) FILTER (WHERE NOT c.high_end) / nullif(sum(c.connected) FILTER (WHERE NOT c.high_end), 0), 1) AS normal_conversion_pct,
       round(100.0 * sum(c.attempted) / nullif(sum(c.received), 0), 1) AS contact_pct,
       round(100.0 * sum(c.connected) / nullif(sum(c.attempted), 0), 1) AS connect_pct,
       round(100.0 * sum(c.converted) / nullif(sum(c.connected), 0), 1) AS lead_to_order_pct,
       round(100.0 * sum(c.converted) / nullif(sum(c.received), 0), 1) AS orders_per_lead_pct
FROM bi_cohort c
JOIN teams t ON t.id = c.team_id
GROUP BY 1, t.name, c.team_id, t.time_zone, c.city, c.category, c.source, c.campaign;
COMMENT ON VIEW bi.lead_quality_week IS 'Lead quality for marketing, per week of creation (ISO, team time zone), team, city, device category, source and campaign: leads received, contacted (called at least once), connected (spoken to), orders created (converted) so far. contact_pct = contacted / received, connect_pct = connected / contacted, lead_to_order_pct = orders / connected, orders_per_lead_pct = orders / received; high_end_conversion_pct and normal_conversion_pct = orders / connected over High-End and normal leads. Sum the counts to roll up further (e.g. by city only) and recompute the ratios. As of the last bi_refresh.';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.lead_quality_week TO leadline_bi;
    END IF;
END $$;

CREATE VIEW bi.lead_quality_month AS
SELECT date_trunc('month', c.day::timestamp)::date AS month, t.name AS team, c.team_id, t.time_zone, c.city, c.category,
       c.source, nullif(c.campaign, '') AS campaign,
       sum(c.received)::integer AS leads_received,
       sum(c.attempted)::integer AS leads_contacted,
       sum(c.connected)::integer AS leads_connected,
       sum(c.converted)::integer AS orders_created,
       coalesce(sum(c.received) FILTER (WHERE c.high_end), 0)::integer AS high_end_received,
       coalesce(sum(c.converted) FILTER (WHERE c.high_end), 0)::integer AS high_end_orders,
       coalesce(sum(c.connected) FILTER (WHERE c.high_end), 0)::integer AS high_end_connected,
       round(100.0 * sum(c.converted) FILTER (WHERE c.high_end) / nullif(sum(c.connected) FILTER (WHERE c.high_end), 0), 1) AS high_end_conversion_pct,
       coalesce(sum(c.connected) FILTER (WHERE NOT c.high_end), 0)::integer AS normal_connected,
       coalesce(sum(c.converted) FILTER (WHERE NOT c.high_end), 0)::integer AS normal_orders,
       round(100.0 * sum(c.converted) FILTER (WHERE NOT c.high_end) / nullif(sum(c.connected) FILTER (WHERE NOT c.high_end), 0), 1) AS normal_conversion_pct,
       round(100.0 * sum(c.attempted) / nullif(sum(c.received), 0), 1) AS contact_pct,
       round(100.0 * sum(c.connected) / nullif(sum(c.attempted), 0), 1) AS connect_pct,
       round(100.0 * sum(c.converted) / nullif(sum(c.connected), 0), 1) AS lead_to_order_pct,
       round(100.0 * sum(c.converted) / nullif(sum(c.received), 0), 1) AS orders_per_lead_pct
FROM bi_cohort c
JOIN teams t ON t.id = c.team_id
GROUP BY 1, t.name, c.team_id, t.time_zone, c.city, c.category, c.source, c.campaign;
COMMENT ON VIEW bi.lead_quality_month IS 'Lead quality for marketing, per month of creation (team time zone), team, city, device category, source and campaign: leads received, contacted, connected, orders created so far, and the same ratios as bi.lead_quality_week. As of the last bi_refresh.';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.lead_quality_month TO leadline_bi;
    END IF;
END $$;
