-- KPI item 6 of docs/BI.md: top reasons for not converting, per week, city and device
-- (SOP 002 §6 "Top 3 reasons customers are not converting").

CREATE VIEW bi.non_conversion_reasons_week AS
SELECT r.week, t.name AS team, r.team_id, r.city, r.category, r.outcome, r.reason, r.leads,
       round(100.0 * r.leads / sum(r.leads) OVER (PARTITION BY r.week, r.team_id, r.city, r.category), 1) AS share_pct,
       rank() OVER (PARTITION BY r.week, r.team_id, r.city, r.category ORDER BY r.leads DESC) AS rank
FROM (SELECT date_trunc('week', x.day::timestamp)::date AS week, x.team_id, x.city, x.category, x.outcome, x.reason,
             sum(x.leads)::integer AS leads
      FROM bi_reason_day x
      GROUP BY 1, x.team_id, x.city, x.category, x.outcome, x.reason) r
JOIN teams t ON t.id = r.team_id;
COMMENT ON VIEW bi.non_conversion_reasons_week IS 'Why leads closed without an order, per week of closing (ISO, team time zone), team, city and device category: outcome is how the lead closed (not_interested, sold_elsewhere, unreachable, wrong_number, not_serviceable, device_not_supported); reason is the non-conversion reason the agent gave (price_too_low, competitor_quote, pickup_trust, payment_delay, busy_later, no_pickup_area, other) or, for outcomes that take none, the outcome itself. already_placed_order is not counted (the customer did order). leads = leads closed so; share_pct and rank are within the week, team, city and category. As of the last bi_refresh.';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.non_conversion_reasons_week TO leadline_bi;
    END IF;
END $$;
