-- Records a BI refresh that could not run (docs/BI.md): counted in bi_refresh_skips and
-- shown by bi.freshness. Written by the service (BIRollup.recordSkip) next to its metric
-- and warning log.
--   $1 now (the service's clock), $2 reason ('busy', or 'failed: <error>')
UPDATE bi_refresh_skips
SET skips = skips + 1, last_skipped_at = $1::timestamptz, last_reason = left($2::text, 500)
WHERE singleton;
