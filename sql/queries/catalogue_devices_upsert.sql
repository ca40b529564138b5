-- Devices into the catalogue: many at once (a `leadline catalogue import` batch) or one
-- (DEVICE ADD, DEVICE RETIRE, HIGHEND ADD, HIGHEND RETIRE). Each input matches a catalogue
-- device with catalogue_text() on every field (letter case and white space ignored; the
-- exactly spelled row wins, else the oldest: intake's rule, migrations/0008), so running
-- the same input twice changes nothing. A matched device takes the given flags (a NULL
-- flag keeps the stored one) and keeps its spelling; an unmatched one is created when $8
-- says so (new: high_end false, supported true unless given). An input repeated in one
-- call: the last line wins. Returns one row per distinct input with the flags before and
-- after; `id` NULL = not in the catalogue and not created.
-- The caller holds catalogue_lock.sql, so two writers never both create one device.
--   $1 lines, $2 categories, $3 brands, $4 models, $5 variants, $6 high_end flags,
--   $7 supported flags (element k of each for the k-th input; NULL flag = keep),
--   $8 create missing devices
WITH input AS (
    SELECT DISTINCT ON (catalogue_text(i.category), catalogue_text(i.brand), catalogue_text(i.model), catalogue_text(i.variant))
           i.line, i.category, i.brand, i.model, i.variant, i.high_end, i.supported
    FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::boolean[])
         AS i(line, category, brand, model, variant, high_end, supported)
    ORDER BY catalogue_text(i.category), catalogue_text(i.brand), catalogue_text(i.model), catalogue_text(i.variant), i.line DESC
),
matched AS (
    SELECT i.*, d.id AS device_id, d.category AS d_category, d.brand AS d_brand, d.model AS d_model, d.variant AS d_variant,
           d.high_end AS old_high_end, d.supported AS old_supported
    FROM input i
    LEFT JOIN LATERAL (
        SELECT d.* FROM devices d
        WHERE catalogue_text(d.category) = catalogue_text(i.category) AND catalogue_text(d.brand) = catalogue_text(i.brand)
          AND catalogue_text(d.model) = catalogue_text(i.model) AND catalogue_text(d.variant) = catalogue_text(i.variant)
        ORDER BY (d.category = i.category AND d.brand = i.brand AND d.model = i.model AND d.variant = i.variant) DESC, d.id
        LIMIT 1
    ) d ON true
),
updated AS (
    UPDATE devices d
    SET high_end = coalesce(m.high_end, d.high_end), supported = coalesce(m.supported, d.supported)
    FROM matched m
    WHERE d.id = m.device_id
      AND (coalesce(m.high_end, d.high_end) <> d.high_end OR coalesce(m.supported, d.supported) <> d.supported)
    RETURNING d.id
),
inserted AS (
    INSERT INTO devices (category, brand, model, variant, high_end, supported)
    SELECT category, brand, model, variant, coalesce(high_end, false), coalesce(supported, true)
    FROM matched WHERE device_id IS NULL AND $8::boolean
    RETURNING id, category, brand, model, variant, high_end, supported
)
SELECT m.line, coalesce(m.device_id, n.id) AS id, (n.id IS NOT NULL) AS created,
       coalesce(m.d_category, m.category) AS category, coalesce(m.d_brand, m.brand) AS brand,
       coalesce(m.d_model, m.model) AS model, coalesce(m.d_variant, m.variant) AS variant,
       m.old_high_end AS high_end_before, m.old_supported AS supported_before,
       CASE WHEN n.id IS NOT NULL THEN n.high_end WHEN m.device_id IS NOT NULL THEN coalesce(m.high_end, m.old_high_end) END
           AS high_end,
       CASE WHEN n.id IS NOT NULL THEN n.supported WHEN m.device_id IS NOT NULL THEN coalesce(m.supported, m.old_supported) END
           AS supported,
       (SELECT count(*) FROM updated) AS updated_total
FROM matched m
LEFT JOIN inserted n ON n.category = m.category AND n.brand = m.brand AND n.model = m.model AND n.variant = m.variant
ORDER BY m.line;
