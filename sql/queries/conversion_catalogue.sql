-- The catalogue's verdicts for a conversion: is the pincode served for the device
-- category, is the device supported (a device missing from the catalogue is not), and
-- does the pincode lie in the city confirmed on the call (NULL when the catalogue does not
-- know the pincode at all; `pincode_city` is its city on record, for the message).
-- Matching uses catalogue_text() on both sides (letter case and white space ignored),
-- the same rule as intake and import (migrations/0008).
--   $1 pincode, $2 category, $3 brand, $4 model, $5 variant, $6 city
SELECT EXISTS (
           SELECT 1 FROM serviceable_pincodes
           WHERE pincode = $1::text AND catalogue_text(category) = catalogue_text($2::text)
       ) AS serviceable,
       coalesce((
           SELECT bool_or(supported) FROM devices
           WHERE catalogue_text(category) = catalogue_text($2::text) AND catalogue_text(brand) = catalogue_text($3::text)
             AND catalogue_text(model) = catalogue_text($4::text) AND catalogue_text(variant) = catalogue_text($5::text)
       ), false) AS supported,
       CASE WHEN EXISTS (SELECT 1 FROM serviceable_pincodes WHERE pincode = $1::text) THEN
           EXISTS (SELECT 1 FROM serviceable_pincodes
                   WHERE pincode = $1::text AND catalogue_text(city) = catalogue_text($6::text))
       END AS city_matches,
       (SELECT city FROM serviceable_pincodes WHERE pincode = $1::text
        ORDER BY catalogue_text(category) = catalogue_text($2::text) DESC, category LIMIT 1) AS pincode_city;
