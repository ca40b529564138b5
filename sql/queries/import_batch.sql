-- Bulk import, the common path: move one staged pass (lead_import) into leads with the
-- same rules as lead_add.sql, set-based. High End from the catalogue, matched with
-- catalogue_text() once per distinct device of the pass (not once per row); the SLA
-- deadline by the team's clock; one look-up per row in the open-lead index
-- (leads_open_customer_device) decides what each row is:
--   no open lead with its phone and device -> a plain INSERT (no ON CONFLICT arbitration)
--     and a 'created' event;
--   an open lead of the same team -> that lead is re-checked (price, conditions when given,
--     name, pincode, city) and gets a 'recheck' event;
--   an open lead of another team -> nothing is written; counted in other_team, and
--     import_other_team.sql lists those rows (docs/RULES.md §12).
-- Events go in with one INSERT ... SELECT for the pass; one wake-up hint per team.
-- If another session opened a lead with a staged key after this statement's snapshot, the
-- INSERT fails with unique_violation (23505); if one it meant to re-check was closed
-- meanwhile, rechecked < same_team. Either way the caller rolls back to its savepoint and
-- runs import_upsert.sql for the pass, which arbitrates row by row.
--   $1 now
-- Returns one row: created, updated, same_team (rows that found their team's open lead),
-- other_team, teams_woken.
WITH device_keys AS (
    SELECT DISTINCT category, brand, model, variant FROM lead_import
),
device AS MATERIALIZED (
    SELECT k.category, k.brand, k.model, k.variant, d.id AS device_id, coalesce(d.high_end, false) AS is_high_end
    FROM device_keys k
    LEFT JOIN LATERAL (
        SELECT d.id, d.high_end FROM devices d
        WHERE catalogue_text(d.category) = catalogue_text(k.category) AND catalogue_text(d.brand) = catalogue_text(k.brand)
          AND catalogue_text(d.model) = catalogue_text(k.model) AND catalogue_text(d.variant) = catalogue_text(k.variant)
        ORDER BY (d.category = k.category AND d.brand = k.brand AND d.model = k.model AND d.variant = k.variant) DESC, d.id
        LIMIT 1
    ) d ON true
),
staged AS MATERIALIZED (
    SELECT s.*, t.id AS team_id, t.time_zone, t.high_end_sla, dv.device_id, dv.is_high_end,
           o.id AS open_id, o.team_id AS open_team_id
    FROM lead_import s
    JOIN teams t ON t.name = s.team
    JOIN device dv ON dv.category = s.category AND dv.brand = s.brand AND dv.model = s.model AND dv.variant = s.variant
    -- One probe of the open-lead index per row (LATERAL ... LIMIT 1 keeps it a probe,
    -- never a scan of leads).
    LEFT JOIN LATERAL (
        SELECT o.id, o.team_id FROM leads o
        WHERE o.phone = s.phone AND o.category = s.category AND o.brand = s.brand AND o.model = s.model
          AND o.variant = s.variant AND o.outcome IS NULL
        LIMIT 1
    ) o ON true
),
inserted AS (
    INSERT INTO leads (team_id, phone, customer_name, city, pincode, language, category, brand, model, variant,
                       device_id, conditions, quoted_price, source, campaign, created_at, ingested_at, high_end,
                       state, tier, sla_due_at)
    SELECT team_id, phone, name, city, pincode, language, category, brand, model, variant,
           device_id, conditions, price, source, campaign, created_at, $1::timestamptz, is_high_end,
           'new', CASE WHEN is_high_end THEN 1 ELSE 2 END,
           CASE WHEN is_high_end THEN created_at + high_end_sla
                ELSE (date_trunc('day', created_at AT TIME ZONE time_zone) + interval '1 day') AT TIME ZONE time_zone
           END
    FROM staged
    WHERE open_id IS NULL
    RETURNING id, team_id, quoted_price, source
),
rechecked AS (
    -- Only the same team's lead, and only while it is open (re-checked on the row's
    -- latest version if another session changed it since the snapshot).
    UPDATE leads l
    SET quoted_price = s.price,
        conditions = CASE WHEN s.conditions <> '' THEN s.conditions ELSE l.conditions END,
        customer_name = s.name,
        pincode = s.pincode,
        city = s.city
    FROM staged s
    WHERE l.id = s.open_id AND s.open_team_id = s.team_id AND l.team_id = s.team_id AND l.outcome IS NULL
    RETURNING l.id, l.team_id, l.quoted_price, l.source
),
event AS (
    INSERT INTO lead_events (lead_id, kind, at, payload)
    SELECT id, 'created'::lead_event_kind, $1::timestamptz,
           jsonb_build_object('via', 'import', 'price', quoted_price, 'source', source)
    FROM inserted
    UNION ALL
    SELECT id, 'recheck'::lead_event_kind, $1::timestamptz,
           jsonb_build_object('via', 'import', 'price', quoted_price, 'source', source)
    FROM rechecked
),
wake AS (
    -- One hint per team for the whole pass: lead 0 means "new leads in this team".
    SELECT pg_notify('leadline_ready', team_id || ':0:0') FROM (SELECT DISTINCT team_id FROM inserted) teams_with_new
)
SELECT (SELECT count(*) FROM inserted) AS created,
       (SELECT count(*) FROM rechecked) AS updated,
       (SELECT count(*) FROM staged WHERE open_id IS NOT NULL AND open_team_id = team_id) AS same_team,
       (SELECT count(*) FROM staged WHERE open_id IS NOT NULL AND open_team_id <> team_id) AS other_team,
       (SELECT count(*) FROM wake) AS teams_woken;
