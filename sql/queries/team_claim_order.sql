-- A team's claim order (TEAM SET claim_order): which of the SOPs' priority lists CLAIM
-- follows. The server caches it for a few seconds (docs/RULES.md §14).
--   $1 team
SELECT claim_order FROM teams WHERE id = $1::bigint;
