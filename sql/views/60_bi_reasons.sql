-- KPI item 6 of docs/BI.md: why leads do not convert (SOP 002 §6 "Top 3 reasons customers
-- are not converting", monthly "most common reasons for not selling"). Customer reasons
-- (what the customer said with Not Interested / Already Sold Elsewhere) are reported apart
-- from how leads closed without an order (outcomes such as unreachable, wrong_number,
-- not_serviceable, which are not a customer's reason). Rows, not formatted strings.

CREATE VIEW bi.non_conversion_reasons_week AS
SELECT r.week, t.name AS team, r.team_id, t.time_zone, r.reason, r.leads,
       round(100.0 * r.leads / sum(r.leads) OVER (PARTITION BY r.week, r.team_id), 1) AS share_pct,
       rank() OVER (PARTITION BY r.week, r.team_id ORDER BY r.leads DESC) AS rank
FROM (SELECT date_trunc('week', x.day::timestamp)::date AS week, x.team_id, x.reason, sum(x.leads)::integer AS leads
      FROM bi_reason_day x
      WHERE x.reason <> ''
      GROUP BY 1, x.team_id, x.reason) r
JOIN teams t ON t.id = r.team_id;
COMMENT ON VIEW bi.non_conversion_reasons_week IS 'Customer reasons for not converting, per week of closing (ISO, team time zone) and team: reason = what the customer said when the lead closed as Not Interested or Already Sold Elsewhere (price_too_low, competitor_quote, pickup_trust, payment_delay, busy_later, no_pickup_area, other); leads = leads closed so; share_pct and rank (1 = most frequent; ties share a rank) among the week''s customer reasons. Outcomes that are not a customer''s reason (unreachable, wrong_number, not_serviceable, device_not_supported) are in bi.closed_without_order_week. Top 3: WHERE rank <= 3. As of the last bi_refresh.';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.non_conversion_reasons_week TO leadline_bi;
    END IF;
END $$;

CREATE VIEW bi.non_conversion_reasons_month AS
SELECT r.month, t.name AS team, r.team_id, t.time_zone, r.reason, r.leads,
       round(100.0 * r.leads / sum(r.leads) OVER (PARTITION BY r.month, r.team_id), 1) AS share_pct,
       rank() OVER (PARTITION BY r.month, r.team_id ORDER BY r.leads DESC) AS rank
FROM (SELECT date_trunc('month', x.day::timestamp)::date AS month, x.team_id, x.reason, sum(x.leads)::integer AS leads
      FROM bi_reason_day x
      WHERE x.reason <> ''
      GROUP BY 1, x.team_id, x.reason) r
JOIN teams t ON t.id = r.team_id;
COMMENT ON VIEW bi.non_conversion_reasons_month IS 'Customer reasons for not converting, per month of closing (team time zone) and team: as bi.non_conversion_reasons_week, by month (the monthly review''s "most common reasons for not selling"). As of the last bi_refresh.';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.non_conversion_reasons_month TO leadline_bi;
    END IF;
END $$;

CREATE VIEW bi.closed_without_order_week AS
SELECT date_trunc('week', x.day::timestamp)::date AS week, t.name AS team, x.team_id, t.time_zone, x.city, x.category,
       x.outcome,
       CASE WHEN x.outcome IN ('not_interested', 'sold_elsewhere') THEN 'customer'
            WHEN x.outcome = 'unreachable' THEN 'unreachable'
            ELSE 'invalid' END AS outcome_group,
       nullif(x.reason, '') AS reason,
       sum(x.leads)::integer AS leads
FROM bi_reason_day x
JOIN teams t ON t.id = x.team_id
GROUP BY 1, t.name, x.team_id, t.time_zone, x.city, x.category, x.outcome, x.reason;
COMMENT ON VIEW bi.closed_without_order_week IS 'Leads closed without an order, per week of closing (ISO, team time zone), team, city, device category, outcome and customer reason. outcome = how the lead closed: not_interested, sold_elsewhere (outcome_group customer: the customer said no, and reason says why), unreachable (outcome_group unreachable: the Not Reachable cadence gave up), wrong_number, not_serviceable, device_not_supported (outcome_group invalid: not a customer''s reason). reason is NULL for outcomes that take none. already_placed_order is not here (the customer did order). leads = leads closed so. As of the last bi_refresh.';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.closed_without_order_week TO leadline_bi;
    END IF;
END $$;

CREATE VIEW bi.closed_without_order_month AS
SELECT date_trunc('month', x.day::timestamp)::date AS month, t.name AS team, x.team_id, t.time_zone, x.city, x.category,
       x.outcome,
       CASE WHEN x.outcome IN ('not_interested', 'sold_elsewhere') THEN 'customer'
            WHEN x.outcome = 'unreachable' THEN 'unreachable'
            ELSE 'invalid' END AS outcome_group,
       nullif(x.reason, '') AS reason,
       sum(x.leads)::integer AS leads
FROM bi_reason_day x
JOIN teams t ON t.id = x.team_id
GROUP BY 1, t.name, x.team_id, t.time_zone, x.city, x.category, x.outcome, x.reason;
COMMENT ON VIEW bi.closed_without_order_month IS 'Leads closed without an order, per month of closing (team time zone), team, city, device category, outcome and customer reason: as bi.closed_without_order_week, by month. As of the last bi_refresh.';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.closed_without_order_month TO leadline_bi;
    END IF;
END $$;
