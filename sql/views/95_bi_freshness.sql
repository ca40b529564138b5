-- How current the rollup-based views are.

CREATE VIEW bi.freshness AS
SELECT r.as_of, r.refreshed_at, r.seconds AS refresh_seconds, r.leads_done AS leads_recomputed,
       greatest(0, (SELECT coalesce(max(e.id), 0) FROM lead_events e) - r.pending_event_mark) AS events_since
FROM bi_refresh_state r;
COMMENT ON VIEW bi.freshness IS 'When the BI rollups were last refreshed (bi_refresh, run by the service about every minute): as_of = the instant deadlines were judged at, refreshed_at = wall clock, refresh_seconds, leads_recomputed, events_since = lead events written after it (0 = up to date).';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.freshness TO leadline_bi;
    END IF;
END $$;
