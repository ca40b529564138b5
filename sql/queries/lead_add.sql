-- Ingest one lead (the platform's drop-off event, or `LEAD ADD`). A returning customer
-- (same phone and device while a lead of the same team is open) updates that lead's
-- quoted price, conditions (when given), name, pincode and city, and records a
-- `recheck` instead of creating a duplicate. An open lead of the same phone and device
-- in ANOTHER team is left alone: no row is written, and the result row has `id` NULL
-- and `other_team` naming that team (the caller refuses with LEAD_IN_OTHER_TEAM;
-- docs/RULES.md §12). No row at all: no such team.
-- High End comes from the device catalogue, matched with catalogue_text() (case and
-- white space ignored; the exact spelling wins if the catalogue has two).
-- The SLA deadline: High End = created + the team's High-End SLA (15 min); otherwise
-- the end of the team's local day of creation.
--   $1 team name, $2 phone (normalised), $3 customer name, $4 city, $5 pincode,
--   $6 language, $7 category, $8 brand, $9 model, $10 variant, $11 conditions,
--   $12 quoted price (minor units), $13 source, $14 campaign, $15 created_at,
--   $16 now, $17 acting agent (may be NULL), $18 request id (may be NULL)
WITH team AS (
    SELECT id, time_zone, high_end_sla FROM teams WHERE name = $1::text
),
device AS (
    SELECT id, high_end FROM devices
    WHERE catalogue_text(category) = catalogue_text($7::text) AND catalogue_text(brand) = catalogue_text($8::text)
      AND catalogue_text(model) = catalogue_text($9::text) AND catalogue_text(variant) = catalogue_text($10::text)
    ORDER BY (category = $7::text AND brand = $8::text AND model = $9::text AND variant = $10::text) DESC, id
    LIMIT 1
),
upsert AS (
    INSERT INTO leads AS l (team_id, phone, customer_name, city, pincode, language, category, brand, model, variant,
                            device_id, conditions, quoted_price, source, campaign, created_at, ingested_at, high_end,
                            state, tier, sla_due_at)
    SELECT t.id, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text, $9::text, $10::text,
           d.id, coalesce($11::text, ''), $12::bigint, $13::text, $14::text, $15::timestamptz, $16::timestamptz,
           coalesce(d.high_end, false), 'new',
           CASE WHEN coalesce(d.high_end, false) THEN 1 ELSE 2 END,
           CASE WHEN coalesce(d.high_end, false) THEN $15::timestamptz + t.high_end_sla
                ELSE (date_trunc('day', $15::timestamptz AT TIME ZONE t.time_zone) + interval '1 day') AT TIME ZONE t.time_zone
           END
    FROM team t LEFT JOIN device d ON true
    -- `outcome IS NULL` = open: the predicate of leads_open_customer_device (migration 0012)
    ON CONFLICT (phone, category, brand, model, variant) WHERE outcome IS NULL
    DO UPDATE SET quoted_price = EXCLUDED.quoted_price,
                  conditions = CASE WHEN EXCLUDED.conditions <> '' THEN EXCLUDED.conditions ELSE l.conditions END,
                  customer_name = EXCLUDED.customer_name,
                  pincode = EXCLUDED.pincode,
                  city = EXCLUDED.city
    -- Only the same team's lead: another team's open lead is never touched.
    WHERE l.team_id = EXCLUDED.team_id
    RETURNING l.id, (l.xmax = 0) AS inserted, l.team_id, l.tier, l.assigned_agent_id, l.high_end, l.state::text AS state
),
event AS (
    INSERT INTO lead_events (lead_id, kind, agent_id, at, request_id, payload)
    SELECT id, (CASE WHEN inserted THEN 'created' ELSE 'recheck' END)::lead_event_kind, $17::bigint, $16::timestamptz, $18::text,
           jsonb_build_object('price', $12::bigint, 'source', $13::text, 'campaign', $14::text)
    FROM upsert
),
wake AS (
    SELECT pg_notify('leadline_ready', team_id || ':' || coalesce(assigned_agent_id, 0) || ':' || id)
    FROM upsert WHERE inserted AND tier IS NOT NULL
)
SELECT u.id, u.inserted, t.id AS team_id, u.high_end, u.state, (SELECT count(*) FROM wake) AS woken,
       CASE WHEN u.id IS NULL THEN
           (SELECT o.name FROM leads x JOIN teams o ON o.id = x.team_id
            WHERE x.phone = $2::text AND x.category = $7::text AND x.brand = $8::text AND x.model = $9::text
              AND x.variant = $10::text AND x.outcome IS NULL
            LIMIT 1)
       END AS other_team
FROM team t LEFT JOIN upsert u ON true;
