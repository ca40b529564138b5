-- KPI item 9 of docs/BI.md: the sales dashboard of seed 004 (total calls, connected calls
-- and orders — the second business's deposits — per agent, daily).

CREATE VIEW bi.sales_dashboard AS
SELECT a.day, t.name AS team, a.team_id, t.time_zone, g.name AS agent, a.agent_id,
       a.calls,
       a.connected_calls,
       round(100.0 * a.connected_calls / nullif(a.calls, 0), 1) AS connect_ratio_pct,
       a.orders,
       round(100.0 * a.orders / nullif(a.connected_calls, 0), 1) AS orders_per_connected_call_pct
FROM bi_agent_day a
JOIN teams t ON t.id = a.team_id
JOIN agents g ON g.id = a.agent_id
WHERE a.calls > 0;
COMMENT ON VIEW bi.sales_dashboard IS 'The sales dashboard (seed 004): per agent and local day, calls (every logged call), connected_calls (calls where the customer was spoken to: the Connected group or a conversion), connect_ratio_pct = connected / calls, orders created, orders_per_connected_call_pct = orders / connected calls. As of the last bi_refresh.';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.sales_dashboard TO leadline_bi;
    END IF;
END $$;
