-- The order a lead was converted into, if any (a lead converts at most once).
--   $1 lead
SELECT id, status::text AS status FROM orders WHERE lead_id = $1::bigint;
