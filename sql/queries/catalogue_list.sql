-- `leadline catalogue list`: the catalogue as CSV rows the import reads back.
--   $1 what: 'devices', 'high-ends' (devices marked High End) or 'pincodes'
SELECT category, brand, model, variant, high_end, supported, NULL::text AS pincode, NULL::text AS city
FROM devices
WHERE $1::text = 'devices' OR ($1::text = 'high-ends' AND high_end)
UNION ALL
SELECT category, NULL, NULL, NULL, NULL, NULL, pincode, city
FROM serviceable_pincodes
WHERE $1::text = 'pincodes'
ORDER BY 7, 1, 2, 3, 4;
