-- Boost pass: a SIGNAL boost that ran out puts the lead back in its tier's normal order
-- (priority 1). The boost_until column stays as a record of the last boost.
--   $1 now, $2 batch size
WITH ended AS (
    SELECT id FROM leads
    WHERE priority = 0 AND boost_until <= $1::timestamptz
    ORDER BY boost_until
    LIMIT $2::int
    FOR UPDATE SKIP LOCKED
)
UPDATE leads l SET priority = 1
FROM ended e
WHERE l.id = e.id
RETURNING l.id;
