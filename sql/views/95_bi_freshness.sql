-- How current the rollup-based views are, and whether refreshes are being given up.

CREATE VIEW bi.freshness AS
SELECT r.as_of, r.refreshed_at, r.seconds AS refresh_seconds, r.leads_done AS leads_recomputed,
       greatest(0, (SELECT coalesce(max(e.id), 0) FROM lead_events e) - r.pending_event_mark) AS events_since,
       k.skips AS refreshes_skipped, k.last_skipped_at, k.last_reason AS last_skip_reason
FROM bi_refresh_state r
CROSS JOIN bi_refresh_skips k;
COMMENT ON VIEW bi.freshness IS 'When the BI rollups were last refreshed (bi_refresh, run by the service about every minute): as_of = the instant deadlines were judged at, refreshed_at = wall clock, refresh_seconds, leads_recomputed, events_since = lead events written after it (0 = up to date); refreshes_skipped = refreshes the service could not run (ever), last_skipped_at and last_skip_reason (busy = another refresh held the lock; failed: the error) for the latest. A last_skipped_at after refreshed_at means the numbers are getting stale.';
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT SELECT ON bi.freshness TO leadline_bi;
    END IF;
END $$;
