-- Re-tier the open leads of devices whose High End flag changed (docs/RULES.md §13): each
-- open lead whose device matches one of the given devices (catalogue_text() on every
-- field) takes the catalogue's verdict for its own device (catalogue_lead_high_end(),
-- intake's rule), and, when it is claimable now (a tier), the tier that verdict gives
-- (lead_tier: a Not Called lead moves between High Ends and Not Called; a due callback
-- keeps tier 3 either way). Held and scheduled leads have no tier now and get the right
-- one when they come back (release, expiry, promotion all call lead_tier). SLA deadlines
-- are not rewritten: a deadline is the promise made when the lead came in. Closed leads
-- keep their flag (history). One wake-up per team with a changed claimable lead.
--   $1 categories, $2 brands, $3 models, $4 variants (the devices), $5 now
WITH keys AS (
    SELECT DISTINCT catalogue_text(k.category) AS category, catalogue_text(k.brand) AS brand,
                    catalogue_text(k.model) AS model, catalogue_text(k.variant) AS variant
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS k(category, brand, model, variant)
),
-- The open leads of those devices. The model alone is compared first (one normalisation
-- per open lead, against a hashed list), the four fields only for the leads it lets through.
matched AS MATERIALIZED (
    SELECT l.id, l.category, l.brand, l.model, l.variant
    FROM leads l
    WHERE l.state <> 'closed'
      AND catalogue_text(l.model) IN (SELECT model FROM keys)
      AND (catalogue_text(l.category), catalogue_text(l.brand), catalogue_text(l.model), catalogue_text(l.variant))
          IN (SELECT category, brand, model, variant FROM keys)
),
-- The verdict once per spelling of a device (all its leads share it).
verdict AS MATERIALIZED (
    SELECT s.category, s.brand, s.model, s.variant, catalogue_lead_high_end(s.category, s.brand, s.model, s.variant) AS high_end
    FROM (SELECT DISTINCT category, brand, model, variant FROM matched) s
),
changed AS (
    UPDATE leads l
    SET high_end = v.high_end,
        tier = CASE WHEN l.tier IS NULL THEN NULL ELSE lead_tier(v.high_end, l.state, l.next_action_at, $5::timestamptz) END
    FROM matched m
    JOIN verdict v ON v.category = m.category AND v.brand = m.brand AND v.model = m.model AND v.variant = m.variant
    WHERE l.id = m.id AND l.high_end <> v.high_end AND l.state <> 'closed'
    RETURNING l.id, l.team_id, l.high_end, l.tier
),
wake AS (
    SELECT pg_notify('leadline_ready', team_id || ':0:0')
    FROM (SELECT DISTINCT team_id FROM changed WHERE tier IS NOT NULL) t
)
SELECT count(*) AS retiered, count(*) FILTER (WHERE high_end) AS to_high_end,
       count(*) FILTER (WHERE NOT high_end) AS from_high_end, (SELECT count(*) FROM wake) AS woken
FROM changed;
