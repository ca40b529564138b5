-- KPI item 4 of docs/BI.md: contact coverage (SOP 002 §4 KPI 1 and KPI 3), per team and
-- creation day, from the bi_cohort rollup (the leads' own counters).

CREATE VIEW bi.contact_coverage AS
SELECT c.day, t.name AS team, c.team_id, t.time_zone,
       sum(c.received)::integer AS leads_received,
       coalesce(sum(c.received) FILTER (WHERE c.high_end), 0)::integer AS high_end_received,
       sum(c.attempted)::integer AS called,
       round(100.0 * sum(c.attempted) / nullif(sum(c.received), 0), 1) AS called_pct,
       round(100.0 * sum(c.called_15m) / nullif(sum(c.received), 0), 1) AS called_within_15m_pct,
       round(100.0 * sum(c.called_1h) / nullif(sum(c.received), 0), 1) AS called_within_1h_pct,
       round(100.0 * sum(c.called_4h) / nullif(sum(c.received), 0), 1) AS called_within_4h_pct,
       round(100.0 * sum(c.called_same_day) / nullif(sum(c.received), 0), 1) AS called_same_day_pct,
       round(100.0 * sum(c.called_24h) / nullif(sum(c.received), 0), 1) AS called_within_24h_pct,
       round(100.0 * sum(c.called_48h) / nullif(sum(c.received), 0), 1) AS called_within_48h_pct,
       sum(c.called_15m)::integer AS called_within_15m,
       sum(c.called_1h)::integer AS called_within_1h,
       sum(c.called_4h)::integer AS called_within_4h,
       sum(c.called_same_day)::integer AS called_same_day,
       sum(c.called_24h)::integer AS called_within_24h,
       sum(c.called_48h)::integer AS called_within_48h,
       sum(c.attempts_3plus)::integer AS with_3_attempts,
       round(100.0 * sum(c.attempts_3plus) / nullif(sum(c.received), 0), 1) AS with_3_attempts_pct,
       sum(c.connected)::integer AS connected,
       sum(c.converted)::integer AS converted,
       sum(c.closed)::integer AS closed,
       round(sum(c.ttfa_sum_s) / 60.0 / nullif(sum(c.attempted), 0), 1) AS avg_first_attempt_min
FROM bi_cohort c
JOIN teams t ON t.id = c.team_id
GROUP BY c.day, t.name, c.team_id, t.time_zone;
COMMENT ON VIEW bi.contact_coverage IS 'Contact coverage per team and creation day (the local day the lead dropped off): of the leads received that day, how many were called at all, within 15 min / 1 h / 4 h / the same local day / 24 h / 48 h of creation, and how many got at least 3 call attempts over their life (so far); connected, converted and closed so far; the average minutes to the first call. Percentages are of leads_received. As of the last bi_refresh.';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.contact_coverage TO leadline_bi;
    END IF;
END $$;
