-- Bulk import: move one staged batch into leads, with the same rules as lead_add.sql
-- (High End from the catalogue matched with catalogue_text(), SLA deadline by the team's
-- clock, a returning customer updates the open lead of the same team and gets a
-- 'recheck' event; an open lead of the same phone and device in another team is left
-- alone, and import_other_team.sql then reports the row), and wake waiting agents per team.
--   $1 now
WITH staged AS (
    SELECT s.*, t.id AS team_id, t.time_zone, t.high_end_sla, d.id AS device_id, coalesce(d.high_end, false) AS is_high_end
    FROM lead_import s
    JOIN teams t ON t.name = s.team
    LEFT JOIN LATERAL (
        SELECT d.id, d.high_end FROM devices d
        WHERE catalogue_text(d.category) = catalogue_text(s.category) AND catalogue_text(d.brand) = catalogue_text(s.brand)
          AND catalogue_text(d.model) = catalogue_text(s.model) AND catalogue_text(d.variant) = catalogue_text(s.variant)
        ORDER BY (d.category = s.category AND d.brand = s.brand AND d.model = s.model AND d.variant = s.variant) DESC, d.id
        LIMIT 1
    ) d ON true
),
upsert AS (
    INSERT INTO leads AS l (team_id, phone, customer_name, city, pincode, language, category, brand, model, variant,
                            device_id, conditions, quoted_price, source, campaign, created_at, ingested_at, high_end,
                            state, tier, sla_due_at)
    SELECT team_id, phone, name, city, pincode, language, category, brand, model, variant,
           device_id, conditions, price, source, campaign, created_at, $1::timestamptz, is_high_end,
           'new', CASE WHEN is_high_end THEN 1 ELSE 2 END,
           CASE WHEN is_high_end THEN created_at + high_end_sla
                ELSE (date_trunc('day', created_at AT TIME ZONE time_zone) + interval '1 day') AT TIME ZONE time_zone
           END
    FROM staged
    -- `outcome IS NULL` = open: the predicate of leads_open_customer_device (migration 0012)
    ON CONFLICT (phone, category, brand, model, variant) WHERE outcome IS NULL
    DO UPDATE SET quoted_price = EXCLUDED.quoted_price,
                  conditions = CASE WHEN EXCLUDED.conditions <> '' THEN EXCLUDED.conditions ELSE l.conditions END,
                  customer_name = EXCLUDED.customer_name,
                  pincode = EXCLUDED.pincode,
                  city = EXCLUDED.city
    -- Only the same team's lead: another team's open lead is never touched.
    WHERE l.team_id = EXCLUDED.team_id
    RETURNING l.id, (l.xmax = 0) AS inserted, l.team_id, l.quoted_price, l.source
),
event AS (
    INSERT INTO lead_events (lead_id, kind, at, payload)
    SELECT id, (CASE WHEN inserted THEN 'created' ELSE 'recheck' END)::lead_event_kind, $1::timestamptz,
           jsonb_build_object('via', 'import', 'price', quoted_price, 'source', source)
    FROM upsert
),
wake AS (
    -- One hint per team for the whole batch: lead 0 means "new leads in this team".
    SELECT pg_notify('leadline_ready', team_id || ':0:0') FROM (SELECT DISTINCT team_id FROM upsert WHERE inserted) teams_with_new
)
SELECT count(*) FILTER (WHERE inserted) AS created, count(*) FILTER (WHERE NOT inserted) AS updated,
       (SELECT count(*) FROM wake) AS teams_woken
FROM upsert;
