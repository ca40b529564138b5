-- Serviceable pincodes into the catalogue: many at once (an import batch) or one
-- (PINCODE ADD). A pincode is served per device category; the category matches with
-- catalogue_text() (the stored spelling is kept), so running the same input twice
-- changes nothing; a known (pincode, category) takes the given city. An input repeated in
-- one call: the last line wins. Returns one row per distinct input: created, or the city
-- before (NULL when created).
-- The caller holds catalogue_lock.sql.
--   $1 lines, $2 pincodes, $3 categories, $4 cities
WITH input AS (
    SELECT DISTINCT ON (i.pincode, catalogue_text(i.category)) i.line, i.pincode, i.category, i.city
    FROM unnest($1::int[], $2::text[], $3::text[], $4::text[]) AS i(line, pincode, category, city)
    ORDER BY i.pincode, catalogue_text(i.category), i.line DESC
),
matched AS (
    SELECT i.*, p.category AS p_category, p.city AS old_city
    FROM input i
    LEFT JOIN LATERAL (
        SELECT p.* FROM serviceable_pincodes p
        WHERE p.pincode = i.pincode AND catalogue_text(p.category) = catalogue_text(i.category)
        ORDER BY (p.category = i.category) DESC
        LIMIT 1
    ) p ON true
),
updated AS (
    UPDATE serviceable_pincodes p SET city = m.city
    FROM matched m
    WHERE m.p_category IS NOT NULL AND p.pincode = m.pincode AND p.category = m.p_category AND p.city <> m.city
    RETURNING p.pincode
),
inserted AS (
    INSERT INTO serviceable_pincodes (pincode, category, city)
    SELECT pincode, category, city FROM matched WHERE p_category IS NULL
    RETURNING pincode, category
)
SELECT m.line, m.pincode, coalesce(m.p_category, m.category) AS category, m.city, m.old_city,
       (m.p_category IS NULL) AS created, (SELECT count(*) FROM updated) AS updated_total,
       (SELECT count(*) FROM inserted) AS inserted_total
FROM matched m
ORDER BY m.line;
